-- eng_treatment: one row per indicator: its skew and kurtosis before and after treatment, the points
-- winsorised at each end and whether it was log-transformed (or Box-Cox transformed, in `treatment`).
WITH before_after AS (
    SELECT indicator_code,
           skewness(original) AS skew_before, kurtosis(original) AS kurtosis_before,
           skewness(value) AS skew_after, kurtosis(value) AS kurtosis_after,
           count(*) FILTER (WHERE winsorised AND value < original) AS winsorised_high,
           count(*) FILTER (WHERE winsorised AND value > original) AS winsorised_low,
           bool_or(logged) AS logged
    FROM eng_treated
    GROUP BY indicator_code
)
SELECT n.node_code AS indicator_code, n.outliers_method, b.skew_before, b.kurtosis_before, b.skew_after,
       b.kurtosis_after, coalesce(b.winsorised_high, 0) AS winsorised_high,
       coalesce(b.winsorised_low, 0) AS winsorised_low, coalesce(b.logged, false) AS logged,
       CASE WHEN b.logged THEN 'log-transformed'
            WHEN n.outliers_method = 'boxcox' THEN 'Box-Cox, lambda ' || number_text(n.outliers_lambda)
            WHEN b.winsorised_high + b.winsorised_low = 1 THEN 'winsorised 1 point'
            WHEN b.winsorised_high + b.winsorised_low > 1
                THEN 'winsorised ' || CAST(b.winsorised_high + b.winsorised_low AS VARCHAR) || ' points'
            ELSE 'none' END AS treatment
FROM eng_node n
LEFT JOIN before_after b ON b.indicator_code = n.node_code
WHERE n.is_indicator
