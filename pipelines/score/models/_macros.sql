-- Formulas defined once and used by the models around the engine.
-- A methodology setting, as text: param('readiness.year').
CREATE OR REPLACE TEMP MACRO param(setting) AS (SELECT value FROM methodology.parameter WHERE name = setting);
-- Weighted arithmetic mean over the values present: a missing value drops out with its weight (re-weighting).
CREATE OR REPLACE TEMP MACRO weighted_mean(v, w) AS sum(v * w) / nullif(sum(CASE WHEN v IS NOT NULL THEN w END), 0);
-- Percentage of the weight whose value is present.
CREATE OR REPLACE TEMP MACRO weight_coverage_pct(v, w) AS 100.0 * coalesce(sum(CASE WHEN v IS NOT NULL THEN w END), 0) / nullif(sum(w), 0);
-- Round half away from zero as a person rounds the exact decimal: a weighted sum of 0.1/0.2/0.3 shares that should be
-- 1.925 comes out of binary floating point as 1.92499999…, and plain round() would publish 1.92.
CREATE OR REPLACE TEMP MACRO round_published(x, decimals) AS round(x + sign(x) * 1e-9, decimals);

