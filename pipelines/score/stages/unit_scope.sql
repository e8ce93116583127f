-- score.index_unit: one row per unit: whether it is scored and why, and for a scored unit each node a mean could
-- not be taken for (eng_undefined_mean), with the first child value it could not take.
WITH undefined AS (
    SELECT unit_code, node_code, arg_min(child_code || ' = ' || number_text(score), child_code) AS first_value,
           any_value(aggregation_method) AS method
    FROM eng_undefined_mean
    GROUP BY unit_code, node_code
),
by_unit AS (
    SELECT unit_code, string_agg(node_code || ' not scored: the ' || method || ' mean cannot take ' || first_value,
                                 '; ' ORDER BY node_code) AS reason
    FROM undefined
    GROUP BY unit_code
)
SELECT s.unit_code, s.unit_name, s.data_availability_pct, s.is_scored,
       s.scope_reason || coalesce('; ' || u.reason, '') AS scope_reason
FROM eng_scope s
LEFT JOIN by_unit u USING (unit_code)
