-- eng_stage_value: one row per scored unit × node × data set the audit reads, named as COINr names them: each
-- indicator's value at every stage of the chain (raw, denominated, imputed, treated, normalised) and every node's
-- score (aggregated). A missing value and a structurally absent one have no row.
SELECT unit_code, indicator_code AS node_code, stage, value
FROM (
    UNPIVOT (
        SELECT unit_code, indicator_code, raw_value AS raw, denominated_value AS denominated,
               imputed_value AS imputed, treated_value AS treated, normalised_value AS normalised
        FROM eng_indicator_stages
        WHERE is_applicable
    )
    ON raw, denominated, imputed, treated, normalised
    INTO NAME stage VALUE value
)
UNION ALL
SELECT unit_code, node_code, 'aggregated', score
FROM eng_score
WHERE score IS NOT NULL
