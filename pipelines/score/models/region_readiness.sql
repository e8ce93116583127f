-- score.region_readiness: one row per region with questionnaires; readiness_index 0-100 is the
-- dimension-weighted mean of the six dimension scores, NULL below readiness.min_opd_submissions OPDs
-- or readiness.min_dimensions_scored scored dimensions.
WITH opds AS (
    SELECT s.region_code, count(*) AS opd_submissions
    FROM curated.questionnaire_submissions s
    JOIN score.readiness_period p ON s.period = p.period
    GROUP BY s.region_code
),
by_region AS (
    SELECT d.region_code,
           weighted_mean(d.dimension_score, w.weight) AS weighted_score,
           count(d.dimension_score) AS dimensions_scored
    FROM score.region_dimension d
    JOIN methodology.readiness_dimension w USING (dimension)
    GROUP BY d.region_code
),
scored AS (
    SELECT b.*, o.opd_submissions,
           CASE WHEN o.opd_submissions >= CAST(param('readiness.min_opd_submissions') AS INTEGER)
                 AND b.dimensions_scored >= CAST(param('readiness.min_dimensions_scored') AS INTEGER)
                THEN b.weighted_score END AS readiness_index
    FROM by_region b
    JOIN opds o USING (region_code)
)
SELECT s.region_code, s.readiness_index, s.dimensions_scored, s.opd_submissions,
       rank_desc(s.readiness_index) AS readiness_rank,
       run.methodology_hash, run.inputs_hash
FROM scored s
CROSS JOIN methodology.run run
ORDER BY s.region_code
