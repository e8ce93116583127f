"""The methodology page: the framework as the engine resolved it, the Monte Carlo design and the statistical audit,
from the report views over a tiny index published by the engine, and the page and sunburst drawn from them."""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.report import figures, site
from pipelines.report.i18n import AUDIT_FLAGS
from pipelines.score import engine, selection, uncertainty
from pipelines.score.index_method import load_index
from pipelines.score.methodology import load
from pipelines.score.report_views import create_report_views
from tests.chart_languages import in_language
from tests.conftest import ROOT

YEAR = 2024
UNITS = ["A", "B", "C", "D", "E", "F"]
AUDIT = {"redundancy_r": 0.9, "low_availability_pct": 80.0, "skew_max": 1.0, "kurtosis_max": 0.5, "cronbach_min": 0.95}
# I ← P (weight 3, generalised mean p = 2) ← a, b; I ← Q (weight 1) ← c, k. b = 2a + 1: one redundant pair.
# c is known for 4 of the 6 units (the others take the mean) and skewed; k is constant.
METHODOLOGY = {
    "index": "t", "audit": AUDIT,
    "defaults": {"normalisation": {"method": "minmax", "low": 0, "high": 100}},
    "levels": [{"name": "indicator"}, {"name": "pillar", "min_availability_pct": 60}, {"name": "index"}],
    "nodes": {
        "I": {"label": {"id": "Indeks uji", "en": "Test index"}},
        "P": {"parent": "I", "weight": 3, "aggregation": {"method": "generalised", "p": 2},
              "label": {"id": "Pilar P", "en": "Pillar P"}},
        "Q": {"parent": "I", "weight": 1},
        "a": {"parent": "P", "normalisation": {"method": "goalposts", "low": 0, "high": 50}, "outliers": "winsorise"},
        "b": {"parent": "P"},
        "c": {"parent": "Q", "imputation": "mean"},
        "k": {"parent": "Q", "direction": -1},
    },
}
A = [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
C = {"A": 1.0, "B": 1.0, "C": 1.0, "D": 40.0}
VALUES = {"a": dict(zip(UNITS, A)), "b": {u: 2 * v + 1 for u, v in zip(UNITS, A)}, "c": C,
          "k": dict.fromkeys(UNITS, 7.0)}
PAGE_TABLES = ["index_node_method", "index_audit_indicator", "index_audit_aggregate", "index_audit_correlation",
               "index_audit_setting", "index_flag", "index_flag_count", "monte_carlo_design", "monte_carlo_factor",
               "methodology_parameter"]


def _published(folder, doc: dict, values: dict, units: list[str]) -> tuple[duckdb.DuckDBPyConnection, object]:
    """Return a warehouse holding an index as the score step publishes it, the shipped Monte Carlo design, and the
    report views over them; values are {indicator: {unit: value}}."""
    path = folder / f"{doc['index']}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    method = load_index(path)
    shipped = load(ROOT / "methodology")
    con = duckdb.connect()
    values = pd.DataFrame([(u, i, YEAR, v) for i, by_unit in values.items() for u, v in by_unit.items()],
                          columns=["unit_code", "indicator_code", "year", "value"])
    engine.build_frames(con, method, pd.DataFrame({"unit_code": units}), values)
    con.execute("CREATE SCHEMA score; CREATE SCHEMA methodology")
    engine.publish(con, method, "inputs-1")
    tables = {"parameter": method.settings_table().assign(name=lambda f: method.code + "." + f["name"]),
              "monte_carlo": selection.monte_carlo_design(shipped, {"executor": "local", "dask_workers": 2}),
              "monte_carlo_factor": selection.monte_carlo_factors(shipped)}
    for name, frame in tables.items():
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE methodology.{name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    skipped = create_report_views(con)
    assert not {name for name in PAGE_TABLES if name in skipped}, skipped
    return con, method


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The tiny index above, published."""
    yield _published(tmp_path_factory.mktemp("method"), METHODOLOGY, VALUES, UNITS)


def _view(con, name: str) -> pd.DataFrame:
    return con.sql(site.QUERIES[name]).df()


def test_every_node_has_the_methods_the_engine_resolved_for_it(warehouse):
    con, _ = warehouse
    nodes = _view(con, "index_node_method").set_index("node_code")
    # Depth-first in the methodology's order: each node after its parent, siblings as declared.
    assert nodes.index.tolist() == ["I", "P", "a", "b", "Q", "c", "k"]
    assert nodes["depth"].to_dict() == {"I": 0, "P": 1, "a": 2, "b": 2, "Q": 1, "c": 2, "k": 2}
    assert nodes["effective_weight"].to_dict() == pytest.approx(
        {"I": 1.0, "P": 0.75, "a": 0.375, "b": 0.375, "Q": 0.25, "c": 0.125, "k": 0.125})

    def parameters(node: str, stage: str) -> dict:
        found = nodes.loc[node, f"{stage}_parameters"]
        return {p["parameter"]: next(v for v in (p["number_value"], p["text_value"], p["flag_value"]) if v is not None)
                for p in found}

    # a: its own goalposts with the method's defaults filled in; winsorised with the engine's default limits.
    assert nodes.loc["a", "normalisation_method"] == "goalposts"
    assert parameters("a", "normalisation") == {"low": 0.0, "high": 50.0, "scale": 100.0, "truncate": True}
    assert nodes.loc["a", "outliers_method"] == "winsorise"
    assert parameters("a", "outliers") == {"skew_max": 2.0, "kurtosis_max": 3.5, "max_share": 0.1, "max_points": 0.0,
                                           "log_fallback": True}
    # b: the defaults' min-max; c: its own imputation; k: direction −1.
    assert (nodes.loc["b", "normalisation_method"], parameters("b", "normalisation")) == ("minmax", {"low": 0.0,
                                                                                                    "high": 100.0})
    assert nodes.loc["c", "imputation_method"] == "mean" and parameters("c", "imputation") == {}
    assert nodes.loc[["a", "k"], "direction"].tolist() == [1, -1]
    # Aggregates: their mean (P's own generalised p 2) and the level's minimum availability; no indicator methods.
    assert (nodes.loc["P", "aggregation_method"], parameters("P", "aggregation")) == ("generalised", {"p": 2.0})
    assert nodes.loc[["I", "P", "Q"], "aggregation_method"].tolist() == ["arithmetic", "generalised", "arithmetic"]
    assert nodes.loc[["I", "P", "Q"], "min_availability_pct"].tolist() == [0.0, 60.0, 60.0]
    assert nodes.loc[["I", "P", "Q"], "normalisation_method"].isna().all()
    assert nodes.loc[["a", "b", "c", "k"], "aggregation_method"].isna().all()


def test_flags_carry_the_statistic_and_the_methodologys_threshold(warehouse):
    con, _ = warehouse
    flags = _view(con, "index_flag")
    got = {(f.flag, f.node_code): f for f in flags.itertuples()}
    assert set(got) == {("redundant", "a"), ("skew_kurtosis", "c"), ("low_availability", "c"), ("constant", "k"),
                        ("low_cronbach_alpha", "I"), ("low_cronbach_alpha", "P"), ("low_cronbach_alpha", "Q")}
    redundant = got["redundant", "a"]
    assert (redundant.other_code, redundant.value, redundant.threshold) == (
        "b", pytest.approx(1.0), AUDIT["redundancy_r"])
    low = got["low_availability", "c"]
    assert (low.value, low.threshold) == (pytest.approx(100 * len(C) / len(UNITS)), AUDIT["low_availability_pct"])
    # c after treatment: its values and the mean for the two units without, held against both audit limits.
    skew = got["skew_kurtosis", "c"]
    treated = pd.Series([*C.values(), *[sum(C.values()) / len(C)] * (len(UNITS) - len(C))])
    assert (skew.value, skew.kurtosis_after) == (pytest.approx(treated.skew()), pytest.approx(treated.kurt()))
    assert (skew.threshold, skew.kurtosis_threshold) == (AUDIT["skew_max"], AUDIT["kurtosis_max"])
    # P's children are one linear in the other (b's scores = 2 × a's − 20): alpha = 4·2/(1 + 2)² = 8/9.
    alpha = got["low_cronbach_alpha", "P"]
    assert (alpha.value, alpha.threshold) == (pytest.approx(8 / 9), AUDIT["cronbach_min"])
    assert got["low_cronbach_alpha", "Q"].value == 0.0   # k is constant: the sum varies exactly as c does
    assert (got["constant", "k"].value, got["constant", "k"].label_id) == (1.0, "k")
    assert _view(con, "index_flag_count").set_index("flag")["flags"].to_dict() == {
        "constant": 1, "low_availability": 1, "low_cronbach_alpha": 3, "redundant": 1, "skew_kurtosis": 1}
    assert _view(con, "index_audit_setting").set_index("setting")["value"].to_dict() == AUDIT


def test_the_audit_tables_give_each_indicator_and_aggregate_its_statistics_and_flags(warehouse):
    con, _ = warehouse
    indicators = _view(con, "index_audit_indicator").set_index("indicator_code")
    assert indicators.loc["c", ["units_available", "units_applicable"]].tolist() == [len(C), len(UNITS)]
    assert indicators.loc["c", "skew_before"] == pytest.approx(pd.Series(list(C.values())).skew())
    assert indicators["flags"].map(list).to_dict() == {
        "a": ["redundant"], "b": [], "c": ["low_availability", "skew_kurtosis"], "k": ["constant"]}
    assert indicators.loc["a", ["outliers_method", "winsorised_high", "winsorised_low", "is_logged"]].tolist() == [
        "winsorise", 0, 0, False]
    aggregates = _view(con, "index_audit_aggregate").set_index("node_code")
    assert aggregates.loc["P", ["children", "complete_units", "redundant_pairs"]].tolist() == [2, len(UNITS), 1]
    assert aggregates.loc["P", "cronbach_alpha"] == pytest.approx(8 / 9)
    assert aggregates["flags"].map(list).to_dict() == dict.fromkeys(["I", "P", "Q"], ["low_cronbach_alpha"])
    correlations = _view(con, "index_audit_correlation").set_index("node_code")
    # Both sides of the redundant pair name each other; k is constant, so it has no correlation.
    assert correlations["redundant_with"].map(list).to_dict() == {"P": [], "a": ["b"], "b": ["a"], "Q": [], "c": [],
                                                                   "k": []}
    assert correlations.loc["P", "parent_units"] == len(UNITS) and pd.isna(correlations.loc["k", "parent_r"])
    assert correlations.loc["a", "index_r"] == pytest.approx(correlations.loc["b", "index_r"])


def test_the_monte_carlo_design_lists_what_is_drawn_and_the_replications_salib_draws():
    shipped = load(ROOT / "methodology")
    factors = selection.monte_carlo_factors(shipped).drop_duplicates("factor")
    assert factors["factor"].tolist() == [
        "screening.imputation", "screening.outliers", "screening.normalisation", "screening.aggregation",
        "screening.weights", "readiness.imputation", "readiness.weights", "cohort.component_weights"]
    noise = factors.set_index("factor").loc[["screening.weights", "readiness.weights", "cohort.component_weights"]]
    assert noise["noise_varies"].tolist() == ["indicator", "element, dimension", "screening_index, readiness_index"]
    design = selection.monte_carlo_design(shipped, {"executor": "dask", "dask_workers": 3}).iloc[0]
    rules = shipped.cohort.uncertainty
    assert (design["seed"], design["base_samples"], design["factors"]) == (rules["seed"], rules["base_samples"], 8)
    assert (design["executor"], design["dask_workers"]) == ("dask", 3)
    drawn = [uncertainty.Factor(f"f{i}", "weights", ("x", "y")) for i in range(3)]
    assert uncertainty.design(drawn, 16, seed=1).shape[0] == uncertainty.design_size(3, 16)


def test_the_sunburst_has_a_sector_per_node_inside_its_parent_sized_by_effective_weight(warehouse):
    con, _ = warehouse
    nodes = _view(con, "index_node_method")
    spec = figures.framework_sunburst(nodes)
    trace = spec["data"][0]
    assert trace["ids"] == ["I", "P", "a", "b", "Q", "c", "k"]
    assert dict(zip(trace["ids"], trace["parents"])) == {"I": "", "P": "I", "a": "P", "b": "P", "Q": "I", "c": "Q",
                                                         "k": "Q"}
    assert trace["labels"][:2] == ["Indeks uji", "Pilar P"] and trace["labels"][2] == "a"
    assert in_language(spec, "en")["data"][0]["labels"][:3] == ["Test index", "Pillar P", "a"]
    assert dict(zip(trace["ids"], trace["values"])) == {"I": 0, "P": 0, "a": 0.375, "b": 0.375, "Q": 0, "c": 0.125,
                                                        "k": 0.125}
    assert trace["branchvalues"] == "remainder" and json.loads(json.dumps(trace)) == trace


def _page(con, out) -> str:
    tables = {name: _view(con, name) for name in PAGE_TABLES}
    tables.update(cohort_run=pd.DataFrame(), evaluation_weight=pd.DataFrame(), raw_files=pd.DataFrame(),
                  evaluation_methodology=pd.DataFrame(columns=["component_weights"]))
    page = site.Site(tables=tables, env=site._environment(), maps=None,
                     common={"hashes": {"methodology_hash": "m", "inputs_hash": "i"}, "version": "test",
                             "notice": None, "missing_parts": {"cohort": "too few candidates"}})
    site._methodology_page(page, out)
    return (out / "methodology.html").read_text(encoding="utf-8")


def test_the_page_shows_a_row_per_node_with_its_methods_the_sunburst_flags_advice_and_design(warehouse, tmp_path):
    con, _ = warehouse
    html = _page(con, tmp_path)
    tree = html[html.index('<table id="tree-t"'):]
    tree = tree[:tree.index("</table>")]
    rows = dict(re.findall(r'<tr data-node="(\w+)" data-parent="(\w*)"', tree))
    assert rows == {"I": "", "P": "I", "a": "P", "b": "P", "Q": "I", "c": "Q", "k": "Q"}
    row_a = tree[tree.index('data-node="a"'):tree.index('data-node="b"')]
    assert "<code>goalposts</code> (<code>low</code>" in row_a and "<code>winsorise</code>" in row_a
    assert 'data-v="50.0" data-d="0">50</span>' in row_a          # goalposts' high, as written
    assert "<code>generalised</code> (<code>p</code>" in tree and 'data-v="60.0" data-d="0">60</span>%' in tree
    spec = re.search(r'<script type="application/json" class="plot-spec" data-target="fig-framework-t">(.*?)</script>',
                     html).group(1)
    assert json.loads(spec)["data"][0]["ids"] == ["I", "P", "a", "b", "Q", "c", "k"]
    flags = html[html.index('<table id="flags-table"'):]
    assert re.findall(r'<tr data-flag="(\w+)" data-node="(\w+)"', flags[:flags.index("</table>")]) == [
        ("low_cronbach_alpha", "I"), ("low_cronbach_alpha", "P"), ("redundant", "a"), ("low_cronbach_alpha", "Q"),
        ("low_availability", "c"), ("skew_kurtosis", "c"), ("constant", "k")]
    guide = html[html.index('<table id="flag-guide-table"'):]
    guide = guide[:guide.index("</table>")]
    for flag, meta in AUDIT_FLAGS.items():
        assert f'<tr data-flag="{flag}">' in guide and str(site.t(*meta["advice"])) in guide
    factors = html[html.index('<table id="monte-carlo-factors"'):]
    assert factors[:factors.index("</table>")].count("<tr><td") == 8
    assert "<code>20261123</code>" in html and "too few candidates" in html


def test_the_page_is_byte_identical_for_equal_inputs(warehouse, tmp_path):
    con, _ = warehouse
    assert _page(con, tmp_path / "one") == _page(con, tmp_path / "two")


def test_the_page_lists_the_weights_derived_from_the_data(warehouse, tmp_path):
    # a and b = 2a move together and c is uncorrelated with them: PCA weighs them 1/2, 1/2 and 0.
    doc = {"index": "p", "defaults": {"normalisation": "none"},
           "nodes": {"I": {"weighting": "pca"}, "a": {"parent": "I"}, "b": {"parent": "I"}, "c": {"parent": "I"}}}
    values = {"a": dict(zip("ABCD", [1, 2, 3, 4])), "b": dict(zip("ABCD", [2, 4, 6, 8])),
              "c": dict(zip("ABCD", [1, -1, -1, 1]))}
    con, _ = _published(tmp_path, doc, values, list("ABCD"))
    html = _page(con, tmp_path)
    block = html[html.index('<table id="derived-weights-table-p"'):]
    block = block[:block.index("</table>")]
    assert re.findall(r'<tr data-node="(\w)"><td><code>I</code></td><td><code>pca</code></td>', block) == ["a", "b", "c"]
    assert re.findall(r'data-d="4">([0-9.,]+)</span>', block) == ["0,5000", "0,5000", "0,0000"]
    assert "derived-weights-table" not in _page(warehouse[0], tmp_path / "nominal")   # declared weights only
