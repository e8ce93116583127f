-- score.previous_run: one row (none on the first run) naming the previous scoring run: the run last scored with
-- another stage key than this one. Scoring the same key twice therefore compares with the same run, and a return to
-- earlier inputs compares with the run just before, not with the first time those inputs were scored.
WITH runs AS (
    SELECT stage_key, max(scored_at) AS scored_at FROM history.score_run GROUP BY stage_key
)
SELECT arg_max(stage_key, scored_at) AS stage_key, max(scored_at) AS scored_at
FROM runs
WHERE stage_key <> (SELECT stage_key FROM methodology.run)
HAVING count(*) > 0
