-- report.index_audit_indicator: one row per index × indicator (score.index_indicator_statistics, score.index_flag):
-- its data availability over the scored units it applies to, skew and kurtosis of its raw values and after the
-- outlier treatment, the treatment applied (points winsorised at each end, log-transformed) and the flags raised on
-- it, each once, in order.
WITH flags AS (
    SELECT index_code, node_code AS indicator_code, list(DISTINCT flag ORDER BY flag) AS flags
    FROM score.index_flag
    GROUP BY index_code, node_code
)
SELECT s.index_code, s.indicator_code, n.label_id, n.label_en, n.parent_code, s.units_applicable, s.units_available,
       s.availability_pct, s.unique_values, s.skewness AS skew_before, s.kurtosis AS kurtosis_before, s.outliers_method,
       s.treatment, s.winsorised_high, s.winsorised_low, s.logged AS is_logged, s.skew_after, s.kurtosis_after,
       coalesce(f.flags, []) AS flags, n.tree_path
FROM score.index_indicator_statistics s
JOIN report.index_node_method n ON n.index_code = s.index_code AND n.node_code = s.indicator_code
LEFT JOIN flags f ON f.index_code = s.index_code AND f.indicator_code = s.indicator_code
