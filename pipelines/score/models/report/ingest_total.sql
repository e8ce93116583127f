-- report.ingest_total: one row: the row accounting of all raw files together (curated.ingest_log), 0 when no file
-- was read, and how many files could not be read at all.
SELECT count(*) AS files,
       coalesce(sum(rows_read), 0) AS rows_read, coalesce(sum(rows_curated), 0) AS rows_curated,
       coalesce(sum(rows_quarantined), 0) AS rows_quarantined, coalesce(sum(rows_superseded), 0) AS rows_superseded,
       coalesce(sum(cells_quarantined), 0) AS cells_quarantined, count(file_error) AS unreadable_files
FROM report.ingest_log
