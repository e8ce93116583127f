-- eng_scope: one row per unit: its data availability over the indicators that apply to it and whether it
-- is scored (unit rules, availability threshold, share of non-zero values, force-in/force-out), with the reason in
-- words. The non-zero share is COINr's Non_Zero (Screen, unit_screen = "byzeros"): over the values it has.
WITH availability AS (
    SELECT unit_code,
           100.0 * count(raw_value) / nullif(count(*) FILTER (WHERE is_applicable), 0) AS data_availability_pct,
           100.0 * count(raw_value) FILTER (WHERE raw_value <> 0) / nullif(count(raw_value), 0) AS nonzero_pct
    FROM eng_grid
    GROUP BY unit_code
),
rule_checks AS (
    SELECT u.unit_code, r.attribute,
           CASE r.rule WHEN 'include' THEN coalesce(list_contains(r.text_values, lower(a.text_value)), false)
                       ELSE coalesce(a.num_value >= r.min_value, false) END AS passes,
           CASE r.rule
               WHEN 'include' THEN coalesce(r.reason, 'not accepted') || ': ' || r.attribute || ' is '
                                   || coalesce(a.text_value, 'missing')
               ELSE coalesce(r.reason, 'below the minimum') || ': ' || r.attribute || ' is '
                    || coalesce(number_text(a.num_value), 'missing') || ', minimum ' || number_text(r.min_value)
           END AS failure
    FROM eng_unit u
    CROSS JOIN eng_unit_rule r
    LEFT JOIN eng_attribute a ON a.unit_code = u.unit_code AND a.attribute = r.attribute
    WHERE r.rule IN ('include', 'minimum')
),
failures AS (
    SELECT unit_code, string_agg(failure, '; ' ORDER BY attribute) AS reason
    FROM rule_checks
    WHERE NOT passes
    GROUP BY unit_code
),
forced AS (
    SELECT unnest(text_values) AS unit_code, rule
    FROM eng_unit_rule
    WHERE rule IN ('force_in', 'force_out')
),
decided AS (
    SELECT u.unit_code, u.unit_name, av.data_availability_pct, fo.rule AS forced, f.reason,
           coalesce(av.data_availability_pct, 0) < CAST(setting('min_data_availability_pct') AS DOUBLE) AS too_sparse,
           av.nonzero_pct, coalesce(av.nonzero_pct, 100) < coalesce(CAST(setting('min_nonzero_pct') AS DOUBLE), 0) AS too_zero
    FROM eng_unit u
    LEFT JOIN availability av USING (unit_code)
    LEFT JOIN failures f USING (unit_code)
    LEFT JOIN forced fo USING (unit_code)
)
SELECT unit_code, unit_name, data_availability_pct,
       CASE WHEN forced IS NOT NULL THEN forced = 'force_in' ELSE reason IS NULL AND NOT too_sparse AND NOT too_zero
       END AS is_scored,
       CASE WHEN forced = 'force_in' THEN 'forced in'
            WHEN forced = 'force_out' THEN 'forced out'
            WHEN reason IS NOT NULL THEN reason
            WHEN too_sparse THEN 'data for ' || number_text(round(coalesce(data_availability_pct, 0), 1))
                                 || '% of its indicators, below '
                                 || number_text(CAST(setting('min_data_availability_pct') AS DOUBLE)) || '%'
            WHEN too_zero THEN 'non-zero values for ' || number_text(round(nonzero_pct, 1))
                               || '% of its indicators with data, below '
                               || number_text(CAST(setting('min_nonzero_pct') AS DOUBLE)) || '%'
            ELSE 'scored' END AS scope_reason
FROM decided
