-- score.readiness_indicator: the readiness engine's indicators: one row per scored question of the question
-- bank, under its element, with its weight, direction and the normalisation of its answer type. Numbers use the
-- question's own goalposts; a number question without them is min-max normalised by the engine (0-100 over the
-- values of the regions scored, so relative to this run; 50 for all when they all give the same value).
-- Text questions are not scored.
WITH declared AS (
    SELECT q.*, t.normalisation_method,
           coalesce(t.normalisation_low, q.goal_low) AS goal_from,
           coalesce(t.normalisation_high, q.goal_high) AS goal_to
    FROM curated.question_bank q
    JOIN methodology.answer_type t USING (answer_type)
),
resolved AS (
    -- Goalposts are optional in the bank (validation lets both or neither through). Without them the engine's own
    -- min-max takes over, with its default range 0-100: its low and high stay empty, as they mean the output range.
    SELECT *, normalisation_method = 'goalposts' AND (goal_from IS NULL OR goal_to IS NULL) AS lacks_goalposts
    FROM declared
)
SELECT question_code AS indicator_code, element AS parent_code, weight, CAST(direction AS INTEGER) AS direction,
       text_id AS label_id, text_en AS label_en, aspect,
       CASE WHEN lacks_goalposts THEN 'minmax' ELSE normalisation_method END AS normalisation_method,
       CASE WHEN NOT lacks_goalposts THEN goal_from END AS normalisation_low,
       CASE WHEN NOT lacks_goalposts THEN goal_to END AS normalisation_high
FROM resolved
ORDER BY question_code
