-- eng_treated: the values after winsorisation (eng_winsorised), except that an indicator that still fails its
-- test once the winsorisation limit is reached is log-transformed from its values before treatment, when the
-- methodology allows it (log(x - min + 0.01(max - min)) for positive skew, mirrored for negative skew so the
-- order is kept). An indicator treated by Box-Cox (COINr's boxcox) takes (y^lambda - 1)/lambda, or ln y at lambda 0,
-- of y = x - min + 1 (makepos: every y ≥ 1) or y = x; the order of the units is kept.
WITH moments AS (
    SELECT indicator_code, skewness(value) AS skew, kurtosis(value) AS kurt,
           min(original) AS low, max(original) AS high
    FROM eng_winsorised
    GROUP BY indicator_code
),
logged AS (
    SELECT m.indicator_code, m.skew >= 0 AS positive_skew, m.low, m.high
    FROM moments m
    JOIN eng_node n ON n.node_code = m.indicator_code
    WHERE n.outliers_method = 'winsorise'
      AND n.outliers_log_fallback
      AND abs(m.skew) >= n.outliers_skew_max
      AND m.kurt >= n.outliers_kurtosis_max
),
boxcox AS (
    SELECT m.indicator_code, n.outliers_lambda AS lambda, CASE WHEN n.outliers_makepos THEN 1 - m.low ELSE 0 END AS shift
    FROM moments m
    JOIN eng_node n ON n.node_code = m.indicator_code
    WHERE n.outliers_method = 'boxcox'
)
SELECT t.unit_code, t.indicator_code, t.original,
       CASE WHEN l.positive_skew THEN ln(t.original - l.low + 0.01 * (l.high - l.low))
            WHEN NOT l.positive_skew THEN -ln(l.high - t.original + 0.01 * (l.high - l.low))
            WHEN b.lambda = 0 THEN ln(t.original + b.shift)
            WHEN b.lambda IS NOT NULL THEN (pow(t.original + b.shift, b.lambda) - 1) / b.lambda
            ELSE t.value END AS value,
       t.winsorised AND l.indicator_code IS NULL AS winsorised,
       l.indicator_code IS NOT NULL AS logged
FROM eng_winsorised t
LEFT JOIN logged l USING (indicator_code)
LEFT JOIN boxcox b USING (indicator_code)
