-- report.region_indicator: one row per region × screening indicator: the raw and normalised value, how it was
-- imputed and its labels (the indicator code when it has none), for the statistics behind a region page.
WITH screening AS (
    SELECT * FROM score.index_indicator WHERE index_code = 'screening'
)
SELECT i.unit_code AS region_code, i.indicator_code, i.year, i.is_applicable, i.raw_value, i.normalised_value,
       i.imputation, coalesce(w.label_id, i.indicator_code) AS label_id,
       coalesce(w.label_en, i.indicator_code) AS label_en
FROM screening i
LEFT JOIN score.index_weight w ON w.index_code = i.index_code AND w.node_code = i.indicator_code
