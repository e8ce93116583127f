"""Each source labelled real (with its publishers) or synthetic: the coverage column and the banner that names the
synthetic sources, from the report views, in both languages."""

import duckdb
import pandas as pd

from pipelines.report.i18n import provenance_label, synthetic_notice
from pipelines.report.site import QUERIES, _environment
from pipelines.score.report_views import create_report_views

BPS = "BPS (Badan Pusat Statistik)"
DEMO = "readiness demo generator (synthetic data, not real statistics)"
HASHES = {"methodology_hash": "9f2c41d0", "inputs_hash": "b7e0aa13"}


def _views(files: list[tuple[str, str, str | None, bool]]) -> duckdb.DuckDBPyConnection:
    """Return a warehouse with the report views over raw files given as (source, file, publisher, is synthetic)."""
    raw_files = pd.DataFrame(files, columns=["source", "source_file", "publisher", "is_synthetic"])
    ingest_log = raw_files[["source", "source_file"]].assign(rows_read=10, rows_curated=10, rows_quarantined=0,
                                                             rows_superseded=0, was_parsed=True)
    region_input = raw_files[["source"]].drop_duplicates().assign(region_code="35.13")
    con = duckdb.connect()
    for schema, table, frame in (("curated", "raw_files", raw_files), ("curated", "ingest_log", ingest_log),
                                 ("score", "region_input", region_input)):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM frame")
    create_report_views(con)
    return con


def _rows(con, query: str) -> list[dict]:
    """Return a report query's rows as the pages get them (NULL as None)."""
    result = con.sql(QUERIES[query])
    return [dict(zip(result.columns, row)) for row in result.fetchall()]


def _coverage(con) -> dict[str, dict]:
    return {r["source"]: r for r in _rows(con, "source_ingest")}


MIXED = [("indicators", "indicators/ipm_2024.csv", BPS, False), ("indicators", "indicators/p0_2024.csv", BPS, False),
         ("indicators", "indicators/kepadatan_2024.csv", DEMO, True),
         ("fiscal_capacity", "fiscal_capacity/a.csv", DEMO, True), ("fiscal_capacity", "fiscal_capacity/b.csv", DEMO, True),
         ("cohorts", "cohorts/known.csv", "public news pages", False), ("cohorts", "cohorts/more.csv", BPS, False),
         ("sustainability", "sustainability/ikb.csv", None, False)]


def test_each_source_counts_its_real_and_synthetic_files_and_names_the_publishers_of_the_real_ones():
    coverage = _coverage(_views(MIXED))
    picked = {s: (r["files"], r["real_files"], r["synthetic_files"], r["real_publishers"], r["provenance"])
              for s, r in coverage.items()}
    assert picked == {"cohorts": (2, 2, 0, f"{BPS} · public news pages", "real"),
                      "fiscal_capacity": (2, 0, 2, None, "synthetic"),
                      "indicators": (3, 2, 1, BPS, "mixed"),
                      "sustainability": (1, 1, 0, None, "real")}


def test_the_coverage_column_says_real_with_the_publisher_or_synthetic_in_both_languages():
    coverage = _coverage(_views(MIXED))
    assert provenance_label(coverage["cohorts"]) == (
        f'<span class="l-id">nyata — {BPS} · public news pages</span>'
        f'<span class="l-en">real — {BPS} · public news pages</span>')
    assert provenance_label(coverage["fiscal_capacity"]) == (
        '<span class="l-id">sintetis</span><span class="l-en">synthetic</span>')
    assert provenance_label(coverage["indicators"]) == (
        f'<span class="l-id">2 dari 3 berkas nyata — {BPS}; sisanya sintetis</span>'
        f'<span class="l-en">2 of 3 files real — {BPS}; the others synthetic</span>')
    # A real file whose folder has no _source.yaml (or one without a publisher) says so.
    assert provenance_label(coverage["sustainability"]) == (
        '<span class="l-id">nyata — penerbit tidak disebut</span><span class="l-en">real — publisher not stated</span>')


def test_a_publisher_from_a_sidecar_is_escaped():
    coverage = _coverage(_views([("indicators", "indicators/x.csv", "<script>BPS</script>", False)]))
    assert "<script>" not in provenance_label(coverage["indicators"])
    assert "&lt;script&gt;BPS&lt;/script&gt;" in provenance_label(coverage["indicators"])


def test_the_notice_names_the_sources_with_synthetic_files_and_the_real_ones():
    notice = _rows(_views(MIXED), "synthetic_notice")
    assert notice == [{"synthetic_sources": "fiscal_capacity, indicators", "real_sources": "cohorts, sustainability"}]
    assert synthetic_notice(notice[0]) == (
        '<span class="l-id">DATA SINTETIS pada sumber fiscal_capacity, indicators: data buatan, bukan data resmi.</span>'
        '<span class="l-en">SYNTHETIC DATA in fiscal_capacity, indicators: generated data, not official statistics.'
        '</span> <span class="l-id">Sumber lainnya berisi data nyata: cohorts, sustainability.</span>'
        '<span class="l-en">The other sources are real: cohorts, sustainability.</span>')


def test_with_every_source_synthetic_the_notice_says_none_is_real():
    con = _views([("fiscal_capacity", "fiscal_capacity/a.csv", DEMO, True)])
    notice = _rows(con, "synthetic_notice")
    assert notice == [{"synthetic_sources": "fiscal_capacity", "real_sources": None}]
    assert synthetic_notice(notice[0]).endswith(
        '<span class="l-id">Tidak ada sumber dengan data nyata.</span><span class="l-en">No source holds real data.</span>')


def test_the_banner_is_on_a_page_only_when_a_source_is_synthetic():
    assert _rows(_views([("cohorts", "cohorts/known.csv", BPS, False)]), "synthetic_notice") == []
    base = _environment().get_template("_base.html.j2")
    common = {"root": "", "hashes": HASHES, "version": "0", "missing_parts": {}}
    assert 'id="synthetic-banner"' not in base.render(notice=None, **common)
    page = base.render(notice={"synthetic_sources": "fiscal_capacity", "real_sources": "cohorts"}, **common)
    banner = page.split('id="synthetic-banner">', 1)[1].split("</div>", 1)[0]
    assert "SYNTHETIC DATA in fiscal_capacity" in banner and "The other sources are real: cohorts." in banner
