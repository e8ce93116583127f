"""Boundary files: checked against the Kemendagri 2025 list, installed normalised, and the maps drawn from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from pipelines.ingest import boundaries as b
from pipelines.report import figures
from tests.chart_languages import in_language
from pipelines.report.maps import write_map_files
from pipelines.runs.plan import scan_raw, stage_keys
from pipelines.settings import Settings
from pipelines.sources import load_contracts
from tests.conftest import ROOT, SHARED

BOUNDARIES = SHARED / "reference" / "boundaries"


@pytest.fixture(scope="module")
def names():
    return b.reference_names(ROOT / "data" / "reference")


def _collection(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path, features: list[dict]):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_the_shared_boundaries_install_complete_with_their_provenance(tmp_path, names):
    for level, count, sha in (("provinces", 38, "91b79e82faef14b0dd13f476fccaade2e755035f2b548caf995f0e31c88f57c2"),
                              ("regencies", 514, "51616481179c26cf7a138440c05ca6a6a25f1bcd5b4d409ba1e05657a9498dc2")):
        record = b.install(BOUNDARIES / f"{level}.geojson", names, tmp_path, "cahyadsn/wilayah_boundaries (MIT)")
        assert (record["level"], record["features"], record["missing"], record["sha256"]) == (level, count, [], sha)
        installed = _collection(b.installed_path(tmp_path, level))["features"]
        codes = [f["properties"]["code"] for f in installed]
        assert codes == sorted(names[level]) and [f["id"] for f in installed] == codes
        assert {f["geometry"]["type"] for f in installed} == {"MultiPolygon"}
    assert b.installed(tmp_path)["regencies"]["attribution"] == "cahyadsn/wilayah_boundaries (MIT)"
    first = _collection(b.installed_path(tmp_path, "regencies"))["features"][0]
    assert first["properties"] == {"code": "11.01", "name": names["regencies"]["11.01"]}


def test_rings_wound_the_rfc_7946_way_are_turned_for_plotly_and_codes_without_a_dot_are_read(tmp_path, names):
    original = _collection(BOUNDARIES / "provinces.geojson")["features"]
    flipped = []
    for feature in original:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        flipped.append({"type": "Feature", "properties": {"kode": feature["properties"]["code"]},
                        "geometry": {"type": "MultiPolygon", "coordinates": [[ring[::-1] for ring in p] for p in polygons]}})
    rings = sum(len(p) for f in flipped for p in f["geometry"]["coordinates"])
    record = b.install(_write(tmp_path / "rfc7946.geojson", flipped), names, tmp_path / "a", None)
    assert record["rings_rewound"] == rings
    b.install(BOUNDARIES / "provinces.geojson", names, tmp_path / "b", None)
    # Turned back, the rings are the shared file's own (a ring's first point is kept as its last: closed rings).
    turned = _collection(b.installed_path(tmp_path / "a", "provinces"))["features"]
    straight = _collection(b.installed_path(tmp_path / "b", "provinces"))["features"]
    assert [f["geometry"] for f in turned] == [f["geometry"] for f in straight]
    assert all(b._signed_area(p[0]) < 0 for f in turned for p in f["geometry"]["coordinates"])
    # A hole is wound the other way: anticlockwise inside a clockwise outer ring, whichever way it came.
    square = [[100, 0], [110, 0], [110, 10], [100, 10], [100, 0]]          # anticlockwise, as RFC 7946 has it
    hole = [[102, 2], [102, 4], [104, 4], [104, 2], [102, 2]]              # clockwise
    holed = [{"type": "Feature", "properties": {"code": "11"}, "geometry": {"type": "Polygon", "coordinates": [square, hole]}}]
    outer, inner = b.check(_write(tmp_path / "hole.geojson", holed), names).features[0]["geometry"]["coordinates"][0]
    assert b._signed_area(outer) == -100 and b._signed_area(inner) == 4 and outer == square[::-1] and inner == hole[::-1]

    regency = _collection(BOUNDARIES / "regencies.geojson")["features"][:3]
    for feature in regency:
        feature["properties"] = {"code": feature["properties"]["code"].replace(".", "")}
    checked = b.check(_write(tmp_path / "nodot.geojson", regency), names)
    assert checked.level == "regencies" and [f["id"] for f in checked.features] == ["11.01", "11.02", "11.03"]
    assert len(checked.missing) == 511


def test_a_file_that_does_not_fit_the_region_list_is_refused_with_the_codes_named(tmp_path, names):
    features = _collection(BOUNDARIES / "provinces.geojson")["features"]
    unknown = [*features[:2], {**features[2], "properties": {"code": "99"}}]
    with pytest.raises(b.BoundaryError, match=r"1 code\(s\) not in the Kemendagri 2025 list of provinces: 99$"):
        b.check(_write(tmp_path / "unknown.geojson", unknown), names)
    with pytest.raises(b.BoundaryError, match=r"outline more than one feature: 11;"):
        b.check(_write(tmp_path / "twice.geojson", [features[0], features[0]]), names)
    # The stray code is named, however many codes of the other level come first.
    mixed = [*_collection(BOUNDARIES / "regencies.geojson")["features"][:20], features[-1]]
    with pytest.raises(b.BoundaryError, match=r"all be province codes .* most are kabupaten/kota, but not 96$"):
        b.check(_write(tmp_path / "mixed.geojson", mixed), names)
    with pytest.raises(b.BoundaryError, match=r"has no features$"):
        b.check(_write(tmp_path / "empty.geojson", []), names)
    point = [{**features[0], "geometry": {"type": "Point", "coordinates": [95, 5]}}]
    with pytest.raises(b.BoundaryError, match=r"the feature of 11 cannot be drawn: a Point geometry"):
        b.check(_write(tmp_path / "point.geojson", point), names)
    with pytest.raises(b.BoundaryError, match=r"not a GeoJSON FeatureCollection \(a TopoJSON"):
        b.check(BOUNDARIES / "world_110m.json", names)
    assert b.installed(tmp_path) == {}


def test_the_command_checks_installs_and_refuses_in_one_line(tmp_path):
    env = {**os.environ, "COLUMNS": "250"}

    def readiness(*args):
        return subprocess.run([sys.executable, "-m", "pipelines.cli", "boundaries", *args, "--data-dir", str(tmp_path)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    checked = readiness(str(BOUNDARIES / "provinces.geojson"), "--check")
    assert checked.returncode == 0 and "38 of the 38 provinces; checked, not installed" in checked.stdout
    assert not (tmp_path / "boundaries").exists()
    done = readiness(str(BOUNDARIES / "provinces.geojson"), str(BOUNDARIES / "regencies.geojson"))
    assert done.returncode == 0, done.stderr
    assert f"514 of the 514 kabupaten/kota; installed as {tmp_path / 'boundaries' / 'regencies.geojson'}" in done.stdout
    refused = readiness(str(BOUNDARIES / "world_110m.json"))
    lines = [line for line in (refused.stdout + refused.stderr).splitlines() if line.strip()]
    assert refused.returncode == 2 and len(lines) == 2 and "Traceback" not in refused.stderr
    assert lines[0].startswith(f"Error: {BOUNDARIES / 'world_110m.json'}: not a GeoJSON FeatureCollection")


def test_installing_boundaries_redoes_the_report_and_nothing_before_it(tmp_path, names):
    settings = Settings.default(tmp_path)
    (tmp_path / "raw").mkdir()
    scan = scan_raw(settings.raw_dir, 0, load_contracts(settings.sources_dir))
    before = stage_keys(settings, scan, "m")
    b.install(BOUNDARIES / "provinces.geojson", names, settings.boundaries_dir, None)
    after = stage_keys(settings, scan, "m")
    assert [stage for stage in before if before[stage] != after[stage]] == ["report"]


def test_the_site_gets_one_script_per_installed_layer(tmp_path, names):
    assert write_map_files(tmp_path / "none", tmp_path / "site").layers == {}
    assert not (tmp_path / "site" / "maps").exists()
    b.install(BOUNDARIES / "provinces.geojson", names, tmp_path / "boundaries", "source X")
    maps = write_map_files(tmp_path / "boundaries", tmp_path / "site")
    assert maps.has("provinces") and not maps.has("regencies")
    assert maps.attribution("provinces") == "source X"
    script = (tmp_path / "site" / "maps" / "provinces.js").read_text(encoding="utf-8")
    prefix = 'window.READINESS_MAPS = window.READINESS_MAPS || {};\nwindow.READINESS_MAPS["provinces"] = '
    assert script.startswith(prefix)
    assert len(json.loads(script[len(prefix):].rstrip().rstrip(";"))["features"]) == 38


def test_the_regions_map_switches_between_measures_and_names_its_categories():
    ranking = pd.DataFrame({"region_code": ["11.01", "11.02", "11.03"], "region_name": ["A", "B", "C"],
                            "screening_index": [10.0, None, 90.0], "readiness_index": [None, None, 55.556],
                            "smart_city_year_joined": [2017, None, 2019]})
    selection = pd.DataFrame({"region_code": ["11.01", "11.02", "11.03"], "region_name": ["A", "B", "C"],
                              "is_selected": [True, False, False], "selection_rank": [1, 2, None]})
    spec = figures.regions_map(ranking, selection, pd.DataFrame(), None, "X")
    english = in_language(spec, "en")
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [x["label"] for x in buttons] == ["Penyaringan", "Kesiapan", "Program", "Usulan kohort"]
    assert [x["label"] for x in english["layout"]["updatemenus"][0]["buttons"]] == [
        "Screening", "Readiness", "Programme", "Proposed cohort"]
    names = [t["name"] for t in spec["data"]]
    assert names == ["Tanpa nilai", "Indeks penyaringan (0-100)", "Indeks kesiapan (0-100)", "Bergabung 2017",
                     "Bergabung 2019", "Terpilih", "Diperingkat, tidak terpilih"]
    assert [t["name"] for t in english["data"]] == ["No value", "Screening index (0-100)", "Readiness index (0-100)",
                                                    "Joined 2017", "Joined 2019", "Selected", "Ranked, not selected"]
    assert {t["geojson"] for t in spec["data"]} == {"regencies"}
    # The base layer (every region, grey) stays under each measure; a region without a value is not in the measure.
    assert [x["args"][0]["visible"] for x in buttons][2] == [True, False, False, True, True, False, False]
    assert spec["data"][1]["locations"] == ["11.01", "11.03"] and spec["data"][2]["z"] == [55.56]
    assert [t["visible"] for t in spec["data"]] == [True, True, False, False, False, False, False]
    assert spec["data"][5]["locations"] == ["11.01"] and spec["data"][6]["locations"] == ["11.02"]
    assert spec["layout"]["annotations"][0]["text"] == "Batas wilayah: X"
    assert english["layout"]["annotations"][0]["text"] == "Boundaries: X"


def test_a_locator_zooms_to_the_province_or_shows_the_country():
    region = figures.locator_map("regencies", ["11.01", "11.02"], ["A", "B"], "11.02", "B", "src", national=False)
    assert region["layout"]["geo"]["fitbounds"] == "locations"
    assert region["data"][1]["locations"] == ["11.02"] and region["data"][1]["text"] == ["B"]
    province = figures.locator_map("provinces", ["11", "12"], ["Aceh", "Sumut"], "12", "Sumut", "src", national=True)
    assert "fitbounds" not in province["layout"]["geo"] and province["layout"]["geo"]["lonaxis"] == {"range": [94.5, 141.5]}
