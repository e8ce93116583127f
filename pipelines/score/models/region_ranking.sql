-- score.region_ranking: one row per kabupaten/kota of the reference (all 514), with both indices, their
-- ranks, programme membership and a status saying why a region has no score.
WITH membership AS (
    SELECT region_code, min(year_joined) AS smart_city_year_joined
    FROM curated.cohorts
    WHERE programme = 'smart_city'
    GROUP BY region_code
)
SELECT r.region_code, r.region_name, r.region_type, r.province_code, r.province_name, r.island_group,
       r.is_autonomous,
       m.smart_city_year_joined,
       s.screening_index, s.screening_rank, s.coverage_pct AS screening_coverage_pct,
       CASE WHEN s.screening_index IS NOT NULL THEN 'ranked'
            WHEN NOT s.is_scored THEN 'not ranked: ' || s.scope_reason
            ELSE 'not ranked: data for ' || s.indicators_used || ' of ' || s.indicators_applicable || ' indicators'
       END AS screening_status,
       q.readiness_index, q.readiness_rank, q.opd_submissions,
       CASE WHEN q.readiness_index IS NOT NULL THEN 'ranked'
            WHEN q.region_code IS NULL THEN 'no questionnaire'
            WHEN NOT q.is_scored THEN 'not ranked: ' || q.scope_reason
            ELSE 'not ranked: ' || q.dimensions_scored || ' of 6 dimensions scored'
       END AS readiness_status,
       run.methodology_hash, run.inputs_hash
FROM reference.regions r
LEFT JOIN membership m USING (region_code)
LEFT JOIN score.region_screening s USING (region_code)
LEFT JOIN score.region_readiness q USING (region_code)
CROSS JOIN methodology.run run
ORDER BY r.region_code
