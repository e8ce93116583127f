"""Ingest step: every raw file under data/raw/<source>/ → canonical staging tables, quarantine, superseded."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipelines.code import code_hash
from pipelines.ingest import bps, reference
from pipelines.ingest.canonical import (
    DTYPES, LOG_TEXT_CHARS, QUARANTINE_COLUMNS, Problems, better_source, canonical_rows, check_required_columns,
    code_scheme, ignored_columns_note, match_columns, move_hint, scheme_headers, split_regions,
)
from pipelines.ingest.parsers import shorten
from pipelines.ingest.questionnaires import ANSWER_COLUMNS, SUBMISSION_FIELDS, submissions_and_answers
from pipelines.ingest.readers import OVERFLOW_COLUMN, ROW_COLUMN, UnreadableFile, header_key, read_raw
from pipelines.ingest.regions import CODE_SCHEMES, RegionResolver
from pipelines.settings import CROSSWALK, Settings, load_yaml
from pipelines.sources import (
    SIDECAR, Contracts, fingerprint, folder_digest, is_candidate, is_inside, load_contracts, pii_salt, raw_files,
)

# What ingest's output depends on besides the raw files and its code (Settings attributes): runs/plan.py
# fingerprints each, so that a change to any of them re-ingests.
READS = ("sources_dir", "framework_path", "reference_dir", "salt_path")
SUPERSEDED_COLUMNS = ["source", "source_file", "source_row", "record_key", "superseded_by", "reason"]
FILE_COLUMNS = ["source_file", "source", "sha256", "size_bytes", "received_date", "publisher", "licence",
                "is_synthetic", "rows_read", "file_error", "column_map", "notes", "was_parsed"]
FILE_TEXT_COLUMNS = ["source_file", "source", "sha256", "received_date", "publisher", "licence", "file_error",
                     "column_map", "notes"]
IGNORED_COLUMNS = ["source_file", "reason"]
NO_BANK = pd.DataFrame(columns=["question_code", "answer_type"])
NO_SUPERSEDED = pd.DataFrame(columns=SUPERSEDED_COLUMNS)
TOTAL_RULES = ("region_province_total", "region_national_total")
OUTSIDE_LINK = "a link to a file outside the data folder (data/raw/); not read"


@dataclass
class Staged:
    """What ingest produced: canonical tables by name, and the run's quarantine, superseded and file records."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    superseded: pd.DataFrame
    files: pd.DataFrame
    ignored: pd.DataFrame   # files under data/raw/ outside the source folders: source_file, reason


def known_headers(spec: dict) -> set[str]:
    """Return every header a source's contract accepts (names and aliases, long-layout columns too), comparable."""
    return {header_key(a) for name, column in {**spec["columns"], **spec.get("long_columns", {})}.items()
            for a in [name, *column.get("aliases", []), *scheme_headers(column)]}


def ignored_files(raw_dir: Path, contracts: Contracts, question_codes: list[str]) -> list[tuple[str, str]]:
    """Return (path under data/raw/, reason) for each file outside the source folders, which ingest does not read.

    README files, dotfiles and `_source.yaml` are left out quietly. When the file's header matches one source best,
    the reason names that folder.
    """
    known = set().union(*(known_headers(spec) for spec in contracts.values())) | {header_key(c) for c in question_codes}
    everywhere = "not in a source folder: move it into one of " + ", ".join(f"{s}/" for s in contracts)
    found = []
    for path in sorted(raw_dir.rglob("*")) if raw_dir.is_dir() else []:
        parts = path.relative_to(raw_dir).parts
        if (parts[0] in contracts and (raw_dir / parts[0]).is_dir()) or not is_candidate(path, raw_dir) \
                or any(part.startswith(".") for part in parts) or path.name.lower().startswith("readme"):
            continue
        name = path.relative_to(raw_dir).as_posix()
        if not is_inside(path, raw_dir):
            found.append((name, OUTSIDE_LINK))
            continue
        try:
            columns = [c for c in read_raw(path, known).columns if c not in (ROW_COLUMN, OVERFLOW_COLUMN)]
        except Exception:  # noqa: BLE001 - any file that cannot be read only loses the "looks like" hint
            columns = []
        other = better_source(columns, None, contracts, question_codes)
        found.append((name, f"not in a source folder; its columns {move_hint(other, contracts)}" if other
                      else everywhere))
    return found


def ignored_now(settings: Settings) -> list[tuple[str, str]]:
    """Return the files under data/raw/ a refresh would not read, with the reason, without ingesting anything.

    Question codes (for the "looks like a questionnaire" hint) come from the curated question bank, when there is one.
    """
    bank = settings.curated_dir / "question_bank.parquet"
    codes = pd.read_parquet(bank, columns=["question_code"])["question_code"].tolist() if bank.is_file() else []
    return ignored_files(settings.raw_dir, load_contracts(settings.sources_dir), codes)


def sidecar(path: Path, raw_dir: Path) -> dict:
    """Return the `_source.yaml` beside a raw file (publisher, licence, synthetic, code_scheme, year), or {}."""
    file = path.parent / SIDECAR
    meta = load_yaml(file) if file.is_file() and is_inside(file, raw_dir) else {}
    return meta if isinstance(meta, dict) else {}


def parsing_options(path: Path, raw_dir: Path) -> dict:
    """Return what the folder's `_source.yaml` says about reading its files: the code scheme and a table's year."""
    return {k: v for k, v in sidecar(path, raw_dir).items() if k in ("code_scheme", "year")}


def provenance(source: str, path: Path, raw_dir: Path) -> dict:
    """Return the provenance record of a raw file: fingerprint, size, date received, publisher and licence."""
    meta = sidecar(path, raw_dir)
    inside = is_inside(path, raw_dir)
    stat = path.stat() if inside else path.lstat()
    return {
        "source_file": path.relative_to(raw_dir).as_posix(), "source": source, "sha256": fingerprint(path, raw_dir),
        "size_bytes": stat.st_size if inside else 0,
        "received_date": datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc).date().isoformat(),
        "publisher": meta.get("publisher"), "licence": meta.get("licence"),
        "is_synthetic": bool(meta.get("synthetic", False)),
    }


def canonical_vocabulary(framework: dict) -> dict[str, dict[str, str]]:
    """Return, per question-bank column, a map from accepted spellings to the framework's codes."""
    vocab: dict[str, dict[str, str]] = {"dimension": {}, "element": {}, "aspect": {}}
    for code, dim in framework["dimensions"].items():
        for spelling in [code, dim["label"]["id"], dim["label"]["en"], *dim.get("aliases", [])]:
            vocab["dimension"][spelling.lower()] = code
        for element, labels in dim["elements"].items():
            for spelling in [element, element.replace("_", " "), labels["id"], labels["en"], *labels.get("aliases", [])]:
                vocab["element"][spelling.lower()] = element
    for code, labels in framework["aspects"].items():
        for spelling in [code, labels["id"], labels["en"], *labels.get("aliases", [])]:
            vocab["aspect"][spelling.lower()] = code
    return vocab


def framework_codes(rows: pd.DataFrame, framework: dict) -> pd.DataFrame:
    """Return rows with any dimension, element and aspect column spelled as the framework's codes."""
    out = rows.copy()
    for column, mapping in canonical_vocabulary(framework).items():
        if column in out.columns:
            out[column] = out[column].map(
                lambda v, m=mapping: v if pd.isna(v) else m.get(str(v).strip().lower(), str(v).strip().lower()))
    if "question_code" in out.columns:
        out["question_code"] = out["question_code"].str.upper()
    return out


def _is_text(column: pd.Series) -> bool:
    return column.dtype == "str" or column.dtype == object


def _folded(column: pd.Series) -> pd.Series:
    # Text keys compare without case or extra spaces: "Dinas Kominfo" and "DINAS  KOMINFO" are one OPD.
    return column.str.casefold().str.split().str.join(" ")


def supersede(table: pd.DataFrame, source: str, key: list[str], order_by: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (kept, superseded): the latest row per key when `order_by` is set, else exact duplicates removed."""
    if table.empty:
        return table, NO_SUPERSEDED
    folded = {c: f"_key_{c}" for c in key if _is_text(table[c])}
    table = table.assign(**{k: _folded(table[c]) for c, k in folded.items()})
    key_cols = [folded.get(c, c) for c in key]
    if order_by:
        # A missing time counts as earliest; among equal times the later file and row win.
        ordered = table.sort_values([*key_cols, order_by, "source_file", "source_row"], kind="stable",
                                    na_position="first")
        group_cols = key_cols
        reason = f"a later submission for the same {', '.join(key)} (by {order_by}) replaces it"
    else:
        content = [c for c in table.columns if c not in ("source_file", "source_row", *key) and c not in folded.values()]
        content = [*key_cols, *content]
        ordered = table.sort_values(["source_file", "source_row"], kind="stable")
        group_cols = content
        reason = "exact duplicate of an earlier row: counted once"
    keep_last = order_by is not None
    is_dup = ordered.duplicated(group_cols, keep="last" if keep_last else "first")
    winner = ordered.groupby(group_cols, dropna=False, sort=False)
    winner_ref = (winner["source_file"].transform("last" if keep_last else "first") + " row "
                  + winner["source_row"].transform("last" if keep_last else "first").astype(str))
    dropped = ordered[is_dup]
    superseded = pd.DataFrame({
        "source": source, "source_file": dropped["source_file"], "source_row": dropped["source_row"].astype("int64"),
        "record_key": [" | ".join(map(str, values)) for values in dropped[key].itertuples(index=False, name=None)],
        "superseded_by": winner_ref[is_dup], "reason": reason,
    }, columns=SUPERSEDED_COLUMNS)
    kept = ordered[~is_dup].sort_values(["source_file", "source_row"]).drop(columns=list(folded.values()))
    kept = kept.reset_index(drop=True)
    return kept, superseded.reset_index(drop=True)


@dataclass
class Context:
    """What parsing a file depends on besides its bytes: the contract, the framework, regions, the salt, the bank."""

    contract: Contracts
    framework: dict
    resolver: RegionResolver
    salt: str
    bank: pd.DataFrame
    code: str    # code_hash of the ingest step: a parse made by other parsing code is not reused
    reference_digest: str = ""

    def cache_key(self, source: str, source_file: str, sha256: str, options: dict) -> str:
        """Return the key under which a file's parse is cached: its path and bytes, and everything parsing depends
        on (the contract, the framework, the salt, the reference data, the folder's parsing options).

        The path is part of the key because parsed rows carry it (source_file, submission ids).
        """
        parts = [source_file, sha256, self.code, json.dumps(self.contract[source], sort_keys=True, default=str),
                 json.dumps(self.framework, sort_keys=True), self.salt, self.reference_digest,
                 json.dumps(options, sort_keys=True, default=str)]
        if source == "questionnaires":
            parts.append(pd.util.hash_pandas_object(self.bank[["question_code", "answer_type"]], index=False)
                         .astype(str).str.cat())
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass
class FileResult:
    """One raw file parsed: its record (provenance, rows read, error, notes), canonical rows, answers, problems."""

    record: dict
    rows: pd.DataFrame
    answers: pd.DataFrame
    problems: pd.DataFrame
    superseded: pd.DataFrame   # rows the file itself replaces (a BPS export's `-` row for a region listed twice)


def ingest_file(source: str, path: Path, record: dict, context: Context, options: dict) -> FileResult:
    """Return the canonical rows of one raw file and every problem found in it.

    An error nobody foresaw in reading one file is that file's error, not the run's: the others are still read.
    """
    try:
        return _ingest_file(source, path, record, context, options)
    except Exception as exc:  # noqa: BLE001 - one bad file never takes the refresh down
        logging.getLogger(__name__).warning("%s could not be read", record["source_file"], exc_info=True)
        return FileResult({**record, "rows_read": 0, "column_map": None, "notes": None,
                           "file_error": shorten(f"could not be read ({type(exc).__name__}: {exc}); please report "
                                                 "this file", LOG_TEXT_CHARS)},
                          pd.DataFrame(), pd.DataFrame(columns=ANSWER_COLUMNS), Problems(source, record["source_file"]).frame(),
                          NO_SUPERSEDED)


def _read(path: Path, spec: dict, known: set[str], options: dict) -> pd.DataFrame:
    """Return a raw file's rows: a BPS table export or a wide table as long rows where the source takes them."""
    titles = spec.get("indicator_titles")
    if titles and (export := bps.exported(path, titles)) is not None:
        return export
    raw = read_raw(path, known | {header_key(t) for entry in (titles or {}).values() for t in entry["match"]})
    if titles:
        found = match_columns([c for c in raw.columns if c not in (ROW_COLUMN, OVERFLOW_COLUMN)], spec["columns"])
        if "indicator_code" not in found and "indicator_value" not in found:
            wide = bps.melt_wide(raw, titles, found.get("year"), options.get("year"))
            if wide is not None:
                return wide
    return raw


def _export_elsewhere(path: Path, contracts: Contracts) -> str | None:
    """Return where a BPS table export belongs when it was put in a folder whose source does not take such exports."""
    takers = [source for source, spec in contracts.items() if spec.get("indicator_titles")]
    if not takers or not bps.looks_like_export(path):
        return None
    return f"this is a BPS table export (title and year lines above province blocks): move it to {takers[0]}/"


def _cell_rows(raw: pd.DataFrame, spec: dict, problems: Problems, context: Context,
               scheme: str | None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Return (rows with a value, superseded rows, notes) for a table read cell by cell (a BPS export, a table of one
    column per indicator), whose cells may be `-`.

    Province and national total rows are superseded by the kab/kota rows they total. A raw row whose every cell is
    `-` is superseded when the file gives the same region and indicator a value on another row (BPS lists a moved
    Papua region under its old province too), else quarantined as not published; `-` cells of a row that has values
    are counted in the notes. A raw row read into several values counts once in the row accounting.
    """
    optional = {**spec["columns"], "indicator_value": {**spec["columns"]["indicator_value"], "required": False}}
    rows = canonical_rows(raw, {**spec, "columns": optional}, problems, context.resolver, scheme, check_splits=False)
    superseded = [{"source": problems.source, "source_file": problems.source_file, "source_row": p["source_row"],
                   "record_key": p["value"], "superseded_by": "the kab/kota rows it totals",
                   "reason": f"a {'national' if p['rule'] == 'region_national_total' else 'province'} total of the "
                             "table; the kab/kota rows are read"}
                  for p in problems.rows if p["rule"] in TOTAL_RULES]
    problems.rows = [p for p in problems.rows if p["rule"] not in TOTAL_RULES]
    empty = rows["indicator_value"].isna()
    split = split_regions(rows, ~empty, "year", problems, context.resolver)
    valued = rows[~empty & ~split]
    with_values = rows.loc[~empty, "source_row"]
    blank = rows[empty & ~rows["source_row"].isin(with_values)]
    first = valued.drop_duplicates(["region_code", "indicator_code"]).set_index(["region_code", "indicator_code"])
    for row, group in blank.groupby("source_row", sort=True):
        region, code = group["region_code"].iloc[0], group["indicator_code"].iloc[0]
        years = ", ".join(str(y) for y in group["year"])
        if (region, code) in first.index:
            superseded.append({
                "source": problems.source, "source_file": problems.source_file, "source_row": int(row),
                "record_key": f"{region} | {years} | {code}", "superseded_by": f"row {first.loc[(region, code), 'source_row']}",
                "reason": f"no figure ('-') on this row; the file gives {region} {context.resolver.names[region]} a "
                          "value on another row"})
        else:
            problems.add(row, "indicator_value", "value_not_published", "-",
                         f"no figure ('-') for {region} {context.resolver.names[region]} in {years}: BPS publishes "
                         "none (the region did not exist yet, or the figure is withheld)")
    dashes = int((empty & rows["source_row"].isin(with_values)).sum())
    notes = [f"{dashes} {'cell' if dashes == 1 else 'cells'} without a figure ('-') beside values on the same row"
             ] if dashes else []
    return (valued.reset_index(drop=True),
            pd.DataFrame(superseded, columns=SUPERSEDED_COLUMNS).drop_duplicates(["source_row"], ignore_index=True),
            notes)


def _ingest_file(source: str, path: Path, record: dict, context: Context, options: dict) -> FileResult:
    spec = context.contract[source]
    problems = Problems(source, record["source_file"])
    known = known_headers(spec) | {header_key(c) for c in context.bank["question_code"]}
    empty = pd.DataFrame(columns=ANSWER_COLUMNS)
    scheme = options.get("code_scheme")
    try:
        if scheme is not None and scheme not in CODE_SCHEMES:
            raise UnreadableFile(f"the folder's _source.yaml says code_scheme: {shorten(scheme)}; it must be "
                                 f"{' or '.join(CODE_SCHEMES)}")
        raw = _read(path, spec, known, options)
        try:
            check_required_columns([c for c in raw.columns if c not in (ROW_COLUMN, OVERFLOW_COLUMN)],
                                   source, context.contract, context.bank["question_code"].tolist())
        except UnreadableFile:
            hint = _export_elsewhere(path, context.contract)
            if hint is None:
                raise
            raise UnreadableFile(hint) from None
        found = match_columns(list(raw.columns), spec["columns"])
        if context.resolver.bps is None and "region_code" in found and code_scheme(found, spec, scheme) == "bps":
            said = (f"column {shorten(found['region_code'])}" if code_scheme(found, spec, None) == "bps"
                    else "code_scheme: bps in _source.yaml")
            raise UnreadableFile(f"the region codes are BPS codes ({said}), but no BPS crosswalk is installed: put "
                                 f"BPS's bridging table at data/reference/{CROSSWALK.as_posix()} "
                                 "(docs/inputs.md, \"Region codes\")")
    except UnreadableFile as exc:
        return FileResult({**record, "rows_read": 0, "file_error": shorten(exc, LOG_TEXT_CHARS), "column_map": None,
                           "notes": None}, pd.DataFrame(), empty, problems.frame(), NO_SUPERSEDED)
    notes = [f"read as {'a BPS table export' if raw.attrs['layout'] == 'bps' else 'a table of one column per indicator'}: "
             f"{raw.attrs['title']}"] if raw.attrs.get("layout") else []
    if raw.attrs.get("note_rows"):
        rows_ = raw.attrs["note_rows"]
        notes.append(f"{len(rows_)} note rows below the data not read as data (rows {rows_[0]}-{rows_[-1]})")
    if source == "questionnaires" and context.bank.empty:
        return FileResult({**record, "rows_read": 0, "file_error": "no question bank was ingested: add one under "
                           "data/raw/question_bank/ so answers can be read", "column_map": None, "notes": None},
                          pd.DataFrame(), empty, problems.frame(), NO_SUPERSEDED)
    answers, superseded = empty, NO_SUPERSEDED
    if raw.attrs.get("layout"):
        rows, superseded, more = _cell_rows(raw, spec, problems, context, scheme)
        rows = framework_codes(rows, context.framework)
        notes += more
    else:
        rows = framework_codes(canonical_rows(raw, spec, problems, context.resolver, scheme), context.framework)
    if source == "questionnaires":
        rows, answers, more = submissions_and_answers(raw, rows, spec, context.bank, problems, context.salt)
    elif raw.attrs.get("layout") != "bps":
        more = ignored_columns_note(raw, set(found.values()))
    else:
        more = []
    notes += more
    record = {**record, "rows_read": int(raw[ROW_COLUMN].nunique()), "file_error": None,
              "column_map": json.dumps(found, ensure_ascii=False),
              "notes": shorten("; ".join(notes), LOG_TEXT_CHARS) or None}
    return FileResult(record, rows, answers, problems.frame(), superseded)


PARTS = ("rows", "answers", "problems", "superseded")


def _cached(cache_dir: Path, key: str) -> FileResult | None:
    folder = cache_dir / key
    if not (folder / "record.json").exists():
        return None
    try:
        return FileResult(json.loads((folder / "record.json").read_text(encoding="utf-8")),
                          *(pd.read_parquet(folder / f"{part}.parquet") for part in PARTS))
    except Exception:  # noqa: BLE001 - a damaged entry is parsed again: a cache never fails a run
        return None


def _store(cache_dir: Path, key: str, result: FileResult) -> None:
    folder = cache_dir / key
    partial = folder.with_name(key + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        getattr(result, part).to_parquet(partial / f"{part}.parquet", index=False)
    (partial / "record.json").write_text(json.dumps(result.record, ensure_ascii=False, default=str), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)   # a damaged entry that could not be read back
    partial.replace(folder)


def _prune(cache_dir: Path, used: set[str]) -> None:
    """Delete the cached parses this run did not use (other bytes, or parses by other code): the cache holds the
    current files' parses, not every version seen."""
    for folder in cache_dir.iterdir() if cache_dir.is_dir() else []:
        if folder.name not in used:
            shutil.rmtree(folder, ignore_errors=True)


class RawFileChanged(OSError):
    """A raw file's bytes differ from those the run planned with (it is being replaced): retry or leave it."""


def ingest(settings: Settings, framework: dict, expected: dict[str, str] | None = None) -> Staged:
    """Return canonical staging tables from every raw file, writing them to data/staging/ as Parquet.

    A file whose bytes and parsing contract are unchanged since an earlier run is not parsed again:
    its parse is read back from data/staging/cache/. With `expected` (path under data/raw/ -> sha256, the files a
    refresh planned with) only those files are read, and one whose bytes changed since raises RawFileChanged.
    """
    contracts = load_contracts(settings.sources_dir)
    context = Context(
        contract=contracts, framework=framework,
        resolver=reference.resolver(settings.reference_dir),
        salt=pii_salt(settings.salt_path), bank=NO_BANK, code=code_hash(["pipelines.ingest.run"]),
        reference_digest=folder_digest(settings.reference_dir))
    cache_dir, used = settings.staging_dir / "cache", set()
    results: dict[str, list[FileResult]] = {}
    for source, path in raw_files(settings.raw_dir, contracts):
        name = path.relative_to(settings.raw_dir).as_posix()
        if not is_inside(path, settings.raw_dir):
            # Reported whatever the plan fingerprinted: nothing of it is read, so it cannot have changed under us.
            record = {**provenance(source, path, settings.raw_dir), "rows_read": 0, "file_error": OUTSIDE_LINK,
                      "column_map": None, "notes": None, "was_parsed": False}
            results.setdefault(source, []).append(FileResult(
                record, pd.DataFrame(), pd.DataFrame(columns=ANSWER_COLUMNS), Problems(source, name).frame(),
                NO_SUPERSEDED))
            continue
        if expected is not None and name not in expected:
            continue
        record = provenance(source, path, settings.raw_dir)
        if expected is not None and record["sha256"] != expected[name]:
            raise RawFileChanged(f"{name} changed after this refresh fingerprinted it (it is being replaced)")
        options = parsing_options(path, settings.raw_dir)
        key = context.cache_key(source, record["source_file"], record["sha256"], options)
        used.add(key)
        result = _cached(cache_dir, key)
        if result is None:
            result = ingest_file(source, path, record, context, options)
            _store(cache_dir, key, result)
            result.record["was_parsed"] = True
        else:
            result.record.update({k: record[k] for k in ("source_file", "received_date", "publisher", "licence",
                                                        "is_synthetic")}, was_parsed=False)
        results.setdefault(source, []).append(result)
        if source == "question_bank":
            # Answers are read against every question delivered, so that an answer to a question the bank's
            # validation rejects is quarantined by name (validate checks answers against the codes that pass).
            good = [r.rows for r in results["question_bank"] if not r.rows.empty]
            context.bank = pd.concat(good, ignore_index=True) if good else context.bank
    _prune(cache_dir, used)
    ignored = ignored_files(settings.raw_dir, context.contract, context.bank["question_code"].tolist())
    return stage(results, context.contract, settings.staging_dir, ignored)


def key_conflicts(table: pd.DataFrame, source: str, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (rows with a unique key, quarantine rows for the others): rows that share a key with different values,
    each naming the key and the rows it clashes with. Run after exact duplicates are superseded."""
    if table.empty:
        return table, pd.DataFrame(columns=QUARANTINE_COLUMNS)
    folded = pd.DataFrame({c: _folded(table[c]) if _is_text(table[c]) else table[c] for c in key})
    clash = folded.duplicated(keep=False)
    problems: dict[str, Problems] = {}
    for _, group in table[clash].groupby([folded.loc[clash, c] for c in key], dropna=False, sort=False):
        refs = list(zip(group["source_file"], group["source_row"]))
        for file, row, values in zip(group["source_file"], group["source_row"], group[key].itertuples(index=False)):
            # At most three rows are named: a file repeating one key 10,000 times must not write 10,000² names.
            shown = [other for other in refs[:4] if other != (file, row)][:3]
            names = [f"row {r}" if f == file else f"{f} row {r}" for f, r in shown]
            more = f" and {len(refs) - 1 - len(shown)} more" if len(refs) - 1 > len(shown) else ""
            problems.setdefault(file, Problems(source, file)).add(
                row, None, "key_unique", " | ".join(map(str, values)),
                f"duplicate of {', '.join(names)}{more} for "
                f"{', '.join(f'{c} {shorten(v)}' for c, v in zip(key, values))} with different values; "
                "keep the correct one")
    return (table[~clash].reset_index(drop=True),
            _concat([p.frame() for p in problems.values()], QUARANTINE_COLUMNS))


def stage(results: dict[str, list[FileResult]], contract: Contracts, staging_dir: Path,
          ignored: list[tuple[str, str]]) -> Staged:
    """Return the staged tables from the per-file results (and the files ignored), written to data/staging/."""
    tables, clashes = {}, []
    superseded = [r.superseded for rs in results.values() for r in rs]
    answers = _concat([r.answers for rs in results.values() for r in rs], ANSWER_COLUMNS)
    for source, spec in contract.items():
        table = _concat([r.rows for r in results.get(source, [])], [])
        if table.empty:
            table = _empty_table(spec)
        kept, dropped = supersede(table, source, spec["key"], spec.get("supersede_by"))
        if source == "questionnaires" and not dropped.empty:
            dropped = pd.concat([dropped, _superseded_answer_rows(table, kept, answers)], ignore_index=True)
        if not spec.get("supersede_by"):
            kept, clashing = key_conflicts(kept, source, spec["key"])
            clashes.append(clashing)
        tables[spec["table"]] = kept
        superseded.append(dropped)
    answered = answers["submission_id"].isin(tables["questionnaire_submissions"]["submission_id"])
    # Usually every answer's submission is kept, and taking all 1.8 M rows of a national delivery costs seconds.
    tables["questionnaire_answers"] = answers if answered.all() else answers[answered].reset_index(drop=True)
    records = [r.record for rs in results.values() for r in rs]
    quarantine = _concat([r.problems for rs in results.values() for r in rs] + clashes, QUARANTINE_COLUMNS)
    superseded = _concat(superseded, SUPERSEDED_COLUMNS)
    # A long-layout row already quarantined (a bad answer) stays there even if its submission is replaced.
    out = quarantine.loc[quarantine["scope"] == "row", ["source_file", "source_row"]]
    superseded = superseded[~superseded.set_index(["source_file", "source_row"]).index.isin(
        out.set_index(["source_file", "source_row"]).index)].reset_index(drop=True)
    files = pd.DataFrame(records, columns=FILE_COLUMNS)
    # pandas 3 stores a text column with gaps as str with NaN, which is truthy: downstream `if f.file_error:` and
    # json.loads(column_map) need None.
    files[FILE_TEXT_COLUMNS] = files[FILE_TEXT_COLUMNS].astype(object).where(files[FILE_TEXT_COLUMNS].notna(), None)
    staged = Staged(
        tables=tables,
        quarantine=quarantine,
        superseded=superseded,
        files=files,
        ignored=pd.DataFrame(ignored, columns=IGNORED_COLUMNS, dtype=object),
    )
    write_staging(staged, staging_dir)
    return staged


def _superseded_answer_rows(table: pd.DataFrame, kept: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Return superseded records for the further rows of superseded long-layout submissions (one row per answer)."""
    gone = table[~table["submission_id"].isin(kept["submission_id"]) & (table["layout"] == "long")]
    rows = answers[answers["submission_id"].isin(gone["submission_id"])]
    rows = rows[~rows.set_index(["source_file", "source_row"]).index.isin(
        gone.set_index(["source_file", "source_row"]).index)].drop_duplicates(["source_file", "source_row"])
    return pd.DataFrame({"source": "questionnaires", "source_file": rows["source_file"], "source_row": rows["source_row"],
                         "record_key": rows["submission_id"], "superseded_by": "the same submission's first row",
                         "reason": "part of a submission replaced by a later one"}, columns=SUPERSEDED_COLUMNS)


def _empty_table(spec: dict) -> pd.DataFrame:
    columns = {name: pd.Series(dtype=DTYPES[c["type"]]) for name, c in spec["columns"].items() if c["type"] != "region_name"}
    columns |= {"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64")}
    if spec["table"] == "questionnaire_submissions":
        columns = {name: columns.get(name, pd.Series(dtype="str")) for name in SUBMISSION_FIELDS}
    return pd.DataFrame(columns)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def write_staging(staged: Staged, staging_dir: Path) -> None:
    """Write every staged table as Parquet under data/staging/."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    for name, table in {**staged.tables, "quarantine": staged.quarantine, "superseded": staged.superseded,
                        "raw_files": staged.files, "ignored_files": staged.ignored}.items():
        table.to_parquet(staging_dir / f"{name}.parquet", index=False)
