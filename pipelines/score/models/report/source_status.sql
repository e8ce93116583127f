-- report.source_status: one row per curated table (curated.source_status): whether it passed validation, and which
-- version the scores use.
SELECT * FROM curated.source_status
