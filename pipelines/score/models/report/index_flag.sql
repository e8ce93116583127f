-- report.index_flag: one row per index × node × audit flag (score.index_flag): the flag, the statistic measured and
-- the methodology's audit threshold it was held against, the node it concerns with its labels and, for a pair (a
-- redundant sibling, a parent correlated negatively), the other node; for skew_kurtosis also the kurtosis after
-- treatment and its threshold (methodology.parameter). tree_path orders the flags as the framework.
WITH kurtosis AS (
    SELECT s.index_code, s.indicator_code AS node_code, s.kurtosis_after,
           TRY_CAST(p.value AS DOUBLE) AS kurtosis_threshold
    FROM score.index_indicator_statistics s
    JOIN methodology.parameter p ON p.name = s.index_code || '.audit.kurtosis_max'
)
SELECT f.index_code, f.node_code, n.label_id, n.label_en, n.parent_code, f.flag, f.value, f.threshold,
       k.kurtosis_after, k.kurtosis_threshold, f.other_code, o.label_id AS other_label_id,
       o.label_en AS other_label_en, f.detail, n.tree_path
FROM score.index_flag f
JOIN report.index_node_method n USING (index_code, node_code)
LEFT JOIN report.index_node_method o ON o.index_code = f.index_code AND o.node_code = f.other_code
LEFT JOIN kurtosis k ON f.flag = 'skew_kurtosis' AND k.index_code = f.index_code AND k.node_code = f.node_code
