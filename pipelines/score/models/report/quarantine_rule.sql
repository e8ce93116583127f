-- report.quarantine_rule: one row per rule × scope across sources, with the rows it quarantined and the sources
-- they came from (curated.quarantine), for the refresh summary.
SELECT rule, scope, count(*) AS quarantined, string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
FROM report.quarantine
GROUP BY rule, scope
