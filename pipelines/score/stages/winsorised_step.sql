-- eng_winsorised after one more winsorisation step: for every indicator still failing its skew and kurtosis test
-- with points left to winsorise, the points at the extreme on the side of the skew take the next value in.
WITH moments AS (
    SELECT indicator_code, skewness(value) AS skew, kurtosis(value) AS kurt, max(value) AS high,
           min(value) AS low, count(*) FILTER (WHERE winsorised) AS points, count(*) AS n
    FROM eng_winsorised
    GROUP BY indicator_code
),
failing AS (
    SELECT m.indicator_code, m.high, m.low, m.skew >= 0 AS at_high
    FROM moments m
    JOIN eng_node n ON n.node_code = m.indicator_code
    WHERE n.outliers_method = 'winsorise'
      AND abs(m.skew) >= n.outliers_skew_max
      AND m.kurt >= n.outliers_kurtosis_max
      -- max_points > 0 is a fixed number of points (COINr's winmax); otherwise a share of the units
      AND m.points < CASE WHEN n.outliers_max_points > 0 THEN n.outliers_max_points
                          ELSE ceil(round(n.outliers_max_share * m.n, 9)) END
),
replacement AS (
    SELECT f.indicator_code, f.at_high, CASE WHEN f.at_high THEN f.high ELSE f.low END AS extreme,
           CASE WHEN f.at_high THEN max(t.value) FILTER (WHERE t.value < f.high)
                ELSE min(t.value) FILTER (WHERE t.value > f.low) END AS next_value
    FROM failing f
    JOIN eng_winsorised t USING (indicator_code)
    GROUP BY f.indicator_code, f.at_high, f.high, f.low
),
stepped AS (
    SELECT t.unit_code, t.indicator_code, t.original, t.value, t.winsorised, r.next_value,
           coalesce(t.value = r.extreme AND r.next_value IS NOT NULL, false) AS is_moved
    FROM eng_winsorised t
    LEFT JOIN replacement r USING (indicator_code)
)
-- is_moved: the point took the next value in during this step (the engine stops when no point moves).
SELECT unit_code, indicator_code, original, CASE WHEN is_moved THEN next_value ELSE value END AS value,
       winsorised OR is_moved AS winsorised, is_moved
FROM stepped
