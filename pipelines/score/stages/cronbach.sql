-- eng_cronbach: Cronbach's alpha of each aggregate's children over the units that have all of them
-- (k/(k-1) · (1 - sum of the children's variances / variance of their sum)).
WITH children AS (
    SELECT s.unit_code, n.parent_code, n.node_code, s.score
    FROM eng_score s
    JOIN eng_node n USING (node_code)
    WHERE n.parent_code IS NOT NULL AND NOT s.is_absent
),
sizes AS (
    SELECT parent_code, count(DISTINCT node_code) AS k
    FROM children
    GROUP BY parent_code
),
complete AS (
    SELECT c.unit_code, c.parent_code
    FROM children c
    JOIN sizes z USING (parent_code)
    GROUP BY c.unit_code, c.parent_code, z.k
    HAVING count(c.score) = z.k
),
items AS (
    SELECT c.parent_code, c.node_code, var_samp(c.score) AS item_variance
    FROM children c
    JOIN complete USING (unit_code, parent_code)
    GROUP BY c.parent_code, c.node_code
),
totals AS (
    SELECT parent_code, var_samp(total) AS total_variance, count(*) AS units
    FROM (
        SELECT c.unit_code, c.parent_code, sum(c.score) AS total
        FROM children c
        JOIN complete USING (unit_code, parent_code)
        GROUP BY c.unit_code, c.parent_code
    )
    GROUP BY parent_code
)
SELECT z.parent_code AS node_code, z.k AS children, coalesce(t.units, 0) AS complete_units,
       CASE WHEN z.k > 1 AND t.total_variance > 0
            THEN z.k / (z.k - 1.0) * (1 - (SELECT sum(i.item_variance) FROM items i WHERE i.parent_code = z.parent_code)
                                          / t.total_variance) END AS cronbach_alpha
FROM sizes z
LEFT JOIN totals t USING (parent_code)
