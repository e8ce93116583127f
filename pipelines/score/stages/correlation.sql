-- eng_correlation: Pearson correlations across scored units of every node with its parent, with the index,
-- and of every pair of siblings (redundancy); NULL where either side is constant.
WITH scores AS (
    SELECT s.unit_code, s.node_code, s.score, n.parent_code
    FROM eng_score s
    JOIN eng_node n USING (node_code)
    WHERE s.score IS NOT NULL
),
root AS (
    SELECT node_code
    FROM eng_node
    WHERE parent_code IS NULL
),
pairs AS (
    SELECT c.node_code, c.parent_code AS other_code, 'parent' AS relation, c.score AS a, p.score AS b
    FROM scores c
    JOIN scores p ON p.unit_code = c.unit_code AND p.node_code = c.parent_code
    UNION ALL
    SELECT c.node_code, r.node_code, 'index', c.score, p.score
    FROM scores c
    CROSS JOIN root r
    JOIN scores p ON p.unit_code = c.unit_code AND p.node_code = r.node_code
    WHERE c.parent_code IS NOT NULL AND c.parent_code <> r.node_code
    UNION ALL
    SELECT a.node_code, b.node_code, 'sibling', a.score, b.score
    FROM scores a
    JOIN scores b ON b.unit_code = a.unit_code AND b.parent_code = a.parent_code AND a.node_code < b.node_code
)
SELECT node_code, other_code, relation,
       CASE WHEN var_samp(a) > 0 AND var_samp(b) > 0 THEN corr(a, b) END AS pearson_r,
       count(*) AS units
FROM pairs
GROUP BY node_code, other_code, relation
