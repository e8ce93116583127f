"""Turn a raw frame into a canonical table for its source, with every problem recorded as a quarantine row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.ingest import parsers
from pipelines.ingest.parsers import shorten
from pipelines.ingest.readers import OVERFLOW_COLUMN, ROW_COLUMN, UnreadableFile, header_key
from pipelines.ingest.regions import FileRegions, RegionError, RegionResolver, name_key

QUARANTINE_COLUMNS = ["source", "source_file", "source_row", "source_column", "rule", "value", "message", "scope", "stage"]
# The most text a message, note, file error or quarantined value keeps: a 100,000-character cell or a million
# ignored headers must not flood the ingest log.
LOG_TEXT_CHARS = 500
LISTED_COLUMNS = 10
REGION = ("region_code", "region_name")
# Headers that say whose codes a column holds (the region_code column's `scheme_aliases`: kemendagri, bps).
SCHEME_ALIASES = "scheme_aliases"


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
            "source_column": column, "rule": rule,
            "value": None if parsers.is_missing(value) else shorten(value, LOG_TEXT_CHARS),
            "message": shorten(message, LOG_TEXT_CHARS), "scope": scope, "stage": self.stage,
        })

    def frame(self) -> pd.DataFrame:
        """Return the problems as a quarantine table, each fact once (a BPS row's values share its region's problem)."""
        return (pd.DataFrame(self.rows, columns=QUARANTINE_COLUMNS).astype({"source_row": "int64"})
                .drop_duplicates(ignore_index=True))


def scheme_headers(column: dict) -> list[str]:
    """Return the headers that name a code column's scheme (`kode_bps`, `kode_kemendagri`, ...)."""
    return [h for headers in column.get(SCHEME_ALIASES, {}).values() for h in headers]


def match_columns(raw_columns: list[str], spec_columns: dict) -> dict[str, str]:
    """Return canonical name → raw header for the raw headers that match a canonical name or an alias."""
    by_key = {header_key(c): c for c in raw_columns}
    found = {}
    for canonical, spec in spec_columns.items():
        for candidate in [canonical, *spec.get("aliases", []), *scheme_headers(spec)]:
            if header_key(candidate) in by_key:
                found[canonical] = by_key[header_key(candidate)]
                break
    return found


def listed(names: list[object], limit: int = LISTED_COLUMNS) -> str:
    """Return names joined by commas, each shortened, the list cut after `limit` with "and N more"."""
    shown = ", ".join(shorten(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def source_matches(raw_columns: list[str], contract: dict, question_codes: list[str]) -> dict[str, int]:
    """Return, per source, how many of the file's columns it knows (question codes count for questionnaires)."""
    codes = {header_key(c) for c in question_codes}
    counts = {}
    for source, spec in contract.items():
        counts[source] = len(match_columns(raw_columns, {**spec["columns"], **spec.get("long_columns", {})}))
        if source == "questionnaires":
            counts[source] += sum(header_key(c) in codes for c in raw_columns)
    return counts


def better_source(raw_columns: list[str], source: str | None, contract: dict, question_codes: list[str]) -> str | None:
    """Return the source whose columns the file matches best, if that is not `source` and beats it (ties: None)."""
    counts = source_matches(raw_columns, contract, question_codes)
    best = max(counts.values())
    leaders = [s for s, n in counts.items() if n == best]
    if len(leaders) != 1 or leaders[0] == source or best < 2 or best <= counts.get(source, 0):
        return None
    return leaders[0]


def move_hint(source: str, contract: dict) -> str:
    """Return where a file belongs, to follow "its columns": "look like a questionnaire: move it to questionnaires/"."""
    return f"look like {contract[source]['label']}: move it to {source}/"


def _described(name: str, spec: dict) -> str:
    aliases = spec.get("aliases", [])
    return f"{name} ({listed(aliases, 3)})" if aliases else name


def check_required_columns(raw_columns: list[str], source: str, contract: dict, question_codes: list[str]) -> None:
    """Raise UnreadableFile when the file lacks a required column of its source (a region is a code or a name)."""
    spec = contract[source]
    found = match_columns(raw_columns, spec["columns"])
    missing = [_described(name, column) for name, column in spec["columns"].items()
               if column.get("required") and name not in found]
    if spec.get("has_region", True) and not set(REGION) & set(found):
        missing.insert(0, "region (kode_wilayah or nama_daerah)")
    if not missing:
        return
    what = (f"required column {missing[0]} is missing" if len(missing) == 1
            else f"required columns {', '.join(missing)} are missing")
    other = better_source(raw_columns, source, contract, question_codes)
    hint = (f"this file's columns {move_hint(other, contract)}" if other
            else f"the file's columns are {listed(raw_columns)}")
    raise UnreadableFile(f"{what}; {hint}")


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


def distinct(values: pd.Series) -> tuple[np.ndarray, list]:
    """Return (codes, uniques): values == uniques[codes], with every missing value (None, NaN) as the last unique,
    None. A column of a million answers holds a few dozen distinct ones: each is looked at once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, [*uniques, None]


def _objects(items: list) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):   # one by one: a tuple must stay one element, not be spread over the array
        array[i] = item
    return array


def map_distinct(values: pd.Series, func) -> np.ndarray:
    """Return func(value) for every value (an object array), calling func once per distinct value."""
    codes, uniques = distinct(values)
    return _objects([func(v) for v in uniques])[codes]


def parse_values(values: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Return (parsed values, error messages or None), applying `parse` once per distinct value."""
    codes, uniques = distinct(values)
    parsed, errors = [], []
    for value in uniques:
        try:
            parsed.append(parse(value))
            errors.append(None)
        except parsers.ParseError as exc:
            parsed.append(None)
            errors.append(str(exc))
    return (pd.Series(_objects(parsed)[codes], index=values.index, dtype=object),
            pd.Series(_objects(errors)[codes], index=values.index, dtype=object))


def parse_column(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Return (parsed values, error messages or None) for one column of a given contract type."""
    if kind == "number":
        decimal_comma = parsers.uses_decimal_comma(distinct(values)[1])
        return parse_values(values, lambda v: parsers.parse_number(v, decimal_comma))
    return parse_values(values, _PARSERS[kind])


DTYPES = {"integer": "Int64", "number": "float64", "text": "str", "category": "str",
           "timestamp": "datetime64[us]", "region_code": "str", "region_name": "str"}


def canonical_rows(raw: pd.DataFrame, spec: dict, problems: Problems, resolver: RegionResolver,
                   scheme: str | None = None, check_splits: bool = True) -> pd.DataFrame:
    """Return one canonical row per good raw row (columns of the spec + source_file, source_row).

    `scheme` is the code scheme the file's folder declares (`kemendagri`, `bps`) or None; `check_splits: False`
    leaves the check for regions split after the row's year to the caller (who knows which rows carry a value).
    """
    columns = spec["columns"]
    found = match_columns([c for c in raw.columns if c not in (ROW_COLUMN, OVERFLOW_COLUMN)], columns)
    bad = pd.Series(False, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    # Spilled-over cells may hold personal data (a respondent's phone number): then they are not repeated.
    private = bool(spec.get("personal_columns"))
    for row, overflow in raw.loc[raw[OVERFLOW_COLUMN].notna(), [ROW_COLUMN, OVERFLOW_COLUMN]].itertuples(index=False):
        extra = "not shown: the file has personal data" if private else shorten(overflow)
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
            problems.add(row, found[name], f"{kind}_unreadable", value, f"{shorten(found[name])}: {message}")
        bad |= errors.notna()
        if "values" in column_spec:
            parsed = parsed.map(lambda v: column_spec["values"].get(v, v) if isinstance(v, str) else v)
        if "default" in column_spec:
            parsed = parsed.where(parsed.notna(), column_spec["default"])
        if column_spec.get("required"):
            missing = parsed.isna() & errors.isna()
            for row in raw.loc[missing, ROW_COLUMN]:
                problems.add(row, found[name], "required_missing", None,
                             f"{shorten(found[name])} is empty but required: fill in {_EXPECTED[kind]}")
            bad |= missing
        out[name] = parsed
    if spec.get("has_region", True):
        codes, region_bad = resolve_regions(raw, found, problems, resolver, spec.get("allow_provinces", False),
                                            code_scheme(found, spec, scheme))
        out.insert(0, "region_code", codes)
        bad |= region_bad
        bad |= not_applicable(raw, out, ~bad, spec, found, problems, resolver)
        if check_splits and "year" in out.columns:
            bad |= split_regions(out.assign(source_row=raw[ROW_COLUMN]), ~bad, found.get("year"), problems, resolver)
    out["source_file"] = problems.source_file
    out["source_row"] = raw[ROW_COLUMN].astype("int64")
    out = out.loc[~bad].reset_index(drop=True)
    for name, column_spec in columns.items():
        if name in out.columns:
            out[name] = out[name].astype(DTYPES[column_spec["type"]])
    return out


def code_scheme(found: dict[str, str], spec: dict, declared: str | None) -> str | None:
    """Return the scheme of the file's region codes: the one its code column's header names, else the declared one."""
    if "region_code" in found:
        for scheme, headers in spec["columns"]["region_code"].get(SCHEME_ALIASES, {}).items():
            if header_key(found["region_code"]) in {header_key(h) for h in headers}:
                return scheme
    return declared


def file_regions(raw: pd.DataFrame, name_col: str | None, province_col: str | None, resolver: RegionResolver,
                 scheme: str | None) -> FileRegions:
    """Return what the whole file says about its regions: its scheme and which kota it writes as `Kota …` per block."""
    written = set()
    if name_col:
        provinces = raw[province_col] if province_col else pd.Series(None, index=raw.index, dtype=object)
        for name, province in set(zip(raw[name_col], provinces)):
            if isinstance(name, str) and name_key(name)[0] == "kota":
                try:
                    block = resolver.block(province)
                except RegionError:
                    continue
                if block:
                    written.add((block[0], name_key(name)[1]))
    return FileRegions(scheme=scheme, kota_written=frozenset(written), bare_is_kabupaten=raw.attrs.get("layout") == "bps")


def resolve_regions(raw: pd.DataFrame, found: dict[str, str], problems: Problems, resolver: RegionResolver,
                    allow_provinces: bool, scheme: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Return (region codes, rows that failed) resolving each distinct (code, name, province) once."""
    code_col, name_col = found.get("region_code"), found.get("region_name")
    province_col = found.get("region_province")
    nothing = pd.Series(None, index=raw.index, dtype=object)
    codes = raw[code_col] if code_col else nothing
    names = raw[name_col] if name_col else nothing
    provinces = raw[province_col] if province_col else nothing
    file = file_regions(raw, name_col, province_col, resolver, scheme)
    cache: dict = {}
    result, failed = [], []
    for row, code, name, province in zip(raw[ROW_COLUMN], codes, names, provinces):
        key = (str(code), str(name), str(province))
        if key not in cache:
            try:
                cache[key] = (resolver.resolve(code, name, allow_province=allow_provinces, province=province,
                                               file=file), None)
            except RegionError as exc:
                cache[key] = (None, exc)
        resolved, error = cache[key]
        if error is not None:
            by_code = (error.about == "code" and code_col) or not name_col
            column = province_col if error.rule == "region_province_unknown" else code_col if by_code else name_col
            value = province if error.rule == "region_province_unknown" else code if by_code else name
            problems.add(row, column, error.rule, value, str(error))
        result.append(resolved)
        failed.append(error is not None)
    return pd.Series(result, index=raw.index, dtype=object), pd.Series(failed, index=raw.index)


def split_regions(rows: pd.DataFrame, good: pd.Series, column: str | None, problems: Problems,
                  resolver: RegionResolver) -> pd.Series:
    """Return the good rows (region_code, year, source_row) whose region was formed or split after the row's year,
    quarantining them: such a value belongs to a region that no longer exists as it was, and is given to none of its
    successors."""
    bad = pd.Series(False, index=rows.index)
    if not resolver.formed:
        return bad
    for i in rows.index[good & rows["region_code"].isin(resolver.formed.keys()) & rows["year"].notna()]:
        reason = resolver.split_since(rows.at[i, "region_code"], int(rows.at[i, "year"]))
        if reason:
            problems.add(rows.at[i, "source_row"], column, "region_split", rows.at[i, "year"], reason)
            bad[i] = True
    return bad


def not_applicable(raw: pd.DataFrame, out: pd.DataFrame, good: pd.Series, spec: dict, found: dict[str, str],
                   problems: Problems, resolver: RegionResolver) -> pd.Series:
    """Return the good rows of an index published for one region type only (`applies_to` in its contract),
    quarantining them: IKB for a kabupaten is structurally absent, not a value."""
    bad = pd.Series(False, index=out.index)
    types = dict(zip(resolver.reference["region_code"], resolver.reference["region_type"]))
    for column, values in spec.get("applies_to", {}).items():
        for value, rule in values.items():
            hit = good & (out[column] == value) & out["region_code"].map(types).ne(rule["region_type"])
            for row, code in zip(raw.loc[hit, ROW_COLUMN], out.loc[hit, "region_code"]):
                problems.add(row, found.get(column), "not_applicable", value,
                             f"{rule['label']} is published for {rule['region_type']} only; {resolver.names[code]} "
                             "has none (structurally absent, not 0)")
            bad |= hit
    return bad


def ignored_columns_note(raw: pd.DataFrame, used: set[str]) -> list[str]:
    """Return the ingest-log note listing the file's columns that the contract does not read, if any."""
    ignored = [c for c in raw.columns if c not in used | {ROW_COLUMN, OVERFLOW_COLUMN}]
    return ["columns not in the contract, ignored: " + listed(ignored)] if ignored else []


def respondent_hashes(people: pd.DataFrame, salt: str) -> list[str | None]:
    """Return per row a salted sha256 of its personal values (to spot duplicate respondents), or None where all are
    empty; values compare trimmed and in lower case."""
    columns = [map_distinct(people[c], lambda v: None if parsers.is_missing(v) else str(v).strip().lower())
               for c in people.columns]
    hashes = []
    for values in zip(*columns) if columns else ([()] * len(people)):
        present = [v for v in values if v is not None]
        hashes.append(hashlib.sha256((salt + "\x1f" + "\x1f".join(present)).encode()).hexdigest()[:16]
                      if present else None)
    return hashes
