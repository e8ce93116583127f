-- eng_cronbach: Cronbach's alpha of each aggregate's children in every data set of eng_stage_value, as COINr's
-- get_cronbach: from the covariance matrix of the children, each covariance over the units that have both
-- (pairwise), alpha = k/(k-1) · (1 - sum of the variances / sum of every entry of the matrix). k counts the children
-- that apply to some scored unit; an entry with fewer than two units drops out of both sums, as R's na.rm.
WITH children AS (
    SELECT n.parent_code, n.node_code
    FROM eng_node n
    WHERE n.parent_code IS NOT NULL
      AND EXISTS (SELECT 1 FROM eng_score s WHERE s.node_code = n.node_code AND NOT s.is_absent)
),
sizes AS (
    SELECT parent_code, count(*) AS k
    FROM children
    GROUP BY parent_code
),
child_value AS (
    SELECT v.unit_code, c.parent_code, v.node_code, v.stage, v.value
    FROM eng_stage_value v
    JOIN children c USING (node_code)
),
stages AS (
    SELECT DISTINCT parent_code, stage
    FROM child_value
),
pair_covariance AS (
    -- Each unordered pair of children once; a child with itself gives its variance.
    SELECT a.parent_code, a.stage, a.node_code = b.node_code AS is_variance, covar_samp(a.value, b.value) AS covariance
    FROM child_value a
    JOIN child_value b ON b.unit_code = a.unit_code AND b.parent_code = a.parent_code AND b.stage = a.stage
                      AND b.node_code >= a.node_code
    GROUP BY a.parent_code, a.stage, a.node_code, b.node_code
),
matrix AS (
    -- The matrix holds every pair of two different children twice.
    SELECT parent_code, stage, sum(covariance * CASE WHEN is_variance THEN 1 ELSE 2 END) AS total,
           sum(covariance) FILTER (WHERE is_variance) AS diagonal
    FROM pair_covariance
    GROUP BY parent_code, stage
),
complete AS (
    SELECT v.parent_code, v.stage, count(*) AS units
    FROM (SELECT parent_code, stage, unit_code, count(*) AS present FROM child_value GROUP BY ALL) v
    JOIN sizes z USING (parent_code)
    WHERE v.present = z.k
    GROUP BY v.parent_code, v.stage
)
SELECT s.parent_code AS node_code, s.stage, z.k AS children, coalesce(u.units, 0) AS complete_units,
       CASE WHEN z.k > 1 AND c.total > 0 THEN z.k / (z.k - 1.0) * (1 - c.diagonal / c.total) END AS cronbach_alpha
FROM stages s
JOIN sizes z USING (parent_code)
LEFT JOIN matrix c USING (parent_code, stage)
LEFT JOIN complete u USING (parent_code, stage)
ORDER BY s.parent_code, s.stage
