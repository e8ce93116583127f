-- report.cohort_sensitivity: one row per output × factor of the Monte Carlo (score.cohort_sensitivity): Sobol
-- indices.
SELECT * FROM score.cohort_sensitivity
