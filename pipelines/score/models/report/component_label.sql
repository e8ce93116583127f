-- report.component_label: one row per evaluation component (methodology.evaluation_component): its labels and
-- position.
SELECT * FROM methodology.evaluation_component
