-- report.quarantine_by_rule: one row per source × rule × scope with the number of rows it quarantined
-- (curated.quarantine), for the validation page.
SELECT source, rule, scope, count(*) AS rows
FROM report.quarantine
GROUP BY source, rule, scope
