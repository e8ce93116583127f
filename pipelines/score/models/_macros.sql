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

-- One row per row of a curated table: its region and a hash of what the row says. Where the row came from (file,
-- row, column, submission id) is left out, so the same values re-sent in another file hash the same.
CREATE OR REPLACE TEMP MACRO region_row_hash(table_name) AS TABLE
    SELECT region_code, hash(t) AS row_hash
    FROM (SELECT COLUMNS(lambda c: c NOT IN ('source_file', 'source_row', 'source_column', 'submission_id'))
          FROM query_table(table_name)) t;
