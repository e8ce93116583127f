"""The scoring SQL on tiny curated tables, run through the real score() path into a DuckDB file."""

import json

import duckdb
import pandas as pd
import pytest

from pipelines.score import engine, selection
from pipelines.score.methodology import load
from pipelines.score.run import load_inputs, model_phases, run_models, score
from pipelines.settings import Settings, load_yaml
from pipelines.sources import load_contracts
from pipelines.validate.run import LOG_COLUMNS
from tests.conftest import SMALL_COHORT, methodology_copy
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")
ELEMENTS = [(d, e) for d, spec in FRAMEWORK["dimensions"].items() for e in spec["elements"]]
ASPECTS = list(FRAMEWORK["aspects"])
KAB_A, KOTA_B, KAB_C, KOTA_D, KAB_E, KOTA_F = "35.13", "35.74", "35.10", "35.79", "35.01", "35.78"


def _stats(rows, value_column, extra=None):
    frame = pd.DataFrame(rows, columns=["region_code", value_column])
    frame["year"] = 2024
    for column, value in (extra or {}).items():
        frame[column] = value
    frame["source_file"], frame["source_row"] = "f.csv", range(2, len(frame) + 2)
    return frame


def _questionnaires(levels_by_region: dict[str, tuple[int, float]]):
    bank = pd.DataFrame([{"question_code": f"Q{i:02d}", "dimension": d, "element": e, "aspect": ASPECTS[i % 3],
                          "answer_type": "scale_1_5", "weight": 1.0, "direction": 1, "goal_low": None, "goal_high": None,
                          "text_id": f"Pertanyaan {i}", "text_en": f"Question {i}"}
                         for i, (d, e) in enumerate(ELEMENTS)])
    bank.loc[len(bank)] = {"question_code": "QN", "dimension": "governance", "element": "public_service",
                           "aspect": "infrastructure", "answer_type": "number", "weight": 1.0, "direction": -1,
                           "goal_low": 0.0, "goal_high": 50.0, "text_id": "Aplikasi", "text_en": "Apps"}
    submissions, answers = [], []
    for region, (opds, level) in levels_by_region.items():
        for k in range(opds):
            sid = f"{region}#{k}"
            submissions.append({"submission_id": sid, "region_code": region, "opd_name": f"OPD {k}", "period": 2024,
                                "submitted_at": pd.Timestamp("2024-09-01")})
            for q in bank.itertuples():
                # The number question counts un-integrated apps (lower is better): 0 is the best answer.
                value = (5 - level) * 12.5 if q.answer_type == "number" else level
                answers.append({"submission_id": sid, "region_code": region, "period": 2024,
                                "question_code": q.question_code, "answer_type": q.answer_type,
                                "answer_value": float(value)})
    return bank, pd.DataFrame(submissions), pd.DataFrame(answers)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("scored")
    settings = Settings.default(tmp_path)
    curated = settings.curated_dir
    curated.mkdir(parents=True)
    bank, submissions, answers = _questionnaires({KAB_A: (3, 5.0), KOTA_B: (3, 3.0), KAB_C: (2, 5.0), KOTA_F: (3, 4.0)})
    # Kota F's OPDs answered only the governance questions.
    governance = set(bank.loc[bank["dimension"] == "governance", "question_code"])
    answers = answers[(answers["region_code"] != KOTA_F) | answers["question_code"].isin(governance)]
    tables = {
        "fiscal_capacity": _stats([(KAB_A, 1.0), (KOTA_B, 3.0), (KAB_C, 2.0), (KOTA_D, 2.0), (KAB_E, 2.0)],
                                  "fiscal_capacity_value"),
        "government_performance": _stats([(KAB_A, 2.0), (KOTA_B, 4.0), (KAB_C, 3.0), (KOTA_D, 3.0)], "performance_score"),
        "sustainability": _stats([(KOTA_B, 80.0), (KOTA_D, 40.0)], "sustainability_index", {"index_name": "ikb"}),
        "indicators": pd.DataFrame({"region_code": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
                                    "indicator_code": pd.Series(dtype="str"), "indicator_value": pd.Series(dtype="float64")}),
        "question_bank": bank, "questionnaire_submissions": submissions, "questionnaire_answers": answers,
        "cohorts": pd.DataFrame({"region_code": [KOTA_B], "year_joined": [2017], "programme": ["smart_city"]}),
        "evaluations": pd.DataFrame({"region_code": [KOTA_B], "year": [2024], "evaluator": ["A"],
                                     "component": ["impact"], "dimension": ["overall"], "score_0_4": [3.0]}),
    }
    for name, frame in tables.items():
        frame.to_parquet(curated / f"{name}.parquet", index=False)
    # Every source passed its gates: nothing is withheld.
    pd.DataFrame([{"source_file": "f.csv", "source": "fiscal_capacity", "sha256": "0", "rows_read": 5, "rows_curated": 5,
                   "rows_quarantined": 0, "rows_superseded": 0, "cells_quarantined": 0, "file_error": None,
                   "notes": None, "was_parsed": True}], columns=LOG_COLUMNS).to_parquet(
        curated / "ingest_log.parquet", index=False)
    sources = load_contracts(ROOT / "config" / "sources").source_of()
    pd.DataFrame({"table": list(tables), "source": [sources[t] for t in tables], "status": "passed", "reason": None,
                  "version_used": "this run"}).to_parquet(curated / "source_status.parquet", index=False)
    (curated / "manifest.json").write_text(json.dumps({"inputs_hash": "test-inputs"}))
    result = score(settings, load(methodology_copy(tmp_path, **{**SMALL_COHORT, "size": 1, "quotas": []})))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield result, {t: con.sql(f"SELECT * FROM score.{t}").df() for t in result.rows}


def _by_region(frame, column):
    return frame.set_index("region_code")[column].to_dict()


def test_minmax_gives_0_and_100_and_kabupaten_are_reweighted_not_zeroed(scored):
    _, t = scored
    index = _by_region(t["region_screening"], "screening_index")
    assert index[KOTA_B] == pytest.approx(100.0)          # max on all three indicators
    assert index[KAB_A] == pytest.approx(0.0)             # min on both of its indicators
    assert index[KAB_C] == pytest.approx(50.0)            # (50 + 50) / 2, not (50 + 50 + 0) / 3
    assert index[KOTA_D] == pytest.approx(100.0 / 3)      # (50 + 50 + 0) / 3: a kota has sustainability


def test_missing_value_is_dropped_with_its_weight_not_scored(scored):
    _, t = scored
    nodes = t["index_node"].set_index(["index_code", "unit_code", "node_code"])
    assert pd.isna(nodes.loc[("screening", KAB_E, "government_performance"), "score"])
    assert not nodes.loc[("screening", KAB_E, "government_performance"), "is_absent"]
    assert nodes.loc[("screening", KAB_E, "sustainability_ikb"), "is_absent"]   # a kabupaten: absent, not missing
    screening = t["region_screening"].set_index("region_code")
    assert screening.loc[KAB_E, "coverage_pct"] == pytest.approx(50.0)
    assert screening.loc[KAB_E, "screening_index"] == pytest.approx(50.0)


def test_regions_without_data_are_not_ranked_and_ranks_are_dense_at_the_top(scored):
    _, t = scored
    ranks = _by_region(t["region_screening"].dropna(subset=["screening_rank"]), "screening_rank")
    assert ranks == {KOTA_B: 1, KAB_C: 2, KAB_E: 2, KOTA_D: 4, KAB_A: 5}
    ranking = t["region_ranking"].set_index("region_code")
    assert len(ranking) == 514
    assert ranking.loc["31.71", "screening_status"] == "not ranked: not an autonomous region: is_autonomous is false"
    assert ranking.loc["11.01", "screening_status"] == "not ranked: data for 0 of 2 indicators"
    assert ranking.loc[KOTA_B, "smart_city_year_joined"] == 2017


def test_readiness_best_answers_score_100_and_rank_first(scored):
    _, t = scored
    readiness = t["region_readiness"].set_index("region_code")
    assert readiness.loc[KAB_A, "readiness_index"] == pytest.approx(100.0)
    assert readiness.loc[KAB_A, "readiness_rank"] == 1
    assert readiness.loc[KOTA_B, "readiness_index"] == pytest.approx(50.0)   # level 3 of 1-5 everywhere
    dims = t["region_dimension"]
    assert dims[dims.region_code == KOTA_B]["dimension_score"].tolist() == pytest.approx([50.0] * 6)
    aspects = t["region_aspect"]
    assert sorted(aspects[aspects.region_code == KAB_A]["aspect"]) == sorted(ASPECTS)


def test_too_few_opds_means_no_readiness_score(scored):
    _, t = scored
    readiness = t["region_readiness"].set_index("region_code")
    assert pd.isna(readiness.loc[KAB_C, "readiness_index"]) and readiness.loc[KAB_C, "opd_submissions"] == 2
    ranking = t["region_ranking"].set_index("region_code")
    assert ranking.loc[KAB_C, "readiness_status"] == "not ranked: too few OPD submissions: opd_submissions is 2, minimum 3"
    assert ranking.loc["11.01", "readiness_status"] == "no questionnaire"


def test_every_score_table_carries_the_hashes(scored):
    result, t = scored
    methodology = load(ROOT / "methodology")
    assert set(t["region_ranking"]["methodology_hash"]) == {result.methodology_hash}
    for name in ("index_node", "index_indicator", "index_contribution", "region_screening", "region_dimension",
                 "region_readiness", "region_ranking"):
        assert set(t[name]["inputs_hash"]) == {"test-inputs"}, name
    for index in methodology.indices:
        assert set(t["index_node"].loc[t["index_node"]["index_code"] == index.code, "methodology_hash"]) == {index.hash}
    assert set(t["region_screening"]["methodology_hash"]) == {methodology.screening.hash}
    assert set(t["region_dimension"]["methodology_hash"]) == {methodology.readiness.hash}


def test_a_region_scored_on_fewer_dimensions_than_required_gets_no_index(scored):
    _, t = scored
    readiness = t["region_readiness"].set_index("region_code")
    assert readiness.loc[KOTA_F, "dimensions_scored"] == 1 and pd.isna(readiness.loc[KOTA_F, "readiness_index"])
    ranking = t["region_ranking"].set_index("region_code")
    assert ranking.loc[KOTA_F, "readiness_status"] == "not ranked: 1 of 6 dimensions scored"


def _number_question(tmp_path, answers_by_region, goal_low=None, goal_high=None, direction=1):
    """Return the readiness engine built through the input models: one OPD per value answers number question QN."""
    settings = Settings.default(tmp_path)
    bank, _, _ = _questionnaires({})
    bank.loc[bank["question_code"] == "QN", ["direction", "goal_low", "goal_high"]] = [direction, goal_low, goal_high]
    submissions, answers = [], []
    for region, values in answers_by_region.items():
        for k, value in enumerate(values):
            sid = f"{region}#{k}"
            submissions.append({"submission_id": sid, "region_code": region, "opd_name": f"OPD {k}", "period": 2024,
                                "submitted_at": pd.Timestamp("2024-09-01")})
            answers += [{"submission_id": sid, "region_code": region, "period": 2024, "question_code": q.question_code,
                         "answer_type": q.answer_type, "answer_value": value if q.question_code == "QN" else 3.0}
                        for q in bank.itertuples()]
    settings.curated_dir.mkdir(parents=True)
    for name, frame in {"question_bank": bank, "questionnaire_submissions": pd.DataFrame(submissions),
                        "questionnaire_answers": pd.DataFrame(answers)}.items():
        frame.to_parquet(settings.curated_dir / f"{name}.parquet", index=False)
    methodology = load(ROOT / "methodology")
    inputs = methodology.readiness.doc["inputs"]
    con = duckdb.connect()
    load_inputs(con, settings, methodology, load_contracts(ROOT / "config" / "sources"), "test-inputs")
    run_models(con, [m for m in model_phases()["inputs"] if m.startswith("readiness_")])
    engine.build(con, methodology.readiness, inputs["units"], inputs["values"], inputs["indicators"])
    return con


def _question(con, column="normalised_value"):
    frame = engine.result(con, "index_indicator")
    return frame[frame["indicator_code"] == "QN"].set_index("unit_code")[column].to_dict()


# Region means 10, 20 and 40 (OPDs 5/10/15, 20/20/20, 30/40/50); Kab C's two OPDs are too few to be scored, so
# its 100 does not widen the range.
SPREAD = {KAB_A: [5.0, 10.0, 15.0], KOTA_B: [20.0, 20.0, 20.0], KOTA_D: [30.0, 40.0, 50.0], KAB_C: [100.0, 100.0]}


def test_a_number_question_without_goalposts_is_min_max_normalised_over_the_regions_scored(tmp_path):
    con = _number_question(tmp_path, SPREAD)
    indicator = con.sql("SELECT * FROM score.readiness_indicator WHERE indicator_code = 'QN'").df().iloc[0]
    assert indicator["normalisation_method"] == "minmax" and pd.isna(indicator["normalisation_low"])
    assert _question(con, "raw_value") == pytest.approx({KAB_A: 10.0, KOTA_B: 20.0, KOTA_D: 40.0})
    # 100·(10−10)/(40−10) = 0, 100·(20−10)/30 = 33.33…, 100·(40−10)/30 = 100
    assert _question(con) == pytest.approx({KAB_A: 0.0, KOTA_B: 100 / 3, KOTA_D: 100.0})
    nodes = engine.result(con, "index_node")
    element = nodes[nodes["node_code"] == "public_service"].set_index("unit_code")["score"].to_dict()
    assert element == pytest.approx({KAB_A: 25.0, KOTA_B: 125 / 3, KOTA_D: 75.0})   # (50 + QN) / 2


def test_a_lower_is_better_number_question_without_goalposts_reverses_the_range(tmp_path):
    con = _number_question(tmp_path, SPREAD, direction=-1)
    # x = −value: 100·(−10+40)/30 = 100, 100·(−20+40)/30 = 66.67, 0
    assert _question(con) == pytest.approx({KAB_A: 100.0, KOTA_B: 200 / 3, KOTA_D: 0.0})


def test_a_number_question_with_goalposts_still_uses_them(tmp_path):
    con = _number_question(tmp_path, SPREAD, goal_low=0.0, goal_high=100.0)
    indicator = con.sql("SELECT * FROM score.readiness_indicator WHERE indicator_code = 'QN'").df().iloc[0]
    assert (indicator["normalisation_method"], indicator["normalisation_low"], indicator["normalisation_high"]) == (
        "goalposts", 0.0, 100.0)
    assert _question(con) == pytest.approx({KAB_A: 10.0, KOTA_B: 20.0, KOTA_D: 40.0})   # 100·value/100


def test_a_number_question_every_region_answers_alike_scores_50_and_is_flagged_constant(tmp_path):
    con = _number_question(tmp_path, {KAB_A: [20.0] * 3, KOTA_B: [10.0, 20.0, 30.0], KOTA_D: [20.0] * 3})
    # min = max = 20: min-max cannot divide by 0, so every region gets the middle of 0-100
    assert _question(con) == pytest.approx({KAB_A: 50.0, KOTA_B: 50.0, KOTA_D: 50.0})
    flags = engine.result(con, "index_flag")
    assert flags.loc[flags["node_code"] == "QN", "flag"].tolist() == ["constant"]


def test_the_methods_published_for_the_methodology_page_are_those_each_question_was_scored_with(tmp_path):
    con = _number_question(tmp_path, SPREAD)
    methods = engine.result(con, "index_node_method").set_index("node_code")

    def parameters(node: str) -> dict:
        return {p["parameter"]: p["number_value"] for p in methods.loc[node, "normalisation_parameters"]
                if p["number_value"] is not None}

    # A 1-5 question: its answer type's goalposts; QN without goalposts: the min-max the engine fell back to.
    assert (methods.loc["Q00", "normalisation_method"], parameters("Q00")) == (
        "goalposts", {"low": 1.0, "high": 5.0, "scale": 100.0})
    assert (methods.loc["QN", "normalisation_method"], parameters("QN")) == ("minmax", {"low": 0.0, "high": 100.0})
    assert methods.loc[["Q00", "QN"], "direction"].tolist() == [1, 1]
    # readiness.yaml's levels: an element needs half its question weight answered, the index all six dimensions.
    assert methods.loc[["public_service", "governance", "readiness"], "min_availability_pct"].tolist() == [50, 0, 100]


def test_the_cohort_monte_carlo_ran_the_design_the_methodology_page_shows(scored, tmp_path):
    _, t = scored
    methodology = load(methodology_copy(tmp_path, **{**SMALL_COHORT, "size": 1, "quotas": []}))
    design = selection.monte_carlo_design(methodology, Settings.default(tmp_path).monte_carlo).iloc[0]
    factors = selection.monte_carlo_factors(methodology).drop_duplicates("factor")
    run = t["cohort_run"].iloc[0]
    assert (run["replications"], run["base_samples"], run["seed"]) == (
        design["replications"], SMALL_COHORT["uncertainty"]["base_samples"], SMALL_COHORT["uncertainty"]["seed"])
    assert run["factors"] == ", ".join(f"{f} ({n})" for f, n in zip(factors["factor"], factors["alternatives"]))
