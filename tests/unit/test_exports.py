"""Published exports: formula text neutralised in CSV and kept as text cells in XLSX, original values in Parquet, a
semicolon / decimal-comma CSV for the Indonesian locale, number formats and bilingual headings in the workbook,
reproducible bytes."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from pipelines.report import exports
from pipelines.report.i18n import COLUMN_LABELS
from pipelines.report.site import PUBLISHED, RANKING_COLUMNS, WORKBOOK

HYPERLINK = '=HYPERLINK("http://example.com","x")'
SCRIPT = "<script>alert(1)</script>"
NEGATIVE = -0.5
SUBMISSIONS = 12
# A code Excel would read as the number 11.1, and one it would read as 12.
CODE = "11.10"
PADDED_CODE = "0012"
METHODOLOGY_HASH = hashlib.sha256(b"methodology").hexdigest()
INPUTS_HASH = hashlib.sha256(b"inputs").hexdigest()
# The items build_report gives the README sheet.
ABOUT = {"generated": "2025-01-31", "methodology hash": METHODOLOGY_HASH, "inputs hash": INPUTS_HASH,
         "code version": "0.1.0", "synthetic data": "none"}
LONG_TEXT = "x" * 200
COLUMNS = ["region_code", "region_name", "evaluator", "note", "score", "opd_submissions", "masterplans", "scored_at",
           "evaluated_on", "methodology_hash", "inputs_hash"]


def _published() -> pd.DataFrame:
    return pd.DataFrame({
        "region_code": ["34.71", CODE, "11.01", "12.02"],
        "region_name": [SCRIPT, "Kabupaten Probolinggo", "-dash", "Kota Medan"],
        "evaluator": [HYPERLINK, "+62 812", "@mention", None],
        "note": ["\tcmd", "\rcmd", "#N/A", "\x01=cmd"],
        "score": [NEGATIVE, 1.25, np.nan, 3.0],
        "opd_submissions": [SUBMISSIONS, 0, 7, 3],
        "masterplans": pd.array([1, None, 2, 0], dtype="Int64"),
        # 15:30 in Jakarta (UTC+7) is 08:30 UTC.
        "scored_at": pd.to_datetime(["2024-05-01 15:30", "2024-05-02 09:00", None, "2024-05-03 17:00"])
                       .tz_localize("Asia/Jakarta"),
        "evaluated_on": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-02", None]),
        "methodology_hash": [METHODOLOGY_HASH] * 4,
        "inputs_hash": [INPUTS_HASH] * 4,
    })


def _ranked() -> pd.DataFrame:
    """A ranking-like table with one column of each number format."""
    return pd.DataFrame({
        "region_code": [CODE, PADDED_CODE, "35.13"],
        "is_autonomous": [True, False, True],
        "smart_city_year_joined": pd.array([2017, None, 2024], dtype="Int64"),
        "screening_rank": pd.array([1, 2, None], dtype="Int64"),
        "screening_index": [93.42853, 45.348719, np.nan],
        "screening_coverage_pct": [100.0, 80.0, 93.333333],
        # A rank with missing values is a float column; a mean rank over Monte Carlo draws has decimals.
        "selection_rank": [1.0, np.nan, 3.0],
        "mean_rank": [1.0, 2.330371, 3.5],
        "alpha_ordinal": [0.631592, 0.666667, 0.8],
        "opd_submissions": [25, 0, 30],
        "evaluated_on": pd.to_datetime(["2024-05-01", None, "2024-05-02"]),
        "scored_at": pd.to_datetime(["2024-05-01 08:30", "2024-05-02 09:00", None]),
        "methodology_hash": [METHODOLOGY_HASH] * 3,
        "inputs_hash": [INPUTS_HASH] * 3,
    })


def _sheet_columns(sheet) -> dict[str, str]:
    """Return heading -> column letter of a sheet."""
    return {cell.value: cell.column_letter for cell in sheet[1]}


def test_neutralise_prefixes_formula_text_and_leaves_numbers():
    frame = _published()
    frame["=total"] = frame["score"]
    frame["label"] = pd.Series(["=1", "a", "-", "b"], dtype="str")
    frame["group"] = pd.Categorical(["+x", "y", "+x", "y"])
    out = exports.neutralise(frame)
    assert out["region_name"].tolist() == [SCRIPT, "Kabupaten Probolinggo", "'-dash", "Kota Medan"]
    assert out["evaluator"].tolist()[:3] == ["'" + HYPERLINK, "'+62 812", "'@mention"]
    assert out["evaluator"].isna().tolist() == [False, False, False, True]
    assert out["note"].tolist()[:3] == ["'\tcmd", "'\rcmd", "#N/A"]
    assert out["label"].tolist() == ["'=1", "a", "'-", "b"]
    assert out["group"].astype(str).tolist() == ["'+x", "y", "'+x", "y"]
    assert "'=total" in out.columns and "=total" not in out.columns
    pd.testing.assert_series_equal(out["score"], frame["score"])
    pd.testing.assert_series_equal(out["opd_submissions"], frame["opd_submissions"])
    assert frame["evaluator"].iloc[0] == HYPERLINK, "the input is left as it was"


def test_csv_has_a_bom_prefixed_text_plain_numbers_and_the_machine_names(tmp_path):
    entries = exports.write_tables({"ranking": _published()}, tmp_path)
    data = (tmp_path / "ranking.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and not data.startswith(codecs.BOM_UTF8 * 2)
    text = data.decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\"" in text
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == COLUMNS, "the CSV header stays snake_case, with both hashes"
    assert [row[0] for row in rows] == ["34.71", CODE, "11.01", "12.02"]
    assert [row[1] for row in rows] == [SCRIPT, "Kabupaten Probolinggo", "'-dash", "Kota Medan"]
    assert [row[2] for row in rows] == ["'" + HYPERLINK, "'+62 812", "'@mention", ""]
    assert [row[4] for row in rows] == [f"{NEGATIVE:.6f}", "1.250000", "", "3.000000"]
    assert rows[0][5] == str(SUBMISSIONS)
    assert rows[1][6] == "", "pandas NA is an empty field"
    assert [row[3] for row in rows] == ["'\tcmd", "'\rcmd", "#N/A", "\x01=cmd"], "a bare CR stays inside its field"
    assert {row[9] for row in rows} == {METHODOLOGY_HASH} and {row[10] for row in rows} == {INPUTS_HASH}
    assert entries["ranking.csv"] == {"rows": 4, "sha256": hashlib.sha256(data).hexdigest()}


def test_indonesian_csv_is_semicolon_separated_with_decimal_commas(tmp_path):
    frame = _published()
    entries = exports.write_tables({"ranking": frame}, tmp_path)
    data = (tmp_path / "ranking.id.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert header == COLUMNS
    assert [row[4] for row in rows] == ["-0,500000", "1,250000", "", "3,000000"]
    assert [row[0] for row in rows] == ["34.71", CODE, "11.01", "12.02"], "codes are written as they are"
    assert [row[2] for row in rows] == ["'" + HYPERLINK, "'+62 812", "'@mention", ""], "the same formula prefix"

    back = pd.read_csv(tmp_path / "ranking.id.csv", sep=";", decimal=",", dtype={"region_code": str})
    assert back.columns.tolist() == COLUMNS, "the BOM is not part of the first name"
    assert back["score"].iloc[[0, 1, 3]].tolist() == [NEGATIVE, 1.25, 3.0]
    assert back["score"].isna().tolist() == [False, False, True, False]
    assert back["opd_submissions"].tolist() == frame["opd_submissions"].tolist()
    assert back["region_code"].tolist() == frame["region_code"].tolist()
    plain = pd.read_csv(tmp_path / "ranking.csv", dtype={"region_code": str})
    pd.testing.assert_frame_equal(back, plain)
    assert entries["ranking.id.csv"] == {"rows": 4, "sha256": hashlib.sha256(data).hexdigest()}


def test_parquet_keeps_the_original_values(tmp_path):
    frame = _published()
    entries = exports.write_tables({"ranking": frame}, tmp_path)
    back = pd.read_parquet(tmp_path / "ranking.parquet")
    assert back["evaluator"].iloc[0] == HYPERLINK
    assert back["region_name"].iloc[2] == "-dash"
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert entries["ranking.parquet"]["rows"] == len(frame)


def test_write_tables_twice_gives_identical_bytes(tmp_path):
    tables = {"ranking": _published(), "quarantine": _published().iloc[:2]}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = exports.write_tables(tables, tmp_path / "a")
    second = exports.write_tables(tables, tmp_path / "b")
    assert first == second
    names = [f"{table}{suffix}" for table in tables for suffix in (".csv", ".id.csv", ".parquet")]
    assert sorted(first) == sorted(names) == sorted(p.name for p in (tmp_path / "a").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert first[name]["sha256"] == hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest()


def test_write_downloads_twice_gives_identical_bytes(tmp_path):
    tables = {"ranking": _published(), "cohort_selection": _ranked()}
    sheets = {"ranking": "ranking", "cohort": "cohort_selection"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = exports.write_downloads(tables, sheets, tmp_path / "a", ABOUT)
    second = exports.write_downloads(tables, sheets, tmp_path / "b", ABOUT)
    assert first == second and len(first) == 2 * 3 + 1
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first["readiness.xlsx"]["sheets"] == {"ranking": 4, "cohort": 3}


def test_workbook_headings_are_indonesian_and_english(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _published()}, path, ABOUT)
    sheet = load_workbook(path)["ranking"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Kode wilayah / Region code", "Nama wilayah / Region name", "Asesor / Assessor"]
    assert header[4] == "Skor / Score"
    # A column the catalogue does not know keeps its machine name.
    assert header[3] == "note" and "note" not in COLUMN_LABELS
    assert all(cell.font.b and cell.data_type == "s" for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I5", "one header row: the filter and the frozen pane start below it"


def test_workbook_text_cells_are_text_without_a_prefix(tmp_path):
    path = tmp_path / "report.xlsx"
    sheets = {"ranking": _published(), "codes": _ranked(), "headings": pd.DataFrame({"=total": [1.0]})}
    exports.write_workbook(sheets, path, ABOUT)
    book = load_workbook(path)
    assert (book["headings"]["A1"].value, book["headings"]["A1"].data_type) == ("=total", "s")
    sheet = book["ranking"]
    link = sheet["C2"]
    assert (link.value, link.data_type, link.number_format) == (HYPERLINK, "s", "@")
    assert [sheet[f"B{row}"].value for row in range(2, 6)] == [SCRIPT, "Kabupaten Probolinggo", "-dash", "Kota Medan"]
    assert [sheet[f"C{row}"].value for row in range(3, 6)] == ["+62 812", "@mention", None]
    # Written through lxml, a "\r" is kept as a character reference and reads back as "\r" (plain XML text would
    # read back as "\n"); XML cannot hold "\x01", which is dropped.
    assert [sheet[f"D{row}"].value for row in range(2, 6)] == ["\tcmd", "\rcmd", "#N/A", "=cmd"]
    assert [sheet[f"D{row}"].data_type for row in range(2, 6)] == ["s"] * 4, "#N/A and =cmd: text, not error or formula"
    assert (sheet["A3"].value, sheet["A3"].data_type, sheet["A3"].number_format) == (CODE, "s", "@")
    codes = book["codes"]
    assert [(codes[f"A{row}"].value, codes[f"A{row}"].data_type) for row in (2, 3)] == [(CODE, "s"), (PADDED_CODE, "s")]
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type in ("f", "e")]
    assert not [cell.value for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")]


def test_workbook_numbers_carry_a_number_format_per_column(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _ranked()}, path, ABOUT)
    sheet = load_workbook(path)["ranking"]
    letter = _sheet_columns(sheet)
    expected = {
        "Tahun bergabung Smart City / Year joined Smart City": "0",
        "Peringkat penyaringan / Screening rank": "0",
        "Indeks penyaringan / Screening index": "0.00",
        "Cakupan data penyaringan (%) / Screening data coverage (%)": '0.0"%"',
        "Peringkat seleksi / Selection rank": "0",
        "Peringkat rata-rata / Mean rank": "0.00",
        "Alpha Krippendorff (ordinal) / Krippendorff's alpha (ordinal)": "0.000",
        "Kuesioner OPD / OPD questionnaires": "0",
        "evaluated_on": "yyyy-mm-dd",
        "scored_at": "yyyy-mm-dd hh:mm:ss",
        "Kode wilayah / Region code": "@",
    }
    for heading, number_format in expected.items():
        cells = [sheet[f"{letter[heading]}{row}"] for row in range(2, 5)]
        assert {cell.number_format for cell in cells if cell.value is not None} == {number_format}, heading
    # The value is the published one; the format only rounds what is shown.
    index = sheet[f"{letter['Indeks penyaringan / Screening index']}2"]
    assert (index.value, index.data_type) == (93.42853, "n")
    coverage = sheet[f"{letter['Cakupan data penyaringan (%) / Screening data coverage (%)']}4"]
    assert coverage.value == 93.333333, "percentage points, not a fraction"
    assert sheet[f"{letter['Peringkat penyaringan / Screening rank']}4"].value is None
    flag = sheet[f"{letter['Daerah otonom / Autonomous region']}2"]
    assert (flag.value, flag.data_type) == (True, "b")
    day = sheet[f"{letter['evaluated_on']}2"]
    assert day.value == datetime(2024, 5, 1) and day.is_date
    assert sheet[f"{letter['scored_at']}2"].value == datetime(2024, 5, 1, 8, 30)


def test_workbook_datetimes_are_utc_dates(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _published()}, path, ABOUT)
    sheet = load_workbook(path)["ranking"]
    assert sheet["H2"].value == datetime(2024, 5, 1, 8, 30) and sheet["H2"].is_date
    assert sheet["H2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["H4"].value is None
    assert sheet["I2"].value == datetime(2024, 5, 1) and sheet["I2"].number_format == "yyyy-mm-dd"
    assert (sheet["E2"].value, sheet["E2"].number_format) == (NEGATIVE, "0.00")
    assert sheet["E4"].value is None
    assert (sheet["F2"].value, sheet["F2"].number_format) == (SUBMISSIONS, "0")
    assert sheet["G3"].value is None


def test_hashes_are_on_the_readme_sheet_and_not_on_the_data_sheets(tmp_path):
    path = tmp_path / "report.xlsx"
    other = _published().iloc[:2].assign(methodology_hash="0" * 64)
    entry = exports.write_workbook({"ranking": _published(), "other": other}, path, ABOUT)
    book = load_workbook(path)
    readme = [value for row in book["README"].iter_rows(values_only=True) for value in row]
    assert METHODOLOGY_HASH in readme and INPUTS_HASH in readme
    data_values = [value for row in book["ranking"].iter_rows(values_only=True) for value in row]
    assert METHODOLOGY_HASH not in data_values and INPUTS_HASH not in data_values
    assert "Hash metodologi / Methodology hash" not in [cell.value for cell in book["ranking"][1]]
    # A sheet whose rows carry a hash the README does not state keeps that column.
    assert [cell.value for cell in book["other"][1]][-1] == "Hash metodologi / Methodology hash"
    assert book["other"]["J2"].value == "0" * 64
    assert entry["sheets"] == {"ranking": 4, "other": 2}
    exports.write_tables({"ranking": _published()}, tmp_path)
    assert pd.read_parquet(tmp_path / "ranking.parquet")["methodology_hash"].eq(METHODOLOGY_HASH).all()


def test_workbook_readme_and_properties(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _published()}, path, ABOUT)
    book = load_workbook(path)
    assert book.sheetnames == ["README", "ranking", "columns"]
    rows = list(book["README"].iter_rows(values_only=True))
    notes = [note for pair in exports.README_NOTES for note in pair]
    assert rows == [("Butir / Item", "Nilai / Value"), *ABOUT.items(), *notes]
    texts = " ".join(text for _, text in notes)
    assert "ranking.id.csv" not in texts and ".id.csv" in texts and "From Text/CSV" in texts
    assert book.properties.created == book.properties.modified == datetime(2025, 1, 31)


def test_columns_sheet_lists_the_machine_names_headings_and_formats(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _ranked()}, path, ABOUT)
    rows = list(load_workbook(path)["columns"].iter_rows(values_only=True))
    assert rows[0] == tuple(exports.COLUMNS_HEADER)
    names = [row[1] for row in rows[1:]]
    assert names == [name for name in _ranked().columns if not name.endswith("_hash")]
    assert rows[1] == ("ranking", "region_code", "Kode wilayah", "Region code", "@")
    assert ("ranking", "screening_coverage_pct", "Cakupan data penyaringan (%)", "Screening data coverage (%)",
            '0.0"%"') in rows


def test_every_ranking_column_has_headings_in_both_languages():
    assert set(RANKING_COLUMNS) <= set(COLUMN_LABELS)
    assert set(WORKBOOK.values()) <= set(PUBLISHED)
    for name, labels in COLUMN_LABELS.items():
        assert len(labels) == 2 and all(labels) and name == name.lower(), name
        # " / " separates the two languages in a heading.
        assert not [label for label in labels if exports.HEADING_SEPARATOR in label], name
    assert exports.column_heading("screening_rank") == "Peringkat penyaringan / Screening rank"
    assert exports.column_heading("dimension_governance") == "Smart Governance", "the same word is shown once"


def test_workbook_sheet_titles_are_valid_and_unique(tmp_path):
    long = "evaluation_moderation_by_component_and_dimension"
    sheets = {long: _published(), long + "_2024": _published().iloc[:1], "readme": _published().iloc[:0],
              "a/b:c": pd.DataFrame({"text": [LONG_TEXT]}), "columns": _published().iloc[:1]}
    entry = exports.write_workbook(sheets, tmp_path / "report.xlsx", ABOUT)
    titles = list(entry["sheets"])
    assert all(len(title) <= exports.SHEET_TITLE_MAX for title in titles)
    assert len({title.casefold() for title in [*titles, "README"]}) == len(sheets) + 1
    assert list(entry["sheets"].values()) == [4, 1, 0, 1, 1]
    book = load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames == ["README", *titles, "columns~2"]
    assert "a_b_c" in titles
    assert book["a_b_c"].column_dimensions["A"].width == exports.COLUMN_WIDTH_MAX
    assert book[titles[2]].auto_filter.ref == "A1:I1", "an empty table keeps its header and filter"


def test_workbook_bytes_are_reproducible(tmp_path):
    sheets = {"ranking": _published(), "quarantine": _published().iloc[1:], "codes": _ranked()}
    first = exports.write_workbook(sheets, tmp_path / "a.xlsx", ABOUT)
    second = exports.write_workbook(sheets, tmp_path / "b.xlsx", ABOUT)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert first == second
    assert first["sha256"] == hashlib.sha256((tmp_path / "a.xlsx").read_bytes()).hexdigest()


def test_workbook_without_a_date_takes_the_zip_epoch_not_the_clock(tmp_path):
    about = {"methodology hash": METHODOLOGY_HASH}
    exports.write_workbook({"ranking": _published()}, tmp_path / "a.xlsx", about)
    exports.write_workbook({"ranking": _published()}, tmp_path / "b.xlsx", about)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert load_workbook(tmp_path / "a.xlsx").properties.created == exports.ZIP_EPOCH
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {member.date_time for member in archive.infolist()} == {exports.ZIP_EPOCH.timetuple()[:6]}
