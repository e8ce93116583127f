-- eng_flag: what an analyst should look at before trusting the index, one row per node and problem, with the other
-- node of a pair (other_code: the redundant sibling, or the parent), the statistic measured (value) and the audit
-- setting it was held against (threshold; for skew_kurtosis the skew's, the kurtosis is in the detail). Correlations
-- and alphas are those of the scores (data set `aggregated`), the ones the index is built from. undefined_mean: a
-- geometric, harmonic or generalised mean met a child value it cannot take, and those units have no score there.
WITH thresholds AS (
    SELECT CAST(setting('audit.redundancy_r') AS DOUBLE) AS redundancy_r,
           CAST(setting('audit.low_availability_pct') AS DOUBLE) AS low_availability_pct,
           CAST(setting('audit.skew_max') AS DOUBLE) AS skew_max,
           CAST(setting('audit.kurtosis_max') AS DOUBLE) AS kurtosis_max,
           CAST(setting('audit.cronbach_min') AS DOUBLE) AS cronbach_min
)
SELECT s.indicator_code AS node_code, 'low_availability' AS flag,
       'data for ' || CAST(round(s.availability_pct, 1) AS VARCHAR) || '% of the units it applies to' AS detail,
       NULL::VARCHAR AS other_code, s.availability_pct AS value, t.low_availability_pct AS threshold
FROM eng_indicator_statistics s, thresholds t
WHERE s.availability_pct < t.low_availability_pct
UNION ALL
SELECT indicator_code, 'constant', 'one distinct value: it cannot tell units apart', NULL, unique_values, NULL
FROM eng_indicator_statistics
WHERE unique_values = 1
UNION ALL
SELECT r.indicator_code, 'skew_kurtosis',
       'skew ' || CAST(round(r.skew_after, 2) AS VARCHAR) || ', kurtosis ' || CAST(round(r.kurtosis_after, 2) AS VARCHAR)
       || ' after treatment (' || r.treatment || ')',
       NULL, r.skew_after, t.skew_max
FROM eng_treatment r, thresholds t
WHERE abs(r.skew_after) >= t.skew_max AND r.kurtosis_after >= t.kurtosis_max
UNION ALL
SELECT c.node_code, 'redundant',
       'r = ' || CAST(round(c.pearson_r, 3) AS VARCHAR) || ' with sibling ' || c.other_code,
       c.other_code, c.pearson_r, t.redundancy_r
FROM eng_correlation c, thresholds t
WHERE c.relation = 'sibling' AND c.stage = 'aggregated' AND abs(c.pearson_r) >= t.redundancy_r
UNION ALL
SELECT c.node_code, 'negative_correlation',
       'r = ' || CAST(round(c.pearson_r, 3) AS VARCHAR) || ' with its parent ' || c.other_code,
       c.other_code, c.pearson_r, 0.0
FROM eng_correlation c
WHERE c.relation = 'parent' AND c.pearson_r < 0
UNION ALL
SELECT a.node_code, 'low_cronbach_alpha',
       'alpha = ' || CAST(round(a.cronbach_alpha, 3) AS VARCHAR) || ' (pairwise; ' || CAST(a.complete_units AS VARCHAR)
       || ' units have every child)',
       NULL, a.cronbach_alpha, t.cronbach_min
FROM eng_cronbach a, thresholds t
WHERE a.stage = 'aggregated' AND a.cronbach_alpha < t.cronbach_min
UNION ALL
SELECT node_code, 'undefined_mean',
       'the ' || any_value(aggregation_method) || ' mean cannot take a child''s value: no score for '
       || CAST(count(DISTINCT unit_code) AS VARCHAR) || ' unit(s), first ' || min(unit_code),
       NULL, count(DISTINCT unit_code), NULL
FROM eng_undefined_mean
GROUP BY node_code
