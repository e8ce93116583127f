-- score.evaluation_assessor: one row per assessor × year: how far the assessor's scores sit from the cells'
-- consensus on average (positive: lenient, negative: severe), with its standard error, and a verdict only when
-- the assessor scored enough cells to act on (severity.min_cells).
WITH deviation AS (
    SELECT e.year, e.evaluator, e.region_code, e.score_0_4 - c.consensus_score AS deviation,
           m.severity_min_cells, m.severity_flag_deviation
    FROM curated.evaluations e
    JOIN score.evaluation_cell c USING (region_code, year, component, dimension)
    JOIN methodology.evaluation_year m ON m.year = c.methodology_year
    WHERE c.assessors >= 2
),
summary AS (
    SELECT year, evaluator, count(*) AS cells, count(DISTINCT region_code) AS regions,
           avg(deviation) AS mean_deviation, avg(abs(deviation)) AS mean_absolute_deviation,
           stddev_samp(deviation) / sqrt(count(*)) AS standard_error,
           any_value(severity_min_cells) AS min_cells, any_value(severity_flag_deviation) AS flag_deviation
    FROM deviation
    GROUP BY year, evaluator
)
SELECT year, evaluator, cells, regions, mean_deviation, mean_absolute_deviation, standard_error,
       cells >= min_cells AS enough_data,
       CASE WHEN cells < min_cells THEN 'too few cells to judge (' || cells || ' of ' || min_cells || ')'
            WHEN mean_deviation >= flag_deviation THEN 'lenient'
            WHEN mean_deviation <= -flag_deviation THEN 'severe'
            ELSE 'in line'
       END AS leaning,
       run.methodology_hash, run.inputs_hash
FROM summary
CROSS JOIN methodology.run run
ORDER BY year, mean_deviation DESC, evaluator
