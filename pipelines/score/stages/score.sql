-- eng_score, level 1: one row per scored unit × indicator: the normalised value, or missing, or
-- structurally absent (the indicator does not apply to the unit and never counts as missing data).
SELECT g.unit_code, g.indicator_code AS node_code, 1 AS height, nv.value AS score, NOT g.is_applicable AS is_absent,
       CASE WHEN g.is_applicable THEN CASE WHEN nv.value IS NOT NULL THEN 100.0 ELSE 0.0 END END AS availability_pct
FROM eng_grid g
JOIN eng_scope s ON s.unit_code = g.unit_code AND s.is_scored
LEFT JOIN eng_normalised nv ON nv.unit_code = g.unit_code AND nv.indicator_code = g.indicator_code
