-- score.region_input: one row per region x source with curated rows for it: a fingerprint of what the region's
-- rows say, so that a change of rank can be traced to the inputs that changed (score.region_mover).
-- The fingerprint is a sum of row hashes (curated.region_row, one per row of every source's tables, as their
-- contracts list them): independent of row order, and duplicates count.
WITH row_hashes AS (
    SELECT source, region_code, row_hash FROM curated.region_row
)
SELECT region_code, source, count(*) AS rows, CAST(sum(row_hash) AS VARCHAR) AS content_hash
FROM row_hashes
GROUP BY region_code, source
ORDER BY region_code, source
