-- score.region_dimension_aspect: one row per scored region × dimension × aspect: the question-weighted mean of the
-- region's question scores (0-100) of that dimension in that aspect, the cells of the region page's heatmap.
WITH questions AS (
    SELECT n.unit_code, e.parent_code AS dimension, q.aspect, q.weight, n.score, n.methodology_hash, n.inputs_hash
    FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 1) n
    JOIN score.readiness_indicator q ON q.indicator_code = n.node_code
    JOIN (SELECT node_code, parent_code FROM methodology.node WHERE index_code = 'readiness') e
        ON e.node_code = q.parent_code
)
SELECT unit_code AS region_code, dimension, aspect,
       weighted_mean(score, weight) AS cell_score, weight_coverage_pct(score, weight) AS answered_pct,
       any_value(methodology_hash) AS methodology_hash, any_value(inputs_hash) AS inputs_hash
FROM questions
GROUP BY unit_code, dimension, aspect
ORDER BY region_code, dimension, aspect
