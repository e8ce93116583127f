-- eng_normalised: one row per scored unit × indicator with a value: the treated value, multiplied by the
-- indicator's direction, put on a common scale by the indicator's own normalisation method. Statistics
-- (min, max, mean, sd, ranks) are over the scored units the indicator applies to.
WITH directed AS (
    SELECT t.unit_code, t.indicator_code, t.value, n.direction * t.value AS x, n.direction,
           n.normalisation_method AS method, n.normalisation_low, n.normalisation_high, n.normalisation_mean,
           n.normalisation_sd, n.normalisation_target, n.normalisation_unit, n.normalisation_scale,
           n.normalisation_truncate, n.normalisation_table
    FROM eng_treated t
    JOIN eng_node n ON n.node_code = t.indicator_code
),
stats AS (
    SELECT indicator_code, min(x) AS lo, max(x) AS hi, avg(x) AS mu, stddev_samp(x) AS sd,
           min(value) AS value_min, max(value) AS value_max
    FROM directed
    GROUP BY indicator_code
),
reference_unit AS (
    SELECT indicator_code, x AS reference_x
    FROM directed
    WHERE method = 'reference_unit' AND unit_code = normalisation_unit
),
ranked AS (
    SELECT d.*, rank() OVER per_indicator AS rank_low_first, percent_rank() OVER per_indicator AS percentile
    FROM directed d
    WINDOW per_indicator AS (PARTITION BY indicator_code ORDER BY x)
),
segments AS (
    SELECT lookup, x AS x0, y AS y0, lead(x) OVER points AS x1, lead(y) OVER points AS y1,
           x = min(x) OVER (PARTITION BY lookup) AS is_first
    FROM eng_lookup
    WINDOW points AS (PARTITION BY lookup ORDER BY x)
),
looked_up AS (
    -- Between two points: straight line; before the first or after the last: the end value.
    SELECT d.unit_code, d.indicator_code,
           CASE WHEN s.x1 IS NULL OR d.value < s.x0 THEN s.y0
                ELSE s.y0 + (s.y1 - s.y0) * (d.value - s.x0) / (s.x1 - s.x0) END AS lookup_value
    FROM directed d
    JOIN segments s
      ON s.lookup = d.normalisation_table
     AND ((d.value >= s.x0 AND (d.value < s.x1 OR s.x1 IS NULL)) OR (s.is_first AND d.value < s.x0))
    WHERE d.method = 'lookup'
),
bounded AS (
    -- goalposts, target and reference unit as [from, to] on the directed scale
    SELECT r.*, s.lo, s.hi, s.mu, s.sd, s.value_min, s.value_max,
           r.normalisation_scale AS scale,
           coalesce(r.normalisation_truncate, false) AS truncate,
           CASE r.method
               WHEN 'goalposts' THEN least(r.direction * r.normalisation_low,
                                           r.direction * r.normalisation_high)
               ELSE s.lo END AS from_x,
           CASE r.method
               WHEN 'goalposts' THEN greatest(r.direction * r.normalisation_low,
                                              r.direction * r.normalisation_high)
               WHEN 'target' THEN r.direction * r.normalisation_target
               WHEN 'reference_unit' THEN ref.reference_x END AS to_x
    FROM ranked r
    JOIN stats s USING (indicator_code)
    LEFT JOIN reference_unit ref USING (indicator_code)
),
normalised AS (
    SELECT b.unit_code, b.indicator_code,
           CASE b.method
               WHEN 'minmax' THEN CASE WHEN b.hi > b.lo
                   THEN b.normalisation_low + (b.normalisation_high
                        - b.normalisation_low) * (b.x - b.lo) / (b.hi - b.lo)
                   ELSE (b.normalisation_low + b.normalisation_high) / 2 END
               WHEN 'zscore' THEN b.normalisation_mean + CASE WHEN b.sd > 0
                   THEN b.normalisation_sd * (b.x - b.mu) / b.sd ELSE 0 END
               WHEN 'goalposts' THEN b.scale * CASE WHEN b.truncate
                   THEN greatest(0.0, least(1.0, (b.x - b.from_x) / (b.to_x - b.from_x)))
                   ELSE (b.x - b.from_x) / (b.to_x - b.from_x) END
               WHEN 'target' THEN b.scale * CASE WHEN b.to_x <= b.from_x THEN 1.0
                   WHEN b.truncate THEN least(1.0, (b.x - b.from_x) / (b.to_x - b.from_x))
                   ELSE (b.x - b.from_x) / (b.to_x - b.from_x) END
               WHEN 'reference_unit' THEN b.scale * CASE WHEN b.to_x = b.from_x THEN 1.0
                   WHEN b.truncate THEN least(1.0, (b.x - b.from_x) / (b.to_x - b.from_x))
                   ELSE (b.x - b.from_x) / (b.to_x - b.from_x) END
               WHEN 'fraction_of_max' THEN b.scale * CASE WHEN b.direction = 1 THEN b.value / nullif(b.value_max, 0)
                   ELSE b.value_min / nullif(b.value, 0) END
               WHEN 'rank' THEN b.rank_low_first
               WHEN 'percentile_rank' THEN b.scale * b.percentile
               WHEN 'borda' THEN b.rank_low_first - 1
               WHEN 'lookup' THEN l.lookup_value
               WHEN 'none' THEN b.value
           END AS value
    FROM bounded b
    LEFT JOIN looked_up l USING (unit_code, indicator_code)
)
SELECT unit_code, indicator_code, value
FROM normalised
