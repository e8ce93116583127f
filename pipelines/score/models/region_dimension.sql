-- score.region_dimension: one row per scored region × dimension: dimension_score 0-100 from the engine (the
-- element-weighted mean of its element scores) and the number of its elements scored.
WITH elements AS (
    SELECT unit_code, parent_code AS dimension, count(score) AS elements_scored
    FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 2)
    GROUP BY unit_code, parent_code
)
SELECT d.unit_code AS region_code, d.node_code AS dimension, d.score AS dimension_score, e.elements_scored,
       d.methodology_hash, d.inputs_hash
FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 3) d
JOIN elements e ON e.unit_code = d.unit_code AND e.dimension = d.node_code
ORDER BY region_code, dimension
