"""Published tables as files a spreadsheet user can open safely: CSV (two dialects), Parquet and one XLSX workbook."""

from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from pipelines.report.i18n import COLUMN_LABELS

# OWASP CSV injection: a spreadsheet evaluates a cell beginning with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The CSV for spreadsheets set to the Indonesian locale (list separator ";", decimal comma), next to <name>.csv.
ID_CSV_SUFFIX = ".id.csv"
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
COLUMN_WIDTH_MAX = 60
# Excel's General format shows at most 11 characters of a number.
NUMBER_WIDTH = 11
BOLD = Font(bold=True)
# The earliest date a zip member can carry: the date of a workbook given none (openpyxl cannot leave it out).
ZIP_EPOCH = datetime(1980, 1, 1)
# Every published row carries both hashes (CSV, Parquet). The workbook states them once, on its README sheet (the
# items of `about`): a sheet whose rows carry a hash the README does not state keeps the column.
HASH_COLUMNS = ("methodology_hash", "inputs_hash")
# Excel number formats. A cell keeps the published value (6 decimals); the format only rounds what is shown. A
# percentage holds percentage points (0-100, as in the CSV), so its % is a literal: Excel's 0% would multiply by 100.
GENERAL, INTEGER, DECIMALS, FINE, PERCENT = "General", "0", "0.00", "0.000", '0.0"%"'
DATE, DATETIME, TEXT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "@"
# Statistics read against thresholds given to 3 decimals (Krippendorff's alpha: 0.667, 0.800) or mostly below 0.1.
FINE_COLUMNS = frozenset({"alpha_nominal", "alpha_ordinal", "alpha_interval", "alpha_ratio", "verdict_alpha",
                          "mean_deviation", "mean_absolute_deviation",
                          "standard_error", "first_order", "first_order_conf", "total", "total_conf"})
HEADING_SEPARATOR = " / "
README_HEADER = ["Butir / Item", "Nilai / Value"]
COLUMNS_SHEET = "columns"
COLUMNS_HEADER = ["Lembar / Sheet", "Nama kolom di CSV dan Parquet / Column name in CSV and Parquet",
                  "Judul (Indonesia) / Heading (Indonesian)", "Judul (Inggris) / Heading (English)",
                  "Format angka / Number format"]
# The README sheet's notes after the items of `about`: (item, text) in Indonesian, then in English.
README_NOTES = [
    (("Judul kolom", "Judul kolom ditulis dalam bahasa Indonesia / bahasa Inggris. Nama kolom di berkas CSV dan "
      f"Parquet (snake_case, dibaca oleh program) ada di lembar '{COLUMNS_SHEET}'."),
     ("Column headings", "Column headings are Indonesian / English. The column names of the CSV and Parquet files "
      f"(snake_case, which programs read) are on the '{COLUMNS_SHEET}' sheet.")),
    (("Hash", "Hash metodologi dan hash masukan di atas berlaku untuk setiap baris setiap lembar, sehingga kolom "
      "methodology_hash dan inputs_hash tidak diulang di lembar data (lembar yang barisnya membawa hash lain tetap "
      "memuatnya). Berkas CSV dan Parquet memuat keduanya di setiap baris."),
     ("Hashes", "The methodology and inputs hashes above apply to every row of every sheet, so the columns "
      "methodology_hash and inputs_hash are not repeated on the data sheets (a sheet whose rows carry other hashes "
      "keeps them). The CSV and Parquet files carry both on every row.")),
    (("Angka", "Angka disimpan dengan 6 desimal. Formatnya hanya mengatur tampilan: peringkat, jumlah dan tahun "
      "sebagai bilangan bulat, skor dan indeks dengan 2 desimal, alpha dan galat baku dengan 3 desimal, persen "
      "sebagai poin persen 0-100 dengan tanda %, tanggal sebagai tanggal (yyyy-mm-dd, UTC)."),
     ("Numbers", "Numbers are stored with 6 decimals. The format only sets what is shown: ranks, counts and years as "
      "whole numbers, scores and indices with 2 decimals, alphas and standard errors with 3, percentages as "
      "percentage points 0-100 with a % sign, dates as dates (yyyy-mm-dd, UTC).")),
    (("Sel teks", "Di buku kerja ini teks adalah sel teks (format @), tidak pernah rumus, dan ditulis apa adanya, "
      "termasuk kode seperti 11.10 atau 0012. Di berkas CSV, teks yang diawali = + - @, tab atau carriage return "
      "diberi awalan ' agar tidak dijalankan sebagai rumus."),
     ("Text cells", "In this workbook text is a text cell (format @), never a formula, written as it is, codes such "
      "as 11.10 or 0012 included. In the CSV files, text beginning with = + - @, a tab or a carriage return is "
      "prefixed with ' so that it is not run as a formula.")),
    (("Berkas CSV", "<nama>.csv: dipisah koma, desimal titik, UTF-8 dengan BOM, untuk program dan spreadsheet "
      f"berbahasa Inggris. <nama>{ID_CSV_SUFFIX}: isi yang sama, dipisah titik koma, desimal koma, untuk spreadsheet "
      "dengan pengaturan regional Indonesia. Saat membuka CSV, Excel menebak jenis setiap nilai, juga yang diapit "
      "tanda kutip: kode seperti 11.10 atau 0012 dapat menjadi angka atau tanggal, dan tidak ada cara aman di dalam "
      "CSV untuk mencegahnya. Pakai buku kerja ini, atau impor CSV lewat Data > From Text/CSV dengan kolom kode "
      "sebagai Teks."),
     ("CSV files", "<name>.csv: comma-separated, decimal point, UTF-8 with a BOM, for programs and English-locale "
      f"spreadsheets. <name>{ID_CSV_SUFFIX}: the same content, semicolon-separated with a decimal comma, for "
      "spreadsheets set to the Indonesian locale. Opening a CSV, Excel guesses the type of every value, quoted or "
      "not: a code such as 11.10 or 0012 can become a number or a date, and nothing inside a CSV prevents it "
      "safely. Use this workbook, or import the CSV with Data > From Text/CSV and the code columns as Text.")),
]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` in which text cells and column names that would run as formulas start with '."""
    out = frame.copy()
    out.columns = [_neutral(name) for name in frame.columns]
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if _holds_text(column):
            out.isetitem(position, column.map(_neutral, na_action="ignore"))
    return out


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, dict]:
    """Write each table as `<name>.csv`, `<name>.id.csv` and `<name>.parquet` in `folder`; return their manifest
    entries (rows, sha256).

    `<name>.csv` is comma-separated with a decimal point, `<name>.id.csv` semicolon-separated with a decimal comma
    (the Indonesian locale's list separator and decimal); both have the same neutralised text and snake_case header.
    Writing the same table again gives the same bytes: pyarrow's Parquet carries no write time.
    """
    entries = {}
    for name, frame in tables.items():
        safe = neutralise(frame)
        for file, separator, decimal in ((f"{name}.csv", ",", "."), (f"{name}{ID_CSV_SUFFIX}", ";", ",")):
            entries[file] = {"rows": len(frame), "sha256": _written(folder / file, _csv(safe, separator, decimal))}
        # Parquet keeps the original text: programs read it, not spreadsheets, and the prefix would corrupt the values.
        parquet = io.BytesIO()
        frame.to_parquet(parquet, engine="pyarrow", index=False)
        entries[f"{name}.parquet"] = {"rows": len(frame), "sha256": _written(folder / f"{name}.parquet",
                                                                             parquet.getvalue())}
    return entries


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, about: dict[str, str]) -> dict:
    """Write an XLSX of a README sheet (`about`, then notes), one sheet per table and a sheet of the column names;
    return its manifest entry (rows per table sheet, sha256).

    Headings are Indonesian / English (COLUMN_LABELS). Text is a text cell (never a formula, no prefix), numbers are
    numbers with a number format (number_format), missing values are empty cells and datetimes are Excel dates (in
    UTC where they carry a time zone). The hash columns are left out of a sheet whose every row carries a hash
    the README states. The document is dated `about["generated"]` (an ISO date or datetime), else 1980-01-01,
    never by the clock, so writing again gives the same bytes on the same installation (openpyxl's XML differs with
    and without lxml).
    """
    book = Workbook(write_only=True)
    dated = _utc_naive(pd.Timestamp(about["generated"])) if "generated" in about else ZIP_EPOCH
    book.properties.created = book.properties.modified = dated
    titles = _sheet_titles(["README", *sheets, COLUMNS_SHEET])
    tables = {title: _without_stated_hashes(frame, about) for title, frame in zip(titles[1:-1], sheets.values())}
    for title, frame in [(titles[0], _readme(about)), *tables.items(), (titles[-1], _columns(tables))]:
        _write_sheet(book, title, frame)
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which overwrites the modified date with the time of writing.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    data = _restamped(buffer.getvalue(), dated)
    return {"sheets": {title: len(frame) for title, frame in tables.items()}, "sha256": _written(path, data)}


def write_downloads(tables: dict[str, pd.DataFrame], sheets: dict[str, str], folder: Path,
                    about: dict[str, str]) -> dict[str, dict]:
    """Write every table as CSV (both dialects) and Parquet (write_tables) and the workbook readiness.xlsx of the
    tables named in `sheets` (sheet name -> table); return the manifest entry of each file."""
    entries = write_tables(tables, folder)
    entries["readiness.xlsx"] = write_workbook({sheet: tables[name] for sheet, name in sheets.items()},
                                               folder / "readiness.xlsx", about)
    return entries


def column_heading(name: str) -> str:
    """Return the workbook heading of a published column, "Indonesian / English" (the name itself when unknown)."""
    labels = dict.fromkeys(COLUMN_LABELS.get(name, (name,)))
    return HEADING_SEPARATOR.join(labels)


def number_format(name: str, column: pd.Series) -> str:
    """Return the Excel number format of a published column: ranks, counts and years as integers, percentages
    (`*_pct`, 0-100) with a % sign, a few statistics with 3 decimals, other numbers with 2, dates, and text as @."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return GENERAL
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATE if _holds_dates(_utc_naive_column(column)) else DATETIME
    if pd.api.types.is_integer_dtype(dtype):
        return INTEGER
    if pd.api.types.is_float_dtype(dtype):
        present = column.dropna()
        if name.endswith("_pct"):
            return PERCENT
        if name in FINE_COLUMNS:
            return FINE
        # A rank with missing values is a float column; a Monte Carlo mean rank has decimals and keeps them.
        if name.endswith("_rank") and bool((present == present.round()).all()):
            return INTEGER
        return DECIMALS
    if _holds_text(column) or column.map(lambda value: isinstance(value, str) or pd.isna(value)).all():
        return TEXT
    return GENERAL


def _csv(frame: pd.DataFrame, separator: str, decimal: str) -> bytes:
    # CRLF (RFC 4180) whatever the platform, so the hash does not depend on where the report ran; with "\n" the
    # csv module leaves a field holding a bare "\r" unquoted, and a spreadsheet starts a new row there. The BOM makes
    # Excel read UTF-8 instead of the Windows code page (which garbles → and accented names).
    text = frame.to_csv(index=False, sep=separator, decimal=decimal, float_format="%.6f", lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _neutral(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value


def _holds_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column.dtype) or isinstance(column.dtype, pd.CategoricalDtype)


def _utc_naive_column(column: pd.Series) -> pd.Series:
    return column.dt.tz_convert(timezone.utc).dt.tz_localize(None) if column.dt.tz is not None else column


def _holds_dates(column: pd.Series) -> bool:
    present = column.dropna()
    return bool((present == present.dt.normalize()).all())


def _written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _utc_naive(stamp: pd.Timestamp) -> datetime:
    # Excel has no time zones; openpyxl refuses aware datetimes.
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone.utc).tz_localize(None)
    return stamp.to_pydatetime()


def _sheet_titles(names: list[str]) -> list[str]:
    """Return Excel-valid sheet titles: forbidden characters replaced, at most 31 characters, unique ignoring case."""
    titles, taken = [], set()
    for name in names:
        # Excel also refuses a title that begins or ends with an apostrophe.
        base = SHEET_TITLE_FORBIDDEN.sub("_", str(name)).strip("'") or "sheet"
        title, n = base[:SHEET_TITLE_MAX], 1
        while title.casefold() in taken:
            n += 1
            suffix = f"~{n}"
            title = base[:SHEET_TITLE_MAX - len(suffix)] + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


def _without_stated_hashes(frame: pd.DataFrame, about: dict[str, str]) -> pd.DataFrame:
    """Return `frame` without the hash columns whose every value is one of those `about` states."""
    values = {str(value) for value in about.values()}
    stated = [column for column in HASH_COLUMNS if column in frame.columns and bool(frame[column].isin(values).all())]
    return frame.drop(columns=stated)


def _readme(about: dict[str, str]) -> pd.DataFrame:
    """Return the README sheet: one row per item of `about`, then each note in Indonesian and in English."""
    notes = [note for pair in README_NOTES for note in pair]
    return pd.DataFrame([*about.items(), *notes], columns=README_HEADER, dtype=object)


def _columns(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the columns sheet: one row per sheet × column, its machine name, headings and number format."""
    rows = [(title, name, *COLUMN_LABELS.get(name, (name, name)), number_format(name, frame.iloc[:, position]))
            for title, frame in tables.items() for position, name in enumerate(frame.columns)]
    return pd.DataFrame(rows, columns=COLUMNS_HEADER, dtype=object)


def _write_sheet(book: Workbook, title: str, frame: pd.DataFrame) -> None:
    sheet = book.create_sheet(title)
    header = [_cell_value(column_heading(str(name))) for name in frame.columns]
    formats = [number_format(str(name), frame.iloc[:, position]) for position, name in enumerate(frame.columns)]
    columns = [_cell_values(frame.iloc[:, position]) for position in range(frame.shape[1])]
    # Write-only sheets take widths, panes and the filter before the first row.
    for position, (name, values) in enumerate(zip(header, columns), start=1):
        longest = max((_display_length(value) for value in values), default=0)
        sheet.column_dimensions[get_column_letter(position)].width = min(max(len(name), longest) + 2, COLUMN_WIDTH_MAX)
    sheet.freeze_panes = "A2"
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(frame) + 1}"
    sheet.append([_cell(sheet, name, TEXT, font=BOLD) for name in header])
    for row in zip(*columns):
        sheet.append([_cell(sheet, value, fmt) for value, fmt in zip(row, formats)])


def _cell_values(column: pd.Series) -> list:
    """Return the column as values openpyxl stores with the right type: None for every kind of missing."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        column = _utc_naive_column(column)
        is_date = _holds_dates(column)
        return [None if pd.isna(at) else (at.date() if is_date else at.to_pydatetime()) for at in column]
    return [_cell_value(value) for value in column.astype(object).tolist()]


def _cell_value(value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str):
        # XML 1.0 cannot hold control characters.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, float) and not math.isfinite(value):
        # NaN, and the infinities Excel cannot store.
        return None
    if isinstance(value, datetime):
        return _utc_naive(pd.Timestamp(value))
    return value


def _cell(sheet: object, value: object, column_format: str, font: Font | None = None) -> WriteOnlyCell | None:
    """Return a cell of `value` in the column's number format, or None (an empty cell) for a missing value."""
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        # A string cell, never a formula ("=...") nor an error ("#N/A"), which openpyxl would make of such text.
        cell.data_type, cell.number_format = "s", TEXT
    elif isinstance(value, date):
        date_format = DATETIME if isinstance(value, datetime) else DATE
        cell.number_format = column_format if column_format in (DATE, DATETIME) else date_format
    elif not isinstance(value, bool) and column_format not in (TEXT, DATE, DATETIME):
        cell.number_format = column_format
    if font is not None:
        cell.font = font
    return cell


def _display_length(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    return NUMBER_WIDTH


def _restamped(xlsx: bytes, stamp: datetime) -> bytes:
    """Return the zip with every member dated `stamp`; zipfile otherwise dates members at the time of writing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp.timetuple()[:6])
            target.writestr(info, source.read(member), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
