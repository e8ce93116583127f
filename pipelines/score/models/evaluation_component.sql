-- score.evaluation_component: one row per region × year × component: the weighted mean of its dimension cells
-- (dimension weights of the year), or the cell of the component scored as a whole when there are no dimension cells.
-- A component scored both ways (some assessors as a whole, others per dimension) counts its dimension cells and says so.
WITH dimension_weight AS (
    SELECT year, code AS dimension, weight_share FROM methodology.evaluation_weight WHERE level = 'dimension'
),
component_weight AS (
    SELECT year, code AS component, weight_share FROM methodology.evaluation_weight WHERE level = 'component'
),
by_dimension AS (
    SELECT c.region_code, c.year, c.component, c.methodology_year,
           weighted_mean(c.consensus_score, w.weight_share) AS score_0_4,
           count(*) AS dimensions_scored
    FROM score.evaluation_cell c
    JOIN dimension_weight w ON w.year = c.methodology_year AND w.dimension = c.dimension
    GROUP BY ALL
),
as_whole AS (
    SELECT region_code, year, component, methodology_year, consensus_score AS score_0_4
    FROM score.evaluation_cell
    WHERE dimension = 'overall'
)
SELECT coalesce(d.region_code, o.region_code) AS region_code, coalesce(d.year, o.year) AS year,
       coalesce(d.component, o.component) AS component,
       coalesce(d.methodology_year, o.methodology_year) AS methodology_year,
       coalesce(d.score_0_4, o.score_0_4) AS component_score,
       CASE WHEN d.score_0_4 IS NOT NULL THEN 'dimensions' ELSE 'as a whole' END AS scored_on,
       coalesce(d.dimensions_scored, 0) AS dimensions_scored,
       d.score_0_4 IS NOT NULL AND o.score_0_4 IS NOT NULL AS scored_both_ways,
       w.weight_share AS component_weight,
       run.methodology_hash, run.inputs_hash
FROM by_dimension d
FULL JOIN as_whole o USING (region_code, year, component)
JOIN component_weight w ON w.year = coalesce(d.methodology_year, o.methodology_year)
                       AND w.component = coalesce(d.component, o.component)
CROSS JOIN methodology.run run
ORDER BY region_code, year, component
