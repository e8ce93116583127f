-- report.source_ingest: one row per source that delivered files: how many, and their row accounting summed
-- (curated.ingest_log), for the overview's data coverage.
SELECT source, count(source_file) AS files, sum(rows_read) AS rows_read, sum(rows_curated) AS rows_curated,
       sum(rows_quarantined) AS rows_quarantined, sum(rows_superseded) AS rows_superseded
FROM report.ingest_log
GROUP BY source
