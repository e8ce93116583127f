-- eng_correlation: Pearson correlations across scored units of every node with its parent and with the index (on
-- the scores: data set `aggregated`), and of every pair of siblings in every data set of eng_stage_value (raw,
-- ..., normalised for indicators; aggregated for every node); NULL where either side is constant.
WITH scores AS (
    SELECT v.unit_code, v.node_code, v.stage, v.value AS score, n.parent_code
    FROM eng_stage_value v
    JOIN eng_node n USING (node_code)
),
root AS (
    SELECT node_code
    FROM eng_node
    WHERE parent_code IS NULL
),
pairs AS (
    SELECT c.node_code, c.parent_code AS other_code, 'parent' AS relation, c.stage, c.score AS a, p.score AS b
    FROM scores c
    JOIN scores p ON p.unit_code = c.unit_code AND p.node_code = c.parent_code AND p.stage = c.stage
    WHERE c.stage = 'aggregated'
    UNION ALL
    SELECT c.node_code, r.node_code, 'index', c.stage, c.score, p.score
    FROM scores c
    CROSS JOIN root r
    JOIN scores p ON p.unit_code = c.unit_code AND p.node_code = r.node_code AND p.stage = c.stage
    WHERE c.stage = 'aggregated' AND c.parent_code IS NOT NULL AND c.parent_code <> r.node_code
    UNION ALL
    SELECT a.node_code, b.node_code, 'sibling', a.stage, a.score, b.score
    FROM scores a
    JOIN scores b ON b.unit_code = a.unit_code AND b.parent_code = a.parent_code AND b.stage = a.stage
                 AND a.node_code < b.node_code
)
SELECT node_code, other_code, relation, stage,
       CASE WHEN var_samp(a) > 0 AND var_samp(b) > 0 THEN corr(a, b) END AS pearson_r,
       count(*) AS units
FROM pairs
GROUP BY node_code, other_code, relation, stage
