-- report.region_profile: one row per assessed region × profile item (score.region_profile): the region page's
-- strengths and weaknesses.
SELECT * FROM score.region_profile
