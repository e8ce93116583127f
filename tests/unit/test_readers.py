import json

import openpyxl
import pytest

from pipelines.ingest.readers import MAX_CELL_CHARS, MAX_COLUMNS, UnreadableFile, json_depth, read_raw
from tests.conftest import ROOT
from tests.fixtures.malformed.make_corpus import zip_bomb_xlsx

KNOWN = {"kode_wilayah", "tahun", "ikfd", "nama_daerah"}


def test_semicolon_csv_with_bom_keeps_line_numbers(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("\ufeffkode_wilayah;tahun;ikfd\n35.13;2024;0,57\n\n35.74;2024;1,2\n".encode("utf-8"))
    frame = read_raw(path, KNOWN)
    assert list(frame.columns[:3]) == ["kode_wilayah", "tahun", "ikfd"]
    assert frame["source_row"].tolist() == [2, 4]   # the blank line 3 is not a data row
    assert frame["ikfd"].tolist() == ["0,57", "1,2"]


def test_windows_1252_csv(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("nama_daerah,tahun\nKabupaten Bone\u2019s,2024\n".encode("cp1252"))
    assert read_raw(path, KNOWN)["nama_daerah"].tolist() == ["Kabupaten Bone\u2019s"]


def test_tab_csv_and_overflow_cells_are_kept(tmp_path):
    path = tmp_path / "f.tsv"
    path.write_text("kode_wilayah\ttahun\n35.13\t2024\textra\n")
    frame = read_raw(path, KNOWN)
    assert frame["source_overflow"].tolist() == ["extra"]


def test_xlsx_header_found_below_title_rows(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Peta Kapasitas Fiskal Daerah 2024"])
    ws.append([])
    ws.append(["Kode Wilayah", "Nama Daerah", "Tahun"])
    ws.append(["35.13", "Kabupaten Probolinggo", 2024])
    wb.save(path)
    frame = read_raw(path, KNOWN)
    assert frame["source_row"].tolist() == [4]
    assert frame["Tahun"].tolist() == [2024]


def test_json_records(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps([{"kode_wilayah": "35.13", "tahun": 2024}, {"kode_wilayah": "35.74"}]))
    frame = read_raw(path, KNOWN)
    assert frame["source_row"].tolist() == [1, 2]
    assert frame["tahun"].tolist()[0] == 2024


@pytest.mark.parametrize("name, content, reason", [
    ("empty.csv", b"", "empty"),
    ("binary.csv", b"PK\x03\x04\x00\x00binary", "binary"),
    ("fake.xlsx", b"not a zip at all", "XLSX"),
    ("notes.csv", b"just one line without separators\n", "separator"),
    ("obj.json", b'{"a": 1}', "array of records"),
    ("image.png", b"\x89PNG", "unsupported"),
])
def test_unreadable_files_have_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=reason):
        read_raw(path, KNOWN)


# Whole-file limits: each becomes an UnreadableFile with one sentence, never another exception.

def test_deeply_nested_json_is_refused_without_recursing(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 10000 + "]" * 10000)
    with pytest.raises(UnreadableFile) as info:
        read_raw(path, KNOWN)
    assert str(info.value) == ('the JSON is nested more than 20 levels deep; give an array of flat records: '
                               '[{"kode_wilayah": "35.13", "tahun": 2024}, …]')


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('[{"a": "[[[{{\\" [", "b": [1]}]') == 3
    assert json_depth("") == 0


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 200_000])  # below and above the csv module's own limit
def test_a_csv_cell_over_the_limit_names_its_row(tmp_path, length):
    path = tmp_path / "long.csv"
    path.write_text("kode_wilayah;tahun;pmk\n35.13;2024;PMK 84\n35.74;2024;" + "x" * length + "\n")
    with pytest.raises(UnreadableFile) as info:
        read_raw(path, KNOWN)
    assert str(info.value) == ("row 3 has a cell longer than 100000 characters, the most a cell may hold; "
                               "check for a quote that is never closed")


def test_a_cell_at_the_limit_is_read(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("kode_wilayah;pmk\n35.13;" + "x" * MAX_CELL_CHARS + "\n")
    assert read_raw(path, KNOWN)["pmk"].str.len().tolist() == [MAX_CELL_CHARS]


def test_a_json_cell_over_the_limit_names_its_record(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps([{"kode_wilayah": "35.13"}, {"kode_wilayah": "x" * (MAX_CELL_CHARS + 1)}]))
    with pytest.raises(UnreadableFile, match="^record 2 has a cell longer than 100000 characters"):
        read_raw(path, KNOWN)


def test_a_header_of_a_million_columns_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(";".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1;" * 3 + "\n")
    with pytest.raises(UnreadableFile) as info:
        read_raw(path, KNOWN)
    assert str(info.value) == "the header has 1000000 columns; at most 1000 are read"


def test_a_json_with_too_many_keys_is_refused(tmp_path):
    path = tmp_path / "wide.json"
    path.write_text(json.dumps([{f"k{i}": i} for i in range(MAX_COLUMNS + 1)]))
    with pytest.raises(UnreadableFile, match="^the header has 1001 columns; at most 1000 are read$"):
        read_raw(path, KNOWN)


def test_a_zip_bomb_workbook_is_refused_by_its_compression_ratio(tmp_path):
    path = tmp_path / "bomb.xlsx"
    zip_bomb_xlsx(path, 20 * 1_000_000)   # under the 200 MB size limit, but packed more than 100:1
    assert path.stat().st_size < 100_000
    with pytest.raises(UnreadableFile) as info:
        read_raw(path, KNOWN)
    assert str(info.value).startswith("the workbook's part xl/worksheets/sheet1.xml unpacks to ")
    assert str(info.value).endswith(" times its packed size, more than the 100 times a real workbook reaches "
                                    "(a zip bomb?); it is not read, save a genuine workbook as CSV")


def test_the_committed_zip_bomb_is_refused_by_its_unpacked_size():
    with pytest.raises(UnreadableFile) as info:
        read_raw(ROOT / "tests" / "fixtures" / "malformed" / "fiscal_zip_bomb.xlsx", KNOWN)
    assert str(info.value) == "the workbook unpacks to 210 MB, more than the 200 MB that are read; split it or save it as CSV"


def test_a_workbook_padded_a_little_is_still_read(tmp_path):
    path = tmp_path / "padded.xlsx"
    zip_bomb_xlsx(path, 1_000_000)   # 1 MB of padding: compressible, but below the size the ratio applies from
    assert read_raw(path, KNOWN)["kode_wilayah"].tolist() == ["35.13"]

