"""Published tables as files a spreadsheet user can open safely: CSV, Parquet and one XLSX workbook."""

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
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

# OWASP CSV injection: a spreadsheet evaluates a cell beginning with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PREFIX_NOTE = ("Text cells beginning with = + - @, a tab or a carriage return were prefixed with ' so that they are "
               "not evaluated as formulas.")
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
COLUMN_WIDTH_MAX = 60
# Excel's General format shows at most 11 characters of a number.
NUMBER_WIDTH = 11
BOLD = Font(bold=True)
# The earliest date a zip member can carry: the date of a workbook given none (openpyxl cannot leave it out).
ZIP_EPOCH = datetime(1980, 1, 1)


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
    """Write each table as `<name>.csv` and `<name>.parquet` in `folder`; return their manifest entries (rows, sha256).

    Writing the same table again gives the same bytes: pyarrow's Parquet carries no write time.
    """
    entries = {}
    for name, frame in tables.items():
        csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        # CRLF (RFC 4180) whatever the platform, so the hash does not depend on where the report ran; with "\n" the
        # csv module leaves a field holding a bare "\r" unquoted, and a spreadsheet starts a new row there.
        csv = neutralise(frame).to_csv(index=False, float_format="%.6f", lineterminator="\r\n").encode("utf-8")
        entries[f"{name}.csv"] = {"rows": len(frame), "sha256": _written(csv_path, csv)}
        # Parquet keeps the original text: programs read it, not spreadsheets, and the prefix would corrupt the values.
        parquet = io.BytesIO()
        frame.to_parquet(parquet, engine="pyarrow", index=False)
        entries[f"{name}.parquet"] = {"rows": len(frame), "sha256": _written(parquet_path, parquet.getvalue())}
    return entries


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, about: dict[str, str]) -> dict:
    """Write an XLSX of a README sheet (`about`) and one sheet per table; return its manifest entry (rows, sha256).

    Text is neutralised, numbers stay numbers, missing values are empty cells and datetimes are Excel dates (in UTC
    where they carry a time zone). The document is dated `about["generated"]` (an ISO date or datetime), else
    1980-01-01, never by the clock, so writing again gives the same bytes on the same installation (openpyxl's XML
    differs with and without lxml).
    """
    book = Workbook(write_only=True)
    dated = _utc_naive(pd.Timestamp(about["generated"])) if "generated" in about else ZIP_EPOCH
    book.properties.created = book.properties.modified = dated
    readme = pd.DataFrame({"item": [*about, "text cells"], "value": [*about.values(), PREFIX_NOTE]}, dtype=object)
    titles = _sheet_titles(["README", *sheets])
    for title, frame in zip(titles, [readme, *sheets.values()]):
        _write_sheet(book, title, frame)
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which overwrites the modified date with the time of writing.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    data = _restamped(buffer.getvalue(), dated)
    rows = {title: len(frame) for title, frame in zip(titles[1:], sheets.values())}
    return {"sheets": rows, "sha256": _written(path, data)}


def write_downloads(tables: dict[str, pd.DataFrame], sheets: dict[str, str], folder: Path,
                    about: dict[str, str]) -> dict[str, dict]:
    """Write every table as CSV and Parquet (write_tables) and the workbook readiness.xlsx of the tables named in
    `sheets` (sheet name -> table); return the manifest entry of each file."""
    entries = write_tables(tables, folder)
    entries["readiness.xlsx"] = write_workbook({sheet: tables[name] for sheet, name in sheets.items()},
                                               folder / "readiness.xlsx", about)
    return entries


def _neutral(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value


def _holds_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column.dtype) or isinstance(column.dtype, pd.CategoricalDtype)


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


def _write_sheet(book: Workbook, title: str, frame: pd.DataFrame) -> None:
    sheet = book.create_sheet(title)
    header = [_text(str(name)) for name in frame.columns]
    columns = [_cell_values(sheet, frame.iloc[:, position]) for position in range(frame.shape[1])]
    # Write-only sheets take widths, panes and the filter before the first row.
    for position, (name, values) in enumerate(zip(header, columns), start=1):
        longest = max((_display_length(value) for value in values), default=0)
        sheet.column_dimensions[get_column_letter(position)].width = min(max(len(name), longest) + 2, COLUMN_WIDTH_MAX)
    sheet.freeze_panes = "A2"
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(frame) + 1}"
    sheet.append([_text_cell(sheet, name, font=BOLD) for name in header])
    for row in zip(*columns):
        sheet.append(row)


def _cell_values(sheet: object, column: pd.Series) -> list:
    """Return the column as values openpyxl stores with the right type: None for every kind of missing."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        if column.dt.tz is not None:
            column = column.dt.tz_convert(timezone.utc).dt.tz_localize(None)
        present = column.dropna()
        is_date = bool((present == present.dt.normalize()).all())
        return [None if pd.isna(at) else (at.date() if is_date else at.to_pydatetime()) for at in column]
    return [_cell_value(sheet, value) for value in column.astype(object).tolist()]


def _cell_value(sheet: object, value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str):
        text = _text(value)
        # Typed as text: openpyxl would store "#N/A" and the other error codes as errors.
        return _text_cell(sheet, text) if text in ERROR_CODES else text
    if isinstance(value, float) and not math.isfinite(value):
        # NaN, and the infinities Excel cannot store.
        return None
    if isinstance(value, datetime):
        return _utc_naive(pd.Timestamp(value))
    return value


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


def _text(value: str) -> str:
    # Control characters go first: XML 1.0 cannot hold them, and "\x01=..." would start with "=" once they are gone.
    return _neutral(ILLEGAL_CHARACTERS_RE.sub("", value))


def _text_cell(sheet: object, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _restamped(xlsx: bytes, stamp: datetime) -> bytes:
    """Return the zip with every member dated `stamp`; zipfile otherwise dates members at the time of writing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp.timetuple()[:6])
            target.writestr(info, source.read(member), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
