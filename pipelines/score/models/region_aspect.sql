-- score.region_aspect: one row per region × aspect (structure, infrastructure, superstructure);
-- aspect_score 0-100 is the question-weighted mean of the region's question scores in that aspect.
WITH by_aspect AS (
    SELECT region_code, aspect,
           weighted_mean(question_score, weight) AS aspect_score,
           weight_coverage_pct(question_score, weight) AS answered_pct
    FROM score.question_region
    GROUP BY region_code, aspect
)
SELECT a.region_code, a.aspect, a.aspect_score, a.answered_pct, run.methodology_hash, run.inputs_hash
FROM by_aspect a
CROSS JOIN methodology.run run
ORDER BY a.region_code, a.aspect
