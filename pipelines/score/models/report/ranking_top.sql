-- report.ranking_top: one row per kabupaten/kota: its ranks and its two indices rounded to 2 decimals, the columns
-- of the refresh's top-of-the-ranking artifact.
SELECT readiness_rank, screening_rank, region_code, region_name, province_name,
       round(readiness_index, 2) AS readiness_index, round(screening_index, 2) AS screening_index
FROM report.ranking
