-- report.evaluation_agreement: one row per evaluation year × component, and 'all' (score.evaluation_agreement):
-- Krippendorff's alpha, with the component's position in methodology.evaluation_component (none for 'all') to sort by.
SELECT a.*, c.position AS component_position
FROM score.evaluation_agreement a
LEFT JOIN methodology.evaluation_component c USING (component)
