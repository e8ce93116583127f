-- score.region_element: one row per scored region × element: element_score 0-100 from the engine (the
-- question-weighted mean of its question scores; NULL when less than the element's min_availability_pct of
-- its question weight is answered) and the share answered.
SELECT unit_code AS region_code, parent_code AS dimension, node_code AS element, score AS element_score,
       availability_pct AS answered_pct, methodology_hash, inputs_hash
FROM (SELECT * FROM score.index_node WHERE index_code = 'readiness' AND height = 2)
ORDER BY region_code, dimension, element
