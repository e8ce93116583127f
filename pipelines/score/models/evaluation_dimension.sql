-- score.evaluation_dimension: one row per region × year × dimension: the mean of the dimension's cells over the
-- components that scored it, weighted by the year's component weights.
WITH component_weight AS (
    SELECT year, code AS component, weight_share FROM methodology.evaluation_weight WHERE level = 'component'
)
SELECT c.region_code, c.year, c.dimension, c.methodology_year,
       weighted_mean(c.consensus_score, w.weight_share) AS dimension_score,
       count(*) AS components_scored,
       run.methodology_hash, run.inputs_hash
FROM score.evaluation_cell c
JOIN component_weight w ON w.year = c.methodology_year AND w.component = c.component
CROSS JOIN methodology.run run
WHERE c.dimension <> 'overall'
GROUP BY ALL
ORDER BY c.region_code, c.year, c.dimension
