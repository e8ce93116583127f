-- report.cohort_shortlist: one row per kabupaten/kota (score.cohort_shortlist): eligibility and the shortlist.
SELECT * FROM score.cohort_shortlist
