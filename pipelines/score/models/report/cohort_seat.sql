-- report.cohort_seat: one row per way a ranked shortlisted region was selected for the proposed cohort or kept out
-- of it (report.cohort_selection's selection_way), in the order seats are filled, with how many regions went that
-- way: the reading of the rank chart's colours.
WITH ranked AS (
    SELECT selection_way AS way, is_selected,
           CASE selection_way WHEN 'reserved_seat' THEN 1 WHEN 'minimum' THEN 2 WHEN 'open_competition' THEN 3
                              WHEN 'kept_out' THEN 4 WHEN 'below_cutoff' THEN 5 ELSE 6 END AS way_position
    FROM report.cohort_selection
    WHERE selection_way IS NOT NULL
)
SELECT way, way_position, bool_or(is_selected) AS is_selected, count(*) AS regions
FROM ranked
GROUP BY way, way_position
ORDER BY way_position
