"""Each malformed input of tests/fixtures/malformed/ through the real ingest + validate, against cases.yaml."""

import shutil

import pandas as pd
import pytest

from pipelines.ingest.run import ingest
from pipelines.settings import Settings, load_yaml
from pipelines.validate.run import validate
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")

CORPUS = ROOT / "tests" / "fixtures" / "malformed"
CASES = load_yaml(CORPUS / "cases.yaml")
BANK = ("question_code,dimension,element,aspect,answer_type,goal_low,goal_high\n"
        "Q001,governance,public_service,structure,scale_1_5,,\n"
        "Q002,governance,public_policy,infrastructure,yes_no,,\n"
        "Q003,governance,bureaucracy,superstructure,number,0,100\n")
TABLE = {"questionnaires": "questionnaire_submissions"}


def test_corpus_has_at_least_30_cases_and_every_file_has_one():
    # Files only: importing make_corpus (test_readers does) may leave a __pycache__ folder here.
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in ("cases.yaml", "make_corpus.py")}
    assert files == set(CASES) and len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_gets_the_expected_outcome(tmp_path, name):
    case = CASES[name]
    settings = Settings.default(tmp_path, coverage_min_pct=0, as_of_year=2025)
    folder = settings.raw_dir / case["source"]
    folder.mkdir(parents=True)
    shutil.copyfile(CORPUS / name, folder / name)
    if case["source"] == "questionnaires":
        (settings.raw_dir / "question_bank").mkdir()
        (settings.raw_dir / "question_bank" / "bank.csv").write_text(BANK)
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)

    log = curated.ingest_log.set_index("source_file").loc[f"{case['source']}/{name}"]
    if "file_error" in case or "exact_file_error" in case:
        assert case.get("file_error", "") in log["file_error"]
        assert log["file_error"] == case.get("exact_file_error", log["file_error"])
        assert log["rows_read"] == 0 and log["notes"] is None
        return
    assert log["file_error"] is None or pd.isna(log["file_error"])
    quarantine = curated.quarantine[curated.quarantine["source_file"] == f"{case['source']}/{name}"]
    rule = quarantine["rule"].str.split(":").str[0]
    rows = quarantine["scope"] == "row"
    assert sorted(zip(quarantine.loc[rows, "source_row"], rule[rows])) == sorted(map(tuple, case.get("quarantined", [])))
    assert sorted(zip(quarantine.loc[~rows, "source_row"], rule[~rows])) == sorted(map(tuple, case.get("cells", [])))
    assert (log["rows_curated"], log["rows_superseded"]) == (case["curated"], case.get("superseded", 0))
    assert log["rows_read"] == log["rows_curated"] + log["rows_quarantined"] + log["rows_superseded"]
    assert quarantine["message"].str.len().gt(20).all()
    for row, message in case.get("messages", []):
        assert message in quarantine.loc[quarantine["source_row"] == row, "message"].tolist(), row
    if "notes" in case:
        assert case["notes"] in log["notes"]
    status = curated.source_status.set_index("table").loc[TABLE.get(case["source"], case["source"]), "status"]
    assert status == ("failed" if case.get("source_failed") else "passed")
    table = curated.tables[TABLE.get(case["source"], case["source"])].sort_values("source_row")
    for column, expected in case.get("values", {}).items():
        found = table[column].tolist()
        assert found == (pytest.approx(expected) if isinstance(expected[0], float) else expected), column
