-- report.source_ingest: one row per source that delivered files: how many, their row accounting summed
-- (curated.ingest_log), how many regions its curated rows cover (score.region_input, a row per region and
-- source of every table the contracts list), and where its files come from (curated.raw_files: real unless the
-- folder's _source.yaml says `synthetic: true`; the publishers of the real ones), for the overview's data coverage.
WITH delivered AS (
    SELECT source, count(source_file) AS files, sum(rows_read) AS rows_read, sum(rows_curated) AS rows_curated,
           sum(rows_quarantined) AS rows_quarantined, sum(rows_superseded) AS rows_superseded
    FROM report.ingest_log
    GROUP BY source
),
covered AS (
    SELECT source, count(DISTINCT region_code) AS regions
    FROM score.region_input
    GROUP BY source
),
origin AS (
    SELECT source, count(*) FILTER (WHERE NOT is_synthetic) AS real_files,
           count(*) FILTER (WHERE is_synthetic) AS synthetic_files,
           string_agg(DISTINCT publisher, ' · ' ORDER BY publisher) FILTER (WHERE NOT is_synthetic) AS real_publishers
    FROM curated.raw_files
    GROUP BY source
)
SELECT d.*, c.regions, o.real_files, o.synthetic_files, o.real_publishers,
       CASE WHEN o.synthetic_files = 0 THEN 'real' WHEN o.real_files = 0 THEN 'synthetic' ELSE 'mixed' END AS provenance
FROM delivered d
LEFT JOIN covered c USING (source)
LEFT JOIN origin o USING (source)
