import re
import shutil

import pytest
import yaml

from pipelines.score.index_method import load_index
from pipelines.score.methodology import MethodologyError, load
from tests.conftest import ROOT


@pytest.fixture
def methodology_dir(tmp_path):
    folder = tmp_path / "methodology"
    shutil.copytree(ROOT / "methodology", folder)
    return folder


def _edit(folder, name, change):
    path = folder / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def test_shipped_methodology_loads_with_a_stable_hash(methodology_dir):
    first, second = load(ROOT / "methodology"), load(methodology_dir)
    assert first.hash == second.hash and len(first.hash) == 64
    assert first.screening.hash == second.screening.hash != first.readiness.hash
    indicators = first.screening.nodes.loc[first.screening.nodes["is_indicator"], "node_code"]
    assert set(indicators) == {"fiscal_capacity", "government_performance", "sustainability_ikb", "ipm",
                               "poverty_rate_pct", "population_density_per_km2"}
    assert first.readiness.nodes.set_index("node_code").at["governance", "label_en"] == "Smart Governance"


def test_comments_and_layout_do_not_change_the_hash_but_a_weight_does(methodology_dir):
    before = load(methodology_dir).screening.hash
    path = methodology_dir / "screening.yaml"
    path.write_text("# a new comment\n" + path.read_text().replace("weight: 1", "weight:   1"))
    assert load(methodology_dir).screening.hash == before
    _edit(methodology_dir, "screening", lambda d: d["nodes"]["fiscal_capacity"].update(weight=2))
    after = load(methodology_dir)
    assert after.screening.hash != before
    assert after.screening.nodes.set_index("node_code").at["fiscal_capacity", "weight"] == 2.0


def test_the_asem_example_resolves_level_defaults_for_every_node():
    asem = load_index(ROOT / "methodology" / "examples" / "coinr_asem.yaml")
    nodes = asem.nodes.set_index("node_code")
    assert asem.root == "Index" and len(nodes) == 60 and nodes["is_indicator"].sum() == 49
    assert nodes.at["LPI", "height"] == 1 and nodes.at["Physical", "height"] == 2 and nodes.at["Index", "height"] == 4
    assert nodes.at["CostImpEx", "direction"] == -1 and nodes.at["Flights", "denominator"] == "Population"
    assert set(nodes.loc[nodes["is_indicator"], "imputation_method"]) == {"group_mean"}


SCREENING_CASES = [
    (lambda d: d["nodes"]["fiscal_capacity"].update(direction=2), "nodes.fiscal_capacity.direction",
     "direction must be 1 or -1, found 2"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(weight=-1), "nodes.fiscal_capacity.weight", "expected a number ≥ 0"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(normalisation="magic"), "nodes.fiscal_capacity.normalisation",
     "unknown normalisation method 'magic'"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(parent="nowhere"), "nodes.fiscal_capacity.parent",
     "parent 'nowhere' is not a node"),
    (lambda d: d["nodes"]["fiscal_capacity"].pop("parent"), "nodes", "exactly one node has no parent"),
    (lambda d: d["nodes"]["screening"].update(parent="fiscal_capacity"), "nodes", "exactly one node has no parent"),
    (lambda d: [n.update(weight=0) for k, n in d["nodes"].items() if k != "screening"],
     "nodes.screening", "weights of its children sum to zero"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(wieght=2), "nodes.fiscal_capacity.wieght", "unknown key"),
    (lambda d: d["nodes"]["screening"].update(aggregation="generalised"), "nodes.screening.aggregation",
     "aggregation method 'generalised' needs `p`"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(normalisation={"method": "lookup", "table": "bands"}),
     "nodes.fiscal_capacity.normalisation", "lookup 'bands' is not under `lookups`"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(normalisation={"method": "minmax", "low": 100, "high": 0}),
     "nodes.fiscal_capacity.normalisation", "min-max needs low < high"),
    (lambda d: d.update(year="soon"), "year", "expected `latest` or a year"),
    (lambda d: d.update(weights="expert"), "weights", "expected nominal, equal or a name under weight_sets"),
    (lambda d: d.update(weight_sets={"expert": {"fiscal": 2}}), "weight_sets.expert.fiscal", "unknown key"),
    (lambda d: d["levels"][1].update(min_availability_pct=150), "levels.1.min_availability_pct",
     "expected a number from 0 to 100"),
    (lambda d: d["units"].update(force_out=["35.13"], force_in=["35.13"]), "units.force_out", "35.13 also forced in"),
    # 2 decimals on a 0-1 scale: 0.00, 0.01, ..., 1.00 (101 values) where 0-100 gets 10,001.
    (lambda d: (d["defaults"].update(normalisation={"method": "minmax", "low": 0, "high": 1}),
                d.update(ranking={"decimals": 2})), "ranking.decimals",
     "2 decimals leave 101 values on the 1-wide scale of fiscal_capacity (minmax), which ties units that differ: "
     "use ranking.significant_digits"),
    (lambda d: d.update(ranking={"decimals": 2, "significant_digits": 4}), "ranking.significant_digits",
     "give ranking.decimals or ranking.significant_digits, not both"),
    (lambda d: d["nodes"]["screening"].update(weighting="pcaa"), "nodes.screening.weighting",
     "unknown weighting method 'pcaa'; known: nominal, optimised, pca"),
    (lambda d: d.update(ranking={"significant_digits": 0}), "ranking.significant_digits",
     "expected a whole number ≥ 1, found 0"),
    (lambda d: d["nodes"]["screening"].update(aggregation={"method": "mpi", "penalty": "up"}),
     "nodes.screening.aggregation", "mpi penalty is positive (higher is better: mean − penalty) or negative"),
    (lambda d: d["nodes"]["screening"].update(aggregation={"method": "bod", "min_share": 0.5, "max_share": 0.4}),
     "nodes.screening.aggregation", "benefit of the doubt needs 0 ≤ min_share ≤ max_share ≤ 1"),
    (lambda d: d["nodes"]["screening"].update(aggregation={"method": "bod", "weights": 1}),
     "nodes.screening.aggregation.weights", "unknown key"),
    (lambda d: d["nodes"]["screening"].update(aggregation="bod", weighting="pca"), "nodes.screening.weighting",
     "the benefit of the doubt chooses each unit's weights: weighting must be nominal"),
    (lambda d: d["nodes"]["fiscal_capacity"].update(outliers="boxcox"), "nodes.fiscal_capacity.outliers",
     "outliers method 'boxcox' needs `lambda`"),
    (lambda d: d["units"].update(min_nonzero_pct=120), "units.min_nonzero_pct", "expected a number from 0 to 100"),
    (lambda d: d.update(remove_elements=["index"]), "remove_elements",
     "expected a list of level names below the index, among"),
    (lambda d: d.setdefault("uncertainty", {}).update(remove=[]), "uncertainty.remove",
     "expected a list of level names below the index, among indicator"),
    (lambda d: d.setdefault("uncertainty", {}).update(remove=["screening"]), "uncertainty.remove",
     "expected a list of level names below the index, among indicator"),
]


@pytest.mark.parametrize("change, key, message", SCREENING_CASES)
def test_bad_screening_methodology_is_refused_naming_file_line_and_key(methodology_dir, change, key, message):
    _edit(methodology_dir, "screening", change)
    with pytest.raises(MethodologyError) as info:
        load(methodology_dir)
    text = str(info.value)
    match = re.match(r"screening\.yaml:(\d+): (\S+): (.*)", text)
    assert match, text
    assert match.group(2).startswith(key.split(".")[0]) and message in text
    line = (methodology_dir / "screening.yaml").read_text().splitlines()[int(match.group(1)) - 1]
    assert key.split(".")[-1].split("_")[0] in line or key in ("nodes", "levels", "weight_sets.expert.fiscal"), line


@pytest.mark.parametrize("change, message", [
    (lambda d: [d["nodes"].pop(k) for k in ("branding", "tourism_branding", "business_branding", "city_appearance")],
     "dimension 'branding' of the framework must be a node"),
    (lambda d: d["nodes"].update(blockchain={"parent": "readiness"}), "blockchain: not a dimension or element"),
    (lambda d: d["nodes"]["public_service"].update(parent="economy"), "element 'public_service' of the framework"),
    (lambda d: d["answer_types"].pop("yes_no"), "answers of type 'yes_no'"),
    (lambda d: d["answer_types"].update(number="minmax"), "numbers use goalposts from the question bank, or min-max"),
    (lambda d: d["answer_types"].update(yes_no={"method": "target", "target": 1}), "set by low and high only"),
    (lambda d: d["nodes"]["governance"].update(denominator="population"), "denominator applies to indicators only"),
])
def test_readiness_must_match_the_framework(methodology_dir, change, message):
    _edit(methodology_dir, "readiness", change)
    with pytest.raises(MethodologyError) as info:
        load(methodology_dir)
    assert str(info.value).startswith("readiness.yaml:") and message in str(info.value)


def test_a_key_given_twice_is_refused_with_its_line(methodology_dir):
    path = methodology_dir / "screening.yaml"
    path.write_text(path.read_text() + "year: 2024\n")
    with pytest.raises(MethodologyError, match=r"screening\.yaml:\d+: year: given twice"):
        load(methodology_dir)


def test_check_methodology_command_prints_the_tree_or_the_error(methodology_dir):
    from typer.testing import CliRunner

    from pipelines.cli import app

    ok = CliRunner().invoke(app, ["check-methodology", str(ROOT / "methodology" / "examples" / "coinr_asem.yaml")])
    assert ok.exit_code == 0
    assert "index 'asem', 60 nodes (level 1: 49, level 2: 8, level 3: 2, level 4: 1)" in ok.output
    _edit(methodology_dir, "screening", lambda d: d["nodes"]["fiscal_capacity"].update(direction=0))
    bad = CliRunner().invoke(app, ["check-methodology", str(methodology_dir / "screening.yaml")])
    assert bad.exit_code == 1 and "nodes.fiscal_capacity.direction: direction must be 1 or -1, found 0" in bad.output
