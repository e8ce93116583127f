"""Published exports: formula text neutralised in CSV and XLSX, original values in Parquet, reproducible bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from pipelines.report import exports

HYPERLINK = '=HYPERLINK("http://example.com","x")'
SCRIPT = "<script>alert(1)</script>"
NEGATIVE = -0.5
SUBMISSIONS = 12
ABOUT = {"methodology_hash": "9f2c41d0", "inputs_hash": "b7e0aa13", "generated": "2025-01-31"}
LONG_TEXT = "x" * 200


def _published() -> pd.DataFrame:
    return pd.DataFrame({
        "region_code": ["34.71", "35.13", "11.01", "12.02"],
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
    })


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


def test_csv_holds_prefixed_text_and_plain_numbers(tmp_path):
    entries = exports.write_tables({"ranking": _published()}, tmp_path)
    data = (tmp_path / "ranking.csv").read_bytes()
    text = data.decode("utf-8")
    assert "\"'=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\"" in text
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header[:5] == ["region_code", "region_name", "evaluator", "note", "score"]
    assert [row[1] for row in rows] == [SCRIPT, "Kabupaten Probolinggo", "'-dash", "Kota Medan"]
    assert [row[2] for row in rows] == ["'" + HYPERLINK, "'+62 812", "'@mention", ""]
    assert [row[4] for row in rows] == [f"{NEGATIVE:.6f}", "1.250000", "", "3.000000"]
    assert rows[0][5] == str(SUBMISSIONS)
    assert rows[1][6] == "", "pandas NA is an empty field"
    assert [row[3] for row in rows] == ["'\tcmd", "'\rcmd", "#N/A", "\x01=cmd"], "a bare CR stays inside its field"
    assert entries["ranking.csv"] == {"rows": 4, "sha256": hashlib.sha256(data).hexdigest()}


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
    for name in ("ranking.csv", "ranking.parquet", "quarantine.csv", "quarantine.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert first[name]["sha256"] == hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest()


def test_workbook_cells_are_text_numbers_dates_or_empty(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _published()}, path, ABOUT)
    sheet = load_workbook(path)["ranking"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(_published().columns)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I5"

    link = sheet["C2"]
    assert (link.value, link.data_type) == ("'" + HYPERLINK, "s")
    assert [sheet[f"B{row}"].value for row in range(2, 6)] == [SCRIPT, "Kabupaten Probolinggo", "'-dash", "Kota Medan"]
    assert [sheet[f"C{row}"].value for row in range(3, 6)] == ["'+62 812", "'@mention", None]
    # Written through lxml, a "\r" is kept as a character reference and reads back as "\r" (plain XML text would
    # read back as "\n"); either way the prefix is what matters.
    assert [sheet[f"D{row}"].value for row in range(2, 6)] == ["'\tcmd", "'\rcmd", "#N/A", "'=cmd"]
    assert sheet["D4"].data_type == "s", "#N/A text is not an error cell"
    assert (sheet["E2"].value, sheet["E2"].data_type) == (NEGATIVE, "n")
    assert sheet["E4"].value is None
    assert (sheet["F2"].value, sheet["F2"].data_type) == (SUBMISSIONS, "n")
    assert sheet["G3"].value is None
    assert sheet["H2"].value == datetime(2024, 5, 1, 8, 30) and sheet["H2"].is_date
    assert sheet["H4"].value is None
    assert sheet["I2"].value == datetime(2024, 5, 1) and sheet["I2"].number_format == "yyyy-mm-dd"
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_workbook_readme_and_properties(tmp_path):
    path = tmp_path / "report.xlsx"
    exports.write_workbook({"ranking": _published()}, path, ABOUT)
    book = load_workbook(path)
    assert book.sheetnames == ["README", "ranking"]
    rows = list(book["README"].iter_rows(values_only=True))
    assert rows == [("item", "value"), *ABOUT.items(), ("text cells", exports.PREFIX_NOTE)]
    assert book.properties.created == book.properties.modified == datetime(2025, 1, 31)


def test_workbook_sheet_titles_are_valid_and_unique(tmp_path):
    long = "evaluation_moderation_by_component_and_dimension"
    sheets = {long: _published(), long + "_2024": _published().iloc[:1], "readme": _published().iloc[:0],
              "a/b:c": pd.DataFrame({"text": [LONG_TEXT]})}
    entry = exports.write_workbook(sheets, tmp_path / "report.xlsx", ABOUT)
    titles = list(entry["sheets"])
    assert all(len(title) <= exports.SHEET_TITLE_MAX for title in titles)
    assert len({title.casefold() for title in [*titles, "README"]}) == len(sheets) + 1
    assert list(entry["sheets"].values()) == [4, 1, 0, 1]
    book = load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames == ["README", *titles]
    assert "a_b_c" in titles
    assert book["a_b_c"].column_dimensions["A"].width == exports.COLUMN_WIDTH_MAX
    assert book[titles[2]].auto_filter.ref == "A1:I1", "an empty table keeps its header and filter"


def test_workbook_bytes_are_reproducible(tmp_path):
    sheets = {"ranking": _published(), "quarantine": _published().iloc[1:]}
    first = exports.write_workbook(sheets, tmp_path / "a.xlsx", ABOUT)
    second = exports.write_workbook(sheets, tmp_path / "b.xlsx", ABOUT)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert first == second
    assert first["sha256"] == hashlib.sha256((tmp_path / "a.xlsx").read_bytes()).hexdigest()


def test_workbook_without_a_date_takes_the_zip_epoch_not_the_clock(tmp_path):
    about = {"methodology_hash": ABOUT["methodology_hash"]}
    exports.write_workbook({"ranking": _published()}, tmp_path / "a.xlsx", about)
    exports.write_workbook({"ranking": _published()}, tmp_path / "b.xlsx", about)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert load_workbook(tmp_path / "a.xlsx").properties.created == exports.ZIP_EPOCH
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {member.date_time for member in archive.infolist()} == {exports.ZIP_EPOCH.timetuple()[:6]}
