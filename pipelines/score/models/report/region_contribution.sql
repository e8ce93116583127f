-- report.region_contribution: one row per region × index × child of the index's top node: its contribution in points
-- of the 0-100 index, labelled (the node code when the node has no label), for the region page's chart.
WITH top_level AS (
    SELECT index_code, unit_code AS region_code, child_code, contribution
    FROM score.index_contribution
    WHERE node_code = index_code
)
SELECT c.index_code, c.region_code, c.child_code, c.contribution,
       coalesce(w.label_id, c.child_code) AS label_id, coalesce(w.label_en, c.child_code) AS label_en
FROM top_level c
LEFT JOIN score.index_weight w ON w.index_code = c.index_code AND w.node_code = c.child_code
