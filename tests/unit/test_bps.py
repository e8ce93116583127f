"""Real BPS statistics as analysts download them: the export reader, names in their province blocks, BPS codes.

The real files are read from ../shared/reference/real/ (public data, never copied into the project).
"""

import csv
import shutil
from pathlib import Path

import pytest

from pipelines.ingest import reference
from pipelines.ingest.bps import indicator_of, is_export, read_export, title_key
from pipelines.ingest.readers import UnreadableFile, read_cells
from pipelines.ingest.regions import FileRegions, RegionError
from pipelines.ingest.run import ingest
from pipelines.settings import CROSSWALK, Settings, load_yaml
from pipelines.sources import load_contracts
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "reference" / "real"
TITLES = load_contracts(ROOT / "config" / "sources")["indicators"]["indicator_titles"]


@pytest.fixture(scope="module")
def resolver():
    return reference.resolver(ROOT / "data" / "reference")


@pytest.fixture(scope="module")
def with_crosswalk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    shutil.copytree(ROOT / "data" / "reference", folder, dirs_exist_ok=True)
    (folder / "crosswalk").mkdir()
    shutil.copy(REAL / "crosswalk" / "bps_kemendagri_kabkota.csv", folder / CROSSWALK)
    return reference.resolver(folder)


def file_values(path: Path) -> list[tuple[str, str, float]]:
    """Return (province block, name, value) for each kab/kota row of a BPS export that carries a value."""
    out, block = [], None
    for name, value in list(csv.reader(path.open(encoding="utf-8")))[3:]:
        if name == name.upper():
            block = name
        elif value != "-":
            out.append((block, name, float(value)))
    return out


@pytest.fixture(scope="module")
def real_ingest(tmp_path_factory):
    """The real IPM and P0 2024 exports ingested from a data folder of their own."""
    data = tmp_path_factory.mktemp("real")
    folder = data / "raw" / "indicators"
    folder.mkdir(parents=True)
    for name in ("ipm_2024.csv", "p0_2024.csv"):
        shutil.copy(REAL / "bps" / name, folder / name)
    (folder / "_source.yaml").write_text("publisher: BPS (Badan Pusat Statistik)\nlicence: cite BPS\n")
    settings = Settings.default(data_dir=data)
    return ingest(settings, load_yaml(settings.framework_path))


@pytest.mark.parametrize("name, code", [("ipm_2024.csv", "ipm"), ("p0_2024.csv", "poverty_rate_pct")])
def test_every_real_kabupaten_kota_resolves_once_with_the_files_value(real_ingest, name, code):
    rows = real_ingest.tables["indicators"]
    rows = rows[rows["source_file"] == f"indicators/{name}"]
    assert rows["region_code"].nunique() == len(rows) == 514
    assert set(rows["indicator_code"]) == {code} and set(rows["year"]) == {2024}
    expected = sorted(v for _, _, v in file_values(REAL / "bps" / name))
    assert sorted(rows["indicator_value"]) == expected
    log = real_ingest.files.set_index("source_file").loc[f"indicators/{name}"]
    assert log["file_error"] is None and log["notes"].startswith("read as a BPS table export")


def test_the_hard_cases_land_on_the_right_regions(real_ingest):
    rows = real_ingest.tables["indicators"].set_index(["source_file", "source_row"])
    at = {(f, r): (c, v) for (f, r), c, v in zip(rows.index, rows["region_code"], rows["indicator_value"])}
    ipm, p0 = "indicators/ipm_2024.csv", "indicators/p0_2024.csv"
    assert at[(ipm, 258)] == ("35.13", 68.29)      # bare "Probolinggo" beside "Kota Probolinggo": the kabupaten
    assert at[(ipm, 278)] == ("35.74", 76.27)
    assert at[(ipm, 450)] == ("73.71", 83.9)       # "Kota Makasar", a spelling variant
    assert at[(ipm, 34)] == ("12.12", 76.91)       # "Toba Samosir / Toba", renamed (PP 14/2020)
    assert at[(p0, 34)] == ("12.12", 8.07)         # "Toba Samosir"
    assert at[(p0, 369)] == ("63.02", 4.45)        # "Kota Baru" under KALIMANTAN SELATAN is Kabupaten Kotabaru
    assert at[(ipm, 560)] == ("93.01", 72.73)      # Merauke under PAPUA SELATAN
    superseded = real_ingest.superseded.set_index(["source_file", "source_row"])
    merauke_old = superseded.loc[(ipm, 530)]       # Merauke under the pre-2022 PAPUA block, with '-'
    assert (merauke_old["record_key"], merauke_old["superseded_by"]) == ("93.01 | 2024 | ipm", "row 560")
    assert superseded.loc[ipm]["reason"].str.startswith("no figure").sum() == 26


def test_province_and_national_rows_are_accounted_for_not_scored(real_ingest):
    assert real_ingest.quarantine.empty
    superseded = real_ingest.superseded
    ipm = superseded[superseded["source_file"] == "indicators/ipm_2024.csv"]
    totals = ipm[ipm["superseded_by"] == "the kab/kota rows it totals"]
    assert len(totals) == 39 and totals["record_key"].iloc[-1] == "INDONESIA"
    assert "province total" in totals["reason"].iloc[0] and "national total" in totals["reason"].iloc[-1]
    files = real_ingest.files.set_index("source_file")
    assert files.loc["indicators/ipm_2024.csv", "rows_read"] == 579 == 514 + 26 + 39


def test_a_bare_name_without_its_kota_in_the_file_stays_ambiguous(resolver):
    with pytest.raises(RegionError) as info:
        resolver.resolve(None, "Probolinggo", province="JAWA TIMUR")
    assert info.value.rule == "region_ambiguous" and "of Jawa Timur" in str(info.value)
    written = FileRegions(kota_written=frozenset({("35", "probolinggo")}))
    assert resolver.resolve(None, "Probolinggo", province="JAWA TIMUR", file=written) == "35.13"
    # In a BPS export every kota is `Kota …`: a bare name is never a kota, even one without a kabupaten namesake.
    export = FileRegions(bare_is_kabupaten=True)
    assert resolver.resolve(None, "Bengkulu", province="BENGKULU") == "17.71"
    with pytest.raises(RegionError) as kota:
        resolver.resolve(None, "Bengkulu", province="BENGKULU", file=export)
    assert kota.value.rule == "region_unknown"
    # The old Kabupaten Pontianak (Mempawah since PP 58/2014), not Kota Pontianak.
    assert resolver.resolve(None, "Pontianak", province="KALIMANTAN BARAT") == "61.71"
    assert resolver.resolve(None, "Pontianak", province="KALIMANTAN BARAT", file=export) == "61.02"


def test_the_province_block_separates_same_named_regions(resolver):
    assert resolver.resolve(None, "Banjar", province="KALIMANTAN SELATAN") == "63.03"
    assert resolver.resolve(None, "Kota Banjar", province="JAWA BARAT") == "32.79"
    with pytest.raises(RegionError) as info:
        resolver.resolve(None, "Kota Banjar", province="KALIMANTAN SELATAN")
    assert info.value.rule == "region_unknown" and "Kalimantan Selatan" in str(info.value)
    assert resolver.resolve(None, "GORONTALO", province="GORONTALO", allow_province=True) == "75"
    assert resolver.resolve(None, "Kota Surabaya", province="35") == "35.78"      # a province code is a province
    assert resolver.resolve(None, "Kota Surabaya", province="Jatim") == "35.78"   # a unique name needs none
    with pytest.raises(RegionError) as unknown:
        resolver.resolve(None, "Banjar", province="Jabar")
    assert unknown.value.rule == "region_province_unknown"
    assert resolver.resolve(None, "KAB. GORONTALO", province="GORONTALO") == "75.01"   # not the province row
    assert resolver.resolve(None, "KOTA JAMBI", province="JAMBI") == "15.71"


def test_aliases_apply_in_their_province_and_nationally_when_unique(resolver):
    assert resolver.resolve(None, "Toba Samosir") == "12.12"
    assert resolver.resolve(None, "Kabupaten Toba Samosir") == "12.12"
    assert resolver.resolve(None, "Kota Makasar") == "73.71"
    with pytest.raises(RegionError):
        resolver.resolve(None, "Kota Toba Samosir")          # the alias is a kabupaten
    with pytest.raises(RegionError):
        resolver.resolve(None, "Atlantis / Toba")            # every half of `old / new` must name the region
    with pytest.raises(RegionError):
        resolver.resolve(None, "Bogor / Kota Bogor", province="JAWA BARAT")


def test_a_bare_four_digit_code_is_never_read_one_way_silently(resolver, with_crosswalk):
    # Without a crosswalk, 1101 could be Kemendagri 11.01 (Aceh Selatan) or BPS 1101 (Simeulue): quarantined.
    with pytest.raises(RegionError) as info:
        resolver.resolve("1101", None)
    assert info.value.rule == "region_code_ambiguous"
    assert "Kemendagri 11.01 Kabupaten Aceh Selatan" in str(info.value) and "code_scheme: kemendagri" in str(info.value)
    assert resolver.resolve("11.01", None) == "11.01"                            # a dot is Kemendagri's notation
    assert resolver.resolve("1101", None, file=FileRegions(scheme="kemendagri")) == "11.01"
    # With the crosswalk, the two readings are known: still ambiguous without a name, decided by one.
    with pytest.raises(RegionError) as both:
        with_crosswalk.resolve("1101", None)
    assert "BPS 1101 = 11.09 Kabupaten Simeulue" in str(both.value)
    assert with_crosswalk.resolve("1101", "Simeulue") == "11.09"
    assert with_crosswalk.resolve("1101", "Aceh Selatan") == "11.01"
    assert with_crosswalk.resolve("1101", None, file=FileRegions(scheme="bps")) == "11.09"
    assert with_crosswalk.resolve("1171", None) == "11.71"                       # both readings agree: safe
    for code, readings in (("9101", "BPS 9101 = 92.03 Kabupaten Fak Fak or Kemendagri of 2020 93.01 Kabupaten Merauke"),
                           ("9202", "Kemendagri 92.02 Kabupaten Manokwari or a BPS code the installed crosswalk")):
        with pytest.raises(RegionError) as one_reading:                          # one reading is not agreement
            with_crosswalk.resolve(code, None)
        assert one_reading.value.rule == "region_code_ambiguous" and readings in str(one_reading.value)
    with pytest.raises(RegionError) as mismatch:
        resolver.resolve("1101", "Simeulue")                                     # no crosswalk to check BPS's reading
    assert mismatch.value.rule == "region_code_name_mismatch" and "install a BPS crosswalk" in str(mismatch.value)


def test_the_crosswalk_maps_every_bps_code_to_one_2025_region(with_crosswalk):
    assert len(with_crosswalk.bps) == 514 and len(set(with_crosswalk.bps.values())) == 514
    assert with_crosswalk.bps["9401"] == "93.01"     # Merauke: Kemendagri 2020 code 91.01, Papua Selatan since 2022
    assert with_crosswalk.bps["9101"] == "92.03"     # BPS 91 is Papua Barat: Fakfak
    assert with_crosswalk.bps["9471"] == "91.71"     # Kota Jayapura


def test_a_broken_crosswalk_is_one_clear_line(tmp_path):
    shutil.copytree(ROOT / "data" / "reference", tmp_path, dirs_exist_ok=True)
    (tmp_path / "crosswalk").mkdir()
    (tmp_path / CROSSWALK).write_text("bps,dagri\n1101,1109\n")
    with pytest.raises(reference.ReferenceDataError, match="column kode_bps is missing"):
        reference.resolver(tmp_path)


def write_export(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_multi_year_export_gives_one_row_per_year_and_notes_are_left_out(tmp_path):
    path = write_export(tmp_path / "ipm.csv", [
        "Provinsi/Kabupaten/Kota,,", ",Indeks Pembangunan Manusia,", ",2023,2024", "JAWA TIMUR,72.1,72.9",
        "Probolinggo,67.5,68.29", "Kota Probolinggo,75.9,-", "INDONESIA,73.5,74.2", "Sumber: Badan Pusat Statistik,,"])
    frame = read_export(read_cells(path), TITLES)
    assert frame[["region_name", "region_province", "year", "indicator_value"]].values.tolist() == [
        ["JAWA TIMUR", "JAWA TIMUR", 2023, "72.1"], ["JAWA TIMUR", "JAWA TIMUR", 2024, "72.9"],
        ["Probolinggo", "JAWA TIMUR", 2023, "67.5"], ["Probolinggo", "JAWA TIMUR", 2024, "68.29"],
        ["Kota Probolinggo", "JAWA TIMUR", 2023, "75.9"], ["Kota Probolinggo", "JAWA TIMUR", 2024, None],
        ["INDONESIA", None, 2023, "73.5"], ["INDONESIA", None, 2024, "74.2"]]
    assert frame.attrs["note_rows"] == [8] and frame.attrs["title"] == "Indeks Pembangunan Manusia (2023, 2024)"


@pytest.mark.parametrize("lines, message", [
    (["Provinsi/Kabupaten/Kota,", ",Indeks Pembangunan Manusia", "ACEH,74.03"], "no year line"),
    (["Provinsi/Kabupaten/Kota,", ",Indeks Pembangunan Manusia", ",tahun lalu", "ACEH,74.03"], "not a year"),
    (["Provinsi/Kabupaten/Kota,", ",Jumlah Sapi Perah", ",2024", "ACEH,7"], "Jumlah Sapi Perah"),
    (["Provinsi/Kabupaten/Kota,,", ",Persentase Penduduk Miskin Menurut Daerah,", ",Perkotaan,Perdesaan", ",2024,2024",
      "ACEH,10,16"], "Persentase Penduduk Miskin Menurut Daerah Per"),
    (["Provinsi/Kabupaten/Kota,,", ",Indeks Pembangunan Manusia,", ",2024,2024", "ACEH,74,75"], "more than one column"),
    (["Province/Regency/Municipality,", ",[Metode Lama] Indeks Pembangunan Manusia", ",2009", "ACEH,71"],
     "Metode Lama"),
])
def test_an_export_whose_header_cannot_be_read_is_a_file_error(tmp_path, lines, message):
    cells = read_cells(write_export(tmp_path / "x.csv", lines))
    assert is_export(cells)
    with pytest.raises(UnreadableFile, match=message):
        read_export(cells, TITLES)


def test_titles_compare_without_units_and_by_region_but_with_their_method():
    assert title_key("[Metode Baru] Indeks Pembangunan Manusia (IPM)") == "metode baru indeks pembangunan manusia"
    assert title_key("Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)") == "persentase penduduk miskin"
    assert title_key("Population Density by Regency/Municipality") == "population density"
    assert indicator_of("[Metode Baru] Indeks Pembangunan Manusia (IPM)", TITLES) == "ipm"
    assert indicator_of("[Metode Lama] Indeks Pembangunan Manusia", TITLES) is None      # not comparable
    assert indicator_of("Persentase Penduduk Miskin Menurut Jenis Kelamin", TITLES) is None
    assert indicator_of("[New Method] Human Development Index by Regency/Municipality", TITLES) == "ipm"


def test_a_wide_table_with_kemendagri_codes_gives_population_and_area(tmp_path):
    folder = tmp_path / "raw" / "indicators"
    folder.mkdir(parents=True)
    shutil.copy(REAL / "population_area_2024.csv", folder)
    settings = Settings.default(data_dir=tmp_path)
    staged = ingest(settings, load_yaml(settings.framework_path))
    # Without a year in the table or in _source.yaml the file cannot be used: a file error, not a guess.
    assert "needs its year: add a tahun column, or `year: 2024`" in staged.files["file_error"].iloc[0]
    assert staged.tables["indicators"].empty
    (folder / "_source.yaml").write_text("publisher: Ditjen Dukcapil Kemendagri; BIG\nyear: 2024\n")
    staged = ingest(settings, load_yaml(settings.framework_path))
    rows = staged.tables["indicators"].set_index(["region_code", "indicator_code"])["indicator_value"]
    assert rows[("11.10", "area_km2")] == pytest.approx(1851.615) and len(rows) == 2 * 514
    assert staged.quarantine.empty and len(staged.superseded) == 39


def ingest_indicators(data: Path, files: dict[str, str]):
    """Write files into data/raw/indicators/ of a data folder and ingest it."""
    folder = data / "raw" / "indicators"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings.default(data_dir=data)
    return ingest(settings, load_yaml(settings.framework_path))


def test_a_file_of_bps_codes_without_a_crosswalk_says_what_to_install(tmp_path):
    staged = ingest_indicators(tmp_path, {"ipm.csv": "kode_bps;tahun;indicator;nilai\n1101;2024;ipm;69,01\n"})
    error = staged.files["file_error"].iloc[0]
    assert "BPS codes (column kode_bps)" in error and "data/reference/crosswalk/bps_kemendagri.csv" in error


def test_undeclared_bare_codes_are_quarantined_with_the_way_out(tmp_path):
    rows = "kode;tahun;indicator;nilai\n1101;2024;ipm;69,01\n11.09;2024;ipm;69,01\n"
    staged = ingest_indicators(tmp_path, {"ipm.csv": rows})
    assert staged.tables["indicators"]["region_code"].tolist() == ["11.09"]
    row = staged.quarantine.iloc[0]
    assert (row["source_row"], row["rule"]) == (2, "region_code_ambiguous")
    assert "_source.yaml" in row["message"]
    staged = ingest_indicators(tmp_path, {"_source.yaml": "code_scheme: kemendagri\n"})
    assert sorted(staged.tables["indicators"]["region_code"]) == ["11.01", "11.09"]
    assert staged.quarantine.empty
    (tmp_path / "raw" / "indicators" / "_source.yaml").unlink()
    staged = ingest_indicators(tmp_path, {"ipm.csv": rows.replace("kode;", "kode_kemendagri;")})  # the header says
    assert sorted(staged.tables["indicators"]["region_code"]) == ["11.01", "11.09"] and staged.quarantine.empty


@pytest.mark.parametrize("code, year, rule", [("32.18", 2011, "region_split"), ("32.07", 2011, "region_split"),
                                              ("32.18", 2013, None), ("32.07", 2024, None)])
def test_a_value_from_before_a_split_is_flagged_not_given_to_a_successor(tmp_path, code, year, rule):
    staged = ingest_indicators(tmp_path, {"x.csv": f"kode_wilayah;tahun;indicator;nilai\n{code};{year};ipm;70\n"})
    assert staged.quarantine["rule"].tolist() == ([rule] if rule else [])
    if code == "32.07" and rule:      # Ciamis before Pangandaran (2012) covers both: given to neither
        assert "still included Kabupaten Pangandaran" in staged.quarantine["message"].iloc[0]


def test_the_2021_bps_derived_table_resolves_every_region_by_province_and_name(tmp_path):
    # Semicolons, decimal commas, a Provinsi column, 34 provinces (Papua before 2022), 485 empty rows at the end.
    folder = tmp_path / "raw" / "indicators"
    folder.mkdir(parents=True)
    shutil.copy(REAL / "bps" / "kaggle_2021_kabkota.csv", folder)
    staged = ingest_indicators(tmp_path, {"_source.yaml": "publisher: BPS (via Kaggle)\nyear: 2021\n"})
    rows = staged.tables["indicators"]
    assert staged.quarantine.empty and staged.files["rows_read"].tolist() == [514]
    assert rows.groupby("indicator_code")["region_code"].nunique().to_dict() == {"ipm": 514, "poverty_rate_pct": 514}
    at = rows.set_index(["source_row", "indicator_code"])["region_code"]
    assert at[(319, "ipm")] == "61.02"     # bare "Pontianak" beside "Kota Pontianak": Kabupaten Mempawah (PP 58/2014)
    assert at[(328, "ipm")] == "61.71"
    assert at[(507, "ipm")] == "95.08"     # "Nduga *", with BPS's footnote mark, under PAPUA of 2021
    ipm = rows[rows["indicator_code"] == "ipm"].set_index("region_code")["indicator_value"]
    assert ipm["11.09"] == 66.41           # Simeulue, as the real file's README checks against BPS


def test_an_xlsx_export_with_its_title_merged_over_the_years_is_read_the_same(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["Provinsi/Kabupaten/Kota"], [None, "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)"],
                [None, 2023, 2024], ["JAWA TIMUR", 10.35, 9.79], ["Probolinggo", 17.19, 16.45],
                ["Kota Probolinggo", 6.91, 6.18]):
        sheet.append(row)
    sheet.merge_cells("B2:C2")
    workbook.save(tmp_path / "p0.xlsx")
    frame = read_export(read_cells(tmp_path / "p0.xlsx"), TITLES)
    assert frame[["region_name", "year", "indicator_code", "indicator_value"]].values.tolist()[2:] == [
        ["Probolinggo", 2023, "poverty_rate_pct", "17.19"], ["Probolinggo", 2024, "poverty_rate_pct", "16.45"],
        ["Kota Probolinggo", 2023, "poverty_rate_pct", "6.91"], ["Kota Probolinggo", 2024, "poverty_rate_pct", "6.18"]]


def test_a_bps_export_in_another_folder_is_told_where_it_belongs(tmp_path):
    folder = tmp_path / "raw" / "fiscal_capacity"
    folder.mkdir(parents=True)
    shutil.copy(REAL / "bps" / "ipm_2024.csv", folder)
    settings = Settings.default(data_dir=tmp_path)
    staged = ingest(settings, load_yaml(settings.framework_path))
    assert staged.files["file_error"].tolist() == [
        "this is a BPS table export (title and year lines above province blocks): move it to indicators/"]


def test_a_multi_year_export_counts_each_row_once_with_its_bad_cells_apart(tmp_path):
    from pipelines.validate.run import validate

    export = "\n".join(["Provinsi/Kabupaten/Kota,,,", ",Indeks Pembangunan Manusia,,", ",2011,2012,2013",
                        "LAMPUNG,70,71,72",
                        "Lampung Barat,65,66,67",          # 2011: still held Pesisir Barat (own region from 2012)
                        "Pesisir Barat,-,60,61",           # no figure before it existed
                        "Kota Bandar Lampung,75,abc,76"])  # one unreadable cell
    staged = ingest_indicators(tmp_path, {"ipm.csv": export})
    settings = Settings.default(data_dir=tmp_path, as_of_year=2025)
    curated = validate(staged, settings, load_yaml(settings.framework_path))
    rows = curated.tables["indicators"].sort_values(["region_code", "year"])
    assert rows[["region_code", "year", "indicator_value"]].values.tolist() == [
        ["18.04", 2012, 66.0], ["18.04", 2013, 67.0], ["18.13", 2012, 60.0], ["18.13", 2013, 61.0],
        ["18.71", 2011, 75.0], ["18.71", 2013, 76.0]]
    assert sorted(staged.quarantine["rule"]) == ["number_unreadable", "region_split"]
    log = curated.ingest_log.set_index("source_file").loc["indicators/ipm.csv"]
    assert (log["rows_read"], log["rows_curated"], log["rows_quarantined"], log["rows_superseded"],
            log["cells_quarantined"]) == (4, 3, 0, 1, 2)
    assert "1 cell without a figure ('-') beside values on the same row" in log["notes"]


def test_a_wide_table_with_two_columns_for_one_indicator_is_a_file_error(tmp_path):
    staged = ingest_indicators(tmp_path, {"x.csv": "kode_wilayah;tahun;IPM;Indeks Pembangunan Manusia\n11.01;2024;70;71\n"})
    assert staged.files["file_error"].tolist() == ["two columns hold ipm (IPM, Indeks Pembangunan Manusia); keep one"]
