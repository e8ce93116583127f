-- report.regions_covered: one row per source with curated rows: how many regions they cover, for the overview's
-- data coverage. score.region_input has a row per region and source of every table the contracts list.
SELECT source, count(DISTINCT region_code) AS regions
FROM score.region_input
GROUP BY source
