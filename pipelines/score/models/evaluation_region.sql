-- score.evaluation_region: one row per evaluated region × year: the overall index (0-4; the year's component
-- weights over the five components, rounded by the year's rule), its ranks nationally and within the province, the
-- change against the region's previous evaluation, the components, and flags for too few assessors.
WITH components AS (
    SELECT region_code, year, any_value(methodology_year) AS methodology_year,
           sum(component_score * component_weight) AS index_unrounded,
           count(component_score) AS components_scored,
           string_agg(component, ', ' ORDER BY component) FILTER (WHERE scored_both_ways) AS scored_both_ways,
           max(component_score) FILTER (WHERE component = 'baseline') AS baseline,
           max(component_score) FILTER (WHERE component = 'output') AS output,
           max(component_score) FILTER (WHERE component = 'outcome') AS outcome,
           max(component_score) FILTER (WHERE component = 'impact') AS impact,
           max(component_score) FILTER (WHERE component = 'quick_win') AS quick_win
    FROM score.evaluation_component
    GROUP BY region_code, year
),
assessors AS (
    SELECT region_code, year, count(DISTINCT evaluator) AS assessors
    FROM curated.evaluations
    GROUP BY region_code, year
),
scored AS (
    SELECT c.*, a.assessors, m.decimals, m.rounding, m.min_assessors,
           -- A component nobody scored leaves the index missing: re-weighting would compare unlike regions.
           CASE WHEN c.components_scored = 5 THEN round_published(c.index_unrounded, m.decimals, m.rounding)
           END AS evaluation_index
    FROM components c
    JOIN assessors a USING (region_code, year)
    JOIN methodology.evaluation_year m ON m.year = c.methodology_year
),
ranked AS (
    SELECT s.*, r.region_name, r.region_type, r.province_code, r.province_name, r.island_group,
           CASE WHEN s.evaluation_index IS NOT NULL
                THEN rank() OVER (PARTITION BY s.year, s.evaluation_index IS NULL ORDER BY s.evaluation_index DESC)
           END AS national_rank,
           CASE WHEN s.evaluation_index IS NOT NULL
                THEN rank() OVER (PARTITION BY s.year, r.province_code, s.evaluation_index IS NULL
                                  ORDER BY s.evaluation_index DESC)
           END AS province_rank,
           count(s.evaluation_index) OVER (PARTITION BY s.year) AS national_ranked,
           count(s.evaluation_index) OVER (PARTITION BY s.year, r.province_code) AS province_ranked
    FROM scored s
    JOIN reference.regions r USING (region_code)
),
history AS (
    -- The previous evaluation with an index: a year the region was not ranked in is skipped.
    SELECT *,
           lag(CASE WHEN evaluation_index IS NOT NULL THEN year END IGNORE NULLS) OVER region_years AS previous_year,
           lag(evaluation_index IGNORE NULLS) OVER region_years AS previous_index,
           lag(national_rank IGNORE NULLS) OVER region_years AS previous_national_rank
    FROM ranked
    WINDOW region_years AS (PARTITION BY region_code ORDER BY year)
)
SELECT region_code, region_name, region_type, province_code, province_name, island_group, year, methodology_year,
       evaluation_index, national_rank, national_ranked, province_rank, province_ranked,
       previous_year, previous_index,
       round_published(evaluation_index - previous_index, decimals, rounding) AS index_change,
       previous_national_rank - national_rank AS national_rank_change,
       round_published(baseline, decimals, rounding) AS baseline_score,
       round_published(output, decimals, rounding) AS output_score,
       round_published(outcome, decimals, rounding) AS outcome_score,
       round_published(impact, decimals, rounding) AS impact_score,
       round_published(quick_win, decimals, rounding) AS quick_win_score,
       assessors, assessors < min_assessors AS too_few_assessors,
       concat_ws('; ',
           CASE WHEN components_scored < 5 THEN 'not ranked: ' || components_scored || ' of 5 components scored' END,
           CASE WHEN assessors < min_assessors
                THEN 'only ' || assessors || ' assessor(s); the methodology asks for ' || min_assessors END,
           CASE WHEN scored_both_ways IS NOT NULL
                THEN scored_both_ways || ' scored both as a whole and per dimension: the dimension cells count' END
       ) AS flags,
       run.methodology_hash, run.inputs_hash
FROM history
CROSS JOIN methodology.run run
ORDER BY year, national_rank NULLS LAST, region_code
