-- report.region_history: one row per region × index × scoring run kept in history.index_node: the index score,
-- labelled by the run's day and inputs, so that the same inputs give the same pages whatever the time of day.
SELECT unit_code AS region_code, index_code, score, scored_at,
       strftime(scored_at, '%Y-%m-%d') || ' · ' || left(inputs_hash, 8) AS run_label
FROM history.index_node
WHERE node_code = index_code
