"""The demo's synthetic statistics in the layout of BPS table exports (raw/indicators/), as the real files are."""

import re

import numpy as np
import pytest

from pipelines.demo.generate import DemoSize, generate
from pipelines.ingest.reference import provinces, regions
from pipelines.score.methodology import load
from pipelines.settings import Settings

TITLES = {"ipm": "[Metode Baru] Indeks Pembangunan Manusia (IPM)",
          "p0": "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)",
          "kepadatan_penduduk": "Kepadatan Penduduk Menurut Kabupaten/Kota (jiwa/km2)"}
# BPS writes these provinces its own way; the others are the Kemendagri name in capitals.
BPS_PROVINCES = {"19": "KEP. BANGKA BELITUNG", "31": "DKI JAKARTA", "34": "D I YOGYAKARTA"}
# The Papua provinces of 2022 and the one each was split from.
SPLIT_FROM = {"93": "91", "94": "91", "95": "91", "96": "92"}
VALUE = re.compile(r"\d+\.\d\d")


def _generated(folder, size_name: str) -> tuple[Settings, DemoSize, dict[str, int]]:
    settings = Settings.default(folder / "data")
    size = DemoSize.named(size_name, settings)
    return settings, size, generate(size, settings, load(settings.methodology_dir).framework)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The `demo` size generated once: (settings, size, counts, lines of each export by statistic)."""
    settings, size, counts = _generated(tmp_path_factory.mktemp("demo-bps"), "demo")
    span = f"{size.years[0]}-{size.years[-1]}"
    raw = {stem: (settings.raw_dir / "indicators" / f"{stem}_{span}.csv").read_bytes() for stem in TITLES}
    return settings, size, counts, raw


def _blocks(lines: list[str]) -> dict[str, list[list[str]]]:
    """Return the data rows under each province row (a name in capitals), by province row, INDONESIA apart."""
    blocks: dict[str, list[list[str]]] = {}
    for line in lines[3:-1]:
        cells = line.split(",")
        if cells[0].isupper():
            blocks[cells[0]] = []
        else:
            blocks[list(blocks)[-1]].append(cells)
    return blocks


def _expected_blocks(reference) -> dict[str, list[tuple[str, bool]]]:
    """Return, per province row name in reference order, the (BPS name, has a value) of each row under it."""
    autonomous = regions(reference)
    autonomous = autonomous[autonomous["is_autonomous"]].sort_values(["region_type", "region_code"])
    autonomous["bps_name"] = autonomous["region_name"].str.removeprefix("Kabupaten ")
    out = {}
    for code, name in zip(provinces(reference)["province_code"], provinces(reference)["province_name"]):
        under = autonomous[(autonomous["province_code"] == code)
                           | (autonomous["province_code"].map(SPLIT_FROM) == code)]
        out[BPS_PROVINCES.get(code, name.upper())] = list(zip(under["bps_name"], under["province_code"] == code))
    return out


def test_each_export_has_the_bps_three_line_header_with_every_year_a_column(demo):
    _, size, _, raw = demo
    years = [str(y) for y in size.years]
    assert len(years) > 1
    for stem, title in TITLES.items():
        lines = raw[stem].decode("utf-8").split("\n")
        assert lines[:3] == ["Provinsi/Kabupaten/Kota" + "," * len(years),
                             "," + title + "," * (len(years) - 1),
                             "," + ",".join(years)], stem
        # LF only, no final newline, and the last line is the national value, as BPS writes it.
        assert b"\r" not in raw[stem] and not raw[stem].endswith(b"\n")
        last = lines[-1].split(",")
        assert last[0] == "INDONESIA" and len(last) == 1 + len(years) and all(VALUE.fullmatch(v) for v in last[1:])


def test_each_province_row_opens_the_block_of_its_kab_kota_with_the_moved_papua_regions_listed_twice(demo):
    settings, size, _, raw = demo
    expected = _expected_blocks(settings.reference_dir)
    for stem in TITLES:
        lines = raw[stem].decode("utf-8").split("\n")
        province_rows = [line.split(",") for line in lines[3:-1] if line.split(",")[0].isupper()]
        assert [row[0] for row in province_rows] == list(expected), stem
        assert all(len(row) == 1 + len(size.years) and all(VALUE.fullmatch(v) for v in row[1:])
                   for row in province_rows)
        blocks = _blocks(lines)
        for province, rows in blocks.items():
            assert [(row[0], row[1] != "-") for row in rows] == expected[province], (stem, province)
            for row in rows:
                assert row[1:] == ["-"] * len(size.years) or all(VALUE.fullmatch(v) for v in row[1:]), row
        # Merauke (Papua Selatan since 2022): `-` under PAPUA, its value under PAPUA SELATAN.
        assert ["Merauke"] + ["-"] * len(size.years) in blocks["PAPUA"]
        assert [row for row in blocks["PAPUA SELATAN"] if row[0] == "Merauke"][0][1] != "-"
        assert ["Kota Sorong"] + ["-"] * len(size.years) in blocks["PAPUA BARAT"]
        assert blocks["DKI JAKARTA"] == []


def test_every_autonomous_region_has_a_value_exactly_once_per_export_and_the_count_is_the_rows_written(demo):
    settings, _, counts, raw = demo
    reference = regions(settings.reference_dir)
    autonomous = reference[reference["is_autonomous"]]
    bps_name = autonomous["region_name"].str.removeprefix("Kabupaten ")
    code_of = {(province, name): code for province, name, code in
               zip(autonomous["province_code"], bps_name, autonomous["region_code"])}
    row_of = {bps: code for code, bps in zip(provinces(settings.reference_dir)["province_code"],
                                             _expected_blocks(settings.reference_dir))}
    rows_written = 0
    for stem in TITLES:
        lines = raw[stem].decode("utf-8").split("\n")
        rows_written += len(lines) - 3
        valued = [code_of[(row_of[province], row[0])] for province, rows in _blocks(lines).items()
                  for row in rows if row[1] != "-"]
        assert sorted(valued) == sorted(autonomous["region_code"]), stem
    assert counts["indicators"] == rows_written == 3 * (38 + 508 + 26 + 1)


def test_values_are_plausible_and_follow_the_latent_readiness(demo):
    settings, _, _, raw = demo

    def last_year(stem: str) -> tuple[np.ndarray, np.ndarray]:
        rows = [row for rows in _blocks(raw[stem].decode("utf-8").split("\n")).values() for row in rows
                if row[1] != "-"]
        return (np.array([float(row[-1]) for row in rows]), np.array([row[0].startswith("Kota ") for row in rows]))

    ipm, _ = last_year("ipm")
    p0, _ = last_year("p0")
    density, is_kota = last_year("kepadatan_penduduk")
    assert 60 <= np.median(ipm) <= 82 and 50 <= ipm.min() and ipm.max() <= 90
    assert 3 <= np.median(p0) <= 30 and p0.min() > 0
    assert 1_000 <= np.median(density[is_kota]) <= 15_000 and 10 <= np.median(density[~is_kota]) <= 1_500
    # Both follow the same latent readiness, in opposite directions (rows are in the same order in every file).
    assert np.corrcoef(ipm, p0)[0, 1] < -0.3


def test_the_same_seed_writes_byte_identical_exports_and_a_synthetic_sidecar(tmp_path):
    first, size, _ = _generated(tmp_path / "a", "small")
    second, _, _ = _generated(tmp_path / "b", "small")
    files = sorted(p.name for p in (first.raw_dir / "indicators").iterdir())
    assert files == ["_source.yaml"] + sorted(f"{stem}_{size.years[0]}.csv" for stem in TITLES)
    for name in files:
        assert (first.raw_dir / "indicators" / name).read_bytes() == (second.raw_dir / "indicators" / name).read_bytes()
    sidecar = (first.raw_dir / "indicators" / "_source.yaml").read_text(encoding="utf-8")
    assert "synthetic: true" in sidecar and "imitating BPS" in sidecar
