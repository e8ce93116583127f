-- report.index_flag_count: one row per index × audit flag raised (score.index_flag): how many nodes it was raised on
-- (a node redundant with two siblings counts twice), for the methodology page's table of what each flag asks.
SELECT index_code, flag, count(*) AS flags
FROM score.index_flag
GROUP BY index_code, flag
