-- score.evaluation_moderation: the cells whose assessors differ by more than the year's moderation.max_spread,
-- widest first, with the scores side by side and the assessor(s) furthest from the consensus.
WITH deviation AS (
    SELECT e.region_code, e.year, e.component, e.dimension, e.evaluator,
           abs(e.score_0_4 - c.consensus_score) AS distance,
           max(abs(e.score_0_4 - c.consensus_score)) OVER (PARTITION BY e.region_code, e.year, e.component, e.dimension)
               AS furthest
    FROM curated.evaluations e
    JOIN score.evaluation_cell c USING (region_code, year, component, dimension)
    WHERE c.needs_moderation
),
furthest AS (
    -- Every assessor at the largest distance, by name: with three assessors two are often equally far.
    SELECT region_code, year, component, dimension,
           string_agg(evaluator, ', ' ORDER BY evaluator) AS furthest_assessor
    FROM deviation
    WHERE distance = furthest
    GROUP BY region_code, year, component, dimension
)
SELECT c.region_code, c.region_name, c.province_code, c.year, c.component, c.dimension, c.assessors,
       c.scores_side_by_side, c.score_min, c.score_max, c.spread, c.max_spread, c.consensus_score,
       f.furthest_assessor,
       c.methodology_hash, c.inputs_hash
FROM score.evaluation_cell c
JOIN furthest f USING (region_code, year, component, dimension)
ORDER BY c.year DESC, c.spread DESC, c.region_code, c.component, c.dimension
