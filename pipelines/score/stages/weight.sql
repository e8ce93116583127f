-- eng_weight: one row per node: its weight as declared (or from the chosen weight set), its share among
-- its siblings, and its effective weight in the index (the product of the shares down the tree).
WITH RECURSIVE shares AS (
    SELECT node_code, parent_code, weight,
           weight / nullif(sum(weight) OVER (PARTITION BY parent_code), 0) AS weight_in_parent
    FROM eng_node
),
paths AS (
    SELECT node_code, CAST(1 AS DOUBLE) AS effective_weight
    FROM shares
    WHERE parent_code IS NULL
    UNION ALL
    SELECT s.node_code, p.effective_weight * s.weight_in_parent
    FROM shares s
    JOIN paths p ON s.parent_code = p.node_code
)
SELECT s.node_code, s.parent_code, s.weight, CASE WHEN s.parent_code IS NOT NULL THEN s.weight_in_parent END
       AS weight_in_parent, p.effective_weight
FROM shares s
JOIN paths p USING (node_code)
