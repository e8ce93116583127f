-- score.readiness_period: the one questionnaire period that readiness scores (readiness.year:
-- `latest` = the most recent period with submissions, or a fixed year).
WITH periods AS (
    SELECT max(period) AS latest_period
    FROM curated.questionnaire_submissions
)
SELECT CASE WHEN param('readiness.year') = 'latest' THEN latest_period
            ELSE CAST(param('readiness.year') AS INTEGER) END AS period
FROM periods
