-- Formulas the engine's stages share, defined once per connection.
-- An engine setting (methodology scalar) as text: setting('year').
CREATE OR REPLACE TEMP MACRO setting(setting_name) AS (SELECT value FROM eng_setting WHERE name = setting_name);
-- A number as text without a trailing `.0`: 3 rather than 3.0 in messages.
CREATE OR REPLACE TEMP MACRO number_text(x) AS regexp_replace(CAST(x AS VARCHAR), '\.0$', '');
