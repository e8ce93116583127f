-- Children whose value the mean of their parent cannot take: zero or negative under a geometric or harmonic
-- mean, negative under a generalised mean or the benefit of the doubt, zero under a generalised mean with p < 0.
-- The parent has no score for that unit (score_level); COINr stops the whole run instead, which would let one
-- unit's zero stop every score.
SELECT s.unit_code, p.node_code, p.aggregation_method, c.node_code AS child_code, s.score
FROM eng_node p
JOIN eng_node c ON c.parent_code = p.node_code
JOIN eng_score s ON s.node_code = c.node_code
WHERE p.height = getvariable('height')
  AND s.score IS NOT NULL
  AND ((p.aggregation_method IN ('geometric', 'harmonic') AND s.score <= 0)
       OR (p.aggregation_method = 'bod' AND s.score < 0)
       OR (p.aggregation_method = 'generalised'
           AND (s.score < 0 OR (s.score = 0 AND p.aggregation_p < 0))))
ORDER BY p.node_code, s.unit_code, c.node_code
