"""Cohort rules and constrained selection on small cases computed by hand."""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.score import cohort, engine, uncertainty
from pipelines.score.index_method import load_index
from pipelines.score.yaml_lines import MethodologyError
from tests.conftest import ROOT

RULES = cohort.load_rules(ROOT / "methodology" / "cohort.yaml")
# Six candidates in three provinces and two island groups; scores 90 > 80 > ... > 40.
CANDIDATES = pd.DataFrame({"region_code": ["A", "B", "C", "D", "E", "F"],
                           "province_code": ["p1", "p1", "p1", "p2", "p3", "p3"],
                           "island_group": ["west", "west", "west", "west", "east", "east"],
                           "readiness_index": [60.0, 50, 40, 30, 20, 10], "screening_index": [1.0] * 6})
SCORES = np.array([[90.0, 80, 70, 60, 50, 40]])


def rules(**changes) -> cohort.CohortRules:
    return dataclasses.replace(RULES, **{"tags": (), "quotas": (), "tie_break": ("region_code",), **changes})


def chosen(r: cohort.CohortRules, scores=SCORES, candidates=CANDIDATES) -> tuple[list[str], list[str]]:
    seats = cohort.compile_rules(r, candidates)
    result = cohort.select(seats, scores)
    labels = cohort.phase_labels(seats)
    return (list(candidates["region_code"][result.selected[0]]),
            [labels[h] for h in result.how[0]])


def test_without_rules_the_best_scores_are_selected():
    assert chosen(rules(size=3))[0] == ["A", "B", "C"]


def test_a_maximum_per_province_binds_and_the_next_region_moves_up():
    selected, how = chosen(rules(size=3, quotas=(cohort.Quota("province_code", 0, 2, None),)))
    assert selected == ["A", "B", "D"]  # C would be the third from p1
    seats = cohort.compile_rules(rules(size=3, quotas=(cohort.Quota("province_code", 0, 2, None),)), CANDIDATES)
    result = cohort.select(seats, SCORES)
    assert result.blocked[0].tolist() == [0, 0, 1, 0, 0, 0]
    assert seats.maximums[0][0] == "maximum 2 per province_code: p1"


def test_a_minimum_per_island_group_takes_the_best_of_that_group_first():
    selected, how = chosen(rules(size=3, quotas=(cohort.Quota("island_group", 1, None, ("east",)),)))
    assert selected == ["A", "B", "E"]
    assert how[4] == "minimum 1 per island_group: east" and how[0] == cohort.OPEN and how[2] == cohort.NOT_SELECTED


def test_a_reserved_seat_goes_to_the_best_tagged_region_however_low():
    tag = cohort.Tag("ikn", {}, frozenset({"E", "F"}), 0.0, 1)
    selected, how = chosen(rules(size=2, tags=(tag,)))
    assert selected == ["A", "E"] and how[4] == "reserved seat: ikn"


def test_a_bonus_adds_points_before_ranking():
    tag = cohort.Tag("tourism", {}, frozenset({"D"}), 25.0, 0)  # 60 + 25 = 85 passes B's 80
    assert chosen(rules(size=2, tags=(tag,)))[0] == ["A", "D"]


def test_ties_follow_the_tie_break_order():
    tied = np.array([[90.0, 70, 70, 70, 50, 40]])
    assert chosen(rules(size=2, tie_break=("region_code",)), tied)[0] == ["A", "B"]
    # readiness first: B (50) beats C (40) and D (30) on readiness.
    assert chosen(rules(size=2, tie_break=("readiness_index", "region_code")), tied)[0] == ["A", "B"]
    reversed_readiness = CANDIDATES.assign(readiness_index=[60.0, 10, 40, 30, 20, 10])
    assert chosen(rules(size=2, tie_break=("readiness_index", "region_code")), tied, reversed_readiness)[0] == ["A", "C"]


def test_rules_that_cannot_hold_together_say_which():
    with pytest.raises(cohort.CohortRuleError, match="cohort size 7, but only 6"):
        cohort.compile_rules(rules(size=7), CANDIDATES)
    with pytest.raises(cohort.CohortRuleError, match="tags.ikn: 3 reserved seats, but 2 candidates carry the tag"):
        cohort.compile_rules(rules(size=3, tags=(cohort.Tag("ikn", {}, frozenset({"E", "F"}), 0.0, 3),)), CANDIDATES)
    with pytest.raises(cohort.CohortRuleError, match="at most 1 per province_code leaves room for 3 of the 4 seats"):
        cohort.compile_rules(rules(size=4, quotas=(cohort.Quota("province_code", 0, 1, None),)), CANDIDATES)
    with pytest.raises(cohort.CohortRuleError, match="at least 3 per island_group 'east', but 2 candidates"):
        cohort.compile_rules(rules(size=4, quotas=(cohort.Quota("island_group", 3, None, ("east",)),)), CANDIDATES)
    # Each rule alone can be met; together they cannot: two reserved seats in p3, at most one seat per province.
    both = rules(size=3, tags=(cohort.Tag("ikn", {}, frozenset({"E", "F"}), 0.0, 2),),
                 quotas=(cohort.Quota("province_code", 0, 1, None),))
    with pytest.raises(cohort.CohortRuleError, match=r"reserved seat: ikn: cannot be filled.*maximum 1 per province_code"):
        cohort.select(cohort.compile_rules(both, CANDIDATES), SCORES)


@pytest.mark.parametrize("change, message", [
    ({"size": 0}, "size: expected a whole number ≥ 1"),
    ({"shortlist": {"size": 10}}, "shortlist.size: the shortlist (10) is smaller than the cohort (50)"),
    ({"quotas": [{"group": "province_code", "min": 3, "max": 2}]}, "quotas.0: minimum 3 per province_code is more than its maximum 2"),
    ({"tags": {"ikn": {"regions": ["64.09"]}}}, "tags.ikn: a tag adds a `bonus`, keeps `reserved_seats`, or both"),
    ({"tags": {"ikn": {"regions": [64.09], "bonus": 1}}}, "tags.ikn.regions: expected a list of region codes as quoted text"),
    ({"selection": {"components": {"screening_index": 1}}}, "the readiness index must weigh in the selection"),
    ({"tie_break": ["population"]}, "tie_break: expected a list among"),
])
def test_bad_cohort_rules_are_refused_naming_the_key(tmp_path, change, message):
    doc = yaml.safe_load((ROOT / "methodology" / "cohort.yaml").read_text(encoding="utf-8"))
    doc.update(change)
    path = tmp_path / "cohort.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises((MethodologyError, cohort.CohortRuleError)) as error:
        cohort.load_rules(path)
    assert message in str(error.value) and "cohort.yaml:" in str(error.value)


def test_many_replications_select_exactly_as_one_at_a_time():
    r = rules(size=3, tags=(cohort.Tag("ikn", {}, frozenset({"E", "F"}), 5.0, 1),),
              quotas=(cohort.Quota("province_code", 0, 2, None), cohort.Quota("island_group", 1, None, ("west",))))
    seats = cohort.compile_rules(r, CANDIDATES)
    scores = np.random.default_rng(3).uniform(0, 100, (200, 6))
    together = cohort.select(seats, scores)
    one_by_one = [cohort.select(seats, row[None]) for row in scores]
    assert np.array_equal(together.selected, np.vstack([s.selected for s in one_by_one]))
    assert np.array_equal(together.how, np.vstack([s.how for s in one_by_one]))
    assert (together.selected.sum(axis=1) == 3).all()


def test_gap_to_cutoff_names_the_dimension_and_the_points():
    frame = CANDIDATES.assign(dimension_a=[30.0] * 6, dimension_b=[95.0, 95, 95, 99, 95, 95])
    seats = cohort.compile_rules(rules(size=2), frame)
    result = cohort.select(seats, SCORES)
    weights = rules(size=2, components={"screening_index": 30.0, "readiness_index": 70.0})
    gaps = cohort.gap_to_cutoff(frame, result, seats, weights, pd.Series({"a": 1.0, "b": 1.0}), {"a": "A", "b": "B"})
    d = gaps.set_index("region_code").loc["D"]
    # Cut-off 80 (B); D at 60 needs 20 selection points = 20 / (0.7 × 0.5) = 57.14 on one dimension: only a has room.
    assert d["cutoff_score"] == 80 and d["gap_to_cutoff"] == 20
    assert d["dimension_to_raise"] == "a" and d["dimension_rise_points"] == pytest.approx(20 / 0.35)
    assert pd.isna(gaps.set_index("region_code").loc["A", "what_it_would_take"])  # selected: nothing to take


def test_a_region_that_dominates_on_every_indicator_is_selected_in_every_replication():
    method = load_index(ROOT / "methodology" / "examples" / "coinr_asem.yaml")
    codes = list(method.nodes.loc[method.nodes["is_indicator"], "node_code"])
    rng = np.random.default_rng(5)
    units = pd.DataFrame({"unit_code": [f"U{i:02d}" for i in range(20)], "EurAsia_group": ["Europe", "Asia"] * 10,
                          "GDP_group": "M", "Area": 1.0, "Energy": 1.0, "GDP": 1.0, "Population": 1.0})
    directions = method.nodes.set_index("node_code")["direction"]
    raw = rng.uniform(10, 90, (20, len(codes)))
    raw[0] = np.where(directions[codes] > 0, 100.0, 1.0)  # U00 is best on every indicator, whichever its direction
    values = pd.DataFrame(raw, columns=codes).assign(unit_code=units["unit_code"]).melt(
        id_vars="unit_code", var_name="indicator_code", value_name="value").assign(year=2020)
    con = duckdb.connect()
    model = uncertainty.index_model(con, method, *engine.load_frames(con, units, values), seed=2)
    scores = uncertainty.simulate(model, uncertainty.design(model.factors, 64, seed=4))
    candidates = pd.DataFrame({"region_code": model.units, "readiness_index": 0.0})
    result = cohort.select(cohort.compile_rules(rules(size=3), candidates), scores)
    assert result.selected[:, model.units.index("U00")].all()
    assert 0 < result.selected.mean(axis=0)[1:].max() < 1  # the others do move in and out
