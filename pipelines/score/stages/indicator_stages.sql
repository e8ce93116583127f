-- One row per scored unit × indicator: the value at every stage of the chain, so a score can be traced
-- back to the raw value of its source row (raw → denominated → imputed → treated → normalised).
SELECT g.unit_code, g.indicator_code, g.year, g.is_applicable, g.raw_value,
       d.value AS denominated_value, i.value AS imputed_value, i.imputation,
       t.value AS treated_value, coalesce(t.winsorised, false) AS is_winsorised, coalesce(t.logged, false) AS is_logged,
       n.value AS normalised_value
FROM eng_grid g
JOIN eng_scope s ON s.unit_code = g.unit_code AND s.is_scored
LEFT JOIN eng_denominated d
       ON d.unit_code = g.unit_code AND d.indicator_code = g.indicator_code AND d.year IS NOT DISTINCT FROM g.year
LEFT JOIN eng_imputed i ON i.unit_code = g.unit_code AND i.indicator_code = g.indicator_code
LEFT JOIN eng_treated t ON t.unit_code = g.unit_code AND t.indicator_code = g.indicator_code
LEFT JOIN eng_normalised n ON n.unit_code = g.unit_code AND n.indicator_code = g.indicator_code
