-- report.cohort_selection: one row per shortlisted region (score.cohort_selection): the proposed cohort with its
-- Monte Carlo ranks.
SELECT * FROM score.cohort_selection
