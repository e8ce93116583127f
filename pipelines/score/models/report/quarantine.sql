-- report.quarantine: one row per quarantined row or cell (curated.quarantine): the file, the row as counted in the
-- file, the column, the rule and the suggested fix; region_code when the row's region was resolved.
SELECT * FROM curated.quarantine
