-- score.region_profile: one row per assessed region × profile item (its six dimensions and three aspects): the
-- score, the national and province medians among assessed regions, the gap to the national median, and the two
-- items furthest above (strengths) and the two furthest below (weaknesses) the national median, relative to the
-- region's own profile (a region above the median everywhere still has its weakest areas): the SWOT starting
-- point of the first bimtek.
WITH items AS (
    SELECT region_code, 'dimension' AS kind, dimension AS item, dimension_score AS score FROM score.region_dimension
    UNION ALL
    SELECT region_code, 'aspect', aspect, aspect_score FROM score.region_aspect
),
assessed AS (
    SELECT i.*, r.province_code
    FROM items i
    JOIN score.region_readiness s USING (region_code)
    JOIN reference.regions r USING (region_code)
    WHERE s.readiness_index IS NOT NULL
),
medians AS (
    SELECT *,
           median(score) OVER (PARTITION BY kind, item) AS national_median,
           median(score) OVER (PARTITION BY kind, item, province_code) AS province_median,
           count(score) OVER (PARTITION BY kind, item, province_code) AS province_assessed
    FROM assessed
),
ranked AS (
    SELECT *, score - national_median AS gap_to_national,
           row_number() OVER (PARTITION BY region_code ORDER BY score - national_median DESC, kind, item) AS from_top,
           row_number() OVER (PARTITION BY region_code ORDER BY score - national_median ASC, kind, item) AS from_bottom
    FROM medians
    WHERE score IS NOT NULL
)
SELECT region_code, kind, item, score, national_median, province_median, province_assessed, gap_to_national,
       CASE WHEN from_top <= 2 THEN 'strength' WHEN from_bottom <= 2 THEN 'weakness' END AS swot,
       run.methodology_hash, run.inputs_hash
FROM ranked
CROSS JOIN methodology.run run
ORDER BY region_code, kind, item
