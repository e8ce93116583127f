-- score.evaluation_cell: the consensus of the assessors per region × year × component × dimension
-- (dimension 'overall' when a component was scored as a whole), by the year's consensus rule, with the
-- scores side by side and whether the cell goes to moderation.
WITH sheet AS (
    SELECT e.region_code, e.year, e.component, e.dimension, e.evaluator, e.score_0_4,
           m.year AS methodology_year, m.consensus_rule, m.trim_pct, m.max_spread
    FROM curated.evaluations e
    ASOF JOIN methodology.evaluation_year m ON e.year >= m.year
),
ordered AS (
    SELECT *,
           row_number() OVER (cell ORDER BY score_0_4, evaluator) AS position,
           count(*) OVER cell AS scores,
           -- A trimmed mean cuts floor(n × trim_pct / 100) scores at each end (as scipy.stats.trim_mean).
           floor(count(*) OVER cell * trim_pct / 100) AS cut
    FROM sheet
    WINDOW cell AS (PARTITION BY region_code, year, component, dimension)
),
cell AS (
    SELECT region_code, year, component, dimension, methodology_year, consensus_rule, max_spread,
           count(*) AS assessors,
           min(score_0_4) AS score_min, max(score_0_4) AS score_max, avg(score_0_4) AS score_mean,
           median(score_0_4) AS score_median,
           avg(score_0_4) FILTER (WHERE position > cut AND position <= scores - cut) AS score_trimmed_mean,
           string_agg(evaluator || ': ' || CAST(round(score_0_4, 2) AS VARCHAR), ' | ' ORDER BY evaluator)
               AS scores_side_by_side
    FROM ordered
    GROUP BY ALL
)
SELECT c.region_code, r.region_name, r.province_code, c.year, c.component, c.dimension, c.methodology_year,
       c.assessors, c.score_min, c.score_max, round(c.score_max - c.score_min, 6) AS spread,
       c.score_mean, c.score_median, c.score_trimmed_mean, c.consensus_rule,
       CASE c.consensus_rule WHEN 'mean' THEN c.score_mean
                             WHEN 'median' THEN c.score_median
                             WHEN 'trimmed_mean' THEN c.score_trimmed_mean END AS consensus_score,
       -- Rounded first: 2.2 - 0.7 is 1.5000000000000002 in binary floating point, and 1.5 is not "more than" 1.5.
       round(c.score_max - c.score_min, 6) > c.max_spread AS needs_moderation, c.max_spread,
       c.scores_side_by_side,
       run.methodology_hash, run.inputs_hash
FROM cell c
JOIN reference.regions r USING (region_code)
CROSS JOIN methodology.run run
ORDER BY c.region_code, c.year, c.component, c.dimension
