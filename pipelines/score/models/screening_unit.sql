-- score.screening_unit: the screening engine's units: one row per kabupaten/kota with the attributes the
-- methodology may filter, group or re-weight on.
SELECT region_code AS unit_code, region_name AS unit_name, region_type, province_code, province_name, island_group,
       is_autonomous
FROM reference.regions
ORDER BY region_code
