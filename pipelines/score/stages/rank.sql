-- eng_rank: one row per scored unit × node with a score: its rank among all scored units (1 = best,
-- ties share the lowest rank) and, for aggregates, within each group attribute of the methodology (province, ...).
-- With ranking.decimals set, ranks are of the scores rounded as published, so published ties stay ties; with
-- ranking.significant_digits, of each score rounded to that many significant digits, which ties alike on any scale.
WITH ranked_score AS (
    SELECT unit_code, node_code, rank_score(score) AS score
    FROM eng_score
    WHERE score IS NOT NULL
),
overall AS (
    SELECT unit_code, node_code, score, rank() OVER (PARTITION BY node_code ORDER BY score DESC) AS node_rank
    FROM ranked_score
),
grouped AS (
    SELECT o.unit_code, o.node_code, g.attribute AS group_attribute, a.text_value AS group_value,
           rank() OVER (PARTITION BY o.node_code, g.attribute, a.text_value ORDER BY o.score DESC) AS group_rank
    FROM overall o
    JOIN eng_node n ON n.node_code = o.node_code AND NOT n.is_indicator
    JOIN eng_attribute a ON a.unit_code = o.unit_code
    JOIN eng_group g ON g.attribute = a.attribute
)
SELECT o.unit_code, o.node_code, o.node_rank, g.group_attribute, g.group_value, g.group_rank
FROM overall o
LEFT JOIN grouped g USING (unit_code, node_code)
