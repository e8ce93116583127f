-- eng_indicator_statistics: one row per indicator: the data checks over the scored units it applies to (raw values).
WITH applicable AS (
    SELECT g.indicator_code, g.raw_value
    FROM eng_grid g
    JOIN eng_scope s ON s.unit_code = g.unit_code AND s.is_scored
    WHERE g.is_applicable
)
SELECT n.node_code AS indicator_code,
       count(a.indicator_code) AS units_applicable,
       count(a.raw_value) AS units_available,
       100.0 * count(a.raw_value) / nullif(count(a.indicator_code), 0) AS availability_pct,
       count(*) FILTER (WHERE a.raw_value = 0) AS zeros,
       count(*) FILTER (WHERE a.raw_value < 0) AS negatives,
       count(DISTINCT a.raw_value) AS unique_values,
       min(a.raw_value) AS min_value,
       max(a.raw_value) AS max_value,
       avg(a.raw_value) AS mean_value,
       stddev_samp(a.raw_value) AS sd_value,
       skewness(a.raw_value) AS skewness,
       kurtosis(a.raw_value) AS kurtosis
FROM eng_node n
LEFT JOIN applicable a ON a.indicator_code = n.node_code
WHERE n.is_indicator
GROUP BY n.node_code
