-- eng_grid: one row per unit × indicator: whether the indicator applies to the unit (structural absence,
-- e.g. the sustainable city index for a kabupaten), the year scored and the raw value of that year.
-- An indicator with no value at all (its source was not supplied) is absent for every unit, so that the index
-- re-weights over the others instead of counting it as missing everywhere.
WITH indicators AS (
    SELECT *
    FROM eng_node
    WHERE is_indicator
),
target_year AS (
    SELECT i.node_code AS indicator_code,
           CASE WHEN setting('year') = 'latest' THEN max(v.year) ELSE CAST(setting('year') AS INTEGER) END AS year
    FROM indicators i
    LEFT JOIN eng_value v ON v.indicator_code = i.node_code
    GROUP BY i.node_code
),
applicability AS (
    SELECT u.unit_code, i.node_code AS indicator_code,
           i.applies_attribute IS NULL OR coalesce(list_contains(i.applies_values, lower(a.text_value)), false)
               AS is_applicable
    FROM eng_unit u
    CROSS JOIN indicators i
    LEFT JOIN eng_attribute a ON a.unit_code = u.unit_code AND a.attribute = i.applies_attribute
)
SELECT p.unit_code, p.indicator_code, p.is_applicable AND y.year IS NOT NULL AS is_applicable, y.year,
       CASE WHEN p.is_applicable THEN v.value END AS raw_value
FROM applicability p
JOIN target_year y USING (indicator_code)
LEFT JOIN eng_value v
       ON v.unit_code = p.unit_code AND v.indicator_code = p.indicator_code AND v.year IS NOT DISTINCT FROM y.year
