-- report.monte_carlo_factor: one row per uncertain input of the cohort Monte Carlo (methodology.monte_carlo_factor),
-- in the design's order: the index it belongs to (or the cohort), what is drawn, how many alternatives, and either
-- the alternatives as a list or, for a weight noise, its ±% and what it varies.
SELECT position, index_code, factor, kind, alternatives,
       list(CAST(alternative AS VARCHAR) ORDER BY alternative_position) FILTER (WHERE alternative IS NOT NULL)
           AS choices,
       any_value(noise_pct) AS noise_pct, any_value(CAST(noise_varies AS VARCHAR)) AS noise_varies
FROM methodology.monte_carlo_factor
GROUP BY position, index_code, factor, kind, alternatives
