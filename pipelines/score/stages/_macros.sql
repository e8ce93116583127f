-- Formulas the engine's stages share, defined once per connection.
-- An engine setting (methodology scalar) as text: setting('year').
CREATE OR REPLACE TEMP MACRO setting(setting_name) AS (SELECT value FROM eng_setting WHERE name = setting_name);
-- A number as text without a trailing `.0`: 3 rather than 3.0 in messages.
CREATE OR REPLACE TEMP MACRO number_text(x) AS regexp_replace(CAST(x AS VARCHAR), '\.0$', '');
-- x rounded to `digits` significant digits (0 stays 0): ranks compare scores at this precision whatever their scale.
CREATE OR REPLACE TEMP MACRO round_significant(x, digits) AS
    CASE WHEN x = 0 THEN x ELSE round(x, digits - 1 - CAST(floor(log10(abs(x))) AS INTEGER)) END;
-- A score as ranks compare it: rounded as published (ranking.decimals), to significant digits, or as it is.
CREATE OR REPLACE TEMP MACRO rank_score(x) AS
    CASE WHEN setting('ranking.decimals') <> '' THEN round(x, CAST(setting('ranking.decimals') AS INTEGER))
         WHEN setting('ranking.significant_digits') <> ''
         THEN round_significant(x, CAST(setting('ranking.significant_digits') AS INTEGER))
         ELSE x END;
