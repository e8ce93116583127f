"""Turn a raw frame into a canonical table for its source, with every problem recorded as a quarantine row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest import parsers
from pipelines.ingest.readers import OVERFLOW_COLUMN, ROW_COLUMN, header_key
from pipelines.ingest.regions import RegionError, RegionResolver

QUARANTINE_COLUMNS = ["source", "source_file", "source_row", "source_column", "rule", "value", "message", "scope", "stage"]


@dataclass
class Problems:
    """Collects quarantine rows for one file; `scope` is `row` (whole row out) or `cell` (one answer out)."""

    source: str
    source_file: str
    stage: str = "ingest"
    rows: list[dict] = field(default_factory=list)

    def add(self, source_row: int, column: str | None, rule: str, value: object, message: str, scope: str = "row") -> None:
        """Record one problem."""
        self.rows.append({
            "source": self.source, "source_file": self.source_file, "source_row": int(source_row),
            "source_column": column, "rule": rule, "value": None if parsers.is_missing(value) else str(value),
            "message": message, "scope": scope, "stage": self.stage,
        })

    def frame(self) -> pd.DataFrame:
        """Return the problems as a quarantine table."""
        return pd.DataFrame(self.rows, columns=QUARANTINE_COLUMNS).astype({"source_row": "int64"})


def match_columns(raw_columns: list[str], spec_columns: dict) -> dict[str, str]:
    """Return canonical name → raw header for the raw headers that match a canonical name or an alias."""
    by_key = {header_key(c): c for c in raw_columns}
    found = {}
    for canonical, spec in spec_columns.items():
        for candidate in [canonical, *spec.get("aliases", [])]:
            if header_key(candidate) in by_key:
                found[canonical] = by_key[header_key(candidate)]
                break
    return found


_PARSERS = {
    "integer": parsers.parse_integer,
    "timestamp": parsers.parse_timestamp,
    "text": parsers.parse_text,
    "category": lambda v: None if (t := parsers.parse_text(v)) is None else t.lower(),
}
_EXPECTED = {
    "integer": "a whole number", "number": "a number", "timestamp": "a date and time",
    "text": "text", "category": "a category",
}


def _cache_key(value: object) -> object:
    return None if value is None or (isinstance(value, float) and value != value) else value


def parse_values(values: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Return (parsed values, error messages or None), applying `parse` once per distinct value."""
    cache: dict = {}
    for value in {_cache_key(v) for v in values}:
        try:
            cache[value] = (parse(value), None)
        except parsers.ParseError as exc:
            cache[value] = (None, str(exc))
    results = [cache[_cache_key(v)] for v in values]
    return (pd.Series([r[0] for r in results], index=values.index, dtype=object),
            pd.Series([r[1] for r in results], index=values.index, dtype=object))


def parse_column(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Return (parsed values, error messages or None) for one column of a given contract type."""
    if kind == "number":
        decimal_comma = parsers.uses_decimal_comma([v for v in values if isinstance(v, str)])
        return parse_values(values, lambda v: parsers.parse_number(v, decimal_comma))
    return parse_values(values, _PARSERS[kind])


DTYPES = {"integer": "Int64", "number": "float64", "text": "str", "category": "str",
           "timestamp": "datetime64[us]", "region_code": "str", "region_name": "str"}


def canonical_rows(raw: pd.DataFrame, spec: dict, problems: Problems, resolver: RegionResolver) -> pd.DataFrame:
    """Return one canonical row per good raw row (columns of the spec + source_file, source_row)."""
    columns = spec["columns"]
    found = match_columns([c for c in raw.columns if c not in (ROW_COLUMN, OVERFLOW_COLUMN)], columns)
    bad = pd.Series(False, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    # Spilled-over cells may hold personal data (a respondent's phone number): then they are not repeated.
    private = bool(spec.get("personal_columns"))
    for row, overflow in raw.loc[raw[OVERFLOW_COLUMN].notna(), [ROW_COLUMN, OVERFLOW_COLUMN]].itertuples(index=False):
        extra = "not shown: the file has personal data" if private else overflow
        problems.add(row, None, "row_too_long", None if private else overflow,
                     f"the row has more cells than the header has columns (extra: {extra}); check for a stray separator")
    bad |= raw[OVERFLOW_COLUMN].notna()
    for name, column_spec in columns.items():
        kind = column_spec["type"]
        if kind in ("region_code", "region_name"):
            continue
        if name not in found:
            out[name] = column_spec.get("default")
            continue
        parsed, errors = parse_column(raw[found[name]], kind)
        for row, value, message in zip(raw.loc[errors.notna(), ROW_COLUMN], raw.loc[errors.notna(), found[name]],
                                       errors[errors.notna()]):
            problems.add(row, found[name], f"{kind}_unreadable", value, f"{found[name]}: {message}")
        bad |= errors.notna()
        if "values" in column_spec:
            parsed = parsed.map(lambda v: column_spec["values"].get(v, v) if isinstance(v, str) else v)
        if "default" in column_spec:
            parsed = parsed.where(parsed.notna(), column_spec["default"])
        if column_spec.get("required"):
            missing = parsed.isna() & errors.isna()
            for row in raw.loc[missing, ROW_COLUMN]:
                problems.add(row, found[name], "required_missing", None,
                             f"{found[name]} is empty but required: fill in {_EXPECTED[kind]}")
            bad |= missing
        out[name] = parsed
    if spec.get("has_region", True):
        codes, region_bad = resolve_regions(raw, found, problems, resolver, spec.get("allow_provinces", False))
        out.insert(0, "region_code", codes)
        bad |= region_bad
    out["source_file"] = problems.source_file
    out["source_row"] = raw[ROW_COLUMN].astype("int64")
    out = out.loc[~bad].reset_index(drop=True)
    for name, column_spec in columns.items():
        if name in out.columns:
            out[name] = out[name].astype(DTYPES[column_spec["type"]])
    return out


def resolve_regions(raw: pd.DataFrame, found: dict[str, str], problems: Problems, resolver: RegionResolver,
                    allow_provinces: bool) -> tuple[pd.Series, pd.Series]:
    """Return (region codes, rows that failed) resolving each distinct (code, name) pair once."""
    code_col, name_col = found.get("region_code"), found.get("region_name")
    if code_col is None and name_col is None:
        for row in raw[ROW_COLUMN]:
            problems.add(row, None, "region_missing", None,
                         "the file has no region column (kode_wilayah or nama_daerah); add one")
        return pd.Series(None, index=raw.index, dtype=object), pd.Series(True, index=raw.index)
    codes = raw[code_col] if code_col else pd.Series(None, index=raw.index, dtype=object)
    names = raw[name_col] if name_col else pd.Series(None, index=raw.index, dtype=object)
    cache: dict = {}
    result, failed = [], []
    for row, code, name in zip(raw[ROW_COLUMN], codes, names):
        key = (str(code), str(name))
        if key not in cache:
            try:
                cache[key] = (resolver.resolve(code, name, allow_province=allow_provinces), None)
            except RegionError as exc:
                cache[key] = (None, exc)
        resolved, error = cache[key]
        if error is not None:
            problems.add(row, code_col if error.rule.startswith("region_code") else (name_col or code_col),
                         error.rule, name if error.rule in ("region_unknown", "region_ambiguous") and name_col else code,
                         str(error))
        result.append(resolved)
        failed.append(error is not None)
    return pd.Series(result, index=raw.index, dtype=object), pd.Series(failed, index=raw.index)


def ignored_columns_note(raw: pd.DataFrame, used: set[str]) -> list[str]:
    """Return the ingest-log note listing the file's columns that the contract does not read, if any."""
    ignored = [c for c in raw.columns if c not in used | {ROW_COLUMN, OVERFLOW_COLUMN}]
    return ["columns not in the contract, ignored: " + ", ".join(ignored)] if ignored else []


def salted_hash(values: list[object], salt: str) -> str | None:
    """Return a salted sha256 of personal values (to spot duplicate respondents), or None if all are empty."""
    present = [str(v).strip().lower() for v in values if not parsers.is_missing(v)]
    if not present:
        return None
    return hashlib.sha256((salt + "\x1f" + "\x1f".join(present)).encode()).hexdigest()[:16]
