-- score.readiness_period: the one questionnaire period that readiness scores (readiness.period:
-- `latest` = the most recent period with submissions, or a fixed year).
WITH periods AS (
    SELECT max(period) AS latest_period
    FROM curated.questionnaire_submissions
)
SELECT CASE WHEN param('readiness.period') = 'latest' THEN latest_period
            ELSE CAST(param('readiness.period') AS INTEGER) END AS period
FROM periods
