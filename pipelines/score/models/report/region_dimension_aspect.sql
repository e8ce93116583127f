-- report.region_dimension_aspect: one row per scored region × dimension × aspect (score.region_dimension_aspect):
-- the region page's heatmap.
SELECT * FROM score.region_dimension_aspect
