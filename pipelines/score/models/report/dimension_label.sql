-- report.dimension_label: one row per readiness dimension (methodology.readiness_dimension): its labels, weight and
-- position.
SELECT * FROM methodology.readiness_dimension
