-- report.evaluation_region: one row per evaluated region × year (score.evaluation_region): the overall index and its
-- ranks.
SELECT * FROM score.evaluation_region
