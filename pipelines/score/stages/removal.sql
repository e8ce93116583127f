-- eng_removal: one row per element removed (COINr's remove_elements: its weight set to 0, the index aggregated
-- again) × scored unit: the index score and rank without it, the nominal rank and the change, nominal − without
-- (as COINr's RankDiffs: positive when the unit climbs), ranked as the nominal index (rank_score, ties the lowest).
WITH root AS (
    SELECT node_code FROM eng_node WHERE parent_code IS NULL
),
without AS (
    SELECT removed_code, unit_code, score,
           CASE WHEN score IS NOT NULL THEN rank() OVER (PARTITION BY removed_code ORDER BY rank_score(score) DESC NULLS LAST)
           END AS node_rank
    FROM eng_removal_score
),
nominal AS (
    SELECT DISTINCT r.unit_code, r.node_rank
    FROM eng_rank r
    JOIN root USING (node_code)
)
SELECT w.removed_code, n.height AS removed_height, w.unit_code, w.score, w.node_rank, o.node_rank AS nominal_rank,
       o.node_rank - w.node_rank AS rank_change
FROM without w
JOIN eng_node n ON n.node_code = w.removed_code
LEFT JOIN nominal o USING (unit_code)
