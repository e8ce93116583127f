-- score.region_screening: one row per ranked region; screening_index 0-100 and its rank (1 = best).
-- Only the indicators that apply to the region type count: a kabupaten is scored on fewer indicators,
-- re-weighted, never given a zero for a missing sustainability index.
WITH applicable AS (
    SELECT *
    FROM score.screening_indicator
    WHERE is_applicable
),
by_region AS (
    SELECT region_code,
           weighted_mean(indicator_score, weight) AS weighted_score,
           weight_coverage_pct(indicator_score, weight) AS coverage_pct,
           count(indicator_score) AS indicators_used,
           count(*) AS indicators_applicable
    FROM applicable
    GROUP BY region_code
),
scored AS (
    SELECT *,
           CASE WHEN coverage_pct >= CAST(param('screening.min_coverage_pct') AS DOUBLE) THEN weighted_score END
               AS screening_index
    FROM by_region
)
SELECT s.region_code, s.screening_index, s.coverage_pct, s.indicators_used, s.indicators_applicable,
       rank_desc(s.screening_index) AS screening_rank,
       run.methodology_hash, run.inputs_hash
FROM scored s
CROSS JOIN methodology.run run
ORDER BY s.region_code
