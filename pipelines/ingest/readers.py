"""Read a raw file (CSV, XLSX, JSON) into a frame of raw cell values with the row number a person sees."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from itertools import accumulate
from pathlib import Path

import pandas as pd

from pipelines.ingest.parsers import shorten

SUPPORTED_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".json"}
# Limits on a whole file, far above any real table: past them a file is a mistake or an attack, and reading it
# would exhaust memory or flood the ingest log.
MAX_COLUMNS = 1000
MAX_CELL_CHARS = 100_000
MAX_JSON_DEPTH = 20                    # an array of flat records is 2 deep
MAX_XLSX_UNPACKED_BYTES = 200_000_000  # all parts of a workbook, unpacked
MAX_XLSX_RATIO = 100                   # unpacked : packed, for a part larger than MAX_XLSX_RATIO_FROM_BYTES
MAX_XLSX_RATIO_FROM_BYTES = 5_000_000
MB = 1_000_000
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')  # possessive: no backtracking on a long string
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
ROW_COLUMN = "source_row"
OVERFLOW_COLUMN = "source_overflow"  # cells beyond the header's width, so they are reported, not dropped
HEADER_SEARCH_ROWS = 30
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # encrypted XLSX and legacy XLS are OLE containers, not zips
# A trailing row holding only text like this is a note under the table, not a data row.
NOTE_PREFIX = re.compile(r"^(sumber|keterangan|ket\.|catatan|note|notes|source|\*|\(\d\)|\d\))", re.IGNORECASE)


class UnreadableFile(Exception):
    """A file that cannot be read as a table; the message is the reason shown to the analyst."""


def header_key(name: object) -> str:
    """Return a column header in comparable form: lower case, with `_`, `-` and spaces alike."""
    return re.sub(r"[\s_\-]+", "_", str(name if name is not None else "").strip().lower()).strip("_")


def _decode(data: bytes) -> str:
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("the file is binary, not a text table (is it an XLSX saved with a .csv name?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if re.search(rb"[\xc2-\xf4][\x80-\xbf]", data):
        # Valid UTF-8 sequences next to invalid bytes: parts of the file were saved in different encodings.
        raise UnreadableFile("the text mixes UTF-8 with another encoding, so characters would be garbled; "
                             "open it in a spreadsheet and save it again as CSV UTF-8")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFile("the text is neither UTF-8 nor Windows-1252; save it again as CSV UTF-8") from None


def delimiter_of(first_line: str) -> str:
    """Return the column separator a CSV's first line uses most (comma, semicolon, tab or bar)."""
    return max([",", ";", "\t", "|"], key=first_line.count)


def _csv_records(path: Path, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """Return (line number where the record ends, cells) for every non-empty record of a CSV (the first `limit`)."""
    text = _decode(path.read_bytes())
    sample = text[:20000]
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = delimiter_of(first_line)
    if first_line.count(delimiter) == 0:
        raise UnreadableFile("no column separator (comma, semicolon or tab) found in the first line")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    while True:
        starts_at = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The csv module's own field limit (131,072) is above MAX_CELL_CHARS, so this is the same problem.
            if "field larger than field limit" in str(exc):
                raise UnreadableFile(_cell_too_long(f"row {starts_at}")) from None
            raise UnreadableFile(f"not a readable CSV at row {starts_at}: {exc}") from None
        if "".join(record).strip():
            records.append((reader.line_num, record))
            if len(records) == limit:
                break
    return records


def _csv(path: Path) -> tuple[list[str], list[list[object]], list[int]]:
    records = _csv_records(path)
    if not records:
        raise UnreadableFile("the file has no header row")
    header = _checked_header(records[0][1])
    return header, [r for _, r in records[1:]], [n for n, _ in records[1:]]


def _checked_header(header: list) -> list:
    """Return the header, or raise UnreadableFile when it is wider than MAX_COLUMNS."""
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(f"the header has {len(header)} columns; at most {MAX_COLUMNS} are read")
    return header


def _cell_too_long(where: str) -> str:
    return (f"{where} has a cell longer than {MAX_CELL_CHARS} characters, the most a cell may hold; "
            "check for a quote that is never closed")


def _check_cells(header: list, rows: list[list], numbers: list[int], unit: str, all_text: bool) -> None:
    """Raise UnreadableFile when a header or data cell is longer than MAX_CELL_CHARS (`all_text`: every cell is a
    string, as in a CSV)."""
    def longest(cells: list) -> int:
        # A CSV row is all text: its longest cell is found without a Python loop over the cells.
        return (max(map(len, cells), default=0) if all_text else
                max((len(c) for c in cells if isinstance(c, str)), default=0))

    if longest(header) > MAX_CELL_CHARS:
        raise UnreadableFile(_cell_too_long("the header"))
    for n, cells in zip(numbers, rows):
        if longest(cells) > MAX_CELL_CHARS:
            raise UnreadableFile(_cell_too_long(f"{unit} {n}"))


def _check_zip(path: Path) -> None:
    """Raise UnreadableFile for a workbook that is not a zip, or that would unpack to too much (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"not a valid XLSX workbook (damaged, or not a workbook at all): {exc}") from None
    unpacked = sum(p.file_size for p in parts)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise UnreadableFile(f"the workbook unpacks to {unpacked // MB} MB, more than the "
                             f"{MAX_XLSX_UNPACKED_BYTES // MB} MB that are read; split it or save it as CSV")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_XLSX_RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise UnreadableFile(f"the workbook's part {shorten(part.filename)} unpacks to {ratio:.0f} times its "
                                 f"packed size, more than the {MAX_XLSX_RATIO} times a real workbook reaches "
                                 "(a zip bomb?); it is not read, save a genuine workbook as CSV")


def _header(rows: dict[int, list], at: int, merged: list[tuple[int, int, int, int]],
            known_headers: set[str]) -> tuple[list[str], int]:
    """Return the column names and the header's last row, reading a second header row under merged cells
    when that row holds a known column name (else it is data)."""
    header = list(rows[at])
    two_rows = False
    for min_col, min_row, max_col, max_row in merged:
        if min_row != at:
            continue
        for col in range(min_col, max_col + 1):
            if col - 1 < len(header):
                header[col - 1] = rows[at][min_col - 1]
        two_rows |= max_row > min_row or (max_col > min_col and at + 1 in rows and
                                          any(rows[at + 1][c - 1] is not None for c in range(min_col, max_col + 1)))
    below = rows.get(at + 1, [])
    if not two_rows or not any(header_key(c) in known_headers for c in below if c is not None):
        return ["" if c is None else str(c) for c in header], at
    names = [below[i] if i < len(below) and below[i] is not None else header[i] for i in range(len(header))]
    return ["" if c is None else str(c) for c in names], at + 1


def _xlsx_rows(path: Path) -> tuple[list[tuple[int, list]], list[tuple[int, int, int, int]]]:
    """Return (row number, cells) for every row of a workbook's first sheet, and its merged ranges."""
    from python_calamine import CalamineError, CalamineWorkbook

    with open(path, "rb") as fh:
        if fh.read(8) == OLE_MAGIC:
            raise UnreadableFile("the workbook is password-protected (encrypted) or an old .xls renamed to .xlsx; "
                                 "remove the password or save it as .xlsx")
    _check_zip(path)
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        cells = sheet.to_python(skip_empty_area=False)
        merged = [(c0 + 1, r0 + 1, c1 + 1, r1 + 1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
    except CalamineError as exc:
        raise UnreadableFile(f"not a valid XLSX workbook (damaged, or not a workbook at all): {shorten(exc)}") from exc
    # calamine gives '' for an empty cell; the rest of ingest reads None as empty.
    return [(i, [None if c == "" else c for c in row]) for i, row in enumerate(cells, start=1)], merged


def _is_blank(row: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def read_cells(path: Path, limit: int | None = None) -> list[tuple[int, list]]:
    """Return (row number, cells) for the non-empty rows of a CSV or XLSX file (the first `limit`), before any header
    is looked for."""
    if path.suffix.lower() == ".xlsx":
        return [(i, row) for i, row in _xlsx_rows(path)[0] if not _is_blank(row)][:limit]
    if path.suffix.lower() in SUPPORTED_SUFFIXES - {".json"}:
        return _csv_records(path, limit)
    return []


def _xlsx(path: Path, known_headers: set[str]) -> tuple[list[str], list[list[object]], list[int]]:
    all_rows, merged = _xlsx_rows(path)
    header_at = None
    for i, row in all_rows[:HEADER_SEARCH_ROWS]:
        if sum(header_key(c) in known_headers for c in row if c is not None) >= 2:
            header_at = i
            break
    if header_at is None:
        raise UnreadableFile(f"no header row with known column names in the first {HEADER_SEARCH_ROWS} rows")
    by_number = {i: r for i, r in all_rows[header_at - 1:header_at + 1]}
    header, last_header_row = _header(by_number, header_at, merged, known_headers)
    _checked_header(header)
    rows, numbers = [], []
    for i, row in all_rows[last_header_row:]:
        if _is_blank(row):
            continue
        rows.append(row)
        numbers.append(i)
    return header, rows, numbers


def json_depth(text: str) -> int:
    """Return how deeply the arrays and objects of JSON text nest, counted without parsing (parsing recurses)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _json(path: Path) -> tuple[list[str], list[list[object]], list[int]]:
    text = _decode(path.read_bytes())
    if json_depth(text) > MAX_JSON_DEPTH:
        raise UnreadableFile(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep; "
                             'give an array of flat records: [{"kode_wilayah": "35.13", "tahun": 2024}, …]')
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"not valid JSON: {exc}") from exc
    except ValueError as exc:   # a number longer than Python's limit for converting text to an integer
        raise UnreadableFile(f"a number in the JSON is too long to be a value ({str(exc).split(':')[0]})") from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnreadableFile("expected a JSON array of records ([{...}, {...}])")
    for number, record in enumerate(records, start=1):
        nested = next((k for k, v in record.items() if isinstance(v, (dict, list))), None)
        if nested is not None:
            raise UnreadableFile(f"record {number}: the value of {shorten(nested)} is a list or an object; give flat "
                                 'records: [{"kode_wilayah": "35.13", "tahun": 2024, "ikfd": 0.57}, …]')
    header = _checked_header(list(dict.fromkeys(k for r in records for k in r)))
    return header, [[r.get(k) for k in header] for r in records], list(range(1, len(records) + 1))


def split_notes(rows: list[list[object]], numbers: list[int], width: int) -> tuple[list, list, list[int]]:
    """Return (rows, numbers, note row numbers): trailing one-cell rows below the data are notes, not data."""
    def is_note(row):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip() != ""]
        return len(cells) == 1 and bool(NOTE_PREFIX.match(cells[0]))

    end = len(rows)
    while width > 1 and end > 0 and is_note(rows[end - 1]):
        end -= 1
    return rows[:end], numbers[:end], numbers[end:]


def read_raw(path: Path, known_headers: set[str]) -> pd.DataFrame:
    """Return the file's data rows as object columns named by the header, plus `source_row`.

    Trailing note rows (one filled cell, such as `Sumber: Kemenkeu`) are left out and listed in
    `frame.attrs["note_rows"]`.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported file type {suffix!r}; use CSV, XLSX or JSON")
    if suffix == ".xlsx":
        header, rows, numbers = _xlsx(path, known_headers)
    elif suffix == ".json":
        header, rows, numbers = _json(path)
    else:
        header, rows, numbers = _csv(path)
    _check_cells(header, rows, numbers, "record" if suffix == ".json" else "row",
                 all_text=suffix not in (".xlsx", ".json"))
    width = len(header)
    note_rows: list[int] = []
    if suffix != ".json":
        rows, numbers, note_rows = split_notes(rows, numbers, width)
    padded = [r if len(r) == width else list(r[:width]) + [None] * (width - len(r)) for r in rows]
    names = [h if str(h).strip() else f"column_{i + 1}" for i, h in enumerate(header)]
    # A repeated header keeps its first column; the others are renamed, so the ingest log lists them as ignored.
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        seen[header_key(name)] = seen.get(header_key(name), 0) + 1
        if seen[header_key(name)] > 1:
            names[i] = f"{name} (repeated {seen[header_key(name)]})"
    frame = pd.DataFrame(padded, columns=names, dtype=object)
    frame[ROW_COLUMN] = numbers
    frame[OVERFLOW_COLUMN] = [
        "; ".join(str(c) for c in r[width:] if c is not None and str(c).strip()) or None if len(r) > width else None
        for r in rows
    ]
    frame.attrs["note_rows"] = note_rows
    return frame
