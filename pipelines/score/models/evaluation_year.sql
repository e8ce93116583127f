-- score.evaluation_year: one row per year of score sheets: what arrived, which year's methodology scored it
-- (methodology/evaluation.yaml; a year without its own entry takes the latest earlier one) or why it was not scored.
WITH sheets AS (
    SELECT year, count(*) AS rows_received, count(DISTINCT region_code) AS regions,
           count(DISTINCT evaluator) AS assessors
    FROM curated.evaluations
    GROUP BY year
),
matched AS (
    SELECT s.*, m.year AS methodology_year
    FROM sheets s
    ASOF LEFT JOIN methodology.evaluation_year m ON s.year >= m.year
)
SELECT year, rows_received, regions, assessors, methodology_year,
       CASE WHEN methodology_year IS NULL THEN 0 ELSE rows_received END AS rows_scored,
       CASE WHEN methodology_year IS NULL
                THEN 'not scored: methodology/evaluation.yaml has no year up to ' || year
            WHEN methodology_year = year THEN 'scored with the ' || year || ' methodology'
            ELSE 'scored with the ' || methodology_year || ' methodology (no entry for ' || year || ')'
       END AS status,
       run.methodology_hash, run.inputs_hash
FROM matched
CROSS JOIN methodology.run run
ORDER BY year
