-- score.screening_indicator: one row per ranked region × methodology indicator, for the reference year.
-- indicator_score is 0-100 across the ranked regions; NULL where the indicator does not apply to the
-- region type (structurally missing) or has no value.
WITH ranked_regions AS (
    SELECT region_code, region_type
    FROM reference.regions
    WHERE param('screening.rank_regions') = 'all' OR is_autonomous
),
reference_year AS (
    SELECT m.indicator_code,
           CASE WHEN param('screening.reference_year') = 'latest' THEN max(v.year)
                ELSE CAST(param('screening.reference_year') AS INTEGER) END AS year
    FROM methodology.screening_indicator m
    LEFT JOIN score.indicator_values v USING (indicator_code)
    GROUP BY m.indicator_code
),
grid AS (
    SELECT r.region_code, r.region_type, m.indicator_code, m.direction, m.weight, y.year,
           CASE r.region_type WHEN 'kota' THEN m.applies_kota ELSE m.applies_kabupaten END AS is_applicable
    FROM ranked_regions r
    CROSS JOIN methodology.screening_indicator m
    JOIN reference_year y USING (indicator_code)
),
valued AS (
    SELECT g.*, v.indicator_value,
           CASE WHEN g.is_applicable THEN g.direction * v.indicator_value END AS directed_value
    FROM grid g
    LEFT JOIN score.indicator_values v
           ON v.region_code = g.region_code AND v.indicator_code = g.indicator_code AND v.year = g.year
),
normalised AS (
    SELECT *,
           CASE param('screening.normalisation')
               WHEN 'minmax' THEN scale_0_100(directed_value, min(directed_value) OVER per_indicator,
                                              max(directed_value) OVER per_indicator)
               WHEN 'percentile_rank' THEN CASE WHEN directed_value IS NOT NULL THEN 100.0 * percent_rank()
                   OVER (PARTITION BY indicator_code, directed_value IS NULL ORDER BY directed_value) END
           END AS indicator_score
    FROM valued
    WINDOW per_indicator AS (PARTITION BY indicator_code)
)
SELECT n.region_code, n.indicator_code, n.year, n.indicator_value, n.indicator_score, n.weight, n.direction,
       n.is_applicable, run.methodology_hash, run.inputs_hash
FROM normalised n
CROSS JOIN methodology.run run
ORDER BY n.region_code, n.indicator_code
