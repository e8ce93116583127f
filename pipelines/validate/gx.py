"""Great Expectations at work: a context, the run's parameters, and one suite run over a frame (whole or per file)."""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines import atomic
from pipelines.ingest import reference
from pipelines.settings import Settings


def gx_context():
    """Return a fresh ephemeral GX context, progress bars off (GX is imported here, not at start-up)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def parameters(settings: Settings, framework: dict, question_codes: list[str]) -> dict:
    """Return the suite parameters: reference code lists, the framework's vocabulary, the run's gates."""
    table = reference.regions(settings.reference_dir)
    regions = table["region_code"].tolist()
    provinces = reference.provinces(settings.reference_dir)["province_code"].tolist()
    share = float(settings.validation["coverage_min_pct"]) / 100
    autonomous = table[table["is_autonomous"]]
    return {
        "as_of_year": settings.as_of_year,
        "min_autonomous_regions": math.ceil(share * len(autonomous)),
        "min_autonomous_kota": math.ceil(share * (autonomous["region_type"] == "kota").sum()),
        "region_codes": regions,
        "region_or_province_codes": regions + provinces,
        "question_codes": question_codes,
        "dimensions": list(framework["dimensions"]),
        "dimensions_or_overall": [*framework["dimensions"], "overall"],
        "elements": [e for d in framework["dimensions"].values() for e in d["elements"]],
        "dimension_elements": [(d, e) for d, dim in framework["dimensions"].items() for e in dim["elements"]],
    }


# Per GX context, the validation definition made for each suite name and the expectations it was made with: making
# one saves the context's configuration as YAML (its datasource, asset and batch definition), which costs more than
# validating a small file, so each suite is made once per context and then run on every frame it checks.
_DEFINITIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _run(context, name: str, frame: pd.DataFrame, expectations: list[dict], params: dict):
    """Return the results of one suite on one frame, stored in the context for the Data Docs."""
    import great_expectations as gx

    made = _DEFINITIONS.setdefault(context, {})
    key = json.dumps(expectations, sort_keys=True, default=str)
    if made.get(name, (None,))[0] != key:
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        batch = (context.data_sources.add_or_update_pandas(f"src_{name}").add_dataframe_asset(name)
                 .add_batch_definition_whole_dataframe("all"))
        made[name] = (key, context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)))
    return made[name][1].run(batch_parameters={"dataframe": frame}, expectation_parameters=params,
                             result_format={"result_format": "COMPLETE"}).results


def _failure(r, frame: pd.DataFrame, table: str, positions: list[int] | None = None) -> dict:
    meta = dict(r.expectation_config.meta)
    if r.exception_info and r.exception_info.get("raised_exception"):
        columns = {meta.get("column"), r.expectation_config.kwargs.get("column")} - {None}
        if not columns - set(frame.columns):
            raise RuntimeError(f"suite {table}: {r.expectation_config.type} could not run: "
                               f"{r.exception_info.get('exception_message')}")
        # A missing column: the schema rule reports it; the whole table fails.
        meta = {**meta, "level": "table", "message": f"column {meta.get('column')} is missing"}
    if meta.get("level") in ("table", "file"):
        rows = list(range(len(frame))) if positions is None else positions
    else:
        rows = sorted(int(i) for i in r.result.get("unexpected_index_list") or [])
    kwargs = r.expectation_config.kwargs
    return {"type": r.expectation_config.type, "meta": meta, "rows": rows, "observed": r.result.get("observed_value"),
            "limit": kwargs.get("max_value", kwargs.get("min_value"))}


def _plain(value: object) -> object:
    """Return `value` as JSON holds it and reads it back the same: str, int, float, bool, None, lists and dicts of
    them; NumPy integers and booleans become Python's. Anything else (a tuple, an array, float32, a key that is not
    text) raises TypeError, and the entry is not stored."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v) for k, v in value.items()}
    raise TypeError(f"{type(value).__name__} does not read back from JSON as it was")


class ResultCache:
    """Suite results kept between runs in a folder, by everything they depend on: the frame's rows, the suite, the
    parameters, the validation code and the versions of GX, pandas and NumPy. A table whose rows did not change is
    not validated again (a nightly run that brings one statistics file re-validates that table only), and its stored
    GX results go back into the context, so that the Data Docs still show every table."""

    def __init__(self, folder: Path, code: str):
        self.folder, self.code, self.used = folder, code, set()

    def key(self, table: str, frame: pd.DataFrame, suite_json: dict, params: dict) -> str:
        """Return the key of one suite's results on `frame` with `params`."""
        import great_expectations as gx

        head = json.dumps([table, list(frame.columns), frame.dtypes.astype(str).tolist(), suite_json, params,
                           self.code, gx.__version__, pd.__version__, np.__version__], sort_keys=True, default=str)
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        return hashlib.sha256(head.encode() + rows.tobytes()).hexdigest()

    def get(self, key: str) -> dict | None:
        """Return the entry stored under `key` (None if there is none), and keep it for the next run."""
        path = self.folder / f"{key}.json"
        self.used.add(path.name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, entry: dict) -> None:
        """Store `entry` (failures, summary, the GX results for the Data Docs) under `key`; an entry JSON cannot
        hold (an observed value of another type) is not stored, and the table is validated again next time."""
        try:
            text = json.dumps(_plain(entry))
        except (TypeError, ValueError):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.folder / f"{key}.json", text)
        self.used.add(f"{key}.json")

    def prune(self) -> None:
        """Delete the entries this run did not use: the cache holds one run's tables, not every version seen."""
        for path in self.folder.glob("*.json") if self.folder.is_dir() else []:
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def _restore(context, entry: dict) -> bool:
    """Put a cached entry's suites and GX results into `context`, as if its runs had been made there; return False
    (and put nothing) if its results cannot be read back, so that the table is validated again."""
    import great_expectations as gx

    store = context.validation_results_store
    try:
        results = [(store.tuple_to_key(tuple(key)), store.deserialize(result)) for key, result in entry["results"]]
        suites = [gx.ExpectationSuite(name=name, expectations=rules) for name, rules in entry["suites"].items()]
    except Exception:  # noqa: BLE001 - an entry another GX wrote, or a damaged file: a cache never fails a run
        return False
    for suite in suites:
        context.suites.add_or_update(suite)
    for key, result in results:
        store.set(key, result)
    return True


def validate_frame(context, table: str, frame: pd.DataFrame, suite_json: dict, params: dict,
                   cache: ResultCache | None = None) -> tuple[list[dict], dict]:
    """Return (failures, each with the row positions it takes out, summary) for one table.

    Row and table rules run on the whole table; file rules run per raw file (and year) and take out
    every row of a failing file. With a `cache`, results stored for the same rows, suite and parameters are reused.
    """
    if frame.empty:
        # Nothing arrived for this table: no row can fail, and GX's fixed cost (about 0.5 s) is saved.
        return [], {"table": table, "success": True, "rows": 0, "expectations": 0, "failed_expectations": 0}
    if cache is None:
        return _validate(context, table, frame, suite_json, params)[:2]
    key = cache.key(table, frame, suite_json, params)
    entry = cache.get(key)
    if entry is not None and _restore(context, entry):
        return entry["failures"], entry["summary"]
    store = context.validation_results_store
    before = set(store.list_keys())
    failures, summary, suites = _validate(context, table, frame, suite_json, params)
    cache.put(key, {"failures": failures, "summary": summary, "suites": suites, "results": [
        [list(store.key_to_tuple(k)), store.serialize(store.get(k))] for k in store.list_keys() if k not in before]})
    return failures, summary


def _validate(context, table: str, frame: pd.DataFrame, suite_json: dict,
              params: dict) -> tuple[list[dict], dict, dict[str, list[dict]]]:
    """Return the failures and summary of one table's suite run in `context`, and the suites run (name ->
    expectations)."""
    file_level = [e for e in suite_json["expectations"] if e["meta"].get("level") == "file"]
    whole = [e for e in suite_json["expectations"] if e["meta"].get("level") != "file"]
    suites = {table: whole}
    results = _run(context, table, frame, whole, params)
    failures = [_failure(r, frame, table) for r in results if not r.success]
    if file_level and not any(f["meta"].get("level") == "table" for f in failures):
        for group_by in sorted({tuple(e["meta"]["group_by"]) for e in file_level}):
            rules = [e for e in file_level if tuple(e["meta"]["group_by"]) == group_by]
            suites[f"{table} per file"] = rules
            for _, part in frame.groupby(list(group_by), sort=True, dropna=False):
                checked = _run(context, f"{table} per file", part.reset_index(drop=True), rules, params)
                results += checked
                failures += [_failure(r, part, table, part.index.tolist()) for r in checked if not r.success]
    summary = {"table": table, "success": not failures, "rows": len(frame),
               "expectations": len(results), "failed_expectations": len(failures)}
    return failures, summary, suites
