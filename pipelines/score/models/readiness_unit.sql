-- score.readiness_unit: the readiness engine's units: one row per region with questionnaires in the scored
-- period, with its number of OPD submissions (the methodology's minimum) and its attributes.
WITH opds AS (
    SELECT s.region_code, count(*) AS opd_submissions
    FROM curated.questionnaire_submissions s
    JOIN score.readiness_period p ON s.period = p.period
    GROUP BY s.region_code
)
SELECT r.region_code AS unit_code, r.region_name AS unit_name, r.region_type, r.province_code, r.province_name,
       r.island_group, r.is_autonomous, o.opd_submissions
FROM opds o
JOIN reference.regions r USING (region_code)
ORDER BY r.region_code
