-- report.region_aspect: one row per scored region × aspect (score.region_aspect), for the download.
SELECT * FROM score.region_aspect
