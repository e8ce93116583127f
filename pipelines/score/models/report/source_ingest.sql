-- report.source_ingest: one row per source that delivered files: how many, their row accounting summed
-- (curated.ingest_log), and how many regions its curated rows cover (score.region_input, a row per region and
-- source of every table the contracts list), for the overview's data coverage.
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
)
SELECT d.*, c.regions
FROM delivered d
LEFT JOIN covered c USING (source)
