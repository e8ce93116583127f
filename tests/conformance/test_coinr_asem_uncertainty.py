"""Conformance: the Monte Carlo reproduces COINr's uncertainty and sensitivity analysis of the ASEM index.

COINr's runs were not seeded, so its files are reference distributions: our medians must fall inside its
5-95% rank bands and our total sensitivity indices inside its bootstrap intervals.
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.score import engine, uncertainty
from tests.conformance.test_coinr_asem import CASE, METHODOLOGY, _v06_inputs

# COINr's names of the same four uncertain inputs.
COINR_NAMES = {"asem.outliers": "Winmax", "asem.normalisation": "Normalisation", "asem.weights": "Weights",
               "asem.aggregation": "Aggregation"}


@pytest.fixture(scope="module")
def model():
    con = duckdb.connect()
    return uncertainty.index_model(con, METHODOLOGY, *engine.load_frames(con, *_v06_inputs()), seed=1)


@pytest.fixture(scope="module")
def analysis(model):
    nominal = uncertainty.ranks(uncertainty.nominal_scores(model)[None], model.decimals)[0]
    drawn = uncertainty.design(model.factors, 512, seed=7)
    replicated = uncertainty.ranks(uncertainty.simulate(model, drawn), model.decimals)
    return nominal, drawn, replicated


def test_the_factors_are_coinrs_four_with_their_alternatives(model):
    assert [(f.name, f.size) for f in model.factors] == [
        ("asem.outliers", 5), ("asem.normalisation", 2), ("asem.aggregation", 2), ("asem.weights", 100)]
    assert len(model.variants) == 1 + 5 * 2  # the nominal indicators, and one engine run per drawn combination


def test_nominal_replication_is_the_engines_index(model):
    con = duckdb.connect()
    engine.build_frames(con, METHODOLOGY, *_v06_inputs())
    published = engine.result(con, "index_node").query("node_code == 'Index'").set_index("unit_code")["score"]
    ours = pd.Series(uncertainty.nominal_scores(model), index=model.units)
    assert np.abs(ours - published.reindex(model.units)).max() < 1e-9
    reference = pd.read_csv(CASE / "ua_results_Nominal.csv").set_index("uCode")
    assert np.abs(ours - reference["Score"].reindex(model.units)).max() < 1e-6


def test_every_median_rank_falls_in_coinrs_5_95_band(model, analysis):
    nominal, _, replicated = analysis
    ours = uncertainty.rank_statistics(model.units, nominal, replicated).set_index("unit_code")
    reference = pd.read_csv(CASE / "ua_results_RankStats.csv").set_index("uCode").reindex(ours.index)
    assert (ours["nominal_rank"] == reference["Nominal"]).all()
    outside = ours[(ours["median_rank"] < reference["Q5"]) | (ours["median_rank"] > reference["Q95"])]
    assert outside.empty, outside
    # Switzerland is first whatever the choices, in COINr's analysis and ours.
    assert ours.loc["CHE", ["q05_rank", "q95_rank"]].tolist() == [1, 1]


def test_total_sensitivity_indices_fall_in_coinrs_intervals(model, analysis):
    nominal, _, replicated = analysis
    found = uncertainty.sensitivity(model.factors, uncertainty.mean_absolute_rank_shift(nominal, replicated), seed=3)
    reference = pd.read_csv(CASE / "sa_results_Sensitivity.csv").set_index("Variable")
    for row in found.itertuples():
        band = reference.loc[COINR_NAMES[row.factor]]
        assert band["STi_q5"] - 0.05 <= row.total <= band["STi_q95"] + 0.05, (row.factor, row.total)
    # The aggregation method matters most and the winsorisation limit least, as in COINr's analysis.
    assert found.sort_values("total")["factor"].tolist()[::3] == ["asem.outliers", "asem.aggregation"]


def test_same_seed_same_replications_and_another_seed_differs(model, analysis):
    _, drawn, replicated = analysis
    again = uncertainty.design(model.factors, 512, seed=7)
    assert np.array_equal(drawn, again)
    assert np.array_equal(uncertainty.ranks(uncertainty.simulate(model, again), model.decimals), replicated)
    assert not np.array_equal(uncertainty.design(model.factors, 512, seed=8), drawn)


def test_without_perturbation_every_interval_collapses_to_the_nominal_rank(model):
    # Weights drawn with 0% noise and no method drawn: every replication is the nominal index.
    still = uncertainty.Factor("asem.weights", "weights", ("draw 1", "draw 2"), weights=np.tile(model.weights, (2, 1)))
    fixed = dataclasses.replace(model, factors=[still])
    nominal = uncertainty.ranks(uncertainty.nominal_scores(model)[None], model.decimals)[0]
    replicated = uncertainty.ranks(uncertainty.simulate(fixed, uncertainty.design(fixed.factors, 64, seed=1)), 2)
    stats = uncertainty.rank_statistics(fixed.units, nominal, replicated)
    assert (stats["q05_rank"] == stats["nominal_rank"]).all() and (stats["q95_rank"] == stats["nominal_rank"]).all()
    assert stats["nominal_rank"].min() == 1 and stats["nominal_rank"].max() == 51
