-- report.monte_carlo_design: one row (methodology.monte_carlo): the cohort Monte Carlo's seed, Sobol base samples,
-- uncertain inputs and the replications they give, the band of selection probability that flags a region, and where
-- the replications run (config/run.yaml).
SELECT * FROM methodology.monte_carlo
