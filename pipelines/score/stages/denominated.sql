-- eng_denominated: one row per scored unit × applicable indicator × year: the value divided by its
-- denominator (another indicator of the same unit and year, or a unit attribute such as population).
-- A zero or missing denominator leaves the value missing, for imputation to see.
SELECT v.unit_code, v.indicator_code, v.year,
       CASE WHEN n.denominator IS NULL THEN v.value
            ELSE v.value / nullif(coalesce(d.value, a.num_value), 0) END AS value
FROM eng_value v
JOIN eng_node n ON n.node_code = v.indicator_code AND n.is_indicator
JOIN eng_grid g ON g.unit_code = v.unit_code AND g.indicator_code = v.indicator_code AND g.is_applicable
JOIN eng_scope s ON s.unit_code = v.unit_code AND s.is_scored
LEFT JOIN eng_value d
       ON d.unit_code = v.unit_code AND d.indicator_code = n.denominator AND d.year IS NOT DISTINCT FROM v.year
LEFT JOIN eng_attribute a ON a.unit_code = v.unit_code AND a.attribute = n.denominator
