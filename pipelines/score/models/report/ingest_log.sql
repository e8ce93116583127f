-- report.ingest_log: one row per raw file (curated.ingest_log): its row accounting (read = curated + quarantined +
-- superseded) and any file error. Whether a file was parsed or taken from the cache says how the run went, not
-- what the data are: left out, so the same inputs give the same pages.
SELECT * EXCLUDE (was_parsed) FROM curated.ingest_log
