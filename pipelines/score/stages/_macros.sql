-- Formulas the engine's stages share, defined once per connection.
-- An engine setting (methodology scalar) as text: setting('year').
CREATE OR REPLACE TEMP MACRO setting(setting_name) AS (SELECT value FROM eng_setting WHERE name = setting_name);
-- A method parameter of a node as a number: param(n.params, 'normalisation', 'low').
CREATE OR REPLACE TEMP MACRO param(params, stage, parameter) AS
    TRY_CAST(json_extract_string(params, '$.' || stage || '.' || parameter) AS DOUBLE);
-- A method parameter of a node as text.
CREATE OR REPLACE TEMP MACRO param_text(params, stage, parameter) AS
    json_extract_string(params, '$.' || stage || '.' || parameter);
-- A number as text without a trailing `.0`: 3 rather than 3.0 in messages.
CREATE OR REPLACE TEMP MACRO number_text(x) AS regexp_replace(CAST(x AS VARCHAR), '\.0$', '');
