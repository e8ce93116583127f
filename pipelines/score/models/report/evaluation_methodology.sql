-- report.evaluation_methodology: one row per evaluation year of the methodology (methodology.evaluation_year), with
-- its component weights as a list in the components' order, for the evaluation and methodology pages.
WITH component_weight AS (
    SELECT w.year, list(w.weight ORDER BY c.position) AS component_weights
    FROM methodology.evaluation_weight w
    JOIN methodology.evaluation_component c ON c.component = w.code
    WHERE w.level = 'component'
    GROUP BY w.year
)
SELECT m.*, w.component_weights
FROM methodology.evaluation_year m
JOIN component_weight w USING (year)
