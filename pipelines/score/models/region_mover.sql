-- score.region_mover: one row per index x region whose rank changed since the previous run (or that is newly
-- ranked, or no longer ranked), with the inputs that explain it. The previous run of an index is the latest other
-- (methodology, inputs) pair in history.index_node, so running twice on the same inputs compares with the same run.
WITH current_run AS (
    SELECT DISTINCT index_code, methodology_hash, inputs_hash FROM score.index_node
),
runs AS (
    SELECT index_code, methodology_hash, inputs_hash, min(scored_at) AS scored_at
    FROM history.index_node
    GROUP BY ALL
),
previous AS (
    SELECT r.index_code, arg_max(r.methodology_hash, r.scored_at) AS methodology_before,
           arg_max(r.inputs_hash, r.scored_at) AS inputs_before, max(r.scored_at) AS scored_before
    FROM runs r JOIN current_run c USING (index_code)
    WHERE r.methodology_hash <> c.methodology_hash OR r.inputs_hash <> c.inputs_hash
    GROUP BY r.index_code
),
moves AS (
    SELECT index_code, region_code, b.node_rank AS rank_before, n.node_rank AS rank_now
    FROM (SELECT index_code, unit_code AS region_code, node_rank FROM score.index_node
          WHERE parent_code IS NULL AND node_rank IS NOT NULL) n
    FULL JOIN (SELECT h.index_code, h.unit_code AS region_code, h.node_rank
               FROM history.index_node h
               JOIN previous p ON h.index_code = p.index_code AND h.methodology_hash = p.methodology_before
                              AND h.inputs_hash = p.inputs_before
               WHERE h.parent_code IS NULL AND h.node_rank IS NOT NULL) b USING (index_code, region_code)
    WHERE index_code IN (SELECT index_code FROM previous)
),
-- The sources whose rows for a region differ between the two runs' inputs.
input_now AS (
    SELECT c.index_code, i.region_code, i.source, i.content_hash
    FROM current_run c JOIN history.region_input i ON i.inputs_hash = c.inputs_hash
),
input_before AS (
    SELECT p.index_code, i.region_code, i.source, i.content_hash
    FROM previous p JOIN history.region_input i ON i.inputs_hash = p.inputs_before
),
changed AS (
    SELECT index_code, region_code, source
    FROM input_now FULL JOIN input_before USING (index_code, region_code, source)
    WHERE input_now.content_hash IS DISTINCT FROM input_before.content_hash
),
changed_by_region AS (
    SELECT index_code, region_code, string_agg(source, ', ' ORDER BY source) AS own_sources
    FROM changed GROUP BY ALL
),
changed_anywhere AS (
    SELECT index_code, string_agg(DISTINCT source, ', ' ORDER BY source) AS any_sources
    FROM changed GROUP BY ALL
)
SELECT m.index_code, m.region_code, g.region_name, m.rank_before, m.rank_now,
       CAST(m.rank_before - m.rank_now AS INTEGER) AS places_up,
       c.methodology_hash <> p.methodology_before AS is_methodology_changed,
       r.own_sources AS changed_sources,
       concat_ws('; ',
           CASE WHEN r.own_sources IS NOT NULL THEN 'its own data changed (' || r.own_sources || ')' END,
           CASE WHEN c.methodology_hash <> p.methodology_before THEN 'the methodology changed' END,
           CASE WHEN r.own_sources IS NULL AND c.methodology_hash = p.methodology_before
                THEN 'other regions'' data changed (' || coalesce(a.any_sources, 'none') || '); ranks are relative' END
       ) AS cause,
       p.scored_before
FROM moves m
JOIN previous p USING (index_code)
JOIN current_run c USING (index_code)
LEFT JOIN changed_by_region r USING (index_code, region_code)
LEFT JOIN changed_anywhere a USING (index_code)
LEFT JOIN reference.regions g USING (region_code)
WHERE m.rank_before IS DISTINCT FROM m.rank_now
ORDER BY m.index_code, abs(m.rank_before - m.rank_now) DESC NULLS FIRST, m.rank_now NULLS LAST, m.region_code
