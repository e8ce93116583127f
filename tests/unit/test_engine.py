"""The composite-indicator engine on tiny inline methodologies, checked against numbers computed by hand."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.score import engine, uncertainty
from pipelines.score.engine import EngineError
from pipelines.score.index_method import load_index

YEAR = 2024
NAN = math.nan
NONE = {"normalisation": "none"}  # scores equal raw values, so means can be checked by hand


def run(tmp_path, nodes, values, unit_frame=None, **top):
    """Return a connection with the engine built on values {indicator: {unit: value}} or (unit, indicator, year, value)."""
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"index": "t", **top, "nodes": nodes}))
    if isinstance(values, dict):
        values = [(u, i, YEAR, v) for i, by_unit in values.items() for u, v in by_unit.items()]
    values = pd.DataFrame(values, columns=["unit_code", "indicator_code", "year", "value"]).astype({"value": "float64"})
    if unit_frame is None:
        unit_frame = pd.DataFrame({"unit_code": sorted(set(values["unit_code"]))})
    con = duckdb.connect()
    engine.build_frames(con, load_index(path), unit_frame, values)
    return con


def tree(*codes, root=None, **spec):
    """Return nodes: an index I over indicators `codes`, each with `spec`."""
    return {"I": root or {}, **{c: {"parent": "I", **spec} for c in codes}}


def by_unit(con, result, code, column, key="indicator_code"):
    frame = engine.result(con, result)
    frame = frame[frame[key] == code]
    values = frame[column]
    if pd.api.types.is_string_dtype(values):  # text: missing as None
        values = values.astype(object).where(values.notna(), None)
    return dict(zip(frame["unit_code"], values))


def stage(con, indicator, column="normalised_value"):
    return by_unit(con, "index_indicator", indicator, column)


def score(con, node="I", column="score"):
    return by_unit(con, "index_node", node, column, key="node_code")


LOOKUPS = {"steps": [[0, 0], [10, 50], [20, 100]]}
ABC = {"A": 10, "B": 30, "C": 70}


@pytest.mark.parametrize("spec, direction, values, expected", [
    # 100·(4−2)/(10−2) = 25; on [1, 10]: 1 + 9·2/8 = 3.25; direction −1: 100·(−4+10)/(−2+10) = 75
    pytest.param("minmax", 1, {"A": 2, "B": 4, "C": 10}, {"A": 0, "B": 25, "C": 100}, id="minmax"),
    pytest.param({"method": "minmax", "low": 1, "high": 10}, 1, {"A": 2, "B": 4, "C": 10},
                 {"A": 1, "B": 3.25, "C": 10}, id="minmax-1-10"),
    pytest.param("minmax", -1, {"A": 2, "B": 4, "C": 10}, {"A": 100, "B": 75, "C": 0}, id="minmax-down"),
    # mean 5, sample sd √((9+1+16)/2) = √13: 10 + 2·(2−5)/√13, 10 + 2·(4−5)/√13, 10 + 2·(9−5)/√13
    pytest.param({"method": "zscore", "mean": 10, "sd": 2}, 1, {"A": 2, "B": 4, "C": 9},
                 {"A": 8.3358994, "B": 9.4452998, "C": 12.2188008}, id="zscore"),
    pytest.param({"method": "goalposts", "low": 0, "high": 50}, 1, {"A": -10, "B": 20, "C": 80},
                 {"A": 0, "B": 40, "C": 100}, id="goalposts-truncated"),  # −0.2 → 0, 20/50, 1.6 → 1
    pytest.param({"method": "goalposts", "low": 0, "high": 50, "truncate": False}, 1, {"A": -10, "B": 20, "C": 80},
                 {"A": -20, "B": 40, "C": 160}, id="goalposts-untruncated"),
    # direction −1: 100·(50 − v)/50 → A 120 → 100, B 60, C −60 → 0
    pytest.param({"method": "goalposts", "low": 0, "high": 50}, -1, {"A": -10, "B": 20, "C": 80},
                 {"A": 100, "B": 60, "C": 0}, id="goalposts-down-truncated"),
    pytest.param({"method": "goalposts", "low": 0, "high": 50, "truncate": False}, -1, {"A": -10, "B": 20, "C": 80},
                 {"A": 120, "B": 60, "C": -60}, id="goalposts-down-untruncated"),
    # 100·(x − min)/(target − min): (30−10)/(50−10) = 0.5; C (70−10)/40 = 1.5, capped at 1
    pytest.param({"method": "target", "target": 50}, 1, ABC, {"A": 0, "B": 50, "C": 100}, id="target-capped"),
    pytest.param({"method": "target", "target": 50, "truncate": False}, 1, ABC, {"A": 0, "B": 50, "C": 150},
                 id="target-uncapped"),
    # 100·(x − min)/(x_B − min): (70−10)/(30−10) = 3
    pytest.param({"method": "reference_unit", "unit": "B"}, 1, ABC, {"A": 0, "B": 100, "C": 300}, id="reference-unit"),
    pytest.param("fraction_of_max", 1, {"A": 10, "B": 30, "C": 60}, {"A": 100 / 6, "B": 50, "C": 100},
                 id="fraction-of-max"),  # 100·x/60
    pytest.param("fraction_of_max", -1, {"A": 10, "B": 30, "C": 60}, {"A": 100, "B": 100 / 3, "C": 100 / 6},
                 id="fraction-of-max-down"),  # 100·10/x
    pytest.param("rank", 1, {"A": 5, "B": 7, "C": 5, "D": 9}, {"A": 1, "B": 3, "C": 1, "D": 4}, id="rank-ties-min"),
    pytest.param("percentile_rank", 1, {"A": 5, "B": 7, "C": 5, "D": 9}, {"A": 0, "B": 200 / 3, "C": 0, "D": 100},
                 id="percentile-rank"),  # 100·(rank − 1)/(n − 1)
    pytest.param("borda", 1, {"A": 5, "B": 7, "C": 5, "D": 9}, {"A": 0, "B": 2, "C": 0, "D": 3}, id="borda"),
    # points (0,0) (10,50) (20,100): 5 → 25, 15 → 75, 10 → 50; below the first → 0, above the last → 100
    pytest.param({"method": "lookup", "table": "steps"}, 1, {"A": -5, "B": 5, "C": 15, "D": 30, "E": 10},
                 {"A": 0, "B": 25, "C": 75, "D": 100, "E": 50}, id="lookup"),
    pytest.param("none", 1, {"A": -3.5, "B": 7}, {"A": -3.5, "B": 7}, id="none"),
])
def test_normalisation_methods_give_the_hand_computed_values(tmp_path, spec, direction, values, expected):
    con = run(tmp_path, tree("x", normalisation=spec, direction=direction), {"x": values}, lookups=LOOKUPS)
    assert stage(con, "x") == pytest.approx(expected)


def test_an_indicators_table_sets_each_normalisation_and_empty_parameters_take_the_method_defaults(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"index": "t", "inputs": {"indicators": "score.questions"}, "nodes": {"I": {}}}))
    # As score.readiness_indicator gives them: a number question with goalposts, and one without (min-max).
    indicators = pd.DataFrame({"indicator_code": ["g", "m"], "parent_code": "I", "weight": 1.0, "direction": 1,
                               "normalisation_method": ["goalposts", "minmax"],
                               "normalisation_low": [0.0, NAN], "normalisation_high": [50.0, NAN]})
    values = pd.DataFrame([(u, i, YEAR, v) for i in ("g", "m") for u, v in {"A": 10, "B": 20, "C": 40}.items()],
                          columns=["unit_code", "indicator_code", "year", "value"]).astype({"value": "float64"})
    con = duckdb.connect()
    engine.build_frames(con, load_index(path), pd.DataFrame({"unit_code": list("ABC")}), values, indicators)
    assert stage(con, "g") == pytest.approx({"A": 20, "B": 40, "C": 80})          # 100·v/50
    assert stage(con, "m") == pytest.approx({"A": 0, "B": 100 / 3, "C": 100})     # 0-100: 100·(v − 10)/30


@pytest.mark.parametrize("method, expected", [
    ("arithmetic", 6.5),  # (1·2 + 3·8)/4
    ("geometric", 2 ** 2.5),  # 2^(1/4)·8^(3/4) = 2^(1/4 + 9/4)
    ("harmonic", 32 / 7),  # 4/(1/2 + 3/8)
    ({"method": "generalised", "p": 2}, 7.0),  # √((1·2² + 3·8²)/4) = √49
])
def test_means_weigh_children_and_their_contributions_add_up_to_the_score(tmp_path, method, expected):
    nodes = {"I": {"aggregation": method}, "a": {"parent": "I", "weight": 1}, "b": {"parent": "I", "weight": 3}}
    con = run(tmp_path, nodes, {"a": {"A": 2}, "b": {"A": 8}}, defaults=NONE)
    assert score(con) == pytest.approx({"A": expected})
    contributions = engine.result(con, "index_contribution").set_index("child_code")
    assert contributions["weight_share"].to_dict() == pytest.approx({"a": 0.25, "b": 0.75})
    assert contributions["contribution"].sum() == pytest.approx(expected)


def test_copeland_counts_pairwise_wins_over_children_by_weight(tmp_path):
    nodes = {"I": {"aggregation": "copeland"}, "a": {"parent": "I", "weight": 2}, "b": {"parent": "I", "weight": 1}}
    con = run(tmp_path, nodes, {"a": {"A": 1, "B": 2, "C": 3}, "b": {"A": 3, "B": 1, "C": 2}}, defaults=NONE)
    # B vs A: 2·(+1) + 1·(−1) > 0, B vs C: 2·(−1) + 1·(−1) < 0, C vs A: 2·(+1) + 1·(−1) > 0
    assert score(con) == {"A": -2, "B": 0, "C": 2}


@pytest.mark.parametrize("threshold, expected_a", [(40, 20.0), (50, NAN)])
def test_a_missing_child_drops_out_with_its_weight_until_availability_falls_below_the_threshold(
        tmp_path, threshold, expected_a):
    nodes = {"I": {"min_availability_pct": threshold}, "a": {"parent": "I"}, "b": {"parent": "I", "weight": 3},
             "c": {"parent": "I"}}
    con = run(tmp_path, nodes, {"a": {"A": 10, "B": 20}, "b": {"A": None, "B": 40}, "c": {"A": 30, "B": 60}},
              defaults=NONE)
    # A: (10 + 30)/2 over weight 2 of 5 = 40 %; B: (20 + 3·40 + 60)/5
    assert score(con) == pytest.approx({"A": expected_a, "B": 40.0}, nan_ok=True)
    assert score(con, column="availability_pct") == pytest.approx({"A": 40.0, "B": 100.0})


@pytest.mark.parametrize("threshold, expected_a", [(60, NAN), (50, 10.0)])
def test_a_structurally_absent_indicator_does_not_count_as_missing(tmp_path, threshold, expected_a):
    nodes = tree("a", "b", root={"min_availability_pct": threshold})
    nodes["c"] = {"parent": "I", "applies_to": {"type": ["kota"]}}
    units = pd.DataFrame({"unit_code": ["A", "B"], "type": ["kabupaten", "kota"]})
    con = run(tmp_path, nodes, {"a": {"A": 10, "B": 10}, "b": {"A": None, "B": 20}, "c": {"B": 30}}, units,
              defaults=NONE)
    # A: c does not apply, b is missing: 1 of 2 applicable weights = 50 %
    assert score(con) == pytest.approx({"A": expected_a, "B": 20.0}, nan_ok=True)
    assert score(con, "I", "availability_pct")["A"] == pytest.approx(50.0)
    assert score(con, "c", "is_absent") == {"A": True, "B": False}
    unit = engine.result(con, "index_unit").set_index("unit_code")
    assert unit["data_availability_pct"].to_dict() == pytest.approx({"A": 50.0, "B": 100.0})


def test_mean_median_and_group_imputation(tmp_path):
    units = pd.DataFrame({"unit_code": list("ABCDEFG"), "island": ["java"] * 4 + ["bali"] * 2 + ["papua"]})
    column = {"A": 10, "B": 20, "C": 60, "D": None, "E": 100, "F": None, "G": None}
    methods = {"m": "mean", "md": "median", "gm": {"method": "group_mean", "group": "island"},
               "gmd": {"method": "group_median", "group": "island"}}
    nodes = {"I": {}, **{code: {"parent": "I", "imputation": how} for code, how in methods.items()}}
    con = run(tmp_path, nodes, {code: column for code in methods}, units)
    # overall: mean (10+20+60+100)/4 = 47.5, median (20+60)/2 = 40; java: mean 30, median 20; bali: 100; papua: none
    expected = {"m": (47.5, 47.5, 47.5), "md": (40, 40, 40), "gm": (30, 100, NAN), "gmd": (20, 100, NAN)}
    for code, (d, f, g) in expected.items():
        imputed = stage(con, code, "imputed_value")
        assert [imputed[u] for u in "DFG"] == pytest.approx([d, f, g], nan_ok=True), code
        assert imputed["A"] == 10
    assert stage(con, "gm", "imputation") == {"A": None, "B": None, "C": None, "D": "group mean of island = java",
                                              "E": None, "F": "group mean of island = bali", "G": "missing"}
    assert stage(con, "md", "imputation")["D"] == "median" and stage(con, "gmd", "imputation")["G"] == "missing"


def test_row_mean_imputation_takes_the_units_scaled_mean_over_the_same_parent_as_coinr_row_wise(tmp_path):
    nodes = {"I": {}, "P": {"parent": "I"}, "Q": {"parent": "I"}, "q": {"parent": "Q"},
             "a": {"parent": "P", "imputation": "row_mean"}, "b": {"parent": "P"},
             "c": {"parent": "P", "direction": -1, "imputation": "row_mean"}}
    values = {"a": {"A": 0, "B": 5, "C": 10, "D": None}, "b": {"A": 0, "B": 50, "C": 100, "D": 50},
              "c": {"A": 4, "B": None, "C": 0, "D": 1}, "q": {"A": 1, "B": 2, "C": 3, "D": 1000}}
    con = run(tmp_path, nodes, values)
    # D: b scaled (50 − 0)/100 = 0.5; c with direction −1: (−1 − (−4))/(0 − (−4)) = 0.75; q is under Q, not P.
    # a = 0 + (0.5 + 0.75)/2 · (10 − 0) = 6.25
    # B: a 0.5, b 0.5 → c = −1 · (0.5 · (0 − (−4)) + (−4)) = 2
    assert stage(con, "a", "imputed_value")["D"] == pytest.approx(6.25)
    assert stage(con, "c", "imputed_value")["B"] == pytest.approx(2.0)
    assert stage(con, "a", "imputation")["D"] == "row mean of P"


def test_mode_imputation_takes_the_most_frequent_value_and_the_lowest_of_a_tie(tmp_path):
    values = {"m": {"A": 3, "B": 3, "C": 1, "D": None}, "t": {"A": 1, "B": 3, "C": 3, "D": 1, "E": None}}
    con = run(tmp_path, tree("m", "t", imputation="mode"), values)
    assert stage(con, "m", "imputed_value")["D"] == 3.0
    assert stage(con, "t", "imputed_value")["E"] == 1.0 and stage(con, "t", "imputation")["E"] == "mode"


def test_latest_earlier_year_takes_the_most_recent_earlier_value(tmp_path):
    rows = [("A", "x", 2020, 5), ("A", "x", 2021, 7), ("B", "x", 2020, 1), ("B", "x", 2022, 9), ("D", "x", 2020, 3)]
    units = pd.DataFrame({"unit_code": list("ABCD")})
    con = run(tmp_path, tree("x", imputation="latest_earlier_year"), rows, units)
    # the scored year is 2022 (the latest); A has 2021, D only 2020, C nothing at all
    assert stage(con, "x", "imputed_value") == pytest.approx({"A": 7, "B": 9, "C": NAN, "D": 3}, nan_ok=True)
    assert stage(con, "x", "imputation") == {"A": "value of 2021", "B": None, "C": "missing", "D": "value of 2020"}


def test_denomination_by_a_unit_attribute_and_by_another_indicator_and_a_zero_denominator(tmp_path):
    units = pd.DataFrame({"unit_code": ["A", "B", "C"], "population": [50, 100, 0]})
    nodes = {"I": {}, "a": {"parent": "I", "denominator": "population"}, "b": {"parent": "I", "denominator": "gdp"}}
    values = {"a": {"A": 100, "B": 300, "C": 10}, "b": {"A": 10, "B": 30, "C": 5}, "gdp": {"A": 4, "B": 10, "C": 0}}
    con = run(tmp_path, nodes, values, units)
    # a: 100/50, 300/100, 10/0 → missing; b: 10/4, 30/10, 5/0 → missing
    assert stage(con, "a", "denominated_value") == pytest.approx({"A": 2, "B": 3, "C": NAN}, nan_ok=True)
    assert stage(con, "b", "denominated_value") == pytest.approx({"A": 2.5, "B": 3, "C": NAN}, nan_ok=True)
    assert stage(con, "a", "imputation")["C"] == "missing" and math.isnan(stage(con, "a")["C"])


def _skewed(values):
    return {"x": {f"U{i:02d}": v for i, v in enumerate(values, start=1)}}


def test_winsorisation_pulls_the_outlier_in_until_skew_and_kurtosis_pass(tmp_path):
    # 1..19, 200: skew 4.35 > 2 and kurtosis 19.2 > 3.5 → 200 becomes 19; then 1..19, 19 has skew −0.04: stop
    con = run(tmp_path, tree("x", outliers="winsorise"), _skewed([*range(1, 20), 200]))
    assert stage(con, "x", "treated_value")["U20"] == 19
    assert stage(con, "x", "is_winsorised") == {f"U{i:02d}": i == 20 for i in range(1, 21)}
    statistics = engine.result(con, "index_indicator_statistics").set_index("indicator_code")
    assert statistics.loc["x", ["winsorised_high", "winsorised_low", "treatment"]].tolist() == [
        1, 0, "winsorised 1 point"]
    assert statistics.loc["x", ["skewness", "kurtosis"]].tolist() == pytest.approx([4.3508289, 19.2438967])
    assert [stage(con, "x")[u] for u in ("U01", "U10", "U20")] == pytest.approx([0, 50, 100])  # 100·(10−1)/(19−1)


def test_log_fallback_when_the_winsorisation_limit_is_too_small(tmp_path):
    outliers = {"method": "winsorise", "max_share": 0.01}
    con = run(tmp_path, tree("x", outliers=outliers), _skewed([*range(1, 19), 200, 300]))
    # ⌈0.01·20⌉ = 1 point: 300 → 200; 1..18, 200, 200 still has skew 2.85 and kurtosis 6.89, so the original
    # values are logged: ln(x − min + 0.01·(max − min)) = ln(x − 1 + 2.99)
    treated = stage(con, "x", "treated_value")
    assert [treated[u] for u in ("U01", "U10", "U19", "U20")] == pytest.approx(
        [math.log(2.99), math.log(11.99), math.log(201.99), math.log(301.99)])
    assert all(stage(con, "x", "is_logged").values()) and not any(stage(con, "x", "is_winsorised").values())
    assert engine.result(con, "index_indicator_statistics")["treatment"].tolist() == ["log-transformed"]


def test_unit_rules_availability_threshold_and_forcing_decide_who_is_scored(tmp_path):
    units = pd.DataFrame({"unit_code": list("ABCDEF"), "autonomous": [True, False, True, True, False, True],
                          "population": [5000, 5000, 500, 5000, 5000, 5000]})
    rules = {"include": {"autonomous": {"values": [True], "reason": "not autonomous"}},
             "minimum": {"population": 1000}, "min_data_availability_pct": 60, "force_in": ["B"], "force_out": ["A"]}
    values = {"a": {u: 1.0 for u in "ABCDEF"}, "b": {u: 2.0 for u in "ABCEF"}}
    con = run(tmp_path, tree("a", "b"), values, units, units=rules)
    scope = engine.result(con, "index_unit").set_index("unit_code")
    assert scope["scope_reason"].to_dict() == {
        "A": "forced out", "B": "forced in", "C": "below the minimum: population is 500, minimum 1000",
        "D": "data for 50% of its indicators, below 60%", "E": "not autonomous: autonomous is false",
        "F": "scored"}
    assert scope["is_scored"].to_dict() == {"A": False, "B": True, "C": False, "D": False, "E": False, "F": True}
    assert set(engine.result(con, "index_node")["unit_code"]) == {"B", "F"}


def test_units_with_too_few_non_zero_values_are_screened_out_as_coinrs_byzeros(tmp_path):
    # COINr's Non_Zero counts over the values a unit has: A 1 of 3 (33.3 %), B 1 of 2 (its c is missing), C 3 of 3
    values = {"a": {"A": 0, "B": 0, "C": 1}, "b": {"A": 0, "B": 5, "C": 2}, "c": {"A": 4, "C": 3}}
    con = run(tmp_path, tree("a", "b", "c"), values, units={"min_nonzero_pct": 50})
    scope = engine.result(con, "index_unit").set_index("unit_code")
    assert scope["scope_reason"].to_dict() == {
        "A": "non-zero values for 33.3% of its indicators with data, below 50%", "B": "scored", "C": "scored"}
    assert scope["is_scored"].to_dict() == {"A": False, "B": True, "C": True}


@pytest.mark.parametrize("spec, expected", [
    # x − min + 1 = 1, 4, 9: (y^0.5 − 1)/0.5 = 0, 2, 4; at lambda 0: ln y
    ({"method": "boxcox", "lambda": 0.5}, [0.0, 2.0, 4.0]),
    ({"method": "boxcox", "lambda": 0}, [0.0, math.log(4), math.log(9)]),
    # without the shift: (x² − 1)/2 of 1, 4, 9
    ({"method": "boxcox", "lambda": 2, "makepos": False}, [0.0, 7.5, 40.0]),
])
def test_box_cox_transforms_each_value_as_coinrs_boxcox(tmp_path, spec, expected):
    con = run(tmp_path, tree("x", outliers=spec), {"x": {"A": 1, "B": 4, "C": 9}})
    treated = stage(con, "x", "treated_value")
    assert [treated[u] for u in "ABC"] == pytest.approx(expected)
    assert engine.result(con, "index_indicator_statistics")["treatment"].tolist() == [
        f"Box-Cox, lambda {spec['lambda']:g}"]


def test_box_cox_without_the_shift_refuses_a_value_that_is_not_positive(tmp_path):
    with pytest.raises(EngineError, match="node x: Box-Cox without makepos cannot take 0 for unit A"):
        run(tmp_path, tree("x", outliers={"method": "boxcox", "lambda": 2, "makepos": False}), {"x": {"A": 0, "B": 4}})


def test_ties_share_the_best_rank_overall_and_within_groups(tmp_path):
    units = pd.DataFrame({"unit_code": list("ABCD"), "island": ["java", "java", "bali", "bali"]})
    con = run(tmp_path, tree("x"), {"x": {"A": 50, "B": 80, "C": 80, "D": 20}}, units, defaults=NONE,
              units={"groups": ["island"]})
    assert score(con, column="node_rank") == {"A": 3, "B": 1, "C": 1, "D": 4}
    groups = engine.result(con, "index_group_rank")
    groups = groups[groups["node_code"] == "I"]
    assert dict(zip(groups["unit_code"], groups["group_rank"])) == {"A": 2, "B": 1, "C": 1, "D": 2}
    assert set(groups["group_attribute"]) == {"island"}


@pytest.mark.parametrize("decimals, expected", [(None, {"A": 1, "B": 2, "C": 3}), (2, {"A": 1, "B": 1, "C": 3})])
def test_ranks_of_rounded_scores_keep_published_ties(tmp_path, decimals, expected):
    ranking = {"decimals": decimals} if decimals is not None else {}
    con = run(tmp_path, tree("x"), {"x": {"A": 1.004, "B": 1.001, "C": 0.5}}, defaults=NONE, ranking=ranking)
    assert score(con, column="node_rank") == expected  # 1.004 and 1.001 both round to 1.00


@pytest.mark.parametrize("choice, expected", [("nominal", 15.0), ("equal", 20.0), ("alt", 25.0)])
def test_weight_choice_equal_or_a_named_set_overrides_the_nominal_weights(tmp_path, choice, expected):
    nodes = {"I": {}, "a": {"parent": "I", "weight": 3}, "b": {"parent": "I", "weight": 1}}
    con = run(tmp_path, nodes, {"a": {"A": 10}, "b": {"A": 30}}, defaults=NONE, weights=choice,
              weight_sets={"alt": {"a": 1, "b": 3}})
    assert score(con) == pytest.approx({"A": expected})  # (3·10 + 30)/4, (10 + 30)/2, (10 + 3·30)/4


# Significant digits tie alike on any scale: 0.64381 and 0.64379 are both 0.6438 at 4 digits, as 64.381 and 64.379 are
# 64.38; 0.6438 and 0.6432 stay apart, where 2 decimals would make both 0.64 (checked on load: test_methodology).
@pytest.mark.parametrize("scale", [1, 100])
@pytest.mark.parametrize("values, expected", [({"A": 0.6438, "B": 0.6432, "C": 0.5}, {"A": 1, "B": 2, "C": 3}),
                                              ({"A": 0.64381, "B": 0.64379, "C": 0.5}, {"A": 1, "B": 1, "C": 3})])
def test_ranks_of_scores_rounded_to_significant_digits_tie_the_same_way_at_any_scale(tmp_path, scale, values, expected):
    scaled = {unit: value * scale for unit, value in values.items()}
    con = run(tmp_path, tree("x"), {"x": scaled}, defaults=NONE, ranking={"significant_digits": 4})
    assert score(con, column="node_rank") == expected
    assert uncertainty.ranks(pd.DataFrame([scaled]).to_numpy(), significant_digits=4)[0].tolist() == list(expected.values())


def test_effective_weights_multiply_the_shares_down_the_tree(tmp_path):
    nodes = {"I": {}, "P": {"parent": "I", "weight": 3}, "Q": {"parent": "I", "weight": 1}, "a": {"parent": "P"},
             "b": {"parent": "P"}, "c": {"parent": "Q", "weight": 2}, "d": {"parent": "Q", "weight": 3}}
    con = run(tmp_path, nodes, {code: {"A": 1.0} for code in "abcd"})
    weights = engine.result(con, "index_weight").set_index("node_code")
    # P 3/4, Q 1/4; a, b 3/4·1/2; c 1/4·2/5, d 1/4·3/5
    assert weights["effective_weight"].to_dict() == pytest.approx(
        {"I": 1.0, "P": 0.75, "Q": 0.25, "a": 0.375, "b": 0.375, "c": 0.1, "d": 0.15})
    assert weights.loc["c", "weight_in_parent"] == pytest.approx(0.4)


# a and b = 2a move together, c = (1, -1, -1, 1) is uncorrelated with them, k is constant: the correlation matrix
# of a, b, c has the first eigenvector (1, 1, 0)/√2, whose squared loadings are 1/2, 1/2 and 0.
PCA_VALUES = {"a": {"A": 1, "B": 2, "C": 3, "D": 4}, "b": {"A": 2, "B": 4, "C": 6, "D": 8},
              "c": {"A": 1, "B": -1, "C": -1, "D": 1}, "k": {u: 7 for u in "ABCD"}}


def test_pca_weights_are_the_squared_loadings_of_the_first_component(tmp_path):
    con = run(tmp_path, tree("a", "b", "c", "k", root={"weighting": "pca"}), PCA_VALUES, defaults=NONE)
    weights = engine.result(con, "index_weight").set_index("node_code")["weight_in_parent"]
    assert weights[["a", "b", "c", "k"]].tolist() == pytest.approx([0.5, 0.5, 0.0, 0.0], abs=1e-12)
    assert score(con) == pytest.approx({"A": 1.5, "B": 3.0, "C": 4.5, "D": 6.0})   # (a + b)/2
    methods = engine.result(con, "index_node_method").set_index("node_code")
    assert methods.loc["I", "weighting_method"] == "pca" and pd.isna(methods.loc["a", "weighting_method"])


def test_optimised_weights_give_each_child_the_same_correlation_with_its_parent(tmp_path):
    # Two children under an arithmetic mean correlate equally with w·x + (1 - w)·y when w·sd(x) = (1 - w)·sd(y), so
    # w = sd(y) / (sd(x) + sd(y)): y = 3 × (1, 4, 2, 3) has three times the spread of x = (1, 2, 3, 4), so w = 3/4.
    values = {"x": {"A": 1, "B": 2, "C": 3, "D": 4}, "y": {"A": 3, "B": 12, "C": 6, "D": 9}, "k": {u: 7 for u in "ABCD"}}
    con = run(tmp_path, tree("x", "y", "k", root={"weighting": "optimised"}), values, defaults=NONE)
    weights = engine.result(con, "index_weight").set_index("node_code")["weight_in_parent"]
    assert weights[["x", "y", "k"]].tolist() == pytest.approx([0.75, 0.25, 0.0], abs=1e-6)
    r = engine.result(con, "index_correlation").query("relation == 'parent'").set_index("node_code")["pearson_r"]
    assert r["x"] == pytest.approx(r["y"], abs=1e-9) and pd.isna(r["k"])   # the constant child: weight 0, no r


def test_derived_weights_need_two_units_with_every_child(tmp_path):
    with pytest.raises(EngineError, match="node I: pca weights need at least 2 scored units with every child scored, "
                                          "found 1"):
        run(tmp_path, tree("a", "b", root={"weighting": "pca"}), {"a": {"A": 1, "B": 2}, "b": {"A": 3}}, defaults=NONE)


def test_the_monte_carlo_aggregates_with_the_weights_the_engine_derived(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"index": "t", "defaults": NONE,
                                    "nodes": tree("a", "b", "c", "k", root={"weighting": "pca"})}))
    method = load_index(path)
    con = duckdb.connect()
    units, values, _ = engine.load_frames(con, pd.DataFrame({"unit_code": list("ABCD")}), pd.DataFrame(
        [(u, i, YEAR, float(v)) for i, by_unit in PCA_VALUES.items() for u, v in by_unit.items()],
        columns=["unit_code", "indicator_code", "year", "value"]))
    model = uncertainty.index_model(con, method, units, values)
    assert uncertainty.nominal_scores(model).tolist() == pytest.approx([1.5, 3.0, 4.5, 6.0])


def test_cronbach_alpha_of_three_children(tmp_path):
    values = {"a": {"A": 1, "B": 2, "C": 3, "D": 4}, "b": {"A": 2, "B": 3, "C": 3, "D": 5},
              "c": {"A": 2, "B": 3, "C": 4, "D": 4}}
    con = run(tmp_path, tree("a", "b", "c"), values, defaults=NONE)
    # item variances 5/3 + 19/12 + 11/12 = 25/6; totals 5, 8, 10, 13 have variance 34/3
    # alpha = 3/2·(1 − (25/6)/(34/3)) = 129/136
    alpha = engine.result(con, "index_cronbach").set_index(["node_code", "stage"])
    assert alpha.loc[("I", "aggregated"), ["children", "complete_units"]].tolist() == [3, 4]
    assert alpha.loc[("I", "aggregated"), "cronbach_alpha"] == pytest.approx(129 / 136)


def test_cronbach_alpha_uses_pairwise_covariances_in_every_data_set_and_counts_a_constant_child(tmp_path):
    """COINr's get_cronbach: covariances over the units that have both children, alpha = k/(k-1)·(1 - Σvar / Σcov)."""
    values = {"a": {"A": 1, "B": 2, "C": 3, "D": 4}, "b": {"A": 2, "B": 3, "C": 8}, "k": {u: 7 for u in "ABCD"}}
    con = run(tmp_path, tree("a", "b", "k"), values)
    alpha = engine.result(con, "index_cronbach").set_index("stage")
    # Raw: var a = 5/3 (A-D), var b = 31/3 (A-C), cov(a, b) = 3 (A-C), k constant: 0. Σcov = 5/3 + 31/3 + 2·3 = 18.
    assert alpha.loc["raw", "cronbach_alpha"] == pytest.approx(3 / 2 * (1 - 12 / 18))
    # Min-max multiplies a by 100/3 and b by 100/6 (k becomes 50 everywhere): in units of (100/6)², var a = 20/3,
    # var b = 31/3, cov = 6, so Σcov = 29 and Σvar = 17.
    for stage in ("normalised", "aggregated"):
        assert alpha.loc[stage, "cronbach_alpha"] == pytest.approx(3 / 2 * (1 - 17 / 29))
    assert set(alpha.index) == {"raw", "denominated", "imputed", "treated", "normalised", "aggregated"}
    assert (alpha["children"] == 3).all() and (alpha["complete_units"] == 3).all()   # D has no b
    siblings = engine.result(con, "index_correlation").query("relation == 'sibling' and node_code == 'a'")
    assert siblings.set_index(["other_code", "stage"]).loc[("b", "raw"), "pearson_r"] == pytest.approx(3 / (31 / 3) ** 0.5)
    assert siblings.set_index(["other_code", "stage"])["pearson_r"].loc["k"].isna().all()   # constant: no correlation


def test_a_redundant_sibling_pair_and_a_constant_indicator_are_flagged(tmp_path):
    values = {"a": {"A": 1, "B": 2, "C": 3, "D": 4}, "b": {"A": 3, "B": 5, "C": 7, "D": 9},
              "c": {"A": 4, "B": 1, "C": 3, "D": 2}, "k": {u: 7 for u in "ABCD"}, "k10": {u: 7 for u in "ABCD"}}
    nodes = tree("a", "b", "c", "k")
    nodes["k10"] = {"parent": "I", "normalisation": {"method": "minmax", "low": 1, "high": 10}}
    con = run(tmp_path, nodes, values)
    flags = engine.result(con, "index_flag")
    # b = 2a + 1: r = 1 ≥ 0.92; r(a, c) = −2/(√5·√5) = −0.4
    assert flags[flags["flag"] == "redundant"][["node_code", "detail"]].values.tolist() == [
        ["a", "r = 1.0 with sibling b"]]
    assert sorted(flags.loc[flags["flag"] == "constant", "node_code"]) == ["k", "k10"]
    assert stage(con, "k") == pytest.approx({u: 50.0 for u in "ABCD"})  # middle of [0, 100]
    assert stage(con, "k10") == pytest.approx({u: 5.5 for u in "ABCD"})  # middle of [1, 10]


def test_one_unit_only_scores_the_middle_and_ranks_first(tmp_path):
    con = run(tmp_path, tree("a", "b"), {"a": {"A": 3}, "b": {"A": 8}})
    assert stage(con, "a") == {"A": 50.0} and score(con) == {"A": 50.0}
    assert score(con, column="node_rank") == {"A": 1}


@pytest.mark.parametrize("aggregation, values, scores, reason", [
    # min-max puts A's a (1 → 0) and B's b (2 → 0) at 0: neither unit has an index score, the run goes on
    ("geometric", {"a": {"A": 1, "B": 5, "C": 3}, "b": {"A": 3, "B": 2, "C": 4}},
     {"A": NAN, "B": NAN, "C": math.sqrt(50 * 100)}, "I not scored: the geometric mean cannot take a = 0"),
    # C: a = 50, b = 100 → 2/(1/50 + 1/100) = 66.67
    ("harmonic", {"a": {"A": 1, "B": 5, "C": 3}, "b": {"A": 3, "B": 2, "C": 4}},
     {"A": NAN, "B": NAN, "C": 200 / 3}, "I not scored: the harmonic mean cannot take a = 0"),
])
def test_a_mean_meeting_a_zero_leaves_that_unit_unscored_with_the_reason_and_a_flag(tmp_path, aggregation, values,
                                                                                    scores, reason):
    con = run(tmp_path, tree("a", "b", root={"aggregation": aggregation}), values)
    assert score(con) == pytest.approx(scores, nan_ok=True)
    reasons = engine.result(con, "index_unit").set_index("unit_code")["scope_reason"].to_dict()
    assert reasons == {"A": f"scored; {reason}", "B": f"scored; {reason.replace('a = 0', 'b = 0')}", "C": "scored"}
    flags = engine.result(con, "index_flag")
    assert flags[flags["flag"] == "undefined_mean"][["node_code", "value"]].values.tolist() == [["I", 2]]


MPI_VALUES = {"a": {"A": 1, "B": 2, "C": 4, "D": 3}, "b": {"A": 3, "B": 2, "C": 8, "D": 5},
              "c": {"A": 5, "B": 9, "C": 1, "D": 5}}


@pytest.mark.parametrize("penalty, sign", [("positive", -1), ("negative", 1)])
def test_mazziotta_pareto_penalises_unbalanced_children_as_compinds_ci_mpi(tmp_path, penalty, sign):
    con = run(tmp_path, tree(*MPI_VALUES, root={"aggregation": {"method": "mpi", "penalty": penalty}}), MPI_VALUES,
              defaults=NONE)
    # Compind: z = 100 + 10·(x − mean)/sd per child (sample sd over units); M, S of the unit's z; M·(1 ∓ (S/M)²)
    x = pd.DataFrame(MPI_VALUES)
    z = 100 + 10 * (x - x.mean()) / x.std(ddof=1)
    m, s = z.mean(axis=1), z.std(axis=1, ddof=1)
    assert score(con) == pytest.approx((m * (1 + sign * (s / m) ** 2)).to_dict())
    # the penalty moves every unit away from its mean z, by more the less balanced its children (A, B, C vs D)
    assert all(sign * (score(con)[u] - m[u]) > 0 for u in "ABC") and score(con)["D"] == pytest.approx(m["D"], abs=0.1)


@pytest.mark.parametrize("aggregation, expected", [
    # A (4, 1), B (1, 4), C (2, 2): A and B are on the frontier; C's best weights (0.2, 0.2) give 2·0.2 + 2·0.2 = 0.8
    ("bod", {"A": 100, "B": 100, "C": 80}),
    # each child's share of A's score ≤ 0.6: w2 ≥ 8/3·w1 binds with 1·w1 + 4·w2 ≤ 1 at w = (3/35, 8/35): 20/35
    ({"method": "bod", "min_share": 0.4, "max_share": 0.6}, {"A": 400 / 7, "B": 400 / 7, "C": 80}),
])
def test_benefit_of_the_doubt_gives_each_unit_its_most_favourable_weights(tmp_path, aggregation, expected):
    values = {"a": {"A": 4, "B": 1, "C": 2}, "b": {"A": 1, "B": 4, "C": 2}}
    con = run(tmp_path, tree("a", "b", root={"aggregation": aggregation}), values, defaults=NONE)
    assert score(con) == pytest.approx(expected)


def test_benefit_of_the_doubt_shares_that_cannot_add_up_to_one_stop_the_run(tmp_path):
    with pytest.raises(EngineError, match="node I: benefit-of-the-doubt shares between 0.6 and 1 cannot add up to 1"):
        run(tmp_path, tree("a", "b", root={"aggregation": {"method": "bod", "min_share": 0.6}}),
            {"a": {"A": 1, "B": 2}, "b": {"A": 2, "B": 1}}, defaults=NONE)


def test_removing_each_element_in_turn_gives_the_index_rank_without_it_as_coinrs_remove_elements(tmp_path):
    nodes = {"I": {}, "P": {"parent": "I"}, "Q": {"parent": "I"}, "a": {"parent": "P"}, "b": {"parent": "P"},
             "q": {"parent": "Q"}}
    values = {"a": {"A": 90, "B": 10, "C": 50}, "b": {"A": 30, "B": 70, "C": 50}, "q": {"A": 20, "B": 40, "C": 60}}
    levels = [{"name": "indicator"}, {"name": "pillar"}, {"name": "index"}]
    con = run(tmp_path, nodes, values, defaults=NONE, levels=levels, remove_elements=["indicator", "pillar"])
    removal = engine.result(con, "index_removal").set_index(["removed_code", "unit_code"])
    # nominal: P = (60, 40, 50), I = (40, 40, 55): C 1st, A and B 2nd. Without a: P = b, I = (25, 55, 55): B, C 1st
    assert removal.loc["a", "score"].to_dict() == pytest.approx({"A": 25, "B": 55, "C": 55})
    assert removal.loc["a", "node_rank"].to_dict() == {"A": 3, "B": 1, "C": 1}
    assert removal.loc["a", "rank_change"].to_dict() == {"A": -1, "B": 1, "C": 0}  # nominal − without, as COINr
    # without P the index is Q alone (q: C, B, A); without Q it is P (A, C, B)
    assert removal.loc["P", "node_rank"].to_dict() == {"A": 3, "B": 2, "C": 1}
    assert removal.loc["Q", "node_rank"].to_dict() == {"A": 1, "B": 3, "C": 2}
    assert sorted(set(removal.index.get_level_values(0))) == ["P", "Q", "a", "b", "q"]
    assert score(con) == pytest.approx({"A": 40, "B": 40, "C": 55})  # the nominal results are back


def test_the_monte_carlo_draws_one_element_removed_with_the_engines_remove_elements_scores(tmp_path):
    nodes = {"I": {}, "P": {"parent": "I"}, "Q": {"parent": "I"}, "a": {"parent": "P"}, "b": {"parent": "P"},
             "q": {"parent": "Q"}}
    values = {"a": {"A": 90, "B": 10, "C": 50}, "b": {"A": 30, "B": 70, "C": 50}, "q": {"A": 20, "B": 40, "C": 60}}
    levels = [{"name": "indicator"}, {"name": "pillar"}, {"name": "index"}]
    con = run(tmp_path, nodes, values, defaults=NONE, levels=levels, remove_elements=["indicator", "pillar"],
              uncertainty={"remove": ["indicator", "pillar"]})
    without = engine.result(con, "index_removal").pivot(index="unit_code", columns="removed_code", values="score")
    frames = (pd.DataFrame({"unit_code": list("ABC")}),
              pd.DataFrame([(u, i, YEAR, float(v)) for i, by in values.items() for u, v in by.items()],
                           columns=["unit_code", "indicator_code", "year", "value"]))
    fresh = duckdb.connect()
    model = uncertainty.index_model(fresh, load_index(tmp_path / "m.yaml"), *engine.load_frames(fresh, *frames))
    [removal] = model.factors
    assert (removal.name, removal.kind, removal.labels) == ("t.removal", "removal", ("none", "a", "b", "q", "P", "Q"))
    replicated = uncertainty.simulate(model, np.arange(removal.size)[:, None])
    assert replicated[0] == pytest.approx(uncertainty.nominal_scores(model))  # alternative 0 removes nothing
    assert replicated[1] == pytest.approx([25, 55, 55])  # without a: P = b, I = (25, 55, 55), as in the engine test
    for k, code in enumerate(removal.labels[1:], start=1):
        assert replicated[k] == pytest.approx(without[code].reindex(model.units).to_numpy()), code


def test_the_monte_carlo_leaves_a_unit_unscored_where_a_mean_meets_a_zero_as_the_engine_does(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"index": "t", "nodes": tree("a", "b", root={"aggregation": "geometric"})}))
    values = pd.DataFrame([(u, i, YEAR, v) for i, by in {"a": {"A": 1, "B": 5, "C": 3}, "b": {"A": 3, "B": 4, "C": 2}}.items()
                           for u, v in by.items()], columns=["unit_code", "indicator_code", "year", "value"])
    con = duckdb.connect()
    model = uncertainty.index_model(con, load_index(path), *engine.load_frames(con, pd.DataFrame({"unit_code": list("ABC")}),
                                                                               values))
    # A's a and C's b are 0 after min-max; B: √(100·100) = 100
    assert uncertainty.nominal_scores(model) == pytest.approx([NAN, 100.0, NAN], nan_ok=True)


def test_a_denominator_that_is_neither_an_indicator_nor_a_unit_column_raises(tmp_path):
    with pytest.raises(EngineError, match="nodes.a.denominator: 'nowhere' is neither an indicator"):
        run(tmp_path, tree("a", denominator="nowhere"), {"a": {"A": 1, "B": 2}})


def test_two_values_for_the_same_unit_indicator_and_year_raise(tmp_path):
    rows = [("A", "a", YEAR, 1.0), ("A", "a", YEAR, 2.0), ("B", "a", YEAR, 3.0)]
    with pytest.raises(EngineError, match=f"two values for unit A, indicator a, year {YEAR}"):
        run(tmp_path, tree("a"), rows)
