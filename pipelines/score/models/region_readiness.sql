-- score.region_readiness: one row per region with questionnaires: readiness_index 0-100 from the engine and
-- its rank, the number of dimensions scored, its OPD submissions, and why it is not scored if it is not.
WITH index_score AS (
    SELECT *
    FROM score.index_node
    WHERE index_code = 'readiness' AND parent_code IS NULL
),
dimensions AS (
    SELECT unit_code, count(score) AS dimensions_scored
    FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 3)
    GROUP BY unit_code
)
SELECT u.unit_code AS region_code, i.score AS readiness_index, coalesce(d.dimensions_scored, 0) AS dimensions_scored,
       r.opd_submissions, i.node_rank AS readiness_rank, u.is_scored, u.scope_reason,
       u.methodology_hash, u.inputs_hash
FROM score.index_unit u
JOIN score.readiness_unit r USING (unit_code)
LEFT JOIN index_score i USING (unit_code)
LEFT JOIN dimensions d USING (unit_code)
WHERE u.index_code = 'readiness'
ORDER BY u.unit_code
