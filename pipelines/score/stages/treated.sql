-- eng_treated: the values after winsorisation (eng_winsorised), except that an indicator that still fails its
-- test once the winsorisation limit is reached is log-transformed from its values before treatment, when the
-- methodology allows it (log(x - min + 0.01(max - min)) for positive skew, mirrored for negative skew so the
-- order is kept).
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
)
SELECT t.unit_code, t.indicator_code, t.original,
       CASE WHEN l.positive_skew THEN ln(t.original - l.low + 0.01 * (l.high - l.low))
            WHEN NOT l.positive_skew THEN -ln(l.high - t.original + 0.01 * (l.high - l.low))
            ELSE t.value END AS value,
       t.winsorised AND l.indicator_code IS NULL AS winsorised,
       l.indicator_code IS NOT NULL AS logged
FROM eng_winsorised t
LEFT JOIN logged l USING (indicator_code)
