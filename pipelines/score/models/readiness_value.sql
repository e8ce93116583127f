-- score.readiness_value: the readiness engine's values: one row per region × question scored, the mean
-- answer of the region's OPDs in the scored period (in the answer's own scale; the engine normalises it).
SELECT a.region_code AS unit_code, a.question_code AS indicator_code, CAST(a.period AS INTEGER) AS year,
       avg(a.answer_value) AS value, count(a.answer_value) AS answers
FROM curated.questionnaire_answers a
JOIN score.readiness_period p ON a.period = p.period
JOIN score.readiness_indicator q ON q.indicator_code = a.question_code
GROUP BY a.region_code, a.question_code, a.period
ORDER BY unit_code, indicator_code
