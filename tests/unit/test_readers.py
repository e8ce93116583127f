import json

import openpyxl
import pytest

from pipelines.ingest.readers import UnreadableFile, read_raw

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
