-- eng_score, one level up (getvariable('height')): each aggregate of a scored unit from its children by the
-- aggregate's own mean. Missing children drop out with their weight while the weight available reaches
-- the node's min_availability_pct; structurally absent children count neither as data nor as missing. A mean
-- that cannot take a child's value (eng_undefined_mean, from aggregation_problems) leaves the unit's node unscored.
WITH children AS (
    SELECT s.unit_code, p.node_code, p.aggregation_method AS method, p.aggregation_p AS p,
           p.aggregation_penalty AS penalty,
           p.min_availability_pct, c.node_code AS child_code, c.weight, s.score, s.is_absent
    FROM eng_node p
    JOIN eng_node c ON c.parent_code = p.node_code
    JOIN eng_score s ON s.node_code = c.node_code
    WHERE p.height = getvariable('height')
),
by_node AS (
    SELECT unit_code, node_code, method, min_availability_pct,
           bool_and(is_absent) AS is_absent,
           100.0 * coalesce(sum(weight) FILTER (WHERE score IS NOT NULL), 0)
               / nullif(sum(weight) FILTER (WHERE NOT is_absent), 0) AS availability_pct,
           nullif(sum(weight) FILTER (WHERE score IS NOT NULL), 0) AS w,
           sum(weight * score) AS sum_wx,
           sum(weight * ln(score)) FILTER (WHERE score > 0) AS sum_w_lnx,
           sum(weight / score) FILTER (WHERE score <> 0) AS sum_w_over_x,
           sum(weight * pow(score, p)) FILTER (WHERE method = 'generalised') AS sum_wxp,
           any_value(p) AS p
    FROM children
    GROUP BY unit_code, node_code, method, min_availability_pct
),
passing AS (
    SELECT unit_code, node_code
    FROM by_node
    WHERE availability_pct > 0 AND availability_pct >= min_availability_pct
),
standardised AS (
    -- Mazziotta-Pareto (Compind's ci_mpi): each child as z = 100 + 10·(x − mean)/sd over the units (sample sd; a
    -- child that does not vary is 100 for all).
    SELECT unit_code, node_code, weight, penalty,
           100 + 10 * coalesce((score - avg(score) OVER child) / nullif(stddev_samp(score) OVER child, 0), 0) AS z
    FROM children
    WHERE method = 'mpi' AND score IS NOT NULL
    WINDOW child AS (PARTITION BY node_code, child_code)
),
mpi_moments AS (
    -- The unit's weighted mean M of its z and their weighted sample variance S² (reliability weights: equal weights
    -- give the plain sample variance; one child: S = 0).
    SELECT unit_code, node_code, any_value(penalty) AS penalty, sum(weight * z) / sum(weight) AS m,
           coalesce((sum(weight * z * z) - sum(weight * z) ^ 2 / sum(weight))
                    / nullif(sum(weight) - sum(weight * weight) / sum(weight), 0), 0) AS s2
    FROM standardised
    WHERE weight > 0
    GROUP BY unit_code, node_code
),
mpi AS (
    -- Positive penalty (higher is better) M − S²/M = M·(1 − cv²); negative M + S²/M.
    SELECT unit_code, node_code, m + CASE penalty WHEN 'negative' THEN 1 ELSE -1 END * s2 / m AS mpi_score
    FROM mpi_moments
),
copeland AS (
    -- Copeland: each pair of units is compared child by child; a unit gets +1 for each unit it outranks on
    -- the weight of the children, -1 for each unit that outranks it (ties 0).
    SELECT unit_code, node_code, sum(sign(weighted_wins)) AS copeland_score
    FROM (
        SELECT a.unit_code, a.node_code, b.unit_code AS other_unit,
               sum(a.weight * sign(a.score - b.score)) AS weighted_wins
        FROM children a
        JOIN passing pa ON pa.unit_code = a.unit_code AND pa.node_code = a.node_code
        JOIN children b ON b.node_code = a.node_code AND b.child_code = a.child_code AND b.unit_code <> a.unit_code
        JOIN passing pb ON pb.unit_code = b.unit_code AND pb.node_code = b.node_code
        WHERE a.method = 'copeland' AND a.score IS NOT NULL AND b.score IS NOT NULL
        GROUP BY a.unit_code, a.node_code, b.unit_code
    )
    GROUP BY unit_code, node_code
)
SELECT b.unit_code, b.node_code, getvariable('height') AS height,
       CASE WHEN b.availability_pct > 0 AND b.availability_pct >= b.min_availability_pct AND u.unit_code IS NULL THEN
           CASE b.method
               WHEN 'arithmetic' THEN b.sum_wx / b.w
               WHEN 'geometric' THEN exp(b.sum_w_lnx / b.w)
               WHEN 'harmonic' THEN b.w / b.sum_w_over_x
               WHEN 'generalised' THEN pow(b.sum_wxp / b.w, 1.0 / b.p)
               WHEN 'copeland' THEN coalesce(c.copeland_score, 0)
               WHEN 'mpi' THEN m.mpi_score
           END
       END AS score,
       b.is_absent, b.availability_pct
FROM by_node b
LEFT JOIN copeland c USING (unit_code, node_code)
LEFT JOIN mpi m USING (unit_code, node_code)
LEFT JOIN (SELECT DISTINCT unit_code, node_code FROM eng_undefined_mean) u USING (unit_code, node_code)
