-- report.ignored_files: one row per file under data/raw/ that was not read (curated.ignored_files), with the reason.
SELECT * FROM curated.ignored_files
