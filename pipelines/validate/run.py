"""Validate step: GX suites over the staged tables; failures to quarantine; curated Parquet + row accounting."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines import __version__, atomic
from pipelines.code import code_hash
from pipelines.ingest.canonical import QUARANTINE_COLUMNS
from pipelines.ingest.run import Staged
from pipelines.settings import Settings
from pipelines.sources import load_contracts
from pipelines.validate.gx import ResultCache, gx_context, parameters, validate_frame
from pipelines.validate.suites import suite_from_spec, table_specs

# What validation depends on besides the staged tables and its code (Settings attributes, see runs/plan.py).
READS = ("sources_dir", "framework_path", "reference_dir", "validation", "as_of_year")
LOG_COLUMNS = ["source_file", "source", "sha256", "rows_read", "rows_curated", "rows_quarantined", "rows_superseded",
               "cells_quarantined", "file_error", "notes", "was_parsed"]


class AccountingError(RuntimeError):
    """Rows read from a file do not equal curated + quarantined + superseded."""


@dataclass
class Curated:
    """The curated layer: validated tables plus quarantine, superseded, the ingest log and the suite results."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    superseded: pd.DataFrame
    ingest_log: pd.DataFrame
    raw_files: pd.DataFrame
    suites: list[dict]
    source_status: pd.DataFrame
    ignored: pd.DataFrame    # files under data/raw/ that were not read, with the reason (curated.ignored_files)


def build_validation_docs(context, site_dir: Path, params: dict | None = None,
                          checked: dict[str, tuple[pd.DataFrame, dict]] | None = None) -> None:
    """Build the GX Data Docs of this run's results into `site_dir` (the report publishes an offline copy).

    A suite's page shows the run's `params` where its rules refer to a parameter (GX would print `$PARAMETER`), and
    each per-file run is named after the raw file (and year) it checked; `checked` is table -> (frame, suite) as
    validated.
    """
    if site_dir.exists():
        shutil.rmtree(site_dir)
    if params is not None:
        _suites_with_parameters(context, params)
    if checked:
        _name_per_file_runs(context, per_file_run_names(checked))
    context.add_data_docs_site(site_name="validation", site_config={
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)}})
    context.build_data_docs(site_names=["validation"])


def _suites_with_parameters(context, params: dict) -> None:
    """Put the run's parameter values into the rules of every suite in `context`, for its Data Docs page.

    A suite holds `{"$PARAMETER": name}` where a value is known only at run time; GX's renderers print such a
    reference as `$PARAMETER`, since only a validation result has the values. The context is the run's own, and
    validation is over when the docs are built.
    """
    import great_expectations as gx
    from great_expectations.core.suite_parameters import build_suite_parameters

    for suite in sorted(context.suites.all(), key=lambda s: s.name):
        rules = suite.to_json_dict()["expectations"]
        context.suites.add_or_update(gx.ExpectationSuite(name=suite.name, expectations=[
            {"type": r["type"], "kwargs": build_suite_parameters(r["kwargs"], params)[0], "meta": r["meta"]}
            for r in rules]))


def per_file_run_names(checked: dict[str, tuple[pd.DataFrame, dict]]) -> dict[tuple[str, tuple[str, ...]], str]:
    """Return the name of each per-file GX run by (GX's fingerprint of the rows it checked, the columns its rules
    group by): the raw file's path inside its source folder, with the year for a rule checked per file and year.

    The rows of a file (and year) are found as gx.validate_frame splits them; the fingerprint ties each to its result.
    """
    from great_expectations.execution_engine.pandas_execution_engine import hash_pandas_dataframe

    names = {}
    for frame, suite in checked.values():
        file_level = [e for e in suite["expectations"] if e["meta"].get("level") == "file"]
        for group_by in sorted({tuple(e["meta"]["group_by"]) for e in file_level}) if not frame.empty else []:
            for key, part in frame.groupby(list(group_by), sort=True, dropna=False):
                names[(hash_pandas_dataframe(part.reset_index(drop=True)), group_by)] = _run_name(
                    dict(zip(group_by, key if isinstance(key, tuple) else (key,))))
    return names


def _run_name(group: dict) -> str:
    """Return a per-file run's name from its group's values: `ipm_2024.csv, whole file` or `ipm_2024.csv, year 2024`.

    A run's name is one folder of the docs' site: it has no "/" (the file's path inside its source folder is kept with
    "∕"), and it never ends like a data file (a folder `ipm_2024.csv` would be found by a search for CSV files).
    """
    name = str(group.pop("source_file", "")).split("/", 1)[-1].replace("/", "\u2215")
    parts = []
    for column, value in group.items():
        if pd.isna(value):
            value = "missing"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        parts.append(f"{column} {value}")
    return ", ".join([name, *(parts or ["whole file"])])


def _name_per_file_runs(context, names: dict[tuple[str, tuple[str, ...]], str]) -> None:
    """Give each per-file validation result in `context` the run name `names` has for it (the Data Docs put a run's
    name in its page's path and on the page)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    store = context.validation_results_store
    for key in store.list_keys():
        result = store.get(key)
        group_by = tuple(result.results[0].expectation_config.meta.get("group_by", ())) if result.results else ()
        name = names.get((result.meta.get("batch_markers", {}).get("pandas_data_fingerprint"), group_by))
        if not group_by or name is None:
            continue
        run_id = RunIdentifier(run_name=name, run_time=key.run_id.run_time)
        result.meta["run_id"] = run_id
        store.remove_key(key)
        store.set(ValidationResultIdentifier(key.expectation_suite_identifier, run_id, key.batch_identifier), result)


def quarantine_rows(frame: pd.DataFrame, failures: list[dict], source: str, scopes: list[str],
                    column_maps: dict[str, dict]) -> pd.DataFrame:
    """Return quarantine rows for the failing rows of a table; a table-level failure takes every row."""
    records = []
    for failure in failures:
        meta = failure["meta"]
        positions = failure["rows"]
        column = meta.get("column")
        for pos in positions:
            row = frame.iloc[pos]
            raw_column = column_maps.get(row["source_file"], {}).get(column, column) if column else None
            # An answer's column in the file: the question's own column in the wide layout (scope `cell`), the
            # answer column in the long one.
            if "source_column" in frame.columns and (column == "answer_value"
                                                     or (column == "question_code" and scopes[pos] == "cell")):
                raw_column = row["source_column"]
            value = row[column] if column in frame.columns else None
            message = meta["message"].format(observed=failure["observed"], limit=failure["limit"])
            if raw_column and column and raw_column != column and message.startswith(column):
                message = f"{raw_column} ({column}){message[len(column):]}"
            if meta.get("level") == "table":
                message += f" (observed: {failure['observed']})"
            if meta.get("fix"):
                message += f"; fix: {meta['fix']}"
            records.append({"source": source, "source_file": row["source_file"], "source_row": int(row["source_row"]),
                            "source_column": raw_column, "rule": f"{meta['rule']}: {failure['type']}",
                            "value": None if pd.isna(value) else str(value), "message": message, "scope": scopes[pos],
                            "stage": "validate"})
    return pd.DataFrame(records, columns=QUARANTINE_COLUMNS)


def row_scopes(table: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame], suite: dict) -> list[str]:
    """Return per row whether a failure removes the whole raw row or one cell of it.

    An answer of a wide submission is one cell of the submission's row; in the long layout it is the row.
    """
    if not suite["meta"]["cell_scope"]:
        return ["row"] * len(frame)
    layout = tables["questionnaire_submissions"].set_index("submission_id")["layout"]
    return frame["submission_id"].map(layout).eq("long").map({True: "row", False: "cell"}).tolist()


def quarantined_regions(quarantine: pd.DataFrame, staged: dict[str, pd.DataFrame]) -> pd.Series:
    """Return the region of each quarantined row where its file row reached a staged table (else missing).

    A row that failed validation, or a bad answer of a good submission, has a resolved region; a row whose region
    could not be read or resolved has none.
    """
    rows = [t[["source_file", "source_row", "region_code"]] for t in staged.values()
            if {"source_file", "source_row", "region_code"} <= set(t.columns)]
    known = pd.concat(rows, ignore_index=True).drop_duplicates(["source_file", "source_row"]) if rows else None
    if known is None or quarantine.empty:
        return pd.Series(None, index=quarantine.index, dtype="object")
    keys = pd.MultiIndex.from_frame(quarantine[["source_file", "source_row"]])
    return pd.Series(known.set_index(["source_file", "source_row"])["region_code"].reindex(keys).to_numpy(),
                     index=quarantine.index, dtype="object")


def orphaned_answer_rows(answers: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """Return quarantine rows for the answer rows of quarantined long-layout submissions (their other rows)."""
    first = submissions.set_index("submission_id")
    rows = answers[answers["submission_id"].map(first["layout"]) == "long"]
    rows = rows[rows["source_row"] != rows["submission_id"].map(first["source_row"])]
    rows = rows.drop_duplicates(["source_file", "source_row"])
    return pd.DataFrame({
        "source": "questionnaires", "source_file": rows["source_file"], "source_row": rows["source_row"],
        "source_column": None, "rule": "submission_quarantined", "value": rows["submission_id"],
        "message": "this answer belongs to a submission that was quarantined (see the submission's first row)",
        "scope": "row", "stage": "validate"}, columns=QUARANTINE_COLUMNS)


def curated_rows(tables: dict[str, pd.DataFrame], primary: dict[str, str]) -> pd.DataFrame:
    """Return the distinct (source_file, source_row) pairs that reached the curated layer.

    A wide questionnaire row is its submission; a long one is an answer row.
    """
    frames = [tables[table][["source_file", "source_row"]] for source, table in primary.items()
              if source != "questionnaires"]
    submissions = tables["questionnaire_submissions"]
    frames.append(submissions.loc[submissions["layout"] == "wide", ["source_file", "source_row"]])
    long_ids = submissions.loc[submissions["layout"] == "long", "submission_id"]
    answers = tables["questionnaire_answers"]
    frames.append(answers.loc[answers["submission_id"].isin(long_ids), ["source_file", "source_row"]])
    return pd.concat(frames, ignore_index=True).drop_duplicates()


def row_accounting(files: pd.DataFrame, tables: dict[str, pd.DataFrame], quarantine: pd.DataFrame,
                   superseded: pd.DataFrame, primary: dict[str, str]) -> pd.DataFrame:
    """Return curated.ingest_log: per raw file, rows read = curated + quarantined + superseded.

    A raw row read into several table rows (a BPS export of several years: one value per year) counts once: curated
    if any of its values is, else quarantined if any is, else superseded; a quarantined value of a curated row is a
    quarantined cell.
    """
    def keys(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_frame(frame[["source_file", "source_row"]]).drop_duplicates()

    def per_file(index: pd.MultiIndex) -> pd.Series:
        return index.to_frame(index=False).groupby("source_file").size()

    curated = keys(curated_rows(tables, primary))
    as_cell = (quarantine["scope"] == "cell") | pd.MultiIndex.from_frame(
        quarantine[["source_file", "source_row"]]).isin(curated)
    cells = quarantine[as_cell].groupby("source_file").size()
    quarantined = keys(quarantine[~as_cell]).difference(curated)
    gone = keys(superseded).difference(curated).difference(quarantined)
    log = files[["source_file", "source", "sha256", "rows_read", "file_error", "notes", "was_parsed"]].copy()
    log["rows_curated"] = log["source_file"].map(per_file(curated)).fillna(0).astype("int64")
    log["rows_quarantined"] = log["source_file"].map(per_file(quarantined)).fillna(0).astype("int64")
    log["rows_superseded"] = log["source_file"].map(per_file(gone)).fillna(0).astype("int64")
    log["cells_quarantined"] = log["source_file"].map(cells).fillna(0).astype("int64")
    log = log[LOG_COLUMNS]
    unreadable = log["file_error"].notna()
    wrong = log[~unreadable & (log["rows_read"] != log["rows_curated"] + log["rows_quarantined"] + log["rows_superseded"])]
    if not wrong.empty:
        detail = "; ".join(f"{r.source_file}: read {r.rows_read} ≠ curated {r.rows_curated} + quarantined "
                           f"{r.rows_quarantined} + superseded {r.rows_superseded}" for r in wrong.itertuples())
        raise AccountingError(f"row accounting does not add up: {detail}")
    return log


STATUS_COLUMNS = ["table", "source", "status", "reason", "version_used"]


def with_last_good(tables: dict[str, pd.DataFrame], summaries: list[dict], last_good_dir: Path,
                   source_of: dict[str, str]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return (tables for scoring, curated.source_status): a table that failed a table- or file-level gate is
    replaced by its last good version (or left empty if there is none); a table that passed becomes the last good.
    """
    last_good_dir.mkdir(parents=True, exist_ok=True)
    out, status = dict(tables), []
    # A source's tables belong together (the questionnaire's submissions and answers): if one fails a gate, all fall back.
    gates_by_source: dict[str, list[dict]] = {}
    for summary in summaries:
        gates_by_source.setdefault(source_of[summary["table"]], []).extend(
            f for f in summary["failures"] if f["level"] in ("table", "file"))
    for summary in summaries:
        table = summary["table"]
        source = source_of[table]
        gates = gates_by_source[source]
        path = last_good_dir / f"{table}.parquet"
        if not gates:
            atomic.write_parquet(tables[table], path)
            status.append({"table": table, "source": source, "status": "passed", "reason": None,
                           "version_used": "this run"})
            continue
        reason = "; ".join(sorted({f"{f['rule']} ({f['rows']} rows)" for f in gates}))
        if path.exists():
            out[table] = pd.read_parquet(path)
            files = ", ".join(sorted(out[table]["source_file"].unique())) or "no files"
            used = f"last good version ({len(out[table])} rows from {files})"
        else:
            out[table] = tables[table].iloc[0:0]
            used = "none: no earlier good version, the source is left out"
        status.append({"table": table, "source": source, "status": "failed", "reason": reason, "version_used": used})
    return out, pd.DataFrame(status, columns=STATUS_COLUMNS)


def withheld_sources(ingest_log: pd.DataFrame, source_status: pd.DataFrame) -> dict[str, str]:
    """Return, per source, why what depends on it must be withheld: its delivered files failed a validation gate
    and no earlier good version can stand in for them.
    """
    delivered = set(ingest_log["source"])
    failed = source_status[(source_status["status"] == "failed") & source_status["version_used"].str.startswith("none")]
    reasons: dict[str, list[str]] = {}
    for r in failed.itertuples():
        if r.source in delivered:
            reasons.setdefault(r.source, []).append(f"{r.table} failed the gate {r.reason}")
    return {source: "; ".join(why) + " and no earlier good version exists" for source, why in reasons.items()}


def inputs_hash(raw_files: pd.DataFrame) -> str:
    """Return one sha256 over the sorted (file, sha256) pairs of every raw input."""
    lines = sorted(f"{f}\t{h}" for f, h in zip(raw_files["source_file"], raw_files["sha256"]))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def validate(staged: Staged, settings: Settings, framework: dict, stage_key: str | None = None) -> Curated:
    """Return the curated layer from the staged tables, writing it to data/curated/ with a manifest.

    `stage_key` (the fingerprint of everything validation depends on) goes into the manifest, so that the next
    refresh can tell whether the curated layer is still current.
    """
    # Until the new manifest is written last, the curated layer counts as being rebuilt (a killed run is redone).
    (settings.curated_dir / "manifest.json").unlink(missing_ok=True)
    contracts = load_contracts(settings.sources_dir)
    primary = {source: spec["table"] for source, spec in contracts.items()}
    source_of = contracts.source_of()
    specs = table_specs(contracts)   # in validation order: answers are checked against the bank's surviving codes
    column_maps = {f: json.loads(m) for f, m in zip(staged.files["source_file"], staged.files["column_map"]) if m}
    delivered = set(staged.files["source"])
    context = gx_context()
    cache = ResultCache(settings.staging_dir / "validation_cache", code_hash(["pipelines.validate.run"]))
    params = parameters(settings, framework, [])
    tables, quarantined, summaries, checked = {}, [staged.quarantine], [], {}
    for table, spec in specs.items():
        frame = staged.tables[table].reset_index(drop=True)
        if table == "questionnaire_answers":
            kept = frame["submission_id"].isin(tables["questionnaire_submissions"]["submission_id"])
            quarantined.append(orphaned_answer_rows(frame[~kept], staged.tables["questionnaire_submissions"]))
            frame = frame[kept].reset_index(drop=True)
        suite = suite_from_spec(spec)
        checked[table] = (frame, suite)
        failures, summary = validate_frame(context, table, frame, suite, params, cache)
        scopes = row_scopes(table, frame, tables, suite)
        bad = quarantine_rows(frame, failures, source_of[table], scopes, column_maps)
        failed_positions = sorted({p for f in failures for p in f["rows"]})
        tables[table] = frame.drop(index=failed_positions).reset_index(drop=True)
        summary["rows_quarantined"] = len(failed_positions)
        summary["failures"] = [{"rule": f["meta"]["rule"], "column": f["meta"].get("column"), "type": f["type"],
                                "level": f["meta"].get("level", "row"), "rows": len(f["rows"])} for f in failures]
        if frame.empty and table != "questionnaire_answers" and source_of[table] in delivered:
            # Files arrived and none of their rows was curated (all unreadable or quarantined): a gate failure like too
            # low a coverage, so that the last good version stands in, or what depends on the source is withheld.
            summary["success"] = False
            summary["failures"].append({"rule": "nothing_curated", "column": None, "type": "delivery",
                                        "level": "table", "rows": 0})
        summaries.append(summary)
        quarantined.append(bad)
        if table == "question_bank":
            # Answers are checked against the questions that passed the bank's suite.
            params["question_codes"] = tables["question_bank"]["question_code"].tolist()
    quarantine = pd.concat([q for q in quarantined if not q.empty] or [staged.quarantine], ignore_index=True)
    quarantine = quarantine.sort_values(["source_file", "source_row", "source_column", "rule"], na_position="first",
                                        kind="stable").reset_index(drop=True)
    quarantine["region_code"] = quarantined_regions(quarantine, staged.tables)
    superseded = staged.superseded.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    log = row_accounting(staged.files, tables, quarantine, superseded, primary)
    tables, status = with_last_good(tables, summaries, settings.curated_dir / "last_good", source_of)
    build_validation_docs(context, settings.validation_docs_dir, params, checked)
    cache.prune()
    curated = Curated(tables=tables, quarantine=quarantine, superseded=superseded, ingest_log=log,
                      raw_files=staged.files.drop(columns=["rows_read", "column_map", "notes", "was_parsed"]),
                      suites=summaries, source_status=status, ignored=staged.ignored)
    write_curated(curated, settings.curated_dir, stage_key)
    return curated


def write_curated(curated: Curated, curated_dir: Path, stage_key: str | None = None) -> None:
    """Write every curated table as Parquet, the suite results, and manifest.json (last), under data/curated/."""
    curated_dir.mkdir(parents=True, exist_ok=True)
    outputs = {**curated.tables, "quarantine": curated.quarantine, "superseded": curated.superseded,
               "ingest_log": curated.ingest_log, "raw_files": curated.raw_files, "source_status": curated.source_status,
               "ignored_files": curated.ignored}
    for name, table in outputs.items():
        atomic.write_parquet(table, curated_dir / f"{name}.parquet")
    atomic.write_text(curated_dir / "validation.json", json.dumps(curated.suites, indent=2) + "\n")
    manifest = {
        "layer": "curated", "code_version": __version__, "stage_key": stage_key,
        "inputs_hash": inputs_hash(curated.raw_files),
        "inputs": curated.raw_files[["source_file", "sha256"]].to_dict("records"),
        "tables": {name: {"rows": len(table), "columns": list(table.columns)} for name, table in outputs.items()},
        "validation": {s["table"]: {"success": s["success"], "rows_quarantined": s["rows_quarantined"]}
                       for s in curated.suites},
    }
    atomic.write_text(curated_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def read_curated(curated_dir: Path) -> Curated:
    """Return the curated layer an earlier run wrote, without its data tables (scoring reads those from Parquet)."""
    def table(name: str) -> pd.DataFrame:
        return pd.read_parquet(curated_dir / f"{name}.parquet")

    return Curated(tables={}, quarantine=table("quarantine"), superseded=table("superseded"),
                   ingest_log=table("ingest_log"), raw_files=table("raw_files"),
                   suites=json.loads((curated_dir / "validation.json").read_text(encoding="utf-8")),
                   source_status=table("source_status"), ignored=table("ignored_files"))
