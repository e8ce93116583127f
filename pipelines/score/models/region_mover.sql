-- score.region_mover: one row per index x region whose rank changed since the previous scoring run (or that is
-- newly ranked, or no longer ranked), with the inputs that explain it. A scoring run is identified by its stage
-- key (inputs, validation settings, methodology, code); the previous one is score.previous_run.
WITH previous AS (
    SELECT * FROM score.previous_run
),
methodology_now AS (
    SELECT index_code, any_value(methodology_hash) AS methodology_hash FROM score.index_node GROUP BY index_code
),
methodology_before AS (
    SELECT index_code, any_value(methodology_hash) AS methodology_hash
    FROM history.index_node JOIN previous USING (stage_key)
    GROUP BY index_code
),
moves AS (
    SELECT index_code, region_code, b.node_rank AS rank_before, n.node_rank AS rank_now
    FROM (SELECT index_code, unit_code AS region_code, node_rank FROM score.index_node
          WHERE parent_code IS NULL AND node_rank IS NOT NULL) n
    FULL JOIN (SELECT h.index_code, h.unit_code AS region_code, h.node_rank
               FROM history.index_node h JOIN previous USING (stage_key)
               WHERE h.parent_code IS NULL AND h.node_rank IS NOT NULL) b USING (index_code, region_code)
),
-- The curated sources each index's input models read (methodology.index_source): a change in another source
-- cannot move that index's ranks.
index_source AS (
    SELECT index_code, source FROM methodology.index_source
),
input_before AS (
    SELECT i.region_code, i.source, i.content_hash FROM history.region_input i JOIN previous USING (stage_key)
),
changed AS (
    SELECT s.index_code, region_code, source
    FROM score.region_input input_now
    FULL JOIN input_before USING (region_code, source)
    JOIN index_source s USING (source)
    WHERE input_now.content_hash IS DISTINCT FROM input_before.content_hash
),
changed_by_region AS (
    SELECT index_code, region_code, string_agg(source, ', ' ORDER BY source) AS own_sources
    FROM changed GROUP BY ALL
),
changed_anywhere AS (
    SELECT index_code, string_agg(DISTINCT source, ', ' ORDER BY source) AS any_sources
    FROM changed GROUP BY ALL
),
explained AS (
    SELECT m.*, r.own_sources, a.any_sources,
           mb.methodology_hash IS DISTINCT FROM mn.methodology_hash AS is_methodology_changed,
           (SELECT count(*) > 0 FROM input_before) AS has_fingerprints_before
    FROM moves m
    LEFT JOIN methodology_now mn USING (index_code)
    LEFT JOIN methodology_before mb USING (index_code)
    LEFT JOIN changed_by_region r USING (index_code, region_code)
    LEFT JOIN changed_anywhere a USING (index_code)
)
SELECT e.index_code, e.region_code, g.region_name, e.rank_before, e.rank_now,
       CAST(e.rank_before - e.rank_now AS INTEGER) AS places_up, e.is_methodology_changed,
       e.own_sources AS changed_sources,
       CASE WHEN NOT e.has_fingerprints_before THEN 'not known: the previous run kept no input fingerprints'
            ELSE concat_ws('; ',
                CASE WHEN e.own_sources IS NOT NULL THEN 'its own data changed (' || e.own_sources || ')' END,
                CASE WHEN e.is_methodology_changed THEN 'the methodology changed' END,
                CASE WHEN e.own_sources IS NULL AND NOT e.is_methodology_changed THEN
                     CASE WHEN e.any_sources IS NOT NULL
                          THEN 'other regions'' data changed (' || e.any_sources || '); ranks are relative'
                          ELSE 'no input or methodology of this index changed (code or settings did)' END
                END)
       END AS cause,
       p.scored_at AS scored_before
FROM explained e
CROSS JOIN previous p
LEFT JOIN reference.regions g USING (region_code)
WHERE e.rank_before IS DISTINCT FROM e.rank_now
ORDER BY e.index_code, abs(e.rank_before - e.rank_now) DESC NULLS FIRST, e.rank_now NULLS LAST, e.region_code
