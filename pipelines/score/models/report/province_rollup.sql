-- report.province_rollup: one row per province × evaluation year (score.province_rollup): the Smart Province view.
SELECT * FROM score.province_rollup
