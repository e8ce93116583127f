-- eng_imputed: one row per scored unit × applicable indicator for the scored year: the denominated value,
-- or where it is missing the value the indicator's imputation method gives, with how it was obtained.
WITH base AS (
    SELECT g.unit_code, g.indicator_code, g.year, d.value, n.imputation_method AS method,
           n.imputation_group AS group_attribute, n.parent_code, n.direction
    FROM eng_grid g
    JOIN eng_scope s ON s.unit_code = g.unit_code AND s.is_scored
    JOIN eng_node n ON n.node_code = g.indicator_code
    LEFT JOIN eng_denominated d
           ON d.unit_code = g.unit_code AND d.indicator_code = g.indicator_code AND d.year IS NOT DISTINCT FROM g.year
    WHERE g.is_applicable
),
grouped AS (
    SELECT b.*, a.text_value AS group_value
    FROM base b
    LEFT JOIN eng_attribute a ON a.unit_code = b.unit_code AND a.attribute = b.group_attribute
),
overall AS (
    SELECT indicator_code, avg(value) AS mean_value, median(value) AS median_value
    FROM base
    GROUP BY indicator_code
),
by_group AS (
    SELECT indicator_code, group_value, avg(value) AS mean_value, median(value) AS median_value
    FROM grouped
    WHERE group_value IS NOT NULL
    GROUP BY indicator_code, group_value
),
modes AS (
    -- The most frequent value; of values as frequent, the lowest (so the result does not depend on row order).
    SELECT indicator_code, value AS mode_value
    FROM (SELECT indicator_code, value, count(*) AS n FROM base WHERE value IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY indicator_code ORDER BY n DESC, value) = 1
),
ranges AS (
    -- COINr's row-wise imputation works on min-max scaled values (normalise_first): direction × value scaled to
    -- 0-1 over the units. A constant indicator has no scale (COINr's 0/0): it takes no part in a row mean.
    SELECT indicator_code, min(direction * value) AS low, max(direction * value) AS high
    FROM base
    GROUP BY indicator_code
),
row_means AS (
    -- The mean of the unit's scaled values of the indicators with the same parent, turned back to each indicator's
    -- own scale (scaled × (high − low) + low, times the direction).
    SELECT b.unit_code, b.indicator_code, b.direction * (avg((s.direction * s.value - rs.low) / (rs.high - rs.low))
                                                         * (rb.high - rb.low) + rb.low) AS value
    FROM base b
    JOIN ranges rb ON rb.indicator_code = b.indicator_code
    JOIN base s ON s.unit_code = b.unit_code AND s.parent_code = b.parent_code AND s.value IS NOT NULL
    JOIN ranges rs ON rs.indicator_code = s.indicator_code AND rs.high > rs.low
    WHERE b.value IS NULL AND b.method = 'row_mean'
    GROUP BY b.unit_code, b.indicator_code, b.direction, rb.low, rb.high
),
earlier AS (
    SELECT b.unit_code, b.indicator_code, arg_max(d.value, d.year) AS value, max(d.year) AS year
    FROM base b
    JOIN eng_denominated d
      ON d.unit_code = b.unit_code AND d.indicator_code = b.indicator_code AND d.year < b.year AND d.value IS NOT NULL
    WHERE b.value IS NULL AND b.method = 'latest_earlier_year'
    GROUP BY b.unit_code, b.indicator_code
),
filled AS (
    SELECT g.unit_code, g.indicator_code, g.value AS denominated_value, g.method, g.group_attribute, g.group_value,
           g.parent_code, e.year AS earlier_year,
           CASE WHEN g.value IS NOT NULL THEN g.value
                WHEN g.method = 'mean' THEN o.mean_value
                WHEN g.method = 'median' THEN o.median_value
                WHEN g.method = 'group_mean' THEN bg.mean_value
                WHEN g.method = 'group_median' THEN bg.median_value
                WHEN g.method = 'latest_earlier_year' THEN e.value
                WHEN g.method = 'mode' THEN m.mode_value
                WHEN g.method = 'row_mean' THEN r.value END AS value
    FROM grouped g
    LEFT JOIN overall o USING (indicator_code)
    LEFT JOIN by_group bg ON bg.indicator_code = g.indicator_code AND bg.group_value = g.group_value
    LEFT JOIN earlier e ON e.unit_code = g.unit_code AND e.indicator_code = g.indicator_code
    LEFT JOIN modes m ON m.indicator_code = g.indicator_code
    LEFT JOIN row_means r ON r.unit_code = g.unit_code AND r.indicator_code = g.indicator_code
)
SELECT unit_code, indicator_code, value,
       CASE WHEN denominated_value IS NOT NULL THEN NULL
            WHEN value IS NULL THEN 'missing'
            WHEN method IN ('group_mean', 'group_median')
                THEN replace(method, '_', ' ') || ' of ' || group_attribute || ' = ' || group_value
            WHEN method = 'latest_earlier_year' THEN 'value of ' || CAST(earlier_year AS VARCHAR)
            WHEN method = 'row_mean' THEN 'row mean of ' || parent_code
            ELSE method END AS imputation
FROM filled
