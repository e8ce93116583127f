-- report.evaluation_weight: one row per evaluation year × level × component or dimension
-- (methodology.evaluation_weight).
SELECT * FROM methodology.evaluation_weight
