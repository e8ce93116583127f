"""Conformance: the engine reproduces COINr's ASEM example stage by stage (data read from ../shared, never copied)."""

from __future__ import annotations

import duckdb
import yaml
import numpy as np
import pandas as pd
import pytest

from pipelines.score import engine
from pipelines.score.index_method import IndexMethodology, load_index
from tests.conftest import ROOT, SHARED

CASE = SHARED / "conformance" / "coinr_asem"
METHODOLOGY = load_index(ROOT / "methodology" / "examples" / "coinr_asem.yaml")
INDICATORS = list(METHODOLOGY.nodes.loc[METHODOLOGY.nodes["is_indicator"], "node_code"])
AGGREGATES = list(METHODOLOGY.nodes.loc[~METHODOLOGY.nodes["is_indicator"], "node_code"])
STAGES = [("denominated_value", "v06_coin_denominated.csv"), ("imputed_value", "v06_coin_imputed.csv"),
          ("treated_value", "v06_coin_treated.csv"), ("normalised_value", "v06_coin_normalised.csv")]


def _long(frame: pd.DataFrame, unit_column: str, columns: list[str], name: str) -> pd.DataFrame:
    return (frame.melt(id_vars=[unit_column], value_vars=columns, var_name="indicator_code", value_name=name)
            .rename(columns={unit_column: "unit_code"}))


def _v06_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(CASE / "v06_coin_raw.csv")
    den = pd.read_csv(CASE / "v06_coin_Denominators.csv")
    units = raw[["UnitCode", "UnitName", "Group_GDP", "Group_EurAsia"]].merge(
        den[["UnitCode", "Den_Area", "Den_Energy", "Den_GDP", "Den_Pop"]], on="UnitCode")
    units.columns = ["unit_code", "unit_name", "GDP_group", "EurAsia_group", "Area", "Energy", "GDP", "Population"]
    values = _long(raw, "UnitCode", INDICATORS, "value").assign(year=2018)
    return units, values


def _idata_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(CASE / "asem_iData.csv")
    units = data[["uCode", "uName", "GDP_group", "EurAsia_group", "Area", "Energy", "GDP", "Population"]]
    units = units.rename(columns={"uCode": "unit_code", "uName": "unit_name"})
    values = _long(data, "uCode", INDICATORS, "value").assign(year=data["Time"].iloc[0])
    return units, values


@pytest.fixture(scope="module")
def v06():
    """The engine run on COINr 0.6's raw data; returns (indicator stages, node scores, statistics)."""
    con = duckdb.connect()
    engine.build_frames(con, METHODOLOGY, *_v06_inputs())
    return (engine.result(con, "index_indicator"), engine.result(con, "index_node"),
            engine.result(con, "index_indicator_statistics"))


@pytest.fixture(scope="module")
def idata():
    """The engine run on COINr 1.1's iData (rounded slightly differently); returns (stages, node scores, alphas)."""
    con = duckdb.connect()
    engine.build_frames(con, METHODOLOGY, *_idata_inputs())
    return engine.result(con, "index_indicator"), engine.result(con, "index_node"), engine.result(con, "index_cronbach")


def _compare_stage(stages: pd.DataFrame, column: str, expected_file: str) -> pd.Series:
    expected = _long(pd.read_csv(CASE / expected_file), "UnitCode", INDICATORS, "expected")
    joined = stages.merge(expected, on=["unit_code", "indicator_code"], how="outer", indicator=True)
    assert (joined["_merge"] == "both").all() and len(joined) == 51 * 49
    assert (joined[column].isna() == joined["expected"].isna()).all()
    return (joined[column] - joined["expected"]).abs()


def _compare_aggregates(nodes: pd.DataFrame) -> pd.Series:
    expected = _long(pd.read_csv(CASE / "v06_coin_aggregated.csv"), "UnitCode", AGGREGATES, "expected")
    joined = nodes.merge(expected.rename(columns={"indicator_code": "node_code"}), on=["unit_code", "node_code"])
    assert len(joined) == 51 * 11 and joined["score"].notna().all()
    return (joined["score"] - joined["expected"]).abs()


@pytest.mark.parametrize("column, expected_file", STAGES)
def test_every_indicator_stage_matches_coinr_from_v06_raw_to_1e_9(v06, column, expected_file):
    stages, _, _ = v06
    assert _compare_stage(stages, column, expected_file).max() < 1e-9


def test_every_aggregate_matches_coinr_from_v06_raw_to_1e_9(v06):
    _, nodes, _ = v06
    assert _compare_aggregates(nodes).max() < 1e-9


@pytest.mark.parametrize("column, expected_file", STAGES)
def test_every_indicator_stage_matches_coinr_from_idata_to_1e_6(idata, column, expected_file):
    stages, _, _ = idata
    assert _compare_stage(stages, column, expected_file).max() < 1e-6


def test_every_aggregate_matches_coinr_from_idata_to_1e_6(idata):
    _, nodes, _ = idata
    assert _compare_aggregates(nodes).max() < 1e-6


def test_cronbach_alpha_of_the_raw_p2p_indicators_matches_coinr_from_pairwise_covariances(idata):
    # COINr's analysis vignette: get_cronbach(coin, dset = "Raw", iCodes = "P2P", Level = 1) is 0.05126659, with 9 of
    # the 51 units missing some P2P indicator (complete units only would give about 0.049).
    _, _, alphas = idata
    p2p = alphas[alphas["node_code"] == "P2P"].set_index("stage")
    assert p2p.loc["raw", "cronbach_alpha"] == pytest.approx(0.05126659, abs=5e-9)
    assert p2p.loc["raw", ["children", "complete_units"]].tolist() == [8, 42]


def test_imputation_filled_the_63_missing_cells_and_2_missing_denominators_with_the_group_mean(v06):
    stages, _, _ = v06
    imputed = stages[stages["imputation"].notna()]
    assert stages["raw_value"].isna().sum() == 63
    # Lao PDR has no energy consumption, so its trade in electricity and gas per unit of energy is missing too.
    no_denominator = imputed[imputed["raw_value"].notna()]
    assert set(zip(no_denominator["unit_code"], no_denominator["indicator_code"])) == {("LAO", "Elec"), ("LAO", "Gas")}
    assert len(imputed) == 65
    assert set(imputed["imputation"]) == {"group mean of EurAsia_group = Europe", "group mean of EurAsia_group = Asia"}


def test_winsorised_points_per_indicator_match_coinr_treatment_summary(v06):
    _, _, statistics = v06
    expected = pd.read_csv(CASE / "v06_coin_treat_summary.csv").set_index("IndCode")
    ours = statistics.set_index("indicator_code").loc[expected.index]
    assert (ours["winsorised_low"].to_numpy() == expected["Low"].to_numpy()).all()
    assert (ours["winsorised_high"].to_numpy() == expected["High"].to_numpy()).all()
    assert (expected["Low"] + expected["High"] > 0).sum() == 15 and not ours["logged"].any()


def test_published_scores_and_ranks_match_coinr(v06):
    _, nodes, _ = v06
    scores = nodes[~nodes["is_indicator"]].pivot(index="unit_code", columns="node_code", values="score").round(2)
    ranks = nodes[~nodes["is_indicator"]].pivot(index="unit_code", columns="node_code", values="node_rank")
    published_scores = pd.read_csv(CASE / "v06_coin_results_scores.csv").set_index("UnitCode")
    published_ranks = pd.read_csv(CASE / "v06_coin_results_ranks.csv").set_index("UnitCode")
    for node in AGGREGATES:
        assert np.allclose(scores.loc[published_scores.index, node], published_scores[node], atol=1e-9), node
        assert (ranks.loc[published_ranks.index, node] == published_ranks[node]).all(), node
    top = published_scores.sort_values("Rank").head(6)
    assert list(top.index) == ["CHE", "NLD", "DNK", "NOR", "BEL", "SWE"]
    assert list(scores.loc[top.index, "Index"]) == [68.38, 64.82, 64.80, 64.47, 63.54, 63.00]


def test_full_precision_ranks_differ_from_the_published_only_at_the_two_known_near_ties():
    doc = {k: v for k, v in METHODOLOGY.doc.items() if k != "ranking"}
    con = duckdb.connect()
    unrounded = IndexMethodology(**{**METHODOLOGY.__dict__, "doc": doc})
    engine.build_frames(con, unrounded, *_v06_inputs())
    nodes = engine.result(con, "index_node")
    ranks = nodes[~nodes["is_indicator"]].pivot(index="unit_code", columns="node_code", values="node_rank")
    published = pd.read_csv(CASE / "v06_coin_results_ranks.csv").set_index("UnitCode")
    differ = {(unit, node) for node in AGGREGATES for unit in published.index
              if ranks.at[unit, node] != published.at[unit, node]}
    assert {node for _, node in differ} == {"ConEcFin", "Instit"}
    assert {unit for unit, node in differ if node == "ConEcFin"} >= {"RUS"}
    assert {unit for unit, node in differ if node == "Instit"} >= {"PRT"}


def test_latest_earlier_year_imputation_on_the_five_year_panel(tmp_path):
    doc = yaml.safe_load((ROOT / "methodology" / "examples" / "coinr_asem.yaml").read_text())
    doc.update(year=2022, defaults={**doc["defaults"], "imputation": "latest_earlier_year", "outliers": "none"})
    for spec in doc["nodes"].values():
        spec.pop("denominator", None)
    path = tmp_path / "asem_panel.yaml"
    path.write_text(yaml.safe_dump(doc))
    panel = pd.read_csv(CASE / "asem_iData_panel.csv").sort_values(["uCode", "Time"])
    # The panel's 63 gaps are the same cells every year, so nothing earlier can fill them; blank 40 more
    # cells of 2022 (seeded) that earlier years do have.
    latest = panel["Time"] == 2022
    present = _long(panel[latest], "uCode", INDICATORS, "v").dropna()
    blanked = present.sample(40, random_state=5)[["unit_code", "indicator_code"]]
    values = pd.concat([_long(panel[panel["Time"] == year], "uCode", INDICATORS, "value").assign(year=int(year))
                        for year in sorted(panel["Time"].unique())])
    drop = values.merge(blanked.assign(year=2022), how="left", indicator=True)["_merge"].eq("both").to_numpy()
    units = panel.drop_duplicates("uCode")[["uCode", "uName", "EurAsia_group", "GDP_group"]]
    con = duckdb.connect()
    engine.build_frames(con, load_index(path), units.rename(columns={"uCode": "unit_code", "uName": "unit_name"}),
                        values[~drop])
    stages = engine.result(con, "index_indicator").set_index(["unit_code", "indicator_code"])
    # By hand: within each unit, the most recent earlier year's value (pandas forward fill over the years).
    filled = panel[INDICATORS].copy()
    for unit, indicator in blanked.itertuples(index=False):
        filled.loc[latest & (panel["uCode"] == unit), indicator] = np.nan
    expected = filled.groupby(panel["uCode"]).ffill().assign(uCode=panel["uCode"])[latest]
    expected = _long(expected, "uCode", INDICATORS, "expected").set_index(["unit_code", "indicator_code"])["expected"]
    imputed = stages["imputed_value"].reindex(expected.index)
    assert stages["raw_value"].isna().sum() == 63 + 40
    assert (imputed.isna() == expected.isna()).all() and ((imputed - expected).abs().fillna(0) < 1e-12).all()
    notes = stages.loc[list(blanked.itertuples(index=False, name=None)), "imputation"]
    assert notes.str.fullmatch(r"value of 20(18|19|20|21)").all()
    assert (stages.loc[stages["raw_value"].isna(), "imputation"] == "missing").sum() == 63


def _asem_with(tmp_path, **top) -> IndexMethodology:
    """Return the ASEM example with node keys ({node: {key: value}} under `nodes`) and top-level keys changed."""
    doc = yaml.safe_load((ROOT / "methodology" / "examples" / "coinr_asem.yaml").read_text())
    for code, keys in top.pop("nodes", {}).items():
        doc["nodes"][code].update(keys)
    doc.update(top)
    path = tmp_path / "asem.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_index(path)


def _parent_r(method: IndexMethodology) -> tuple[pd.Series, pd.Series]:
    """Return the weights within their parents and the correlations of each node with its parent, from iData."""
    con = duckdb.connect()
    engine.build_frames(con, method, *_idata_inputs())
    weights = engine.result(con, "index_weight").set_index("node_code")["weight_in_parent"]
    r = engine.result(con, "index_correlation").query("relation == 'parent'").set_index("node_code")["pearson_r"]
    return weights, r


def test_pca_weights_are_the_squares_of_coinrs_first_component_loadings(tmp_path):
    # COINr's weights vignette: get_PCA(coin, dset = "Aggregated", Level = 2) gives the pillars these loadings (signed;
    # a unit vector per group). Squared, they are non-negative and sum to 1 in each group.
    loadings = {"Physical": 0.5117970, "ConEcFin": 0.3049926, "Political": 0.3547671, "Instit": 0.5081540,
                "P2P": 0.5108455, "Environ": 0.6513188, "Social": -0.7443677, "SusEcFin": 0.1473108}
    weights, _ = _parent_r(_asem_with(tmp_path, nodes={"Conn": {"weighting": "pca"}, "Sust": {"weighting": "pca"}}))
    for pillar, loading in loadings.items():
        assert weights[pillar] == pytest.approx(loading ** 2, abs=2e-7), pillar


def test_optimised_weights_balance_the_sub_indexes_correlations_with_the_index_where_coinr_stops_near(tmp_path):
    # COINr's weights vignette: with equal weights Conn and Sust correlate 0.9397805 and 0.8382873 with the index;
    # get_opt_weights(itarg = "equal", Level = 3) stops (reltol 0.1) at Conn 0.3902439, Sust 0.6097561, which give
    # 0.8971336 and 0.8925119.
    _, nominal = _parent_r(METHODOLOGY)
    assert nominal[["Conn", "Sust"]].tolist() == pytest.approx([0.9397805, 0.8382873], abs=1e-7)
    coinr = {"Conn": 0.3902439, "Sust": 0.6097561}
    _, with_coinr = _parent_r(_asem_with(tmp_path, weights="coinr", weight_sets={"coinr": coinr}))
    assert with_coinr[["Conn", "Sust"]].tolist() == pytest.approx([0.8971336, 0.8925119], abs=1e-7)
    weights, optimised = _parent_r(_asem_with(tmp_path, nodes={"Index": {"weighting": "optimised"}}))
    assert optimised["Conn"] == pytest.approx(optimised["Sust"], abs=1e-9)
    assert weights["Conn"] == pytest.approx(coinr["Conn"], abs=0.01) and weights["Conn"] + weights["Sust"] == pytest.approx(1)
