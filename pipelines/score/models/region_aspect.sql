-- score.region_aspect: one row per scored region × aspect (structure, infrastructure, superstructure):
-- aspect_score 0-100 is the question-weighted mean of the region's question scores in that aspect, a view
-- across the dimensions that does not enter the index.
WITH questions AS (
    SELECT n.unit_code, q.aspect, q.weight, n.score, n.methodology_hash, n.inputs_hash
    FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 1) n
    JOIN score.readiness_indicator q ON q.indicator_code = n.node_code
),
by_aspect AS (
    SELECT unit_code, aspect, weighted_mean(score, weight) AS aspect_score,
           weight_coverage_pct(score, weight) AS answered_pct,
           any_value(methodology_hash) AS methodology_hash, any_value(inputs_hash) AS inputs_hash
    FROM questions
    GROUP BY unit_code, aspect
)
SELECT unit_code AS region_code, aspect, aspect_score, answered_pct, methodology_hash, inputs_hash
FROM by_aspect
ORDER BY region_code, aspect
