import shutil

import pytest
import yaml

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
    path.write_text(yaml.safe_dump(doc))


def test_shipped_methodology_loads_with_a_stable_hash(methodology_dir):
    first, second = load(ROOT / "methodology"), load(methodology_dir)
    assert first.hash == second.hash and len(first.hash) == 64
    assert set(first.indicator_table()["indicator_code"]) == {"fiscal_capacity", "government_performance",
                                                              "sustainability_ikb"}


def test_changing_a_weight_changes_the_hash(methodology_dir):
    before = load(methodology_dir).hash
    _edit(methodology_dir, "screening", lambda d: d["indicators"]["fiscal_capacity"].update(weight=2))
    assert load(methodology_dir).hash != before


@pytest.mark.parametrize("name, change, message", [
    ("screening", lambda d: d["indicators"]["fiscal_capacity"].update(direction=2), "direction: must be 1 or -1"),
    ("screening", lambda d: d["indicators"]["fiscal_capacity"].update(weight=-1), "weight must be a number ≥ 0"),
    ("screening", lambda d: d.update(normalisation="magic"), "unknown method 'magic'"),
    ("screening", lambda d: d["indicators"]["sustainability_ikb"].update(applies_to=["desa"]), "applies_to"),
    ("screening", lambda d: [d["indicators"][k].update(weight=0) for k in ("fiscal_capacity", "government_performance")],
     "no indicator with a positive weight applies to kabupaten"),
    ("readiness", lambda d: d["dimension_weights"].pop("branding"), "no weight for branding"),
    ("readiness", lambda d: d["dimension_weights"].update(mobility=1), "mobility not in the framework"),
    ("readiness", lambda d: d.update(element_weights={"cloud": 2}), "cloud not an element"),
    ("readiness", lambda d: d.update(period="soon"), "expected `latest` or a year"),
])
def test_bad_methodology_is_refused_naming_file_and_key(methodology_dir, name, change, message):
    _edit(methodology_dir, name, change)
    with pytest.raises(MethodologyError) as info:
        load(methodology_dir)
    assert str(info.value).startswith(f"{name}.yaml: ") and message in str(info.value)
