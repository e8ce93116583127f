-- report.evaluation_assessor: one row per assessor × year (score.evaluation_assessor): leniency against the
-- consensus.
SELECT * FROM score.evaluation_assessor
