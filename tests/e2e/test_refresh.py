"""The refresh flow end to end on the seeded `small` demo, with a real Prefect API, GX and DuckDB file."""

import csv
import hashlib
import json
import os
import shutil

import duckdb
import pandas as pd
import pytest

from pipelines.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
# Published file -> reviewed golden copy (regenerate with `make golden` after reviewing the diff).
GOLDEN = {"downloads/ranking.csv": ROOT / "tests" / "golden" / "ranking_small.csv",
          "downloads/evaluation_region.csv": ROOT / "tests" / "golden" / "evaluation_small.csv"}


def _ranking(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql("SELECT * FROM score.region_ranking").df().set_index("region_code")


def test_flow_publishes_scores_for_all_514_regions(small_demo):
    settings, result = small_demo
    ranking = _ranking(settings)
    assert len(ranking) == 514
    assert ranking["screening_index"].notna().sum() == 508           # every autonomous region has statistics
    assert ranking["readiness_index"].notna().sum() == 12            # the small demo's shortlist
    for column in ("screening_index", "readiness_index"):
        values = ranking[column].dropna()
        assert values.between(0, 100).all()
    assert ranking["screening_rank"].min() == 1 and ranking["readiness_rank"].min() == 1
    assert (result.report).name == "index.html" and result.report.exists()


def test_every_row_read_is_accounted_for(small_demo):
    settings, result = small_demo
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet")
    assert (log["rows_read"] == log["rows_curated"] + log["rows_quarantined"] + log["rows_superseded"]).all()
    raw_rows = 0
    for path in (settings.raw_dir / "fiscal_capacity").glob("*.csv"):
        with open(path, encoding="utf-8") as fh:
            raw_rows += sum(1 for _ in csv.reader(fh)) - 1
    assert log[log.source == "fiscal_capacity"]["rows_read"].sum() == raw_rows


def test_injected_defects_are_quarantined_or_superseded_not_dropped(small_demo):
    settings, _ = small_demo
    quarantine = pd.read_parquet(settings.curated_dir / "quarantine.parquet")
    found = {(r.source_file.split("/")[0], r.rule.split(":")[0], r.source_column) for r in quarantine.itertuples()}
    assert ("fiscal_capacity", "region_ambiguous", "nama_daerah") in found
    assert ("fiscal_capacity", "region_unknown", "nama_daerah") in found
    assert ("government_performance", "between", "Skor") in found
    assert ("government_performance", "region_code_name_mismatch", "Kode") in found
    assert ("questionnaires", "answer_unreadable", "Q002") in found
    assert ("evaluations", "between", "skor") in found
    bad_score = quarantine[quarantine.rule.str.startswith("between") & quarantine.source.eq("government_performance")].iloc[0]
    assert (bad_score.source_file, bad_score.source_row, bad_score.value) == ("government_performance/ekppd_2024.xlsx", 5, "4.7")
    assert bad_score.message.startswith("Skor (performance_score) is outside the allowed range 0 to 4")
    superseded = pd.read_parquet(settings.curated_dir / "superseded.parquet")
    assert sorted(superseded.loc[superseded["source"] != "indicators", "source"]) == [
        "evaluations", "questionnaires", "sustainability"]
    # The demo's three BPS exports: per file, 38 province rows and INDONESIA (totals) and 26 Papua rows of '-'.
    bps = superseded[superseded["source"] == "indicators"]
    assert bps.groupby("source_file").size().tolist() == [65, 65, 65]
    assert (bps["superseded_by"] == "the kab/kota rows it totals").sum() == 3 * 39
    html = (settings.reports_dir / "validation.html").read_text(encoding="utf-8")
    assert "Kota Atlantis" in html and "region_code_name_mismatch" in html


def test_personal_data_never_reaches_curated_warehouse_or_report(small_demo):
    settings, _ = small_demo
    submissions = pd.read_parquet(settings.curated_dir / "questionnaire_submissions.parquet")
    assert not {"nama_responden", "email", "no_hp"} & {c.lower().replace(" ", "_") for c in submissions.columns}
    assert submissions["respondent_hash"].str.fullmatch(r"[0-9a-f]{16}").all()
    site = [p for p in settings.reports_dir.rglob("*") if p.suffix in (".html", ".csv", ".json")]
    assert len(site) > 514
    texts = [p.read_text(encoding="utf-8") for p in site]
    texts += [p.read_bytes().decode("latin-1") for p in settings.reports_dir.rglob("*") if p.suffix in (".parquet", ".xlsx")]
    texts += [p.read_bytes().decode("latin-1") for p in settings.curated_dir.glob("*.parquet")]
    texts.append(settings.warehouse_path.read_bytes().decode("latin-1"))
    for text in texts:
        assert "@contoh.go.id" not in text and "Responden " not in text


def test_evaluate_scores_a_data_folder_that_holds_only_the_score_sheets(small_demo, tmp_path):
    import subprocess
    import sys

    settings, _ = small_demo
    folder = tmp_path / "data"
    shutil.copytree(settings.raw_dir / "evaluations", folder / "raw" / "evaluations")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "evaluate", "--data-dir", str(folder)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    output = " ".join((done.stdout + done.stderr).split())
    # No statistics, questionnaires or cohorts: the cohort cannot be chosen, which `evaluate` reports and exits 0 on.
    assert done.returncode == 0, output[-4000:]
    assert "Evaluation 2024 (scored with the 2024 methodology): 10 regions ranked, 1 with too few assessors" in output
    assert "Quarantined: 1 score-sheet entries" in output and "Traceback" not in output
    alone = Settings.default(folder)

    def ordered(frame):
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    # The same sheets give the same evaluation as the full demo's run (the inputs hash covers the other sources).
    for table in ("evaluation_region", "evaluation_cell", "evaluation_agreement", "evaluation_assessor"):
        with duckdb.connect(str(alone.warehouse_path), read_only=True) as con:
            got = con.sql(f"SELECT * EXCLUDE (inputs_hash) FROM score.{table}").df()
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            expected = con.sql(f"SELECT * EXCLUDE (inputs_hash) FROM score.{table}").df()
        pd.testing.assert_frame_equal(ordered(got), ordered(expected), obj=table)
    assert (alone.reports_dir / "downloads" / "evaluation_region.csv").exists()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_published_table_matches_the_reviewed_golden_file(small_demo, name):
    settings, _ = small_demo
    published = (settings.reports_dir / name).read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN[name].write_text(published, encoding="utf-8")
    assert published == GOLDEN[name].read_text(encoding="utf-8"), "review the diff, then `make golden`"


def test_same_inputs_give_byte_identical_outputs(small_demo, tmp_path):
    from pipelines.flows import refresh

    settings, _ = small_demo
    again = Settings.default(tmp_path)
    shutil.copytree(settings.raw_dir, again.raw_dir)
    shutil.copyfile(settings.data_dir / ".pii_salt", again.data_dir / ".pii_salt")
    shutil.copytree(settings.boundaries_dir, again.boundaries_dir)
    refresh(data_dir=str(again.data_dir), methodology_dir=str(settings.methodology_dir))
    pages = sorted(p.relative_to(settings.reports_dir).as_posix() for p in settings.reports_dir.rglob("*.html")
                   if "validation/" not in p.relative_to(settings.reports_dir).as_posix())
    files = sorted(p.relative_to(settings.reports_dir).as_posix() for folder in ("downloads", "images", "maps")
                   for p in (settings.reports_dir / folder).rglob("*") if p.is_file())
    assert len(pages) == 1 + 5 + 38 + 514 and "downloads/readiness.xlsx" in files and "images/scatter.png" in files
    assert "downloads/pdf/provinces/35.pdf" in files
    assert {"maps/provinces.js", "maps/regencies.js"} <= set(files)
    files += ["search.js", "compare.js"]
    manifest = json.loads((settings.reports_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["scripts"]) == ["compare.js", "maps/provinces.js", "maps/regencies.js", "plotly.min.js",
                                           "search.js"]
    regencies = (settings.reports_dir / "maps" / "regencies.js").read_bytes()
    assert manifest["scripts"]["maps/regencies.js"] == hashlib.sha256(regencies).hexdigest()
    assert manifest["boundaries"]["regencies"]["features"] == 514
    for name in [*pages, *files, "manifest.json"]:
        assert (again.reports_dir / name).read_bytes() == (settings.reports_dir / name).read_bytes(), name
    for name in ("questionnaire_answers.parquet", "government_performance.parquet", "quarantine.parquet"):
        assert (again.curated_dir / name).read_bytes() == (settings.curated_dir / name).read_bytes(), name



def test_scores_that_differ_in_the_15th_digit_give_the_same_site(small_demo, tmp_path):
    from pipelines.report.site import build_report

    settings, _ = small_demo
    copy = Settings.default(tmp_path / "data")
    shutil.copytree(settings.data_dir, copy.data_dir, symlinks=True)
    # DuckDB's parallel sums differ from run to run in about the 15th digit; the site must not show it.
    with duckdb.connect(str(copy.warehouse_path)) as con:
        con.execute("UPDATE score.region_ranking SET screening_index = screening_index + 1e-12, "
                    "readiness_index = readiness_index - 1e-12")
        con.execute("UPDATE score.region_dimension_aspect SET cell_score = cell_score + 1e-12")
        changed = con.execute("SELECT count(*) FROM score.region_ranking WHERE readiness_index IS NOT NULL").fetchone()[0]
    assert changed == 12
    site = tmp_path / "site"
    build_report(copy, site)
    names = ["index.html", *(f"regions/{p.name}" for p in (settings.reports_dir / "regions").iterdir()),
             *(p.relative_to(settings.reports_dir).as_posix() for p in (settings.reports_dir / "downloads").rglob("*")
               if p.is_file())]
    assert len(names) > 514
    assert [n for n in names if (site / n).read_bytes() != (settings.reports_dir / n).read_bytes()] == []

def test_a_region_given_the_best_answers_ranks_first(small_demo, tmp_path):
    from pipelines.flows import refresh

    settings, _ = small_demo
    ranking = _ranking(settings)
    worst = ranking["readiness_rank"].idxmax()
    best = Settings.default(tmp_path)
    shutil.copytree(settings.raw_dir, best.raw_dir)
    bank = pd.read_csv(settings.raw_dir / "question_bank" / "bank_soal.csv", encoding="utf-8-sig")
    best_answer = {q.question_code: {"scale_1_5": "5 - Optimum", "yes_no": "Ya"}.get(
        q.answer_type, str(q.goal_high if q.direction == 1 else q.goal_low)) for q in bank.itertuples()}
    submissions = pd.read_parquet(settings.curated_dir / "questionnaire_submissions.parquet")
    opds = submissions[submissions.region_code == worst]["opd_name"]
    # A later resubmission by every OPD of the worst region supersedes its earlier answers.
    rows = [{"Timestamp": "30/12/2024 09:00:00", "Kode Wilayah": worst, "Perangkat Daerah": opd, "Periode": 2024,
             **best_answer} for opd in opds]
    pd.DataFrame(rows).to_csv(best.raw_dir / "questionnaires" / "resubmission.csv", index=False, sep=";")
    refresh(data_dir=str(best.data_dir), methodology_dir=str(settings.methodology_dir))
    after = _ranking(best)
    assert after.loc[worst, "readiness_rank"] == 1
    assert after.loc[worst, "readiness_index"] == pytest.approx(100.0)
    superseded = pd.read_parquet(best.curated_dir / "superseded.parquet")
    assert (superseded["superseded_by"].str.startswith("questionnaires/resubmission.csv")).sum() == len(opds)


def test_plain_pandas_reference_agrees_with_the_sql_models(small_demo):
    from benchmarks.reference import pandas_readiness
    from pipelines.score.methodology import load

    settings, _ = small_demo
    ranking = _ranking(settings)
    expected = ranking["readiness_index"].dropna()
    got = pandas_readiness(settings.curated_dir, load(settings.methodology_dir)).set_index("region_code")
    assert got["readiness_index"].dropna().index.sort_values().tolist() == expected.index.sort_values().tolist()
    assert (got["readiness_index"].reindex(expected.index) - expected).abs().max() < 1e-9


def test_make_demo_proposes_the_shipped_cohort_with_uncertainty_and_provenance(demo_project):
    root, done = demo_project
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        shortlist = con.sql("SELECT * FROM score.cohort_shortlist").df()
        selection = con.sql("SELECT * FROM score.cohort_selection").df()
        proposed = con.sql("SELECT * FROM score.cohort_proposed").df()
        stats = con.sql("SELECT * FROM score.cohort_rank_statistics").df()
        run = con.sql("SELECT * FROM score.cohort_run").df().iloc[0]
        hashes = con.execute("SELECT methodology_hash, inputs_hash FROM methodology.run").fetchall()[0]
        parts = con.sql("SELECT part, status FROM score.part_status ORDER BY part").fetchall()
    assert parts == [("cohort", "complete"), ("evaluation", "complete")]
    assert len(shortlist) == 514 and shortlist["shortlist_reason"].notna().all()
    assert (shortlist.loc[~shortlist["is_eligible"], "shortlist_reason"].str.startswith("not eligible: ")).all()
    members = pd.read_parquet(root / "data" / "curated" / "cohorts.parquet")
    assert not shortlist[shortlist["region_code"].isin(members["region_code"])]["is_eligible"].any()
    # methodology/cohort.yaml as shipped: 50 seats from a shortlist of 150, at most 5 per province, one IKN buffer seat.
    assert shortlist["is_shortlisted"].sum() == 150 and len(selection) == 150 and len(proposed) == 50
    assert selection["selection_status"].notna().all()
    chosen = proposed.merge(selection[["region_code", "province_code", "tags"]], on="region_code")
    assert chosen["province_code"].value_counts().max() <= 5
    assert chosen["tags"].fillna("").str.contains("ikn_buffer").sum() >= 1
    assert run["replications"] == 1024 * (len(run["factors"].split(", ")) + 2)
    assert ((stats["q05_rank"] <= stats["median_rank"]) & (stats["median_rank"] <= stats["q95_rank"])).all()
    assert stats["probability_pct"].between(0, 100).all()
    assert selection.loc[selection["is_selected"], "selection_probability_pct"].gt(0).all()
    for frame in (shortlist, selection, proposed, stats):
        assert frame["methodology_hash"].eq(hashes[0]).all() and frame["inputs_hash"].eq(hashes[1]).all()
    assert "COMPLETED" in done.stdout and f"Report: {root / 'data' / 'reports' / 'index.html'}" in done.stdout


def test_the_small_demo_is_published_without_the_cohort_the_shipped_rules_cannot_fill(small_demo):
    settings, result = small_demo
    reason = ("cohort size 50, but only 8 shortlisted regions can be selected (eligible, invited, with a readiness "
              "index) (the rules are in cohort.yaml of the methodology folder)")
    assert result.run["status"] == "PARTIAL" and result.run["missing_parts"] == {"cohort": reason}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        parts = con.sql("SELECT part, status, reason FROM score.part_status ORDER BY part").fetchall()
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'score'").fetchall()}
    assert parts == [("cohort", "missing", reason), ("evaluation", "complete", None)]
    assert "cohort_selection" not in tables and {"region_ranking", "evaluation_region", "cohort_shortlist"} <= tables
    site = settings.reports_dir
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="cohort-missing"' in index and "only 8 shortlisted regions can be selected" in index
    assert 'id="missing-parts"' in (site / "evaluation.html").read_text(encoding="utf-8")
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["missing_parts"] == {"cohort": reason}
    assert "downloads/cohort_selection.csv" not in manifest["downloads"]
    assert "downloads/ranking.csv" in manifest["downloads"] and "downloads/evaluation_region.csv" in manifest["downloads"]


def test_refresh_evaluates_the_demo_score_sheets(small_demo):
    settings, result = small_demo
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        years = con.sql("SELECT * FROM score.evaluation_year").df().set_index("year")
        regions = con.sql("SELECT * FROM score.evaluation_region").df()
        agreement = con.sql("SELECT * FROM score.evaluation_agreement").df()
        assessors = con.sql("SELECT * FROM score.evaluation_assessor").df()
        moderation = con.sql("SELECT * FROM score.evaluation_moderation").df()
        rollup = con.sql("SELECT * FROM score.province_rollup").df()
        curated = con.sql("SELECT count(*) FROM curated.evaluations").fetchall()[0][0]
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet").set_index("source_file")
    # Every score-sheet row read is scored, quarantined (the 5,0) or superseded (the re-scored cell).
    assert years["rows_scored"].sum() == curated == log.filter(like="evaluations/", axis=0)["rows_curated"].sum()
    assert log.loc["evaluations/penilaian_2024.csv", ["rows_quarantined", "rows_superseded"]].tolist() == [1, 1]
    assert years.index.tolist() == [2023, 2024] and (years["methodology_year"] == years.index).all()
    assert (regions.groupby("year")["region_code"].count() == 10).all()
    latest = regions[regions["year"] == 2024]
    assert latest["evaluation_index"].between(0, 4).all() and latest["national_rank"].min() == 1
    assert latest["previous_year"].eq(2023).all()
    # The sheet that went missing: the last region has two assessors and is flagged.
    assert latest.loc[latest["too_few_assessors"], "assessors"].tolist() == [2]
    assert len(agreement) == 2 * 6
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert agreement[f"alpha_{level}"].between(-1, 1).all(), level
    assert agreement["verdict_level"].eq("ordinal").all() and agreement["verdict_alpha"].equals(agreement["alpha_ordinal"])
    # The demo's lenient assessor is caught in both years, and nobody else is.
    assert assessors.loc[assessors["leaning"] == "lenient", "evaluator"].tolist() == ["Asesor 03", "Asesor 03"]
    # The scores side by side are the sheet's: their range is the cell's spread, above the methodology's 1.5.
    assert len(moderation) > 0
    for row in moderation.itertuples():
        scores = [float(part.split(": ")[1]) for part in row.scores_side_by_side.split(" | ")]
        assert max(scores) - min(scores) == pytest.approx(row.spread) and row.spread > 1.5 and len(scores) == row.assessors
    assert len(rollup) == 2 * 38
    for frame in (regions, agreement, assessors, moderation, rollup):
        assert frame["methodology_hash"].eq(result.scored.methodology_hash).all()


def test_markup_and_formulas_in_the_inputs_come_out_inert(small_demo, tmp_path):
    from openpyxl import load_workbook

    from pipelines.flows import refresh

    settings, _ = small_demo
    hostile = Settings.default(tmp_path)
    shutil.copytree(settings.raw_dir, hostile.raw_dir)
    shutil.copyfile(settings.data_dir / ".pii_salt", hostile.data_dir / ".pii_salt")
    opd_file = hostile.raw_dir / "questionnaires" / "kuesioner_opd_13.csv"
    opds = pd.read_csv(opd_file, sep=";", dtype=str, keep_default_na=False)
    opds.loc[0, "Perangkat Daerah"] = '<script>alert("opd")</script>'
    opds.to_csv(opd_file, sep=";", index=False)
    sheet_file = hostile.raw_dir / "evaluations" / "penilaian_2024.csv"
    sheets = pd.read_csv(sheet_file, sep=";", dtype=str, keep_default_na=False)
    formula = '=HYPERLINK("http://evil.example","klik")'
    sheets.loc[sheets["asesor"] == "Asesor 02", "asesor"] = formula
    sheets.to_csv(sheet_file, sep=";", index=False)
    refresh(data_dir=str(hostile.data_dir), methodology_dir=str(settings.methodology_dir))

    region_page = (hostile.reports_dir / "regions" / "13.72.html").read_text(encoding="utf-8")
    assert '&lt;script&gt;alert(&#34;opd&#34;)&lt;/script&gt;' in region_page
    for page in hostile.reports_dir.rglob("*.html"):
        assert "<script>alert(" not in page.read_text(encoding="utf-8"), page
    assessors = (hostile.reports_dir / "downloads" / "evaluation_assessor.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in assessors and ",=HYPERLINK(" not in assessors and '"=HYPERLINK(' not in assessors
    book = load_workbook(hostile.reports_dir / "downloads" / "readiness.xlsx")
    texts = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    # A string cell is never a formula: the workbook keeps the text as it is, without the CSV's prefix.
    assert not [c.coordinate for c in texts if c.data_type != "s" or c.value.startswith("'")]
    assert any(c.value == formula for c in texts)
