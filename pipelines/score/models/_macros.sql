-- Formulas defined once and used by every model.
-- A methodology setting, as text: param('screening.min_coverage_pct').
CREATE OR REPLACE TEMP MACRO param(setting) AS (SELECT value FROM methodology.parameter WHERE name = setting);
-- x mapped linearly from [low, high] to [0, 100] and truncated: min-max and goalpost normalisation alike.
-- The CASE matters: greatest/least skip NULLs, so a missing x would otherwise come out as 100.
CREATE OR REPLACE TEMP MACRO scale_0_100(x, low, high) AS
    CASE WHEN x IS NOT NULL AND high > low THEN greatest(0.0, least(100.0, 100.0 * (x - low) / (high - low))) END;
-- Weighted arithmetic mean over the values present: a missing value drops out with its weight (re-weighting).
CREATE OR REPLACE TEMP MACRO weighted_mean(v, w) AS sum(v * w) / nullif(sum(CASE WHEN v IS NOT NULL THEN w END), 0);
-- Percentage of the weight whose value is present.
CREATE OR REPLACE TEMP MACRO weight_coverage_pct(v, w) AS 100.0 * coalesce(sum(CASE WHEN v IS NOT NULL THEN w END), 0) / nullif(sum(w), 0);
-- Rank 1 = highest; regions without a value get no rank and do not push others down; ties share a rank.
CREATE OR REPLACE TEMP MACRO rank_desc(x) AS
    CASE WHEN x IS NOT NULL THEN rank() OVER (PARTITION BY x IS NULL ORDER BY x DESC) END;
