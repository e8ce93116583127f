-- report.evaluation_cell: one row per region × year × component × dimension (score.evaluation_cell): the assessors'
-- consensus.
SELECT * FROM score.evaluation_cell
