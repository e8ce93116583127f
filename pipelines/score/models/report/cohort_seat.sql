-- report.cohort_seat: one row per way a shortlisted region was selected for the proposed cohort or kept out of it
-- (report.cohort_selection's how_selected, whose phrases pipelines/score/cohort.py and selection.py write), in the
-- order seats are filled, with how many regions went that way: the reading of the rank chart's colours.
WITH ranked AS (
    SELECT is_selected,
           CASE WHEN how_selected LIKE 'reserved seat%' THEN 1
                WHEN how_selected LIKE 'minimum%' THEN 2
                WHEN how_selected = 'open competition' THEN 3
                WHEN how_selected LIKE 'kept out%' THEN 4
                ELSE 5 END AS way_position,
           CASE WHEN how_selected LIKE 'reserved seat%' THEN 'reserved_seat'
                WHEN how_selected LIKE 'minimum%' THEN 'minimum'
                WHEN how_selected = 'open competition' THEN 'open_competition'
                WHEN how_selected LIKE 'kept out%' THEN 'kept_out'
                ELSE 'below_cutoff' END AS way
    FROM report.cohort_selection
    WHERE selection_rank IS NOT NULL
)
SELECT way, way_position, bool_or(is_selected) AS is_selected, count(*) AS regions
FROM ranked
GROUP BY way, way_position
ORDER BY way_position
