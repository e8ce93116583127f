-- report.aspect_label: one row per readiness aspect (methodology.readiness_aspect): its labels.
SELECT * FROM methodology.readiness_aspect
