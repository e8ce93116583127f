"""Every GX suite: generated from its source contract, passes a good fixture, fails a bad one for the intended rule."""

import json

import pandas as pd
import pytest

from pipelines.ingest.run import ingest
from pipelines.settings import Settings, load_yaml
from pipelines.sources import load_contracts
from pipelines.validate.gx import gx_context, parameters, validate_frame
from pipelines.validate.run import validate
from pipelines.validate.suites import render_suite, suite_from_spec, table_specs
from tests.conftest import ROOT

SPECS = table_specs(load_contracts(ROOT / "config" / "sources"))
FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")
DTYPES = {"str": "str", "int64": "Int64", "float64": "float64", "datetime64[us]": "datetime64[us]"}
SOURCE = {"source_file": "x.csv", "source_row": 2}
GOOD = {
    "fiscal_capacity": {"region_code": "35.13", "year": 2024, "fiscal_capacity_value": 0.57,
                        "fiscal_capacity_category": "rendah", "regulation": "PMK 84/2023", "basis": None},
    "government_performance": {"region_code": "35.13", "year": 2024, "performance_score": 3.1,
                               "performance_status": "sangat tinggi", "national_rank": 12},
    "sustainability": {"region_code": "35.74", "year": 2024, "sustainability_index": 61.5, "index_name": "ikb"},
    "indicators": {"region_code": "35.74", "year": 2024, "indicator_code": "spbe", "indicator_value": 3.1,
                   "unit": "1-5", "indicator_source": "KemenPAN-RB"},
    "question_bank": {"question_code": "Q001", "dimension": "governance", "element": "public_service",
                      "aspect": "structure", "answer_type": "number", "weight": 1.0, "direction": 1,
                      "goal_low": 0.0, "goal_high": 100.0, "text_id": "Persentase", "text_en": "Share"},
    "questionnaire_submissions": {"submission_id": "x.csv#2", "region_code": "35.13", "opd_name": "Diskominfo",
                                  "period": 2024, "submitted_at": pd.Timestamp("2024-09-13 10:22:33"),
                                  "respondent_hash": "ab12", "layout": "wide"},
    "questionnaire_answers": {"submission_id": "x.csv#2", "region_code": "35.13", "period": 2024,
                              "question_code": "Q001", "answer_type": "scale_1_5", "answer_raw": "3 - Terdefinisi",
                              "answer_value": 3.0, "source_column": "Q001"},
    "evaluations": {"region_code": "35.73", "year": 2024, "evaluator": "Asesor 1", "component": "quick_win",
                    "dimension": "overall", "score_0_4": 3.25, "comment": "baik", "submitted_at": pd.Timestamp("2024-10-01")},
    "cohorts": {"region_code": "34", "year_joined": 2023, "programme": "smart_province", "tags": None,
                "list_complete": "yes", "source_note": "aptika"},
}
# One bad change per suite and the rule it must trip.
BAD = {
    "fiscal_capacity": ({"fiscal_capacity_value": -0.2}, "between"),
    "government_performance": ({"performance_score": 4.7}, "between"),
    "sustainability": ({"sustainability_index": 101.0}, "between"),
    "indicators": ({"region_code": "99.99"}, "in_parameter"),
    "question_bank": ({"goal_high": -5.0}, "greater"),
    "questionnaire_submissions": ({"period": 2014}, "between"),
    "questionnaire_answers": ({"answer_value": 6.0}, "between"),
    "evaluations": ({"dimension": "mobility"}, "in_parameter"),
    "cohorts": ({"programme": "smart_village"}, "in_set"),
}


def _frame(table, row):
    columns = SPECS[table]["columns"]
    data = {**row, **SOURCE}
    return pd.DataFrame([data])[list(columns)].astype({c: DTYPES[s["type"]] for c, s in columns.items()})


@pytest.fixture(scope="module")
def context():
    return gx_context()


@pytest.fixture(scope="module")
def params():
    return parameters(Settings.default(coverage_min_pct=0, as_of_year=2025), FRAMEWORK, ["Q001"])


def test_every_canonical_table_has_a_spec_and_fixtures():
    assert set(SPECS) == set(GOOD) == set(BAD)


@pytest.mark.parametrize("table", sorted(SPECS))
def test_committed_suite_is_generated_from_its_spec(table):
    committed = (ROOT / "expectations" / f"{table}.json").read_text(encoding="utf-8")
    assert committed == render_suite(suite_from_spec(SPECS[table])), "run `readiness expectations` and commit"


@pytest.mark.parametrize("table", sorted(SPECS))
def test_good_fixture_passes(context, params, table):
    suite = json.loads((ROOT / "expectations" / f"{table}.json").read_text(encoding="utf-8"))
    failures, summary = validate_frame(context, table, _frame(table, GOOD[table]), suite, params)
    assert failures == [] and summary["success"]


@pytest.mark.parametrize("table", sorted(SPECS))
def test_bad_fixture_fails_for_the_intended_rule(context, params, table):
    suite = json.loads((ROOT / "expectations" / f"{table}.json").read_text(encoding="utf-8"))
    change, rule = BAD[table]
    failures, _ = validate_frame(context, table, _frame(table, {**GOOD[table], **change}), suite, params)
    assert [(f["meta"]["rule"], f["rows"]) for f in failures] == [(rule, [0])]


def test_key_duplicates_fail_the_key_rule(context, params):
    suite = json.loads((ROOT / "expectations" / "government_performance.json").read_text(encoding="utf-8"))
    row = _frame("government_performance", GOOD["government_performance"])
    failures, _ = validate_frame(context, "government_performance", pd.concat([row, row], ignore_index=True), suite, params)
    assert [(f["meta"]["rule"], f["rows"]) for f in failures] == [("key_unique", [0, 1])]


def test_wrong_columns_fail_at_table_level(context, params):
    suite = json.loads((ROOT / "expectations" / "sustainability.json").read_text(encoding="utf-8"))
    frame = _frame("sustainability", GOOD["sustainability"]).rename(columns={"index_name": "nama"})
    failures, summary = validate_frame(context, "sustainability", frame, suite, params)
    assert "schema" in [f["meta"]["rule"] for f in failures] and not summary["success"]


def test_a_file_covering_too_few_regions_fails_the_coverage_rule(context):
    suite = json.loads((ROOT / "expectations" / "government_performance.json").read_text(encoding="utf-8"))
    params = parameters(Settings.default(coverage_min_pct=80, as_of_year=2025), FRAMEWORK, ["Q001"])
    assert params["min_autonomous_regions"] == 407                  # ceil(0.8 × 508)
    rows = [{**GOOD["government_performance"], "region_code": code} for code in ("35.13", "35.74", "35.10")]
    frame = pd.concat([_frame("government_performance", r).assign(source_row=i + 2) for i, r in enumerate(rows)],
                      ignore_index=True)
    failures, _ = validate_frame(context, "government_performance", frame, suite, params)
    assert [(f["meta"]["rule"], f["meta"]["level"], f["rows"], f["observed"]) for f in failures] == [
        ("coverage", "file", [0, 1, 2], 3)]


def test_a_year_after_the_run_year_fails_the_whole_file(context, params):
    suite = json.loads((ROOT / "expectations" / "fiscal_capacity.json").read_text(encoding="utf-8"))
    ok = _frame("fiscal_capacity", GOOD["fiscal_capacity"]).assign(source_file="a.csv")
    future = _frame("fiscal_capacity", {**GOOD["fiscal_capacity"], "year": 2031}).assign(source_file="b.csv")
    failures, _ = validate_frame(context, "fiscal_capacity", pd.concat([ok, future], ignore_index=True), suite, params)
    assert [(f["meta"]["rule"], f["rows"], f["observed"], f["limit"]) for f in failures] == [
        ("year_after_run", [1], 2031, 2025)]


@pytest.mark.parametrize("goalposts, failures", [
    ({"goal_low": None, "goal_high": None}, []),                 # optional: min-max stands in (docs/methodology.md 5.3)
    ({"goal_low": 10.0, "goal_high": None}, [("required", "goal_high")]),
    ({"goal_low": None, "goal_high": 10.0}, [("required", "goal_low")]),
    ({"goal_low": 10.0, "goal_high": 10.0}, [("greater", "goal_high and goal_low")]),
])
def test_a_number_question_has_both_goalposts_or_neither(context, params, goalposts, failures):
    suite = json.loads((ROOT / "expectations" / "question_bank.json").read_text(encoding="utf-8"))
    found, _ = validate_frame(context, "question_bank", _frame("question_bank", {**GOOD["question_bank"], **goalposts}),
                              suite, params)
    assert [(f["meta"]["rule"], f["meta"]["column"]) for f in found] == failures


def _bank_and_questionnaire(settings: Settings, q002: str, submissions: str):
    """Return the curated layer of a bank (Q001 on the 1-5 scale, and the row `q002`) and a wide questionnaire."""
    for folder, name, text in [
        ("question_bank", "bank.csv", "question_code,dimension,element,aspect,answer_type,goal_low,goal_high\n"
                                      "Q001,governance,public_service,structure,scale_1_5,,\n" + q002),
        ("questionnaires", "kuesioner.csv", "Timestamp;Kode Wilayah;Perangkat Daerah;Periode;Q001;Q002\n" + submissions),
    ]:
        (settings.raw_dir / folder).mkdir(parents=True)
        (settings.raw_dir / folder / name).write_text(text, encoding="utf-8")
    return validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)


def test_a_number_question_without_goalposts_and_its_answers_are_curated(tmp_path):
    settings = Settings.default(tmp_path, coverage_min_pct=0, as_of_year=2025)
    curated = _bank_and_questionnaire(settings, "Q002,governance,public_policy,infrastructure,number,,\n",
                                      "13/09/2024 10:22:33;35.13;Diskominfo;2024;3;12,5\n"
                                      "14/09/2024 08:00:00;35.13;Bappeda;2024;4;40\n")
    assert curated.quarantine.empty
    assert curated.tables["question_bank"]["question_code"].tolist() == ["Q001", "Q002"]
    answers = curated.tables["questionnaire_answers"]
    assert answers.loc[answers["question_code"] == "Q002", "answer_value"].tolist() == [12.5, 40.0]


def test_an_answer_to_a_quarantined_question_names_the_files_column(tmp_path):
    settings = Settings.default(tmp_path, coverage_min_pct=0, as_of_year=2025)
    curated = _bank_and_questionnaire(settings, "Q002,antariksa,roket,infrastructure,scale_1_5,,\n",
                                      "13/09/2024 10:22:33;35.13;Diskominfo;2024;3;4\n")
    answer = curated.quarantine[curated.quarantine["source_file"] == "questionnaires/kuesioner.csv"]
    assert answer[["source_row", "source_column", "scope"]].values.tolist() == [[2, "Q002", "cell"]]
    assert answer["message"].iloc[0] == ("Q002 (question_code) is not a known question code of the question bank; "
                                         "fix: add the question to the question bank or rename the column")
    assert curated.tables["questionnaire_answers"]["question_code"].tolist() == ["Q001"]
