-- score.question_region: one row per region × question for the scored period; question_score is the
-- mean over the region's OPDs of each answer mapped to 0-100 (scale and yes/no by methodology.answer_scoring,
-- numbers by the question's goalposts, truncated; direction -1 reverses). Text questions are not scored.
WITH answers AS (
    SELECT a.region_code, a.submission_id, q.question_code, q.dimension, q.element, q.aspect, q.weight,
           q.direction,
           CASE WHEN q.answer_type = 'number' THEN scale_0_100(a.answer_value, q.goal_low, q.goal_high)
                ELSE scale_0_100(a.answer_value, s.low, s.high) END AS raw_score
    FROM curated.questionnaire_answers a
    JOIN score.readiness_period p ON a.period = p.period
    JOIN curated.question_bank q USING (question_code)
    LEFT JOIN methodology.answer_scoring s ON s.answer_type = q.answer_type
    WHERE q.answer_type <> 'text'
),
directed AS (
    SELECT *, CASE WHEN direction = -1 THEN 100.0 - raw_score ELSE raw_score END AS answer_score
    FROM answers
)
SELECT region_code, question_code, dimension, element, aspect, weight,
       avg(answer_score) AS question_score,
       count(answer_score) AS answers,
       count(*) AS submissions
FROM directed
GROUP BY region_code, question_code, dimension, element, aspect, weight
ORDER BY region_code, question_code
