-- report.cohort_selection: one row per shortlisted region (score.cohort_selection): the proposed cohort with its
-- Monte Carlo ranks, and the way each ranked region was selected or kept out, named once here from the phrases of
-- how_selected (pipelines/score/cohort.py and selection.py write them); the rank chart and report.cohort_seat read it.
SELECT *,
       CASE WHEN selection_rank IS NULL THEN NULL
            WHEN how_selected LIKE 'reserved seat%' THEN 'reserved_seat'
            WHEN how_selected LIKE 'minimum%' THEN 'minimum'
            WHEN how_selected = 'open competition' THEN 'open_competition'
            WHEN how_selected LIKE 'kept out%' THEN 'kept_out'
            WHEN how_selected = 'below the cut-off' THEN 'below_cutoff'
            ELSE 'other' END AS selection_way
FROM score.cohort_selection
