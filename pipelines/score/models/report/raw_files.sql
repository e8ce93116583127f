-- report.raw_files: one row per raw file read (curated.raw_files): its provenance (sha256, date received, publisher,
-- licence), for the methodology page and the manifest.
SELECT * FROM curated.raw_files
