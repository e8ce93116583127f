-- report.region_dimension: one row per scored region × dimension (score.region_dimension), for the region pages and
-- the download.
SELECT * FROM score.region_dimension
