-- score.screening_value: the screening engine's values: one row per region × indicator × year, each value
-- in its source's own unit.
-- Sustainability indices are kept apart by name (sustainability_ikb, sustainability_iklh, ...); population density
-- is derived from population and area when no density table is supplied.
WITH fiscal AS (
    SELECT region_code, 'fiscal_capacity' AS indicator_code, year, fiscal_capacity_value AS indicator_value
    FROM curated.fiscal_capacity
),
performance AS (
    SELECT region_code, 'government_performance' AS indicator_code, year, performance_score AS indicator_value
    FROM curated.government_performance
),
sustainability AS (
    SELECT region_code, 'sustainability_' || index_name AS indicator_code, year,
           sustainability_index AS indicator_value
    FROM curated.sustainability
),
further AS (
    -- A further indicator may not reuse a built-in code: that would double its weight.
    SELECT region_code, indicator_code, year, indicator_value
    FROM curated.indicators
    WHERE indicator_code NOT IN ('fiscal_capacity', 'government_performance')
      AND NOT starts_with(indicator_code, 'sustainability_')
),
density AS (
    -- Population density from population and area of the same year, where no density table gives it directly.
    SELECT p.region_code, 'population_density_per_km2' AS indicator_code, p.year,
           p.indicator_value / a.indicator_value AS indicator_value
    FROM curated.indicators p
    JOIN curated.indicators a
      ON a.region_code = p.region_code AND a.year = p.year AND a.indicator_code = 'area_km2'
    WHERE p.indicator_code = 'population' AND a.indicator_value > 0
      AND NOT EXISTS (SELECT 1 FROM curated.indicators d
                      WHERE d.region_code = p.region_code AND d.year = p.year
                        AND d.indicator_code = 'population_density_per_km2')
)
SELECT region_code AS unit_code, indicator_code, CAST(year AS INTEGER) AS year, indicator_value AS value
FROM (
    SELECT * FROM fiscal
    UNION ALL SELECT * FROM performance
    UNION ALL SELECT * FROM sustainability
    UNION ALL SELECT * FROM further
    UNION ALL SELECT * FROM density
)
ORDER BY unit_code, indicator_code, year
