"""Ingest step: every raw file under data/raw/<source>/ → canonical staging tables, quarantine, superseded."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipelines.ingest import parsers, reference
from pipelines.ingest.canonical import (
    QUARANTINE_COLUMNS, Problems, canonical_rows, match_columns, parse_column, parse_values, salted_hash,
)
from pipelines.ingest.readers import ROW_COLUMN, UnreadableFile, header_key, read_raw
from pipelines.ingest.regions import RegionResolver
from pipelines.settings import Settings, load_yaml

# Question bank first: questionnaires are read against it.
SOURCE_ORDER = ["question_bank", "fiscal_capacity", "government_performance", "sustainability", "indicators",
                "cohorts", "questionnaires"]
SIDECAR = "_source.yaml"
SUPERSEDED_COLUMNS = ["source", "source_file", "source_row", "record_key", "superseded_by", "reason"]
FILE_COLUMNS = ["source_file", "source", "sha256", "size_bytes", "received_date", "publisher", "licence",
                "is_synthetic", "rows_read", "file_error", "column_map", "notes"]
ANSWER_PARSERS = {"scale_1_5": parsers.parse_scale, "yes_no": parsers.parse_yes_no}


@dataclass
class Staged:
    """What ingest produced: canonical tables by name, and the run's quarantine, superseded and file records."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    superseded: pd.DataFrame
    files: pd.DataFrame


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_files(raw_dir: Path) -> list[tuple[str, Path]]:
    """Return (source, path) for every raw file, sources in ingest order, files sorted by name."""
    found = []
    for source in SOURCE_ORDER:
        folder = raw_dir / source
        if folder.is_dir():
            found += [(source, p) for p in sorted(folder.rglob("*"))
                      if p.is_file() and p.name != SIDECAR and not p.name.startswith((".", "~$"))]
    return found


def provenance(source: str, path: Path, raw_dir: Path) -> dict:
    """Return the provenance record of a raw file: hash, size, date received, publisher and licence."""
    sidecar = path.parent / SIDECAR
    meta = load_yaml(sidecar) if sidecar.exists() else {}
    stat = path.stat()
    return {
        "source_file": path.relative_to(raw_dir).as_posix(), "source": source, "sha256": file_sha256(path),
        "size_bytes": stat.st_size,
        "received_date": datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc).date().isoformat(),
        "publisher": meta.get("publisher"), "licence": meta.get("licence"),
        "is_synthetic": bool(meta.get("synthetic", False)),
    }


def pii_salt(settings: Settings) -> str:
    """Return this installation's salt for respondent hashes, creating it on first use (never committed)."""
    path = settings.data_dir / ".pii_salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()


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


def question_bank_rows(rows: pd.DataFrame, framework: dict) -> pd.DataFrame:
    """Return question-bank rows with dimension, element and aspect spelled as framework codes."""
    vocab = canonical_vocabulary(framework)
    out = rows.copy()
    for column, mapping in vocab.items():
        out[column] = out[column].map(lambda v, m=mapping: m.get(str(v).strip().lower(), str(v).strip().lower()))
    out["question_code"] = out["question_code"].str.upper()
    return out


ANSWER_COLUMNS = ["submission_id", "region_code", "period", "question_code", "answer_type", "answer_raw", "answer_value",
                  "source_file", "source_row", "source_column"]


def answers_from_wide(raw: pd.DataFrame, submissions: pd.DataFrame, bank: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Return questionnaire_answers (one row per good submission × question column); unreadable answers are quarantined."""
    by_key = {header_key(code): code for code in bank["question_code"]}
    columns = {c: by_key[header_key(c)] for c in raw.columns if header_key(c) in by_key}
    good = raw.loc[raw[ROW_COLUMN].isin(submissions["source_row"]), [ROW_COLUMN, *columns]]
    long = good.melt(id_vars=ROW_COLUMN, var_name="source_column", value_name="answer")
    long["question_code"] = long["source_column"].map(columns)
    long["answer_type"] = long["question_code"].map(dict(zip(bank["question_code"], bank["answer_type"])))
    long["answer_value"] = pd.Series(None, index=long.index, dtype=object)
    long["error"] = pd.Series(None, index=long.index, dtype=object)
    for answer_type, part in long.groupby("answer_type", sort=True):
        if answer_type == "text":
            continue
        if answer_type == "number":
            parsed, errors = parse_column(part["answer"], "number")
        else:
            parsed, errors = parse_values(part["answer"], ANSWER_PARSERS[answer_type])
        long.loc[part.index, "answer_value"] = parsed
        long.loc[part.index, "error"] = errors
    failed = long["error"].notna()
    for row, column, value, code, message in long.loc[failed, [ROW_COLUMN, "source_column", "answer", "question_code",
                                                                "error"]].itertuples(index=False):
        problems.add(row, column, "answer_unreadable", value, f"answer to {code}: {message}", scope="cell")
    long = long[~failed]
    meta = submissions.set_index("source_row")
    answers = pd.DataFrame({
        "submission_id": long[ROW_COLUMN].map(meta["submission_id"]),
        "region_code": long[ROW_COLUMN].map(meta["region_code"]),
        "period": long[ROW_COLUMN].map(meta["period"]),
        "question_code": long["question_code"],
        "answer_type": long["answer_type"],
        "answer_raw": long["answer"].map(lambda v: None if parsers.is_missing(v) else str(v)),
        "answer_value": long["answer_value"],
        "source_file": problems.source_file,
        "source_row": long[ROW_COLUMN],
        "source_column": long["source_column"],
    }, columns=ANSWER_COLUMNS)
    return answers.astype({"period": "Int64", "source_row": "int64", "answer_raw": "str", "answer_value": "float64"})


def supersede(table: pd.DataFrame, source: str, key: list[str], order_by: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (kept, superseded): the latest row per key when `order_by` is set, else exact duplicates removed."""
    if table.empty:
        return table, pd.DataFrame(columns=SUPERSEDED_COLUMNS)
    if order_by:
        ordered = table.sort_values([*key, order_by, "source_file", "source_row"], kind="stable")
        group_cols = key
        reason = f"a later submission for the same {', '.join(key)} (by {order_by}) replaces it"
    else:
        content = [c for c in table.columns if c not in ("source_file", "source_row")]
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
    kept = ordered[~is_dup].sort_values(["source_file", "source_row"]).reset_index(drop=True)
    return kept, superseded.reset_index(drop=True)


def ingest(settings: Settings) -> Staged:
    """Return canonical staging tables from every raw file, writing them to data/staging/ as Parquet."""
    contract = load_yaml(settings.config_dir / "sources.yaml")["sources"]
    framework = load_yaml(settings.methodology_dir / "framework.yaml")
    resolver = RegionResolver(reference.regions(settings.reference_dir), reference.provinces(settings.reference_dir))
    salt = pii_salt(settings)
    frames: dict[str, list[pd.DataFrame]] = {}
    answers: list[pd.DataFrame] = []
    problems_all: list[pd.DataFrame] = []
    file_records = []
    for source, path in raw_files(settings.raw_dir):
        spec = contract[source]
        record = provenance(source, path, settings.raw_dir)
        problems = Problems(source, record["source_file"])
        bank = pd.concat(frames.get("question_bank", []) or [pd.DataFrame(columns=["question_code", "answer_type"])])
        known = {header_key(a) for name, col in spec["columns"].items() for a in [name, *col.get("aliases", [])]}
        known |= {header_key(c) for c in bank["question_code"]}
        notes = []
        try:
            raw = read_raw(path, known)
        except UnreadableFile as exc:
            file_records.append({**record, "rows_read": 0, "file_error": str(exc), "column_map": None, "notes": None})
            continue
        found = match_columns(list(raw.columns), spec["columns"])
        rows = canonical_rows(raw, spec, problems, resolver)
        if source == "question_bank":
            rows = question_bank_rows(rows, framework)
        if source == "questionnaires":
            if bank.empty:
                file_records.append({**record, "rows_read": len(raw), "file_error": "no question bank was ingested: "
                                     "add one under data/raw/question_bank/ so answers can be read", "column_map": None,
                                     "notes": None})
                continue
            personal = [c for c in raw.columns if header_key(c) in {header_key(p) for p in spec["personal_columns"]}]
            by_row = raw.set_index(ROW_COLUMN)[personal]
            rows["respondent_hash"] = [salted_hash(list(by_row.loc[r]), salt) for r in rows["source_row"]]
            rows.insert(0, "submission_id", rows["source_file"] + "#" + rows["source_row"].astype(str))
            answers.append(answers_from_wide(raw, rows, bank, problems))
            question_keys = {header_key(c) for c in bank["question_code"]}
            used = set(found.values()) | set(personal) | {ROW_COLUMN, "source_overflow"}
            ignored = [c for c in raw.columns if c not in used and header_key(c) not in question_keys]
            if ignored:
                notes.append("columns not in the contract, ignored: " + ", ".join(ignored))
        frames.setdefault(source, []).append(rows)
        problems_all.append(problems.frame())
        file_records.append({**record, "rows_read": len(raw), "file_error": None,
                             "column_map": json.dumps(found, ensure_ascii=False), "notes": "; ".join(notes) or None})

    tables, superseded = {}, []
    for source, spec in contract.items():
        parts = frames.get(source, [])
        table = pd.concat(parts, ignore_index=True) if parts else canonical_rows(_empty_raw(), spec, Problems(source, ""), resolver)
        if source == "questionnaires" and not parts:
            table.insert(0, "submission_id", pd.Series(dtype="str"))
            table["respondent_hash"] = pd.Series(dtype="str")
        kept, dropped = supersede(table, source, spec["key"], spec.get("supersede_by"))
        tables[spec["table"]] = kept
        superseded.append(dropped)
    answer_table = pd.concat(answers, ignore_index=True) if answers else answers_from_wide(
        _empty_raw(), tables["questionnaire_submissions"], pd.DataFrame(columns=["question_code", "answer_type"]), Problems("questionnaires", ""))
    tables["questionnaire_answers"] = answer_table[answer_table["submission_id"].isin(
        tables["questionnaire_submissions"]["submission_id"])].reset_index(drop=True)
    staged = Staged(
        tables=tables,
        quarantine=_concat(problems_all, QUARANTINE_COLUMNS),
        superseded=_concat(superseded, SUPERSEDED_COLUMNS),
        files=pd.DataFrame(file_records, columns=FILE_COLUMNS),
    )
    write_staging(staged, settings.staging_dir)
    return staged


def _empty_raw() -> pd.DataFrame:
    return pd.DataFrame({ROW_COLUMN: pd.Series(dtype="int64"), "source_overflow": pd.Series(dtype=object)})


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def write_staging(staged: Staged, staging_dir: Path) -> None:
    """Write every staged table as Parquet under data/staging/."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    for name, table in {**staged.tables, "quarantine": staged.quarantine, "superseded": staged.superseded,
                        "raw_files": staged.files}.items():
        table.to_parquet(staging_dir / f"{name}.parquet", index=False)


def read_staging(staging_dir: Path) -> Staged:
    """Return the staged tables written by the last ingest."""
    tables = {p.stem: pd.read_parquet(p) for p in sorted(staging_dir.glob("*.parquet"))}
    return Staged(
        quarantine=tables.pop("quarantine"), superseded=tables.pop("superseded"), files=tables.pop("raw_files"),
        tables=tables,
    )
