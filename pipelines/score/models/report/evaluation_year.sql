-- report.evaluation_year: one row per year of score sheets (score.evaluation_year): what arrived and which
-- methodology scored it.
SELECT * FROM score.evaluation_year
