-- report.cohort_run: one row (score.cohort_run): the cohort's size, cut-off and Monte Carlo settings.
SELECT * FROM score.cohort_run
