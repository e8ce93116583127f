-- Formulas defined once and used by the models around the engine.
-- A methodology setting, as text: param('readiness.year').
CREATE OR REPLACE TEMP MACRO param(setting) AS (SELECT value FROM methodology.parameter WHERE name = setting);
-- Weighted arithmetic mean over the values present: a missing value drops out with its weight (re-weighting).
CREATE OR REPLACE TEMP MACRO weighted_mean(v, w) AS sum(v * w) / nullif(sum(CASE WHEN v IS NOT NULL THEN w END), 0);
-- Percentage of the weight whose value is present.
CREATE OR REPLACE TEMP MACRO weight_coverage_pct(v, w) AS 100.0 * coalesce(sum(CASE WHEN v IS NOT NULL THEN w END), 0) / nullif(sum(w), 0);
-- x in units of the last published digit, snapped to a millionth of that digit: a weighted sum of 0.1/0.2/0.3 shares
-- that should be 1.925 comes out of binary floating point as 1.92499999…, and must round as the exact decimal does.
-- A tie (k + 0.5) is then exact in binary, so the rule alone decides it.
CREATE OR REPLACE TEMP MACRO published_digits(x, decimals) AS round(x * pow(10, decimals) * 1e6) / 1e6;
-- Round to `decimals` by the year's rule (methodology/evaluation.yaml `rounding`): half_up takes ties away from zero
-- (1.925 → 1.93, -1.925 → -1.93), half_even to the even digit (1.925 → 1.92, 1.935 → 1.94), down truncates toward zero
-- (1.929 → 1.92, -1.929 → -1.92). DuckDB's own round() takes ties away from zero but sees 1.92499999… first.
CREATE OR REPLACE TEMP MACRO round_published(x, decimals, rule) AS (
    CASE rule
        WHEN 'half_up' THEN sign(published_digits(x, decimals)) * floor(abs(published_digits(x, decimals)) + 0.5)
        WHEN 'half_even' THEN round_even(published_digits(x, decimals), 0)
        WHEN 'down' THEN trunc(published_digits(x, decimals))
        ELSE error('unknown rounding rule ' || rule)
    END) / pow(10, decimals);

