-- report.evaluation_dimension: one row per region × year × dimension (score.evaluation_dimension).
SELECT * FROM score.evaluation_dimension
