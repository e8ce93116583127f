-- report.index_audit_correlation: one row per index × node below the index (score.index_correlation): its Pearson
-- correlation with its parent and, two or more levels down, with the index, over the scored units with both; and the
-- siblings it is flagged redundant with (score.index_flag raises it once per pair, on the lower code: both are listed).
WITH parent AS (
    SELECT index_code, node_code, pearson_r AS parent_r, units AS parent_units
    FROM score.index_correlation
    WHERE relation = 'parent'
),
index_r AS (
    SELECT index_code, node_code, pearson_r AS index_r
    FROM score.index_correlation
    WHERE relation = 'index'
),
pairs AS (
    SELECT index_code, node_code, other_code
    FROM score.index_flag
    WHERE flag = 'redundant'
    UNION ALL
    SELECT index_code, other_code, node_code
    FROM score.index_flag
    WHERE flag = 'redundant'
),
redundant AS (
    SELECT index_code, node_code, list(other_code ORDER BY other_code) AS redundant_with
    FROM pairs
    GROUP BY index_code, node_code
)
SELECT n.index_code, n.node_code, n.label_id, n.label_en, n.parent_code, p.label_id AS parent_label_id,
       p.label_en AS parent_label_en, n.is_indicator, r.parent_r, r.parent_units, i.index_r,
       coalesce(d.redundant_with, []) AS redundant_with, n.tree_path
FROM report.index_node_method n
JOIN report.index_node_method p ON p.index_code = n.index_code AND p.node_code = n.parent_code
LEFT JOIN parent r ON r.index_code = n.index_code AND r.node_code = n.node_code
LEFT JOIN index_r i ON i.index_code = n.index_code AND i.node_code = n.node_code
LEFT JOIN redundant d ON d.index_code = n.index_code AND d.node_code = n.node_code
