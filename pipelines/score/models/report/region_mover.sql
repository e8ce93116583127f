-- report.region_mover: one row per index × region whose rank changed since the previous scoring run, with the
-- cause (score.region_mover). When the previous run was scored is left out: the same inputs give the same pages.
SELECT * EXCLUDE (scored_before) FROM score.region_mover
