"""The report schema: one view per models/report/*.sql, built in dependency order, a view over a missing part left
out with the reason; the report selects only from it; the Data Docs are published as an offline copy."""

import re
from urllib.parse import quote

import duckdb
import pandas as pd

from pipelines.report.site import QUERIES
from pipelines.report.validation_docs import write_validation_docs
from pipelines.score.report_views import REPORT_MODELS_DIR, create_report_views, read_tables, report_models


def _warehouse(**tables: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """Return an in-memory warehouse holding the given tables, named schema__table."""
    con = duckdb.connect()
    for name, frame in tables.items():
        schema, table = name.split("__")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM incoming")
        con.unregister("incoming")
    return con


def _models(folder, **sql: str):
    """Return `folder` after writing each model's SQL into <name>.sql."""
    for name, text in sql.items():
        (folder / f"{name}.sql").write_text(text, encoding="utf-8")
    return folder


def test_a_view_is_created_after_the_report_views_it_reads(tmp_path):
    # Alphabetically the top view comes first; it reads the other one, so it is created second.
    folder = _models(tmp_path, a_top="-- report.a_top: reads z_base\nSELECT n + 1 AS n FROM report.z_base",
                     z_base="SELECT n FROM score.numbers")
    con = _warehouse(score__numbers=pd.DataFrame({"n": [1, 2]}))
    assert list(report_models(folder)) == ["z_base", "a_top"]
    assert create_report_views(con, folder) == {}
    assert con.execute("SELECT list(n ORDER BY n) FROM report.a_top").fetchall()[0][0] == [2, 3]


def test_a_view_over_a_missing_table_and_the_views_reading_it_are_left_out_with_the_reason(tmp_path):
    folder = _models(tmp_path, present="SELECT * FROM score.numbers", cohort="SELECT * FROM score.cohort_run",
                     cohort_size="SELECT size FROM report.cohort", orphan="SELECT * FROM report.no_such_model")
    con = _warehouse(score__numbers=pd.DataFrame({"n": [1]}))
    assert create_report_views(con, folder) == {
        "cohort": "it reads score.cohort_run, which the warehouse does not hold",
        "cohort_size": "it reads report.cohort, which the warehouse does not hold",
        "orphan": "it reads report.no_such_model, which the warehouse does not hold"}
    views = con.execute("SELECT list(view_name ORDER BY view_name) FROM duckdb_views() WHERE schema_name = 'report'")
    assert views.fetchall()[0][0] == ["present"]


def test_views_are_recreated_from_scratch_so_a_part_missing_now_leaves_no_stale_view(tmp_path):
    folder = _models(tmp_path, cohort="SELECT * FROM score.cohort_run")
    con = _warehouse(score__cohort_run=pd.DataFrame({"size": [50]}))
    assert create_report_views(con, folder) == {}
    con.execute("DROP TABLE score.cohort_run")
    assert set(create_report_views(con, folder)) == {"cohort"}
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE schema_name = 'report'").fetchall()[0][0] == 0


def test_tables_read_are_the_schema_qualified_names_outside_comments_and_strings():
    sql = ("-- score.not_read: a comment\nSELECT w.label_id, 'score.nor_this' AS s /* history.nor_that */, "
           "x.score.y FROM score.index_weight w JOIN report.ranking r USING (x)")
    assert read_tables(sql) == {"score.index_weight", "report.ranking"}


def test_every_report_model_is_one_statement_that_names_its_view_in_its_header_and_reads_the_warehouse():
    paths = sorted(REPORT_MODELS_DIR.glob("*.sql"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"-- report.{path.stem}: "), path.name
        assert read_tables(text) and ";" not in re.sub(r"--[^\n]*", "", text), path.name


def test_the_report_only_selects_from_report_views_of_its_own_names():
    shape = re.compile(r"SELECT \* (EXCLUDE \(\w+\) )?FROM report\.(\w+)(\s+WHERE [^;]+?)?(\s+ORDER BY [^;]+)?")
    for name, sql in QUERIES.items():
        match = shape.fullmatch(sql.strip())
        assert match and match.group(2) == name, name
        assert (REPORT_MODELS_DIR / f"{name}.sql").is_file(), name


def test_contributions_carry_the_node_label_or_else_the_node_code():
    con = _warehouse(
        score__index_contribution=pd.DataFrame({
            "index_code": ["screening"] * 3, "unit_code": ["35.13"] * 3,
            "node_code": ["screening", "screening", "fiscal"], "child_code": ["fiscal", "unlabelled", "budget"],
            "contribution": [30.0, 12.5, 99.0]}),
        score__index_weight=pd.DataFrame({"index_code": ["screening"], "node_code": ["fiscal"],
                                          "label_id": ["Fiskal"], "label_en": ["Fiscal"]}))
    skipped = create_report_views(con)
    assert "region_contribution" not in skipped
    rows = con.execute(QUERIES["region_contribution"]).df()
    # Only the children of the index's top node: the index's own breakdown.
    assert rows[["child_code", "label_id", "label_en", "contribution"]].values.tolist() == [
        ["fiscal", "Fiskal", "Fiscal", 30.0], ["unlabelled", "unlabelled", "unlabelled", 12.5]]
    assert rows["region_code"].tolist() == ["35.13", "35.13"]


def test_agreement_lists_components_in_the_methodology_order_with_all_last_and_no_sort_column():
    components = ["output", "baseline", "all"]
    con = _warehouse(
        score__evaluation_agreement=pd.DataFrame({"year": [2024] * 3, "component": components,
                                                  "alpha_ordinal": [0.7, 0.8, 0.75]}),
        methodology__evaluation_component=pd.DataFrame({"component": ["baseline", "output"], "position": [1, 2]}))
    create_report_views(con)
    rows = con.execute(QUERIES["evaluation_agreement"]).df()
    assert rows["component"].tolist() == ["baseline", "output", "all"]
    assert list(rows.columns) == ["year", "component", "alpha_ordinal"]


def test_ingest_totals_are_zero_when_no_file_was_read():
    log = pd.DataFrame({"source_file": pd.Series(dtype=str), "source": pd.Series(dtype=str),
                        **{c: pd.Series(dtype="int64") for c in ("rows_read", "rows_curated", "rows_quarantined",
                                                                 "rows_superseded", "cells_quarantined")},
                        "file_error": pd.Series(dtype=str), "was_parsed": pd.Series(dtype=bool)})
    con = _warehouse(curated__ingest_log=log)
    create_report_views(con)
    totals = con.execute("SELECT * FROM report.ingest_total").df().iloc[0].to_dict()
    assert totals == {"files": 0, "rows_read": 0, "rows_curated": 0, "rows_quarantined": 0, "rows_superseded": 0,
                      "cells_quarantined": 0, "unreadable_files": 0}
    assert "was_parsed" not in con.execute("SELECT * FROM report.ingest_log").df().columns


def test_the_evaluation_headline_is_absent_without_the_evaluation_and_names_the_latest_year_with_it():
    assert "evaluation_headline" in create_report_views(_warehouse(score__numbers=pd.DataFrame({"n": [1]})))
    con = _warehouse(
        score__evaluation_year=pd.DataFrame({"year": [2023, 2024], "status": ["scored", "scored"]}),
        score__evaluation_region=pd.DataFrame({"year": [2024] * 3, "region_code": ["35.13", "35.74", "35.10"],
                                               "region_name": ["A", "B", "C"], "evaluation_index": [3.1, 3.1, None],
                                               "national_rank": [1, 1, None],
                                               "too_few_assessors": [False, False, True]}),
        score__evaluation_agreement=pd.DataFrame({"year": [2024, 2024], "component": ["output", "all"],
                                                  "verdict_alpha": [0.9, 0.6], "verdict_level": ["interval"] * 2,
                                                  "verdict": ["reliable", "unreliable"]}),
        score__evaluation_moderation=pd.DataFrame({"year": [2023, 2024, 2024]}),
        score__evaluation_assessor=pd.DataFrame({"year": [2024] * 3, "evaluator": ["Asesor 02", "Asesor 01", "X"],
                                                 "leaning": ["severe", "lenient", "neutral"]}))
    assert "evaluation_headline" not in create_report_views(con)
    headline = con.execute("SELECT * FROM report.evaluation_headline").df().iloc[0].to_dict()
    # The latest year only; the best listed by region code; agreement over all components, at the verdict's level.
    assert headline == {"year": 2024, "status": "scored", "ranked": 2, "too_few": 1, "best": "A (3.1), B (3.1)",
                        "alpha": 0.6, "alpha_level": "interval", "verdict": "unreliable", "to_moderate": 2,
                        "leaning": "Asesor 01 lenient, Asesor 02 severe"}


def test_data_docs_are_copied_with_their_cdn_assets_vendored_nothing_loaded_from_the_internet_and_indexed(tmp_path):
    gx_site = tmp_path / "gx"
    run = gx_site / "validations" / "cohorts" / "__none__" / "20260101T000000.000000Z"
    per_file = gx_site / "validations" / "cohorts per file" / "a.csv, year 2024" / "20260101T000001.000000Z"
    for folder in (run, per_file, gx_site / "expectations", gx_site / "static" / "styles"):
        folder.mkdir(parents=True)
    page = ('<html><head><link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min'
            '.css"/><link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css">'
            '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script><script src="https://cdnjs.cloudflare.'
            'com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" integrity="sha384-x" crossorigin="anonymous"></script>'
            '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script><script>$(function () {});</script>'
            '<link rel="shortcut icon" href="../../../static/images/favicon.ico" type="image/x-icon"/></head><body>'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1" alt="GX">'
            '<img src="https://t.example/pixel.png"><table><tr><td>ok</td></tr></table><footer>\n  <p>Stay current on '
            'everything GX with our newsletter <a href="https://greatexpectations.io/newsletter">Subscribe</a></p>\n'
            '</footer><a href="https://example.org/x">a link</a></body></html>')
    for folder in (run, per_file):
        (folder / "result.html").write_text(page, encoding="utf-8")
    (gx_site / "expectations" / "cohorts.html").write_text(page, encoding="utf-8")
    (gx_site / "static" / "styles" / "style.css").write_text("a{background:url('https://cdn.example/bg.png')}",
                                                              encoding="utf-8")
    (gx_site / "index.html").write_text(page, encoding="utf-8")
    suites = [{"table": "cohorts", "success": False, "rows": 3, "rows_quarantined": 1,
               "failures": [{"rule": "region_code_known", "column": "region_code", "rows": 1}]},
              {"table": "evaluations", "success": True, "rows": 0, "rows_quarantined": 0, "failures": []}]
    target = tmp_path / "site" / "validation"
    index = write_validation_docs(gx_site, suites, target)
    assert index == target / "index.html"
    result = (target / run.relative_to(gx_site) / "result.html").read_text(encoding="utf-8")
    assert "http" not in result and "//" not in result
    # Bootstrap (its bundle holds Popper) and jQuery from the vendored copies; what is not vendored is left out.
    assert re.findall(r'(?:href|src)="([^"]*)"', result) == [
        "../../../../static/vendor/bootstrap/css/bootstrap.min.css", "../../../../static/vendor/jquery/jquery.min.js",
        "../../../../static/images/favicon.ico", "../../../../static/images/logo-long.png"]
    assert "<script>$(function () {});</script>" in result and "<td>ok</td>" in result
    assert "newsletter" not in result and "a link" in result
    for name in ("bootstrap/css/bootstrap.min.css", "bootstrap/js/bootstrap.bundle.min.js", "jquery/jquery.min.js",
                 "font-awesome/css/all.min.css", "font-awesome/webfonts/fa-solid-900.woff2"):
        assert (target / "static" / "vendor" / name).stat().st_size > 1000, name
    assert 'href="../static/vendor/bootstrap/css/bootstrap.min.css"' in (
        target / "expectations" / "cohorts.html").read_text(encoding="utf-8")
    assert (target / "static" / "styles" / "style.css").read_text(encoding="utf-8") == "a{background:none}"
    # The GX site itself is left as built: the report publishes a copy.
    assert "https://maxcdn" in (gx_site / "expectations" / "cohorts.html").read_text(encoding="utf-8")
    html = index.read_text(encoding="utf-8")
    assert f'href="{quote(run.relative_to(gx_site).as_posix())}/result.html">whole table</a>' in html
    # A per-file run is listed by the file it checked (its run's name), not by its time.
    assert f'href="{quote(per_file.relative_to(gx_site).as_posix())}/result.html">a.csv, year 2024</a>' in html
    assert 'href="expectations/cohorts.html">cohorts</a>' in html
    assert "region_code_known (region_code, 1 rows)" in html and "not run: no rows" in html
    assert "http" not in html


def test_quarantine_is_counted_per_source_and_rule_for_the_page_and_per_rule_across_sources_for_the_summary():
    con = _warehouse(curated__quarantine=pd.DataFrame({
        "source": ["fiscal_capacity", "sustainability", "sustainability", "fiscal_capacity"],
        "rule": ["in_range", "in_range", "in_range", "region_known"], "scope": ["row"] * 4}))
    create_report_views(con)
    by_rule = con.execute(QUERIES["quarantine_by_rule"]).df()
    assert by_rule.values.tolist() == [["fiscal_capacity", "in_range", "row", 1],
                                       ["fiscal_capacity", "region_known", "row", 1],
                                       ["sustainability", "in_range", "row", 2]]
    across = con.execute("SELECT * FROM report.quarantine_rule ORDER BY quarantined DESC, rule").df()
    assert across.values.tolist() == [["in_range", "row", 3, "fiscal_capacity, sustainability"],
                                      ["region_known", "row", 1, "fiscal_capacity"]]
