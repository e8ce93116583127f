"""The malformed-input corpus in full refreshes: each bad file gets its one-line outcome and the rest is published."""

from __future__ import annotations

import os
import shutil

import duckdb
import pandas as pd
import pytest

from pipelines.settings import Settings, load_yaml
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
CORPUS = ROOT / "tests" / "fixtures" / "malformed"
CASES = load_yaml(CORPUS / "cases.yaml")
FILE_CASES = {name: case for name, case in CASES.items() if "file_error" in case or "exact_file_error" in case}
# Row-level cases whose keys do not meet one another: one refresh can hold them all.
ROW_CASES = ["fiscal_province_rows.csv", "fiscal_year_span.csv", "fiscal_long_value.csv", "ikb_kabupaten.csv"]
BANK = ("question_code,dimension,element,aspect,answer_type,goal_low,goal_high\n"
        "Q001,governance,public_service,structure,scale_1_5,,\n")


def _refresh(settings: Settings):
    from pipelines.flows import refresh

    return refresh(data_dir=str(settings.data_dir))


@pytest.fixture(scope="module")
def hostile_demo(small_demo, tmp_path_factory):
    """The small demo with every file-level case of the corpus added, a link to /etc/passwd, an empty file and files
    outside the source folders, refreshed once with the shipped methodology."""
    demo, _ = small_demo
    settings = Settings.default(tmp_path_factory.mktemp("hostile") / "data")
    shutil.copytree(demo.raw_dir, settings.raw_dir)
    shutil.copyfile(demo.data_dir / ".pii_salt", settings.data_dir / ".pii_salt")
    for name, case in FILE_CASES.items():
        shutil.copyfile(CORPUS / name, settings.raw_dir / case["source"] / f"hostile_{name}")
    os.symlink("/etc/passwd", settings.raw_dir / "fiscal_capacity" / "hostile_passwd.csv")
    (settings.raw_dir / "questionnaires" / "hostile_zero.csv").write_bytes(b"")
    shutil.copyfile(CORPUS / "sustainability_questionnaire.csv", settings.raw_dir / "kuesioner_lepas.csv")
    (settings.raw_dir / "lain-lain").mkdir()
    (settings.raw_dir / "lain-lain" / "catatan.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    return settings, _refresh(settings)


def test_every_bad_file_gets_its_message_and_everything_else_is_published(hostile_demo, small_demo):
    settings, result = hostile_demo
    _, clean = small_demo
    # Only the cohort is missing, as in the clean small demo: no bad file took anything else down.
    assert result.run["status"] == "PARTIAL" and set(result.run["missing_parts"]) == {"cohort"}
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet").set_index("source_file")
    validation = (settings.reports_dir / "validation.html").read_text(encoding="utf-8")
    for name, case in FILE_CASES.items():
        row = log.loc[f"{case['source']}/hostile_{name}"]
        assert row["rows_read"] == 0 and row["rows_curated"] == 0, name
        if "exact_file_error" in case:
            assert row["file_error"] == case["exact_file_error"], name
        else:
            assert case["file_error"] in row["file_error"], name
        assert f"{case['source']}/hostile_{name}" in validation
    assert log.loc["fiscal_capacity/hostile_passwd.csv", "file_error"] == (
        "a link to a file outside the data folder (data/raw/); not read")
    assert log.loc["questionnaires/hostile_zero.csv", "file_error"] == "the file is empty"
    # The good files read exactly as in the clean run, and every row is accounted for.
    good = log[log["file_error"].isna()]
    clean_log = clean.curated.ingest_log.set_index("source_file")
    assert good[["rows_read", "rows_curated", "rows_quarantined"]].equals(
        clean_log.loc[good.index, ["rows_read", "rows_curated", "rows_quarantined"]])
    assert (log["rows_read"] == log["rows_curated"] + log["rows_quarantined"] + log["rows_superseded"]).all()
    for column in ("file_error", "notes"):
        assert (log[column].dropna().str.len() <= 500).all(), column
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ranked = con.execute("SELECT count(screening_rank), count(readiness_rank) FROM score.region_ranking").fetchone()
    assert ranked == (508, 12)
    assert "root:" not in (settings.curated_dir / "raw_files.parquet").read_bytes().decode("latin-1")


def test_files_outside_the_source_folders_are_named_with_where_they_belong(hostile_demo):
    settings, result = hostile_demo
    assert result.run["ignored_files"] == [
        {"file": "kuesioner_lepas.csv",
         "reason": "not in a source folder; its columns look like a questionnaire: move it to questionnaires/"},
        {"file": "lain-lain/catatan.csv",
         "reason": "not in a source folder: move it into one of question_bank/, fiscal_capacity/, "
                   "government_performance/, sustainability/, indicators/, evaluations/, cohorts/, questionnaires/"}]
    validation = (settings.reports_dir / "validation.html").read_text(encoding="utf-8")
    assert 'id="ignored-files"' in validation and "kuesioner_lepas.csv" in validation


def test_row_level_cases_in_a_first_delivery_publish_what_does_not_depend_on_the_failed_gates(prefect_api, tmp_path):
    settings = Settings.default(tmp_path / "data")
    for name in ROW_CASES:
        folder = settings.raw_dir / CASES[name]["source"]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / name, folder / name)
    (settings.raw_dir / "question_bank").mkdir()
    (settings.raw_dir / "question_bank" / "bank.csv").write_text(BANK, encoding="utf-8")
    result = _refresh(settings)
    quarantine = pd.read_parquet(settings.curated_dir / "quarantine.parquet")
    for name in ROW_CASES:
        case = CASES[name]
        mine = quarantine[quarantine["source_file"] == f"{case['source']}/{name}"]
        rows = set(zip(mine["source_row"], mine["rule"].str.split(":").str[0]))
        expected = set(map(tuple, case["quarantined"]))
        # The rows the case curates are then taken out by their table's coverage gate.
        assert expected <= rows and {rule for _, rule in rows - expected} == {"coverage"}, (name, rows)
        for row, message in case.get("messages", []):
            assert message in mine.loc[mine["source_row"] == row, "message"].tolist(), (name, row)
    # Three fiscal rows of 508 regions fail the coverage gate with nothing to stand in: the screening index is
    # withheld (and the cohort with it); everything else is published.
    assert result.run["status"] == "PARTIAL"
    assert result.run["missing_parts"]["screening"].startswith("withheld: fiscal_capacity failed the gate coverage")
    assert "sustainability" in result.run["missing_parts"]["screening"]
    assert (settings.reports_dir / "index.html").exists()
    validation = (settings.reports_dir / "validation.html").read_text(encoding="utf-8")
    assert "a province row (35 Jawa Timur)" in validation
    assert "Indeks Kota Berkelanjutan is published for kota only" in validation
