-- report.synthetic_notice: one row when any source delivered synthetic files (report.source_ingest), none otherwise:
-- the sources with synthetic files and the real ones, each a list by name, for the banner on every page and the
-- manifest.
SELECT string_agg(source, ', ' ORDER BY source) FILTER (WHERE provenance <> 'real') AS synthetic_sources,
       string_agg(source, ', ' ORDER BY source) FILTER (WHERE provenance = 'real') AS real_sources
FROM report.source_ingest
HAVING count(*) FILTER (WHERE provenance <> 'real') > 0
