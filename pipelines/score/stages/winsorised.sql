-- eng_winsorised before any step: one row per scored unit × indicator with a value after imputation.
SELECT unit_code, indicator_code, value AS original, value, false AS winsorised
FROM eng_imputed
WHERE value IS NOT NULL
