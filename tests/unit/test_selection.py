"""The cohort tables as pure functions of small inline frames (pipelines/score/selection.py), and their one writer."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.score import cohort, selection, uncertainty
from pipelines.score.uncertainty import Factor
from tests.conftest import ROOT

WEIGHTS = {"screening_index": 30.0, "readiness_index": 70.0, "interview_score": 0.0}
RULES = dataclasses.replace(
    cohort.load_rules(ROOT / "methodology" / "cohort.yaml"), size=2, tags=(), quotas=(), tie_break=("region_code",),
    components=WEIGHTS)
PROVINCE_MAX_1 = dataclasses.replace(RULES, quotas=(cohort.Quota("province_code", 0, 1, None),))
NOMINAL_WEIGHTS = np.array([WEIGHTS[c] for c in cohort.COMPONENTS])
FLAG_PCT = (10.0, 90.0)
# Five shortlisted regions; 13.01 has no readiness index, so it cannot be selected.
CANDIDATES = pd.DataFrame({
    "region_code": ["11.01", "11.02", "12.01", "12.02", "13.01"],
    "region_name": ["Kab. A", "Kab. B", "Kab. C", "Kab. D", "Kab. E"],
    "province_code": ["11", "11", "12", "12", "13"],
    "province_name": ["Aceh", "Aceh", "Sumatera Utara", "Sumatera Utara", "Sumatera Barat"],
    "island_group": ["Sumatera"] * 5, "region_type": ["kabupaten"] * 5,
    "screening_index": [80.0, 70.0, 60.0, 50.0, 90.0], "readiness_index": [90.0, 80.0, 70.0, 60.0, np.nan],
    "readiness_status": ["assessed"] * 4 + ["not assessed"], "interview_score": [np.nan] * 5,
    "dimension_a": [50.0, 40.0, 30.0, 20.0, 10.0], "dimension_b": [60.0, 60.0, 60.0, 60.0, 60.0]})
DIMENSIONS = pd.DataFrame({"weight": [1.0, 1.0], "label_en": ["Dimension A", "Dimension B"]},
                          index=pd.Index(["a", "b"], name="node_code"))


def _expected_scores(frame: pd.DataFrame) -> pd.Series:
    used = {c: w for c, w in WEIGHTS.items() if w > 0}
    return sum(w * frame[c] for c, w in used.items()) / sum(used.values())


def _nominal(rules: cohort.CohortRules) -> tuple[selection.Pool, cohort.Seats, selection.NominalCohort]:
    pool = selection.candidate_pool(CANDIDATES, rules)
    seats = cohort.compile_rules(rules, pool.selectable)
    return pool, seats, selection.nominal_cohort(pool.selectable, seats, rules, NOMINAL_WEIGHTS, DIMENSIONS)


def test_a_candidate_without_a_weighed_component_is_not_selectable_and_says_which():
    frame = CANDIDATES.assign(screening_index=[80.0, np.nan, 60.0, 50.0, 90.0])
    pool = selection.candidate_pool(frame, RULES)
    assert pool.selectable["region_code"].tolist() == ["11.01", "12.01", "12.02"]
    assert pool.selectable.index.tolist() == [0, 1, 2]
    reasons = dict(zip(frame["region_code"], pool.reasons))
    assert reasons["11.02"] == "not selectable: no screening index (none received)"
    assert reasons["13.01"] == "not selectable: no readiness index (not assessed)"
    # The interview score weighs 0: its absence excludes nobody.
    assert pool.reasons[pool.candidates["region_code"].isin(["11.01", "12.01", "12.02"])].isna().all()


def test_the_nominal_cohort_is_the_best_selection_scores_and_the_cutoff_is_the_last_open_seat():
    pool, _, nominal = _nominal(RULES)
    scores = _expected_scores(pool.selectable)
    assert nominal.chosen.adjusted[0] == pytest.approx(scores.to_numpy())
    assert nominal.rank.tolist() == [1, 2, 3, 4]                       # scores fall down the frame
    assert nominal.chosen.selected[0].tolist() == [True, True, False, False]
    assert nominal.how.tolist() == [cohort.OPEN, cohort.OPEN, cohort.NOT_SELECTED, cohort.NOT_SELECTED]
    assert nominal.binding.isna().all()
    assert nominal.gaps["cutoff_score"].tolist() == pytest.approx([scores[1]] * 4)
    assert nominal.gaps["gap_to_cutoff"].tolist() == pytest.approx((scores[1] - scores).tolist())


def test_a_maximum_per_province_keeps_the_second_region_out_and_names_the_rule():
    pool, _, nominal = _nominal(PROVINCE_MAX_1)
    assert pool.selectable["region_code"][nominal.chosen.selected[0]].tolist() == ["11.01", "12.01"]
    rule = "maximum 1 per province_code: 11"
    assert nominal.how[1] == f"kept out: {rule} reached" and nominal.binding[1] == f"{rule} reached"
    assert nominal.gaps["cutoff_score"].iloc[0] == pytest.approx(_expected_scores(pool.selectable)[2])


def test_rank_statistics_give_each_stage_its_probability_and_flag_the_unsure_ones():
    # Four replications: X is always first among the eligible, Y and Z swap once; the shortlist holds two.
    eligible_rank = pd.Series([1.0, 2.0, 3.0], index=["X", "Y", "Z"])
    replicated = {"eligible_rank": np.array([[1, 2, 3], [1, 3, 2], [1, 2, 3], [1, 2, 3]], dtype=float),
                  "selection_rank": np.array([[1, 2], [2, 1], [1, 2], [1, 2]], dtype=float),
                  "selected": np.array([[True, False], [False, True], [True, False], [True, False]])}
    stats = selection.cohort_rank_statistics(eligible_rank, 2, pd.Series([1.0, 2.0], index=["X", "Y"]), replicated,
                                             FLAG_PCT)
    assert stats.columns.tolist() == ["region_code", "nominal_rank", "mean_rank", "median_rank", "q05_rank",
                                      "q95_rank", "stage", "probability_pct", "is_flagged"]
    shortlist = stats[stats["stage"] == "shortlist"].set_index("region_code")
    assert shortlist["probability_pct"].tolist() == [100.0, 75.0, 25.0]
    assert shortlist["is_flagged"].tolist() == [False, True, True]      # 100 % is sure; 75 and 25 are not
    assert shortlist.loc["Y", "mean_rank"] == pytest.approx(2.25) and shortlist.loc["X", "q95_rank"] == 1
    chosen = stats[stats["stage"] == "selection"].set_index("region_code")
    assert chosen["nominal_rank"].tolist() == [1.0, 2.0] and chosen["probability_pct"].tolist() == [75.0, 25.0]


def test_an_input_the_cohort_does_not_depend_on_has_zero_sensitivity():
    factors = [Factor("screening.weights", "weights", ("nominal", "flat")),
               Factor("readiness.normalisation", "method", ("min-max", "z-score", "rank"))]
    drawn = uncertainty.design(factors, 16, seed=3)
    flat = drawn[:, 0] == 1          # only the first input matters: its second alternative swaps the two candidates
    replicated = {"selection_rank": np.where(flat[:, None], [2.0, 1.0], [1.0, 2.0]),
                  "selected": np.where(flat[:, None], [False, True], [True, False])}
    found = selection.cohort_sensitivity(factors, np.array([1.0, 2.0]), np.array([True, False]), replicated, seed=3)
    assert found["output"].tolist() == ["mean_absolute_rank_shift"] * 2 + ["cohort_changes"] * 2
    by_factor = found.set_index(["output", "factor"])
    for output in ("mean_absolute_rank_shift", "cohort_changes"):
        assert by_factor.loc[(output, "readiness.normalisation"), ["first_order", "total"]].tolist() == [0.0, 0.0]
        assert by_factor.loc[(output, "screening.weights"), "total"] > 0.5


def _stats(pool: selection.Pool, nominal: selection.NominalCohort) -> pd.DataFrame:
    """Rank statistics of four replications in which the first two selectable regions swap (rank and seat) once."""
    nominal_rank = pd.Series(nominal.rank, index=pool.selectable["region_code"])
    swap = [1, 0, *range(2, len(nominal.rank))]
    ranks = np.vstack([nominal.rank, nominal.rank[swap], nominal.rank, nominal.rank])
    chosen = nominal.chosen.selected[0]
    replicated = {"eligible_rank": ranks, "selection_rank": ranks,
                  "selected": np.vstack([chosen, chosen[swap], chosen, chosen])}
    return selection.cohort_rank_statistics(nominal_rank, 3, nominal_rank, replicated, FLAG_PCT)


def test_the_selection_table_has_one_row_per_candidate_with_its_status_and_spread():
    pool, seats, nominal = _nominal(PROVINCE_MAX_1)
    table = selection.cohort_selection(pool, seats, nominal, _stats(pool, nominal), PROVINCE_MAX_1)
    assert table["region_code"].tolist() == CANDIDATES["region_code"].tolist()
    assert "readiness_status" not in table.columns and "seconds" not in table.columns
    rows = table.set_index("region_code")
    assert rows["is_selected"].tolist() == [True, False, True, False, False]
    assert rows.loc["11.01", "selection_status"] == f"selected: {cohort.OPEN}"
    assert rows.loc["11.02", "selection_status"] == "kept out: maximum 1 per province_code: 11 reached"
    assert rows.loc["13.01", "selection_status"] == "not selectable: no readiness index (not assessed)"
    assert pd.isna(rows.loc["13.01", "selection_rank"]) and not rows.loc["13.01", "is_flagged"]
    scores = _expected_scores(CANDIDATES.set_index("region_code"))
    assert rows["selection_score"].dropna().tolist() == pytest.approx(scores.dropna().tolist())
    assert (rows["adjusted_score"] - rows["selection_score"]).dropna().eq(0).all()    # no tag adds a bonus
    # The first two swapped in one replication of four: selected in 75 % and 25 %, both unsure.
    assert rows.loc["11.01", "selection_probability_pct"] == 75.0 and rows.loc["11.02", "is_flagged"]
    assert rows.loc["11.02", "selection_probability_pct"] == 25.0 and rows.loc["11.01", "is_flagged"]
    assert rows.loc["12.01", "selection_probability_pct"] == 100.0 and not rows.loc["12.01", "is_flagged"]


class FakeSimulation:
    """The Monte Carlo set-up cohort_tables reads: two uncertain inputs; the first one's second alternative swaps
    the two best candidates."""

    factors = [Factor("screening.weights", "weights", ("nominal", "flat")),
               Factor("cohort.component_weights", "weights", ("draw 1", "draw 2"))]
    screening = SimpleNamespace(units=CANDIDATES["region_code"].tolist(), variants={(): None})
    readiness = SimpleNamespace(variants={(): None, ("z-score",): None})
    eligible = np.arange(4)
    shortlist_size = 3

    def run(self, choices: np.ndarray) -> dict[str, np.ndarray]:
        swap = choices[:, 0] == 1
        ranks = np.where(swap[:, None], [2.0, 1.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
        return {"eligible_rank": ranks, "selection_rank": ranks, "selected": ranks <= RULES.size}


def test_the_cohort_tables_are_the_same_for_the_same_inputs_and_hold_no_wall_clock_time():
    methodology = SimpleNamespace(cohort=RULES, framework={"dimensions": ["a", "b"]},
                                  readiness=SimpleNamespace(nodes=DIMENSIONS.reset_index()))
    pool = selection.candidate_pool(CANDIDATES, RULES)
    seats = cohort.compile_rules(RULES, pool.selectable)
    eligible_rank = pd.Series([1.0, 2.0, 3.0, 4.0], index=CANDIDATES["region_code"][:4])

    def tables() -> dict[str, pd.DataFrame]:
        return selection.cohort_tables(pool, methodology, seats, FakeSimulation(), NOMINAL_WEIGHTS, eligible_rank)

    first, again = tables(), tables()
    assert list(first) == ["cohort_selection", "cohort_rank_statistics", "cohort_sensitivity", "cohort_run"]
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    run = first["cohort_run"].iloc[0].to_dict()
    assert list(run) == ["cohort", "size", "candidates", "selectable", "replications", "base_samples", "seed",
                         "factors", "engine_variants", "cutoff_score", "selected_in_every_replication", "flagged"]
    base = int(RULES.uncertainty["base_samples"])
    assert (run["candidates"], run["selectable"], run["replications"]) == (5, 4, base * (len(FakeSimulation.factors) + 2))
    assert run["factors"] == "screening.weights (2), cohort.component_weights (2)" and run["engine_variants"] == 3
    assert run["cutoff_score"] == pytest.approx(_expected_scores(pool.selectable)[1])
    assert run["selected_in_every_replication"] == 2 and run["flagged"] == 0   # 11.01 and 11.02 swap, both selected


def test_the_writer_stamps_the_hashes_and_proposes_the_selected_in_rank_order():
    pool, seats, nominal = _nominal(PROVINCE_MAX_1)
    stats = _stats(pool, nominal)
    tables = {"cohort_selection": selection.cohort_selection(pool, seats, nominal, stats, PROVINCE_MAX_1),
              "cohort_rank_statistics": stats}
    con = duckdb.connect()
    con.execute("CREATE SCHEMA score")
    con.execute("CREATE SCHEMA methodology")
    con.execute("CREATE TABLE methodology.run AS SELECT 'methodology-1' AS methodology_hash, 'inputs-1' AS inputs_hash")
    rows = selection.write(con, tables)
    assert rows == {"cohort_selection": 5, "cohort_rank_statistics": 8, "cohort_proposed": 2}
    assert con.execute("SELECT DISTINCT methodology_hash, inputs_hash FROM score.cohort_rank_statistics").fetchall() \
        == [("methodology-1", "inputs-1")]
    proposed = con.sql("SELECT region_code, selection_rank, inputs_hash FROM score.cohort_proposed").fetchall()
    assert proposed == [("11.01", 1.0, "inputs-1"), ("12.01", 3.0, "inputs-1")]


def test_ranks_are_scipys_min_ranks_of_the_negated_scores_with_missing_ones_left_out():
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    for trial in range(200):
        scores = rng.integers(0, 6, (5, 11)).astype(float)   # few distinct values: many ties
        if trial % 2:
            scores[rng.random(scores.shape) < 0.25] = np.nan
        expected = rankdata(-np.round(scores, 1), method="min", axis=-1, nan_policy="omit")
        got = uncertainty.ranks(scores, decimals=1)
        assert np.array_equal(got, expected, equal_nan=True) and got.dtype == expected.dtype
    assert np.array_equal(uncertainty.ranks(np.array([[2.0, np.nan, 2.0, 7.0]])), [[2.0, np.nan, 2.0, 1.0]],
                          equal_nan=True)
    assert uncertainty.ranks(np.array([[0.5, 0.25, 0.5]])).tolist() == [[1, 3, 1]]
