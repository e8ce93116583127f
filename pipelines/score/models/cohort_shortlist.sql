-- score.cohort_shortlist: one row per kabupaten/kota: whether it may join the next cohort (methodology/cohort.yaml),
-- its rank on the screening index among eligible regions, whether it is invited to the readiness assessment,
-- and why (or why not), with the gap to the shortlist's cut-off.
WITH members AS (
    SELECT region_code, min(year_joined) AS year_joined
    FROM curated.cohorts
    WHERE programme = param('cohort.programme')
    GROUP BY region_code
),
eligibility AS (
    SELECT k.region_code, k.region_name, k.region_type, k.province_code, k.province_name, k.island_group,
           k.screening_index, m.year_joined,
           CASE WHEN param('cohort.autonomous_only') = 'true' AND NOT k.is_autonomous THEN 'not an autonomous region'
                WHEN m.region_code IS NOT NULL AND param('cohort.allow_repeats') = 'false'
                    THEN 'in the programme since ' || m.year_joined
                WHEN k.screening_index IS NULL THEN 'no screening index (' || k.screening_status || ')'
           END AS ineligible_reason
    FROM score.region_ranking k
    LEFT JOIN members m USING (region_code)
),
ranked AS (
    SELECT region_code, rank() OVER (ORDER BY screening_index DESC) AS eligible_rank
    FROM eligibility
    WHERE ineligible_reason IS NULL
),
shortlisted AS (
    SELECT e.*, r.eligible_rank,
           coalesce(CASE WHEN param('cohort.shortlist_size') <> ''
                         THEN r.eligible_rank <= CAST(param('cohort.shortlist_size') AS INTEGER)
                         ELSE e.screening_index >= CAST(param('cohort.shortlist_min_screening_index') AS DOUBLE)
                    END, false) AS is_shortlisted
    FROM eligibility e
    LEFT JOIN ranked r USING (region_code)
),
cutoff AS (
    SELECT min(screening_index) FILTER (WHERE is_shortlisted) AS cutoff_screening_index,
           count(*) FILTER (WHERE ineligible_reason IS NULL) AS eligible
    FROM shortlisted
)
SELECT s.region_code, s.region_name, s.region_type, s.province_code, s.province_name, s.island_group,
       s.ineligible_reason IS NULL AS is_eligible, s.screening_index, s.eligible_rank, s.is_shortlisted,
       c.cutoff_screening_index,
       CASE WHEN s.ineligible_reason IS NULL AND NOT s.is_shortlisted
            THEN c.cutoff_screening_index - s.screening_index END AS gap_to_shortlist,
       CASE WHEN s.ineligible_reason IS NOT NULL THEN 'not eligible: ' || s.ineligible_reason
            WHEN s.is_shortlisted THEN 'invited: rank ' || s.eligible_rank || ' of ' || c.eligible || ' eligible'
            ELSE 'not invited: rank ' || s.eligible_rank || ' of ' || c.eligible || ', '
                 || printf('%.2f', c.cutoff_screening_index - s.screening_index) || ' points below the cut-off'
       END AS shortlist_reason,
       run.methodology_hash, run.inputs_hash
FROM shortlisted s
CROSS JOIN cutoff c
CROSS JOIN methodology.run run
ORDER BY s.region_code
