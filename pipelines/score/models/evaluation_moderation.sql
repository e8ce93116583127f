-- score.evaluation_moderation: the cells whose assessors differ by more than the year's moderation.max_spread,
-- widest first, with the scores side by side and the assessor furthest from the consensus.
WITH furthest AS (
    SELECT e.region_code, e.year, e.component, e.dimension,
           arg_max(e.evaluator, abs(e.score - c.consensus_score)) AS furthest_assessor
    FROM curated.evaluations e
    JOIN score.evaluation_cell c USING (region_code, year, component, dimension)
    WHERE c.needs_moderation
    GROUP BY ALL
)
SELECT c.region_code, c.region_name, c.province_code, c.year, c.component, c.dimension, c.assessors,
       c.scores_side_by_side, c.score_min, c.score_max, c.spread, c.max_spread, c.consensus_score,
       f.furthest_assessor,
       c.methodology_hash, c.inputs_hash
FROM score.evaluation_cell c
JOIN furthest f USING (region_code, year, component, dimension)
ORDER BY c.year DESC, c.spread DESC, c.region_code, c.component, c.dimension
