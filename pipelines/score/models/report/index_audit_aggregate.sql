-- report.index_audit_aggregate: one row per index × aggregate (score.index_cronbach, score.index_flag): Cronbach's
-- alpha of its children's scores (pairwise; complete_units have them all), the number of its children's sibling pairs flagged
-- redundant and of children correlated negatively with it, and the flags raised on the aggregate itself.
WITH own_flags AS (
    SELECT index_code, node_code, list(DISTINCT flag ORDER BY flag) AS flags
    FROM score.index_flag
    GROUP BY index_code, node_code
),
child_flags AS (
    SELECT f.index_code, n.parent_code AS node_code,
           count(*) FILTER (WHERE f.flag = 'redundant') AS redundant_pairs,
           count(*) FILTER (WHERE f.flag = 'negative_correlation') AS negative_children
    FROM score.index_flag f
    JOIN report.index_node_method n USING (index_code, node_code)
    GROUP BY f.index_code, n.parent_code
)
SELECT a.index_code, a.node_code, n.label_id, n.label_en, n.parent_code, n.depth, a.children, a.complete_units,
       a.cronbach_alpha, coalesce(c.redundant_pairs, 0) AS redundant_pairs,
       coalesce(c.negative_children, 0) AS negative_children, coalesce(o.flags, []) AS flags, n.tree_path
FROM score.index_cronbach a
JOIN report.index_node_method n USING (index_code, node_code)
LEFT JOIN child_flags c USING (index_code, node_code)
LEFT JOIN own_flags o USING (index_code, node_code)
WHERE a.stage = 'aggregated'
