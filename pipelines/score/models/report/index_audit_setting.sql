-- report.index_audit_setting: one row per index × audit setting (methodology.parameter `<index>.audit.<setting>`,
-- the methodology's `audit` section with its defaults): the thresholds the flags are raised at.
WITH audit AS (
    SELECT split_part(name, '.', 1) AS index_code, split_part(name, '.', 3) AS setting,
           TRY_CAST(value AS DOUBLE) AS value
    FROM methodology.parameter
    WHERE split_part(name, '.', 2) = 'audit'
)
SELECT index_code, setting, value
FROM audit
