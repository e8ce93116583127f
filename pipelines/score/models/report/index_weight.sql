-- report.index_weight: one row per index × node (score.index_weight): the hierarchy and effective weights on the
-- methodology page.
SELECT * FROM score.index_weight
