-- report.region_submission: one row per curated questionnaire submission (region × OPD × period), with the file and
-- row it came from, for the region page (respondents are not shown: only their hash is kept).
SELECT region_code, opd_name, period, submitted_at, source_file, source_row
FROM curated.questionnaire_submissions
