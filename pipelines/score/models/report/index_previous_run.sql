-- report.index_previous_run: one row per index scored by this run: its hashes, when its stage key was first scored,
-- and the hashes and time of the previous scoring run (score.previous_run; empty on the first run), for the
-- refresh summary's "what changed".
WITH scored AS (
    SELECT DISTINCT index_code, methodology_hash, inputs_hash FROM score.index_node
),
before_run AS (
    SELECT DISTINCT h.index_code, h.methodology_hash, h.inputs_hash, p.scored_at
    FROM history.index_node h JOIN score.previous_run p USING (stage_key)
),
first_scored AS (
    SELECT min(r.scored_at) AS first_scored_at FROM history.score_run r JOIN methodology.run m USING (stage_key)
)
SELECT n.index_code, n.methodology_hash, n.inputs_hash, f.first_scored_at,
       b.methodology_hash AS previous_methodology_hash, b.inputs_hash AS previous_inputs_hash,
       b.scored_at AS previous_scored_at
FROM scored n
CROSS JOIN first_scored f
LEFT JOIN before_run b USING (index_code)
