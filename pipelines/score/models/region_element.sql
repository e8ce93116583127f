-- score.region_element: one row per region × element; element_score 0-100 is the question-weighted mean
-- of its question scores, NULL when less than readiness.min_answered_pct of the question weight is answered.
WITH by_element AS (
    SELECT region_code, dimension, element,
           weighted_mean(question_score, weight) AS weighted_score,
           weight_coverage_pct(question_score, weight) AS answered_pct
    FROM score.question_region
    GROUP BY region_code, dimension, element
)
SELECT e.region_code, e.dimension, e.element,
       CASE WHEN e.answered_pct >= CAST(param('readiness.min_answered_pct') AS DOUBLE) THEN e.weighted_score END
           AS element_score,
       e.answered_pct, run.methodology_hash, run.inputs_hash
FROM by_element e
CROSS JOIN methodology.run run
ORDER BY e.region_code, e.dimension, e.element
