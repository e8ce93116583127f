-- score.region_screening: one row per kabupaten/kota: screening_index 0-100 from the engine and its rank
-- (1 = best), the share of its applicable indicator weight with data, and why it is not scored if it is not.
WITH index_score AS (
    SELECT *
    FROM score.index_node
    WHERE index_code = 'screening' AND parent_code IS NULL
),
indicators AS (
    SELECT unit_code, count(score) AS indicators_used, count(*) FILTER (WHERE NOT is_absent) AS indicators_applicable
    FROM (SELECT * FROM score.index_node WHERE index_code = 'screening' AND height = 1)
    GROUP BY unit_code
)
SELECT u.unit_code AS region_code, i.score AS screening_index, i.availability_pct AS coverage_pct,
       d.indicators_used, d.indicators_applicable, i.node_rank AS screening_rank, u.is_scored, u.scope_reason,
       u.methodology_hash, u.inputs_hash
FROM score.index_unit u
LEFT JOIN index_score i USING (unit_code)
LEFT JOIN indicators d USING (unit_code)
WHERE u.index_code = 'screening'
ORDER BY u.unit_code
