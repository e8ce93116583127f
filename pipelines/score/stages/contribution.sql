-- eng_contribution: one row per scored unit × aggregate × child with a value: the child's share of the
-- weight present and its contribution in score points. The contributions of a node's children add up to
-- the node's score: w·x for the arithmetic mean, and the same share of the mean's generating function
-- (ln x, x^p, 1/x) for the geometric, generalised and harmonic means. Copeland scores do not decompose.
WITH parts AS (
    SELECT s.unit_code, p.node_code, c.node_code AS child_code, c.weight, cs.score AS child_score,
           s.score AS node_score, p.aggregation_method AS method, p.aggregation_p AS p
    FROM eng_score s
    JOIN eng_node p ON p.node_code = s.node_code
    JOIN eng_node c ON c.parent_code = p.node_code
    JOIN eng_score cs ON cs.unit_code = s.unit_code AND cs.node_code = c.node_code
    WHERE s.score IS NOT NULL AND cs.score IS NOT NULL
),
shares AS (
    SELECT *, weight / nullif(sum(weight) OVER (PARTITION BY unit_code, node_code), 0) AS weight_share
    FROM parts
)
SELECT unit_code, node_code, child_code, child_score, weight_share,
       CASE method
           WHEN 'arithmetic' THEN weight_share * child_score
           WHEN 'geometric' THEN CASE WHEN ln(node_score) <> 0 THEN node_score * weight_share * ln(child_score) / ln(node_score)
                                      ELSE weight_share * node_score END
           WHEN 'harmonic' THEN node_score * node_score * weight_share / child_score
           WHEN 'generalised' THEN node_score * weight_share * pow(child_score / node_score, p)
       END AS contribution
FROM shares
