"""Read a BPS table export as downloaded (bps.go.id "statistics-table"): title and year lines, province blocks.

The layout, as in BPS's CSV and XLSX downloads:

    Provinsi/Kabupaten/Kota,            <- what the first column holds; nothing else on the line
    ,[Metode Baru] Indeks Pembangunan Manusia (IPM)   <- the table's title (a merged cell: one per table)
    ,2024                               <- one year per value column
    ACEH,74.03                          <- a province, in capitals, opens a block
    Simeulue,69.01                      <- its kabupaten (bare names) and kota (`Kota …`)
    …
    INDONESIA,74.2                      <- the national row

`-` is a figure BPS does not publish (a region that did not exist yet, or a Papua region listed under its pre-2022
province as well as its new one). The result is the indicators source's long form, one row per region and value
column, each with the row number a person sees; which indicator a title is comes from the contract's
`indicator_titles`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.ingest.parsers import is_missing, shorten
from pipelines.ingest.readers import OVERFLOW_COLUMN, ROW_COLUMN, UnreadableFile, read_cells, split_notes
from pipelines.ingest.regions import NATIONAL_NAMES, is_capitals

# What BPS writes above its first column: `Provinsi/Kabupaten/Kota`, `Kabupaten/Kota`, `Wilayah`, ...
_FIRST_LABEL = re.compile(r"(?i)^\s*(provinsi|kabupaten|kab\.?|kota|wilayah|daerah|province|regency|municipality|region)\b")
# The "by kab/kota" part of a title, which says nothing about what is measured; any other "menurut …" (by sex, by
# urban/rural) does, and stays.
_BY_REGION = re.compile(r"\b(menurut|by)\s+(provinsi\s+dan\s+|province\s+and\s+)?(kabupaten|regency)\s*/?\s*"
                        r"(kota|municipality|city)\b")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
# Cells BPS uses for a figure it does not publish, beyond the missing markers every source knows (`-`, `n/a`).
NOT_PUBLISHED = {"–", "—", "…", "...", "x"}
LONG_COLUMNS = ["region_name", "region_province", "year", "indicator_code", "indicator_value", "unit",
                "indicator_source", ROW_COLUMN, OVERFLOW_COLUMN]


def _text(cell: object) -> str:
    return "" if is_missing(cell) else str(cell).strip()


def _figure(cell: object) -> str | None:
    """Return a cell's figure as text, or None when it gives none (empty, `-`, `…`)."""
    text = _text(cell)
    return None if not text or text.lower() in NOT_PUBLISHED else text


def is_export(cells: list[tuple[int, list]]) -> bool:
    """Return True when a file's first rows are a BPS export's: a lone first-column label, then lines that start empty."""
    if len(cells) < 3:
        return False
    first, second = cells[0][1], cells[1][1]
    lone_label = bool(_FIRST_LABEL.match(_text(first[0]))) and not any(_text(c) for c in first[1:])
    return lone_label and not _text(second[0]) and any(_text(c) for c in second[1:])


def title_key(title: str) -> str:
    """Return a table title in comparable form: without case, punctuation, units or abbreviations in parentheses
    and `Menurut Kabupaten/Kota`; a method in square brackets (`[Metode Baru]`) stays, as it changes the figures."""
    s = _BY_REGION.sub(" ", re.sub(r"\([^)]*\)", " ", title.lower()))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def indicator_of(title: str, titles: dict[str, dict]) -> str | None:
    """Return the indicator code whose `titles` entry matches a BPS table title or a wide table's header, else None."""
    key = title_key(title)
    for code, entry in titles.items():
        if key in {title_key(t) for t in entry["match"]}:
            return code
    return None


def _header(cells: list[tuple[int, list]]) -> tuple[list[tuple[int, str, int]], int]:
    """Return ((column, title, year) per value column, index of the first data row) from the header lines."""
    lines = [row for _, row in cells[1:]]
    depth = next((i for i, row in enumerate(lines) if _text(row[0])), len(lines))
    if depth < 2:
        raise UnreadableFile("this looks like a BPS table export, but it has no year line under its title "
                             "(line 3 should give a year such as 2024 above each column of values)")
    title_row, year_row = lines[0], lines[depth - 1]
    columns, title = [], ""
    for j in range(1, max(len(title_row), len(year_row))):
        title = _text(title_row[j]) if j < len(title_row) and _text(title_row[j]) else title
        year_text = _text(year_row[j]) if j < len(year_row) else ""
        if not year_text:
            continue
        year = _YEAR.search(year_text)
        if year is None:
            raise UnreadableFile(f"this looks like a BPS table export, but its year line gives {shorten(year_text)!r} "
                                 f"above column {j + 1}, not a year")
        sub = " ".join(_text(row[j]) for row in lines[1:depth - 1] if j < len(row) and _text(row[j]))
        columns.append((j, f"{title} {sub}".strip(), int(year.group(1))))
    if not columns:
        raise UnreadableFile("this looks like a BPS table export, but its year line (line 3) gives no year")
    seen = [(title_key(t), y) for _, t, y in columns]
    if len(set(seen)) < len(seen):
        repeated = next(c for c in columns if seen.count((title_key(c[1]), c[2])) > 1)
        raise UnreadableFile(f"this BPS table export has more than one column for {shorten(repeated[1])!r} in "
                             f"{repeated[2]}; download the table with one column per year")
    if not columns[0][1]:
        raise UnreadableFile("this looks like a BPS table export, but line 2 gives no table title")
    return columns, depth + 1


def read_export(cells: list[tuple[int, list]], titles: dict[str, dict]) -> pd.DataFrame:
    """Return a BPS export's cells as the indicators source's long rows, or raise UnreadableFile for an unclear header.

    Each row carries its province block (`region_province`) so that names are resolved within it; a province row
    carries itself, a national row nothing. `frame.attrs` has the note rows, the layout and the title.
    """
    columns, start = _header(cells)
    codes = {j: indicator_of(t, titles) for j, t, _ in columns}
    unknown = sorted({t for j, t, _ in columns if codes[j] is None})
    if unknown:
        known = "; ".join(entry["match"][0] for entry in titles.values())
        raise UnreadableFile(f"the BPS table {shorten(unknown[0])!r} is not one the indicators contract knows "
                             f"({known}); add its title under indicator_titles in config/sources/indicators.yaml")
    body = cells[start:]
    width = 1 + max(j for j, _, _ in columns)
    rows, numbers, note_rows = split_notes([r for _, r in body], [n for n, _ in body], width)
    records, block = [], None
    for number, row in zip(numbers, rows):
        name = _text(row[0])
        if name.lower() in NATIONAL_NAMES:
            block = None
        elif is_capitals(name):
            block = name
        extra = "; ".join(_text(c) for c in row[width:] if _text(c)) or None
        for j, title, year in columns:
            code = codes[j]
            records.append({
                "region_name": name or None, "region_province": None if name.lower() in NATIONAL_NAMES else block,
                "year": year, "indicator_code": code, "indicator_value": _figure(row[j]) if j < len(row) else None,
                "unit": titles[code].get("unit"), "indicator_source": f"BPS: {title}",
                ROW_COLUMN: number, OVERFLOW_COLUMN: extra,
            })
    frame = pd.DataFrame(records, columns=LONG_COLUMNS, dtype=object)
    frame[ROW_COLUMN] = frame[ROW_COLUMN].astype("int64")
    frame.attrs["note_rows"] = note_rows
    frame.attrs["layout"] = "bps"
    frame.attrs["title"] = f"{columns[0][1]} ({', '.join(str(y) for y in sorted({y for _, _, y in columns}))})"
    return frame


def looks_like_export(path: Path) -> bool:
    """Return True when a file's first rows are laid out as a BPS export's (read_cells gives nothing for JSON)."""
    return is_export(read_cells(path, limit=3))


def exported(path: Path, titles: dict[str, dict]) -> pd.DataFrame | None:
    """Return a file's rows as a BPS export's long rows when it is laid out as one, else None."""
    return read_export(read_cells(path), titles) if looks_like_export(path) else None


def melt_wide(raw: pd.DataFrame, titles: dict[str, dict], year_column: str | None, year: object) -> pd.DataFrame | None:
    """Return a wide table (one column per indicator, headed by a known title) as long rows, or None if it is not one.

    The year comes from the table's year column, else from the folder's _source.yaml (`year`); with neither the file
    cannot be read.
    """
    value_columns = {c: code for c in raw.columns if (code := indicator_of(str(c), titles))}
    if not value_columns:
        return None
    twice = [code for code in dict.fromkeys(value_columns.values()) if list(value_columns.values()).count(code) > 1]
    if twice:
        both = ", ".join(shorten(c) for c, code in value_columns.items() if code == twice[0])
        raise UnreadableFile(f"two columns hold {twice[0]} ({both}); keep one")
    if year_column is None and is_missing(year):
        raise UnreadableFile("a table with one column per indicator (" + ", ".join(value_columns.values())
                             + ") needs its year: add a tahun column, or `year: 2024` to the folder's _source.yaml")
    keep = [c for c in raw.columns if c not in value_columns]
    long = raw.melt(id_vars=keep, value_vars=list(value_columns), var_name="_header", value_name="indicator_value")
    long["indicator_code"] = long["_header"].map(value_columns)
    long["unit"] = long["indicator_code"].map(lambda c: titles[c].get("unit"))
    long["indicator_source"] = long["_header"].astype(str)
    if year_column is None:
        long["year"] = year
    long = long.drop(columns="_header").sort_values(ROW_COLUMN, kind="stable").reset_index(drop=True)
    long["indicator_value"] = long["indicator_value"].where(long["indicator_value"].map(_figure).notna(), None)
    long.attrs = {**raw.attrs, "layout": "wide", "title": ", ".join(dict.fromkeys(value_columns.values()))}
    return long
