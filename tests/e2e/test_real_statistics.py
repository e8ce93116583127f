"""Real BPS statistics dropped into a demo data folder: every kab/kota resolved, the screening built on them, the site
saying which numbers are real (issue 18). The files are read from ../shared/reference/real/, never committed."""

import csv
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import ROOT, project_copy, run_command

REAL = ROOT.parent / "shared" / "reference" / "real"


def export_values(path: Path) -> dict[tuple[str, str], float]:
    """Return {(province block, name): value} for the kab/kota rows of a BPS export that carry a value."""
    out, block = {}, None
    for name, value in list(csv.reader(path.open(encoding="utf-8")))[3:]:
        if name == name.upper():
            block = name
        elif value != "-":
            out[(block, name)] = float(value)
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory, small_demo):
    """A project copy holding the small demo's data, its synthetic indicators replaced by the real 2024 BPS exports
    and Kemendagri's population and area (each folder with its own _source.yaml), a BPS crosswalk installed and a
    file of BPS codes without names; refreshed with the README's command."""
    root = project_copy(tmp_path_factory.mktemp("real"))
    shutil.copytree(small_demo[0].data_dir, root / "data", symlinks=True, dirs_exist_ok=True)
    indicators = root / "data" / "raw" / "indicators"
    shutil.rmtree(indicators)
    (indicators / "bps").mkdir(parents=True)
    for name in ("ipm_2024.csv", "p0_2024.csv"):
        shutil.copy(REAL / "bps" / name, indicators / "bps" / name)
    (indicators / "bps" / "_source.yaml").write_text("publisher: BPS (Badan Pusat Statistik)\nlicence: cite BPS\n")
    (indicators / "dukcapil").mkdir()
    shutil.copy(REAL / "population_area_2024.csv", indicators / "dukcapil")
    (indicators / "dukcapil" / "_source.yaml").write_text(
        "publisher: Ditjen Dukcapil Kemendagri (population), BIG (area)\nlicence: MIT (cahyadsn/wilayah)\nyear: 2024\n")
    (indicators / "spbe").mkdir()
    (indicators / "spbe" / "spbe_2024.csv").write_text("kode_wilayah;tahun;indicator;nilai\n1101;2024;spbe_index;2,5\n"
                                                      "3201;2024;spbe_index;3,1\n")
    (indicators / "spbe" / "_source.yaml").write_text("publisher: KemenPAN-RB\ncode_scheme: bps\n")
    (root / "data" / "reference" / "crosswalk").mkdir()
    shutil.copy(REAL / "crosswalk" / "bps_kemendagri_kabkota.csv",
                root / "data" / "reference" / "crosswalk" / "bps_kemendagri.csv")
    return root, run_command(".venv/bin/readiness refresh", root)


def test_every_kabupaten_kota_of_the_real_exports_resolves_once_with_the_files_value(real):
    root, refresh = real
    assert refresh.returncode == 3, refresh.stdout + refresh.stderr   # the small demo's cohort is still missing
    curated = pd.read_parquet(root / "data" / "curated" / "indicators.parquet")
    for name, code in (("ipm_2024.csv", "ipm"), ("p0_2024.csv", "poverty_rate_pct")):
        rows = curated[curated["source_file"] == f"indicators/bps/{name}"]
        assert rows["region_code"].nunique() == len(rows) == 514 and set(rows["indicator_code"]) == {code}
        assert sorted(rows["indicator_value"]) == sorted(export_values(REAL / "bps" / name).values())
    log = pd.read_parquet(root / "data" / "curated" / "ingest_log.parquet").set_index("source_file")
    ipm = log.loc["indicators/bps/ipm_2024.csv"]
    assert (ipm["rows_read"], ipm["rows_curated"], ipm["rows_quarantined"], ipm["rows_superseded"]) == (579, 514, 0, 65)


def test_a_file_of_bps_codes_is_translated_by_the_installed_crosswalk(real):
    root, _ = real
    curated = pd.read_parquet(root / "data" / "curated" / "indicators.parquet")
    spbe = curated[curated["indicator_code"] == "spbe_index"].sort_values("region_code")
    assert spbe[["region_code", "indicator_value"]].values.tolist() == [["11.09", 2.5], ["32.01", 3.1]]


def test_the_screening_is_built_on_the_real_numbers(real):
    root, _ = real
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        counts = dict(con.execute("SELECT indicator_code, count(DISTINCT unit_code) FROM score.screening_value "
                                  "WHERE indicator_code IN ('ipm', 'poverty_rate_pct', 'population_density_per_km2') "
                                  "GROUP BY ALL").fetchall())
        density = con.execute("SELECT value FROM score.screening_value WHERE unit_code = '31.71' "
                              "AND indicator_code = 'population_density_per_km2'").fetchall()
        nduga = con.execute("SELECT value FROM score.screening_value WHERE unit_code = '95.08' "
                            "AND indicator_code = 'ipm'").fetchall()
    assert counts == {"ipm": 514, "poverty_rate_pct": 514, "population_density_per_km2": 514}
    population = pd.read_csv(REAL / "population_area_2024.csv", dtype={"kode_kemendagri": str}).set_index(
        "kode_kemendagri")
    assert density == [(pytest.approx(population.at["31.71", "penduduk_total"] / population.at["31.71", "luas_km2"]),)]
    assert nduga == [(36.3,)]


def test_the_site_labels_the_real_numbers_as_real(real):
    root, _ = real
    overview = (root / "data" / "reports" / "index.html").read_text(encoding="utf-8")
    coverage = overview.split('id="coverage-table"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in coverage.split("<tr")[1:] if "<td><code>indicators</code></td>" in r)
    assert 'data-provenance="real"' in row
    assert ('<span class="l-en">real — BPS (Badan Pusat Statistik) · Ditjen Dukcapil Kemendagri (population), '
            "BIG (area) · KemenPAN-RB</span>") in row
    banner = overview.split('id="synthetic-banner">', 1)[1].split("</div>", 1)[0]
    assert "SYNTHETIC DATA in evaluations, fiscal_capacity, government_performance, question_bank, questionnaires, " \
           "sustainability:" in banner
    assert "The other sources are real: cohorts, indicators." in banner
