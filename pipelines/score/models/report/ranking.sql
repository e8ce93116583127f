-- report.ranking: one row per kabupaten/kota: score.region_ranking with the programme status the overview filters
-- on (a region is a member from the year it joined).
SELECT *,
       CASE WHEN smart_city_year_joined IS NOT NULL THEN 'member' ELSE 'not a member' END AS programme_status
FROM score.region_ranking
