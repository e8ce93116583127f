-- score.region_dimension: one row per region × dimension; dimension_score 0-100 is the element-weighted
-- mean of its element scores (a missing element drops out with its weight).
WITH elements AS (
    SELECT e.region_code, e.dimension, e.element_score, w.weight
    FROM score.region_element e
    JOIN methodology.readiness_element w USING (dimension, element)
),
by_dimension AS (
    SELECT region_code, dimension,
           weighted_mean(element_score, weight) AS dimension_score,
           count(element_score) AS elements_scored
    FROM elements
    GROUP BY region_code, dimension
)
SELECT d.region_code, d.dimension, d.dimension_score, d.elements_scored, run.methodology_hash, run.inputs_hash
FROM by_dimension d
CROSS JOIN methodology.run run
ORDER BY d.region_code, d.dimension
