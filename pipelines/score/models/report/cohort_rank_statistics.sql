-- report.cohort_rank_statistics: one row per Monte Carlo stage (shortlist, selection) × region
-- (score.cohort_rank_statistics).
SELECT * FROM score.cohort_rank_statistics
