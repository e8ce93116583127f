-- score.readiness_indicator: the readiness engine's indicators: one row per scored question of the question
-- bank, under its element, with its weight, direction and the normalisation of its answer type (numbers
-- use the question's own goalposts). Text questions are not scored.
SELECT q.question_code AS indicator_code, q.element AS parent_code, q.weight, CAST(q.direction AS INTEGER) AS direction,
       q.text_id AS label_id, q.text_en AS label_en, q.aspect, t.normalisation_method,
       coalesce(t.normalisation_low, q.goal_low) AS normalisation_low,
       coalesce(t.normalisation_high, q.goal_high) AS normalisation_high
FROM curated.question_bank q
JOIN methodology.answer_type t USING (answer_type)
ORDER BY q.question_code
