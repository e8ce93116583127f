-- score.province_rollup: one row per province × evaluation year (the Smart Province view): how many of its
-- kab/kota are in the programme, and in it with a masterplan (evaluated in that year or before), the distribution of
-- their evaluation results, readiness and screening aggregates, and whether the province passes the masterplan
-- share the pilots were chosen at (smart_province.masterplan_share_pct).
WITH years AS (
    SELECT DISTINCT year FROM score.evaluation_region
),
members AS (
    SELECT region_code, min(year_joined) AS year_joined
    FROM curated.cohorts
    WHERE programme = param('evaluation.programme')
    GROUP BY region_code
),
smart_province AS (
    SELECT region_code AS province_code, min(year_joined) AS smart_province_since
    FROM curated.cohorts
    WHERE programme = 'smart_province'
    GROUP BY region_code
),
masterplans AS (
    SELECT region_code, min(year) AS first_evaluated FROM score.evaluation_region GROUP BY region_code
),
kabkota AS (
    SELECT r.province_code, r.province_name, r.island_group, y.year, r.region_code,
           m.year_joined <= y.year AS in_programme, p.first_evaluated <= y.year AS has_masterplan,
           e.evaluation_index, k.readiness_index, k.screening_index
    FROM reference.regions r
    CROSS JOIN years y
    LEFT JOIN members m USING (region_code)
    LEFT JOIN masterplans p USING (region_code)
    LEFT JOIN score.evaluation_region e ON e.region_code = r.region_code AND e.year = y.year
    LEFT JOIN score.region_ranking k ON k.region_code = r.region_code
),
rollup AS (
    SELECT province_code, province_name, island_group, year,
           count(*) AS kabkota,
           count(*) FILTER (WHERE in_programme) AS in_programme,
           count(*) FILTER (WHERE in_programme AND has_masterplan) AS with_masterplan,
           count(evaluation_index) AS evaluated,
           min(evaluation_index) AS evaluation_min,
           quantile_cont(evaluation_index, 0.25) AS evaluation_q1,
           median(evaluation_index) AS evaluation_median,
           quantile_cont(evaluation_index, 0.75) AS evaluation_q3,
           max(evaluation_index) AS evaluation_max,
           avg(evaluation_index) AS evaluation_mean,
           count(readiness_index) AS readiness_assessed,
           median(readiness_index) AS readiness_median,
           median(screening_index) AS screening_median
    FROM kabkota
    GROUP BY province_code, province_name, island_group, year
)
SELECT r.province_code, r.province_name, r.island_group, r.year, r.kabkota,
       r.in_programme, 100.0 * r.in_programme / r.kabkota AS in_programme_pct,
       r.with_masterplan, 100.0 * r.with_masterplan / r.kabkota AS with_masterplan_pct,
       r.evaluated, r.evaluation_min, r.evaluation_q1, r.evaluation_median, r.evaluation_q3, r.evaluation_max,
       r.evaluation_mean, r.readiness_assessed, r.readiness_median, r.screening_median,
       s.smart_province_since,
       100.0 * r.with_masterplan / r.kabkota >= CAST(param('evaluation.masterplan_share_pct') AS DOUBLE)
           AS meets_masterplan_share,
       CASE WHEN s.smart_province_since <= r.year THEN 'in the Smart Province programme since ' || s.smart_province_since
            WHEN 100.0 * r.with_masterplan / r.kabkota >= CAST(param('evaluation.masterplan_share_pct') AS DOUBLE)
                THEN 'ready: ' || r.with_masterplan || ' of ' || r.kabkota || ' kab/kota have a masterplan'
            ELSE 'not yet: ' || r.with_masterplan || ' of ' || r.kabkota || ' kab/kota have a masterplan ('
                 || param('evaluation.masterplan_share_pct') || '% needed)'
       END AS smart_province_status,
       run.methodology_hash, run.inputs_hash
FROM rollup r
LEFT JOIN smart_province s USING (province_code)
CROSS JOIN methodology.run run
ORDER BY r.year, r.province_code
