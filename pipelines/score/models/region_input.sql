-- score.region_input: one row per region x source with curated rows for it: a fingerprint of what the region's
-- rows say, so that a change of rank can be traced to the inputs that changed (score.region_mover).
-- Where a row came from (file, row, column, submission id) is left out: the same answers re-sent in another file
-- are the same input. The fingerprint is a sum of row hashes: independent of row order, and duplicates count.
WITH row_hashes AS (
    SELECT 'fiscal_capacity' AS source, region_code, hash(t) AS row_hash
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.fiscal_capacity) t
    UNION ALL
    SELECT 'government_performance', region_code, hash(t)
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.government_performance) t
    UNION ALL
    SELECT 'sustainability', region_code, hash(t)
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.sustainability) t
    UNION ALL
    SELECT 'indicators', region_code, hash(t)
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.indicators) t
    UNION ALL
    SELECT 'evaluations', region_code, hash(t)
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.evaluations) t
    UNION ALL
    SELECT 'cohorts', region_code, hash(t)
    FROM (SELECT * EXCLUDE (source_file, source_row) FROM curated.cohorts) t
    UNION ALL
    SELECT 'questionnaires', region_code, hash(t)
    FROM (SELECT * EXCLUDE (submission_id, source_file, source_row) FROM curated.questionnaire_submissions) t
    UNION ALL
    SELECT 'questionnaires', region_code, hash(t)
    FROM (SELECT * EXCLUDE (submission_id, source_file, source_row, source_column) FROM curated.questionnaire_answers) t
)
SELECT region_code, source, count(*) AS rows, CAST(sum(row_hash) AS VARCHAR) AS content_hash
FROM row_hashes
GROUP BY region_code, source
ORDER BY region_code, source
