-- report.ranking_count: one row: how many regions the ranking holds, and how many of them are ranked on each index.
SELECT count(*) AS regions, count(screening_rank) AS screened, count(readiness_rank) AS assessed
FROM report.ranking
