-- score.region_input: one row per region x source with curated rows for it: a fingerprint of what the region's
-- rows say, so that a change of rank can be traced to the inputs that changed (score.region_mover).
-- The fingerprint is a sum of row hashes (region_row_hash): independent of row order, and duplicates count.
WITH row_hashes AS (
    SELECT 'fiscal_capacity' AS source, * FROM region_row_hash('curated.fiscal_capacity')
    UNION ALL SELECT 'government_performance', * FROM region_row_hash('curated.government_performance')
    UNION ALL SELECT 'sustainability', * FROM region_row_hash('curated.sustainability')
    UNION ALL SELECT 'indicators', * FROM region_row_hash('curated.indicators')
    UNION ALL SELECT 'evaluations', * FROM region_row_hash('curated.evaluations')
    UNION ALL SELECT 'cohorts', * FROM region_row_hash('curated.cohorts')
    UNION ALL SELECT 'questionnaires', * FROM region_row_hash('curated.questionnaire_submissions')
    UNION ALL SELECT 'questionnaires', * FROM region_row_hash('curated.questionnaire_answers')
)
SELECT region_code, source, count(*) AS rows, CAST(sum(row_hash) AS VARCHAR) AS content_hash
FROM row_hashes
GROUP BY region_code, source
ORDER BY region_code, source
