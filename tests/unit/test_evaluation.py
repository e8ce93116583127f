"""The evaluation: consensus, weights, ranks, agreement, moderation, severity and the Smart Province roll-up, on
hand-computed score sheets run through the real SQL models in DuckDB."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import trim_mean

from pipelines.ingest import reference
from pipelines.score import evaluation
from pipelines.score.yaml_lines import MethodologyError
from pipelines.score.run import model_phases, run_models
from tests.conftest import ROOT

DIMENSIONS = ("governance", "branding", "economy", "living", "society", "environment")
KOTA_YOGYA, SLEMAN, KAB_PROBOLINGGO = "34.71", "34.04", "35.13"


def _sheet(region: str, year: int, cells: dict[tuple[str, str], dict[str, float]]) -> list[dict]:
    return [{"region_code": region, "year": year, "evaluator": who, "component": component, "dimension": dimension,
             "score_0_4": score}
            for (component, dimension), scores in cells.items() for who, score in scores.items()]


def _whole(scores_by_component: dict[str, dict[str, float]]) -> dict[tuple[str, str], dict[str, float]]:
    return {(c, "overall"): s for c, s in scores_by_component.items()}


# Kota Yogyakarta 2024, three assessors; outcome is scored on two dimensions, the rest as a whole.
YOGYA_2024 = {
    ("baseline", "overall"): {"A": 2, "B": 3, "C": 4},
    ("output", "overall"): {"A": 1, "B": 2, "C": 2},
    ("outcome", "governance"): {"A": 3, "B": 3, "C": 4},
    ("outcome", "economy"): {"A": 2, "B": 2, "C": 0},      # spread 2: to moderation
    ("impact", "overall"): {"A": 2, "B": 2, "C": 2},
    ("quick_win", "overall"): {"A": 4, "B": 3, "C": 4},
}
SHEETS = pd.DataFrame(
    _sheet(KOTA_YOGYA, 2023, YOGYA_2024) + _sheet(KOTA_YOGYA, 2024, YOGYA_2024)
    + _sheet(SLEMAN, 2023, _whole({c: {"A": 2, "B": 2} for c in evaluation.COMPONENTS}))    # two assessors only
    + _sheet(SLEMAN, 2024, _whole({c: {"A": 3, "B": 2} for c in evaluation.COMPONENTS}))
    + _sheet(KAB_PROBOLINGGO, 2024, _whole({c: {"A": 3, "B": 3, "C": 3} for c in evaluation.COMPONENTS})))
KULON_PROGO = "34.01"    # joins in 2024, no masterplan evaluated yet
COHORTS = pd.DataFrame({"region_code": [SLEMAN, KOTA_YOGYA, KULON_PROGO, "34"], "year_joined": [2017, 2022, 2024, 2023],
                        "programme": ["smart_city", "smart_city", "smart_city", "smart_province"]})


def _rules(tmp_path, **changes) -> evaluation.EvaluationRules:
    doc = yaml.safe_load((ROOT / "methodology" / "evaluation.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        target = doc
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(int(part) if part.isdigit() else part, {})
        target[last] = value
    path = tmp_path / "evaluation.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return evaluation.load_rules(path, DIMENSIONS)


def evaluate(rules: evaluation.EvaluationRules, sheets: pd.DataFrame = SHEETS) -> dict[str, pd.DataFrame]:
    """Return every evaluation table built from `sheets` by the real models in an in-memory DuckDB."""
    regions = reference.regions(ROOT / "data" / "reference")
    ranking = regions[["region_code"]].assign(readiness_index=np.where(regions["province_code"] == "34", 60.0, None),
                                              screening_index=40.0)
    frames = {
        "reference.regions": regions, "curated.evaluations": sheets.astype({"score_0_4": "float64"}),
        "curated.cohorts": COHORTS, "score.region_ranking": ranking.astype({"readiness_index": "float64"}),
        "methodology.evaluation_year": rules.year_table(), "methodology.evaluation_weight": rules.weight_table(),
        "methodology.evaluation_component": rules.component_label_table(),
        "methodology.parameter": rules.parameter_table(),
        "methodology.run": pd.DataFrame([{"methodology_hash": "m", "inputs_hash": "i"}]),
    }
    con = duckdb.connect()
    for schema in ("reference", "curated", "score", "methodology"):
        con.execute(f"CREATE SCHEMA {schema}")
    for name, frame in frames.items():
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    models = model_phases()["evaluation"]
    run_models(con, models)
    evaluation.publish(con)
    tables = [*models, "evaluation_agreement"]
    return {t: con.sql(f"SELECT * FROM score.{t}").df() for t in tables}


@pytest.fixture
def rules(tmp_path):
    return _rules(tmp_path)


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = np.logical_and.reduce([frame[k] == v for k, v in where.items()])
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_consensus_components_and_overall_index_by_hand(rules):
    out = evaluate(rules)
    cells, components, regions = out["evaluation_cell"], out["evaluation_component"], out["evaluation_region"]
    assert _row(cells, region_code=KOTA_YOGYA, year=2024, component="baseline")["consensus_score"] == 3.0  # median 2, 3, 4
    assert _row(cells, region_code=KOTA_YOGYA, year=2024, component="output")["consensus_score"] == 2.0    # median 1, 2, 2
    outcome = _row(components, region_code=KOTA_YOGYA, year=2024, component="outcome")
    assert (outcome["component_score"], outcome["scored_on"], outcome["dimensions_scored"]) == (2.5, "dimensions", 2)
    assert _row(components, region_code=KOTA_YOGYA, year=2024, component="quick_win")["scored_on"] == "as a whole"
    # 2024 weights 10/20/30/20/20: 0.1·3 + 0.2·2 + 0.3·2.5 + 0.2·2 + 0.2·4 = 2.65
    yogya = _row(regions, region_code=KOTA_YOGYA, year=2024)
    assert yogya["evaluation_index"] == pytest.approx(2.65)
    assert (yogya["baseline_score"], yogya["outcome_score"], yogya["quick_win_score"]) == (3.0, 2.5, 4.0)
    # The same sheets under the 2023 weights 10/20/30/30/10: 0.3 + 0.4 + 0.75 + 0.6 + 0.4 = 2.45; change +0.20.
    assert _row(regions, region_code=KOTA_YOGYA, year=2023)["evaluation_index"] == pytest.approx(2.45)
    assert (yogya["previous_year"], yogya["index_change"]) == (2023, pytest.approx(0.2))
    dims = out["evaluation_dimension"]
    assert _row(dims, region_code=KOTA_YOGYA, year=2024, dimension="economy")["dimension_score"] == 2.0
    assert set(dims.loc[dims["region_code"] == KOTA_YOGYA, "dimension"]) == {"governance", "economy"}


def test_year_weights_ranks_change_and_too_few_assessors(rules):
    regions = evaluate(rules)["evaluation_region"]
    sleman_2023 = _row(regions, region_code=SLEMAN, year=2023)
    sleman_2024 = _row(regions, region_code=SLEMAN, year=2024)
    assert sleman_2023["evaluation_index"] == 2.0 and sleman_2023["methodology_year"] == 2023
    assert sleman_2024["evaluation_index"] == 2.5                      # median of 3 and 2 in every component
    assert (sleman_2024["previous_year"], sleman_2024["index_change"]) == (2023, 0.5)
    assert sleman_2024["too_few_assessors"] and "only 2 assessor(s)" in sleman_2024["flags"]
    ranks = regions[regions["year"] == 2024].set_index("region_code")[["national_rank", "province_rank"]]
    assert ranks.loc[KAB_PROBOLINGGO].tolist() == [1, 1]               # 3.00
    assert ranks.loc[KOTA_YOGYA].tolist() == [2, 1]                    # 2.65, first in DI Yogyakarta
    assert ranks.loc[SLEMAN].tolist() == [3, 2]                        # 2.50
    assert pd.isna(_row(regions, region_code=KAB_PROBOLINGGO, year=2024)["previous_year"])


# The rules as Python's decimal module names them, applied to the exact decimal.
DECIMAL_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
# 2023 weights 10/20/30/30/10 with quick win 1.25 (median of 1 and 1.5): exactly 1.925, 1.92499999... in floating point.
TIE_SHEETS = pd.DataFrame(_sheet(KAB_PROBOLINGGO, 2023, _whole(
    {c: {"A": 2, "B": 2} for c in evaluation.COMPONENTS} | {"quick_win": {"A": 1, "B": 1.5}})))


@pytest.mark.parametrize("rule, published", [("half_up", 1.93), ("half_even", 1.92), ("down", 1.92)])
def test_each_year_rounds_its_published_scores_by_its_own_rule(tmp_path, rule, published):
    rules = _rules(tmp_path, **{"years.2023.rounding": rule})
    assert rules.year_table().set_index("year")["rounding"].to_dict() == {2023: rule, 2024: "half_up"}
    assert evaluate(rules, TIE_SHEETS)["evaluation_region"]["evaluation_index"].tolist() == [published]


def _macro_rounding(values: list[float], decimals: int, rule: str) -> list[float]:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA methodology; CREATE TABLE methodology.parameter (name VARCHAR, value VARCHAR)")
        con.execute((ROOT / "pipelines" / "score" / "models" / "_macros.sql").read_text(encoding="utf-8"))
        return [con.execute("SELECT round_published(?::DOUBLE, ?, ?)", [v, decimals, rule]).fetchall()[0][0]
                for v in values]


@pytest.mark.parametrize("rule", evaluation.ROUNDING)
def test_round_published_rounds_the_exact_decimal_as_python_decimal_does(rule):
    # Ties in both signs, values a float error away from a tie (0.1·0.5 + 0.3·2.75 = 0.875 exactly), and plain values.
    exact = ["1.005", "-1.005", "1.925", "1.935", "-1.925", "2.5", "0.125", "-0.125", "1.929", "-1.929", "3.14159", "0"]
    floats = [float(e) for e in exact] + [0.1 * 0.5 + 0.3 * 2.75, 0.1 * 3 + 0.2 * 2 + 0.3 * 2.5 + 0.2 * 2 + 0.2 * 4]
    expected_exact = exact + ["0.875", "2.65"]
    for decimals in (0, 1, 2):
        step = Decimal(1).scaleb(-decimals)
        expected = [float(Decimal(e).quantize(step, rounding=DECIMAL_ROUNDING[rule])) for e in expected_exact]
        assert _macro_rounding(floats, decimals, rule) == expected, (rule, decimals)


def test_duckdb_round_alone_would_round_the_floating_point_value():
    # Why round_published snaps first: 1.005 is 1.00499999999999989... in binary floating point.
    with duckdb.connect() as con:
        assert con.sql("SELECT round(1.005::DOUBLE, 2)").fetchall() == [(1.0,)]
    assert _macro_rounding([1.005], 2, "half_up") == [1.01]


def test_a_component_scored_both_ways_or_only_on_zero_weight_dimensions(tmp_path):
    both = _whole({c: {"A": 3, "B": 3, "C": 3} for c in ("baseline", "output", "outcome", "quick_win")})
    both |= {("impact", "overall"): {"C": 0}, ("impact", "governance"): {"A": 4, "B": 4}}
    out = evaluate(_rules(tmp_path), pd.DataFrame(_sheet(KAB_PROBOLINGGO, 2024, both)))
    impact = _row(out["evaluation_component"], component="impact")
    assert (impact["component_score"], impact["scored_on"], impact["scored_both_ways"]) == (4.0, "dimensions", True)
    assert "impact scored both as a whole and per dimension" in out["evaluation_region"].iloc[0]["flags"]
    # Impact scored only on a dimension that weighs nothing: no impact score, so no index.
    only_branding = {k: v for k, v in both.items() if k[0] != "impact"} | {("impact", "branding"): {"A": 4, "B": 4}}
    rules = _rules(tmp_path, **{"defaults.dimensions": dict.fromkeys(DIMENSIONS, 1) | {"branding": 0}})
    region = evaluate(rules, pd.DataFrame(_sheet(KAB_PROBOLINGGO, 2024, only_branding)))["evaluation_region"].iloc[0]
    assert pd.isna(region["evaluation_index"]) and region["flags"].startswith("not ranked: 4 of 5 components scored")


def test_mean_and_trimmed_mean_rules(tmp_path):
    mean = evaluate(_rules(tmp_path, **{"defaults.consensus": {"rule": "mean"}}))["evaluation_cell"]
    assert _row(mean, region_code=KOTA_YOGYA, year=2024, component="output")["consensus_score"] == pytest.approx(5 / 3)
    scores = [0.0, 2.0, 2.0, 3.0, 4.0]
    five = pd.DataFrame(_sheet(KOTA_YOGYA, 2024, {("impact", "living"): dict(zip("ABCDE", scores))}))
    trimmed = evaluate(_rules(tmp_path, **{"defaults.consensus": {"rule": "trimmed_mean", "trim_pct": 20}}), five)
    cell = _row(trimmed["evaluation_cell"], component="impact")
    assert cell["consensus_score"] == pytest.approx(trim_mean(scores, 0.2)) == pytest.approx(7 / 3)
    assert cell["score_median"] == 2.0 and cell["score_mean"] == pytest.approx(2.2)


def test_moderation_threshold_is_strictly_greater(tmp_path):
    sheets = pd.DataFrame(_sheet(KOTA_YOGYA, 2024, {("impact", "living"): {"A": 2, "B": 3, "C": 3.5},      # spread 1.5
                                                    ("impact", "society"): {"A": 0, "B": 2, "C": 2},      # spread 2
                                                    ("impact", "economy"): {"A": 0.7, "B": 1, "C": 2.2}}))  # 1.5 too
    at_default = evaluate(_rules(tmp_path), sheets)["evaluation_moderation"]
    assert at_default["dimension"].tolist() == ["society"]
    row = at_default.iloc[0]
    assert row["scores_side_by_side"] == "A: 0.0 | B: 2.0 | C: 2.0" and row["furthest_assessor"] == "A"
    tighter = evaluate(_rules(tmp_path, **{"defaults.moderation": {"max_spread": 1.0}}), sheets)["evaluation_moderation"]
    assert tighter["dimension"].tolist() == ["society", "economy", "living"]     # widest first, then by dimension
    tie = evaluate(_rules(tmp_path), pd.DataFrame(_sheet(KOTA_YOGYA, 2024, {("impact", "living"): {"A": 0, "B": 2, "C": 4}})))
    assert tie["evaluation_moderation"].iloc[0]["furthest_assessor"] == "A, C"            # both 2 from the median


def test_assessor_severity_needs_enough_cells(tmp_path):
    few = evaluate(_rules(tmp_path))["evaluation_assessor"]
    assert set(few["leaning"].str.startswith("too few cells")) == {True}
    judged = evaluate(_rules(tmp_path, **{"defaults.severity": {"min_cells": 5, "flag_deviation": 0.1}}))
    a = _row(judged["evaluation_assessor"], year=2024, evaluator="A")
    # A's 2024 cells: Yogyakarta -1, -1, 0, 0, 0, 0; Sleman five × +0.5 (median of 3 and 2 is 2.5); Probolinggo five × 0.
    assert a["cells"] == 16 and a["mean_deviation"] == pytest.approx((-2 + 2.5) / 16)
    c = _row(judged["evaluation_assessor"], year=2024, evaluator="C")
    assert c["mean_deviation"] == pytest.approx((1 + 0 + 1 - 2 + 0 + 0) / 11)
    b = _row(judged["evaluation_assessor"], year=2024, evaluator="B")
    assert b["mean_deviation"] == pytest.approx((0 + 0 + 0 + 0 + 0 - 1 - 2.5 + 0) / 16)
    assert b["leaning"] == "severe" and a["leaning"] == "in line" and c["leaning"] == "in line"


def test_smart_province_roll_up_of_di_yogyakarta(tmp_path):
    rollup = evaluate(_rules(tmp_path, **{"smart_province.masterplan_share_pct": 40}))["province_rollup"]
    diy = rollup[rollup["province_code"] == "34"].set_index("year")
    assert diy.loc[2024, "kabkota"] == 5
    assert (diy.loc[2024, "in_programme"], diy.loc[2024, "with_masterplan"]) == (3, 2)   # Kulon Progo: no masterplan
    assert (diy.loc[2023, "in_programme"], diy.loc[2023, "with_masterplan"]) == (2, 2)   # Sleman, Kota Yogyakarta
    assert (diy.loc[2024, "in_programme_pct"], diy.loc[2024, "with_masterplan_pct"]) == (60.0, 40.0)
    assert diy.loc[2024, "meets_masterplan_share"]                                        # 40% of 40% needed
    stricter = evaluate(_rules(tmp_path, **{"smart_province.masterplan_share_pct": 41}))["province_rollup"]
    assert not _row(stricter, province_code="34", year=2024)["meets_masterplan_share"]
    assert (diy.loc[2024, "evaluation_min"], diy.loc[2024, "evaluation_max"]) == (2.5, 2.65)
    assert diy.loc[2024, "evaluation_median"] == pytest.approx(2.575)
    assert diy.loc[2024, "readiness_median"] == 60.0 and diy.loc[2024, "readiness_assessed"] == 5
    assert diy.loc[2024, "smart_province_status"] == "in the Smart Province programme since 2023"
    assert len(rollup[rollup["year"] == 2024]) == 38                                           # every province
    jatim = _row(rollup, province_code="35", year=2024)
    # Kabupaten Probolinggo was evaluated but is not in the cohorts list: not a member with a masterplan.
    assert jatim["smart_province_status"] == "not yet: 0 of 38 kab/kota have a masterplan (40% needed)"


# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for Communication,
# University of Pennsylvania, Departmental Papers (ASC) 43, pp. 3-6: four observers, twelve units, values 1-5 with
# missing data; alpha nominal = .743, ordinal = .815, interval = .849, ratio = .797 (the `krippendorff` package's own
# doctest gives the same four values for these data).
KRIPPENDORFF_2011 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
                     [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]


def test_agreement_reproduces_krippendorff_2011():
    long = pd.DataFrame([{"year": 2024, "component": "outcome", "region_code": f"unit {u:02d}", "dimension": "overall",
                          "evaluator": f"observer {o}", "score_0_4": float(v)}
                         for o, row in enumerate(KRIPPENDORFF_2011) for u, v in enumerate(row) if v is not None])
    table = evaluation.agreement(long, {2024: "interval"}).set_index("component")
    published = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    assert {level: round(table.loc["outcome", f"alpha_{level}"], 3) for level in evaluation.ALPHA_LEVELS} == published
    assert (table.loc["outcome", "verdict_level"], table.loc["outcome", "verdict_alpha"]) == (
        "interval", table.loc["outcome", "alpha_interval"])
    # Unit 12 has one value only: it is not pairable. 11 units hold 40 pairable values (Krippendorff's n = 40).
    assert (table.loc["outcome", "units"], table.loc["outcome", "pairable_values"]) == (12, 40)
    assert table.loc["outcome", "verdict"].startswith("reliable")


def test_agreement_is_undefined_without_variation():
    same = pd.DataFrame([{"year": 2024, "component": "impact", "region_code": r, "dimension": "overall",
                          "evaluator": e, "score_0_4": 3.0} for r in ("a", "b") for e in ("x", "y")])
    row = evaluation.agreement(same, {2024: "ordinal"}).iloc[0]
    assert all(math.isnan(row[f"alpha_{level}"]) for level in evaluation.ALPHA_LEVELS)
    assert row["verdict"].startswith("not computable")


@pytest.mark.parametrize("level", evaluation.ALPHA_LEVELS)
def test_the_verdict_uses_the_level_the_year_chooses(tmp_path, level):
    rules = _rules(tmp_path, **{"years.2024.agreement": {"level": level}})
    agreement = evaluate(rules)["evaluation_agreement"].set_index(["year", "component"])
    assert (agreement["verdict_level"].to_dict()[(2024, "all")], agreement["verdict_level"].to_dict()[(2023, "all")]) == (
        level, "ordinal")
    row = agreement.loc[(2024, "all")]
    assert row["verdict_alpha"] == row[f"alpha_{level}"]


def test_a_year_without_its_own_methodology_takes_the_latest_earlier_one(rules):
    later = SHEETS[SHEETS["region_code"] == KAB_PROBOLINGGO].assign(year=2026)
    out = evaluate(rules, pd.concat([SHEETS, later]))
    year = _row(out["evaluation_year"], year=2026)
    assert year["methodology_year"] == 2024
    assert year["status"] == "scored with the 2024 methodology (no entry for 2026)"
    assert _row(out["evaluation_region"], region_code=KAB_PROBOLINGGO, year=2026)["evaluation_index"] == 3.0


@pytest.mark.parametrize("change, message", [
    ({"defaults.consensus": {"rule": "mode"}}, "unknown consensus rule 'mode'"),
    ({"years.2024.components": {"baseline": 10, "output": 20}}, "missing: outcome, impact, quick_win"),
    ({"defaults.consensus": {"rule": "trimmed_mean"}}, "needs trim_pct above 0"),
    ({"years.2024.moderation": {"max_spread": 5}}, "expected a number from 0 to 4"),
    ({"years.2024.colour": "red"}, "years.2024.colour: unknown key"),
    ({"years.2024.rounding": "ceiling"}, "years.2024.rounding: unknown rounding rule 'ceiling'; known: half_up, "
                                         "half_even, down"),
    ({"defaults.agreement": {"level": "circular"}}, "defaults.agreement.level: unknown level of measurement "
                                                    "'circular'; known: nominal, ordinal, interval, ratio"),
    ({"years.2024.decimals": 7}, "years.2024.decimals: at most 6 decimals, found 7"),
])
def test_bad_methodology_names_file_line_and_key(tmp_path, change, message):
    with pytest.raises(MethodologyError, match=r"evaluation\.yaml:\d+: .*" + message.replace("(", r"\(")):
        _rules(tmp_path, **change)
