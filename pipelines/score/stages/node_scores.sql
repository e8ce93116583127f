-- One row per scored unit × node (indicators and aggregates): score, overall rank, availability of its
-- data and whether it is structurally absent for the unit.
WITH ranks AS (
    SELECT DISTINCT unit_code, node_code, node_rank
    FROM eng_rank
)
SELECT s.unit_code, s.node_code, n.parent_code, s.height, n.is_indicator, s.score, r.node_rank,
       s.availability_pct, s.is_absent
FROM eng_score s
JOIN eng_node n USING (node_code)
LEFT JOIN ranks r USING (unit_code, node_code)
