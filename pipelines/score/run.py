"""Score step: curated Parquet + methodology → data/warehouse.duckdb with the score.* tables."""

from __future__ import annotations

import graphlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import warehouse
from pipelines.ingest import reference
from pipelines.score import engine, evaluation, selection
from pipelines.score.cohort import CohortRuleError
from pipelines.score.methodology import Methodology
from pipelines.score.report_views import create_report_views, read_tables
from pipelines.settings import Settings
from pipelines.sources import Contracts, load_contracts
from pipelines.validate.run import withheld_sources

# What the scores depend on besides the curated layer, the methodology and this code (Settings attributes; the
# planner, runs/plan.py, fingerprints them): the contracts say which sources feed which index and part.
READS = ("sources_dir", "monte_carlo")
MODELS_DIR = Path(__file__).parent / "models"
# The phases of the score step in run order, with the tables each brings that no model file writes (the engine,
# evaluation.publish, the cohort step, part_status_table and keep_history write them in Python), which the model
# files therefore cannot tell. A model runs in the first phase that has every table it reads, after the models it
# reads (score.<name> is models/<name>.sql). The evaluation's rules, methodology.evaluation_*, count as the
# evaluation's own: a model that reads them, or reads such a model, is part of the evaluation, which may fail and
# be rolled back on its own.
PHASES = {"inputs": (),
          "results": ("score.index_*",),
          "evaluation": ("methodology.evaluation_*",),
          "history": ("score.evaluation_agreement", "score.cohort_*", "score.part_status", "history.*")}
_SCHEMAS = {"score", *(p.split(".")[0] for patterns in PHASES.values() for p in patterns)}
# The indices each part needs besides the sources that feed it (their contracts' `feeds`): the cohort is chosen on
# both indices, so it is withheld with either.
PART_INDICES = {"evaluation": [], "cohort": ["screening", "readiness"]}
# Where a row came from is left out of its fingerprint: the same values re-sent in another file hash the same.
LINEAGE_COLUMNS = ("source_file", "source_row", "source_column", "submission_id")
SCORE_COLUMNS = {"region_screening": "screening_index", "region_element": "element_score",
                 "region_dimension": "dimension_score", "region_aspect": "aspect_score",
                 "region_readiness": "readiness_index", "region_dimension_aspect": "cell_score"}
RANKS = {"region_screening": ("screening_index", "screening_rank"),
         "region_readiness": ("readiness_index", "readiness_rank")}


class ModelOrderError(ValueError):
    """Model files that cannot be put in order: they read each other in a cycle, or read an unknown score table."""


class ScoreCheckError(RuntimeError):
    """A scored table breaks an invariant (a score outside 0-100, a region lost, a rank missing)."""


@dataclass
class Scored:
    """What the score step produced: row counts per score table and the hashes they carry."""

    rows: dict[str, int]
    methodology_hash: str
    inputs_hash: str


def load_inputs(con: duckdb.DuckDBPyConnection, settings: Settings, methodology: Methodology, contracts: Contracts,
                inputs_hash: str, stage_key: str | None = None) -> None:
    """Replace the reference and methodology tables and the curated views of the warehouse with this run's inputs.

    `stage_key`, the fingerprint of everything the scores depend on, is kept in methodology.run; which sources feed
    each index (the contracts' `feeds`) in methodology.index_source, which region_mover.sql reads.
    """
    for schema in ("reference", "curated", "methodology", "score"):
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
    frames = {
        "reference.regions": reference.regions(settings.reference_dir),
        "reference.provinces": reference.provinces(settings.reference_dir),
        "methodology.parameter": methodology.parameter_table(),
        "methodology.node": pd.concat([m.nodes.assign(index_code=m.code, methodology_hash=m.hash)
                                       for m in methodology.indices], ignore_index=True),
        "methodology.readiness_dimension": methodology.dimension_table(),
        "methodology.readiness_aspect": methodology.aspect_table(),
        "methodology.answer_type": methodology.answer_type_table(),
        "methodology.evaluation_year": methodology.evaluation.year_table(),
        "methodology.evaluation_weight": methodology.evaluation.weight_table(),
        "methodology.evaluation_component": methodology.evaluation.component_label_table(),
        "methodology.monte_carlo": selection.monte_carlo_design(methodology, settings.monte_carlo),
        "methodology.monte_carlo_factor": selection.monte_carlo_factors(methodology),
        "methodology.index_source": pd.DataFrame([(m.code, s) for m in methodology.indices
                                                  for s in contracts.feeding(m.code)],
                                                 columns=["index_code", "source"], dtype=object),
        "methodology.run": pd.DataFrame([{"methodology_hash": methodology.hash, "inputs_hash": inputs_hash,
                                          "stage_key": stage_key}], dtype=object),
    }
    for name, frame in frames.items():
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    # The curated layer stays one copy, in Parquet: the warehouse sees it through views, so scoring does not
    # spend its time copying 1.8 M answers into the DuckDB file first.
    curated = sorted(settings.curated_dir.glob("*.parquet"))
    for path in curated:
        literal = str(path.resolve()).replace("'", "''")
        con.execute(f"CREATE VIEW curated.{path.stem} AS SELECT * FROM read_parquet('{literal}')")
    con.execute("CREATE VIEW curated.region_row AS " + region_rows_sql(contracts, {p.stem for p in curated}))


def region_rows_sql(contracts: Contracts, present: set[str]) -> str:
    """Return the SQL of curated.region_row: one row per row of every curated table with regions (of those
    `present`), with its source, region and a hash of what the row says (the fingerprints behind score.region_input).
    """
    lineage = ", ".join(f"'{c}'" for c in LINEAGE_COLUMNS)
    return " UNION ALL ".join(
        [f"SELECT '{spec['source']}' AS source, region_code, hash(t) AS row_hash FROM "
         f"(SELECT COLUMNS(lambda c: c NOT IN ({lineage})) FROM curated.{table}) t"
         for table, spec in contracts.tables().items() if "region_code" in spec["columns"] and table in present]
        or ["SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS region_code, NULL::UBIGINT AS row_hash WHERE false"])


def model_references(sql: str) -> set[str]:
    """Return the tables (schema.table, lower case) a model's SQL reads in the schemas its run order depends on."""
    return {table for table in read_tables(sql) if table.split(".")[0] in _SCHEMAS}


def _brought_by(table: str) -> int | None:
    """Return the position in PHASES of the phase that brings a table no model file writes (None: no phase does)."""
    return next((i for i, patterns in enumerate(PHASES.values()) if any(fnmatchcase(table, p) for p in patterns)), None)


def model_phases(models_dir: Path = MODELS_DIR) -> dict[str, list[str]]:
    """Return the models of models_dir/*.sql per phase of PHASES, each list in run order (a model after those it
    reads); raise ModelOrderError for models that read each other in a cycle or read an unknown score table.
    """
    reads = {path.stem: model_references(path.read_text(encoding="utf-8"))
             for path in sorted(models_dir.glob("*.sql")) if not path.stem.startswith("_")}
    sorter: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
    needs: dict[str, set[str]] = {}
    phase: dict[str, int] = {}
    for model, tables in reads.items():
        needs[model] = {t.split(".", 1)[1] for t in tables if t.startswith("score.") and t.split(".", 1)[1] in reads}
        phase[model] = 0
        for table in sorted(tables - {f"score.{m}" for m in needs[model]}):
            brought_by = _brought_by(table)
            if brought_by is None and table.startswith("score."):
                raise ModelOrderError(f"{models_dir.name}/{model}.sql reads {table}, which no model file "
                                      f"({table.split('.', 1)[1]}.sql) and no step of the score run writes")
            phase[model] = max(phase[model], brought_by or 0)
        sorter.add(model, *sorted(needs[model]))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " → ".join(f"{m}.sql" for m in reversed(exc.args[1]))
        raise ModelOrderError(f"{models_dir.name}: models read each other in a cycle: {cycle} "
                              "(each reads the next)") from exc
    order = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        for model in ready:
            phase[model] = max([phase[model], *(phase[m] for m in needs[model])])
        order += ready
        sorter.done(*ready)
    return {name: [m for m in order if phase[m] == i] for i, name in enumerate(PHASES)}


def run_models(con: duckdb.DuckDBPyConnection, models: list[str]) -> dict[str, int]:
    """Create score.<model> from each models/<model>.sql in order; return rows per table."""
    con.execute((MODELS_DIR / "_macros.sql").read_text(encoding="utf-8"))
    rows = {}
    for model in models:
        sql = (MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8")
        con.execute(f"CREATE OR REPLACE TABLE score.{model} AS {sql}")
        rows[model] = con.execute(f"SELECT count(*) FROM score.{model}").fetchall()[0][0]
    return rows


def run_indices(con: duckdb.DuckDBPyConnection, methodology: Methodology, inputs_hash: str,
                withheld: frozenset[str] = frozenset()) -> dict[str, int]:
    """Run the engine for every index of the methodology and publish its results to score.index_*.

    A `withheld` index gets no values, so every region's score and rank is missing rather than computed without
    one of its sources.
    """
    rows: dict[str, int] = {}
    for method in methodology.indices:
        inputs = method.doc["inputs"]
        values = f"(SELECT * FROM {inputs['values']} WHERE false)" if method.code in withheld else inputs["values"]
        engine.build(con, method, inputs["units"], values, inputs.get("indicators"))
        for table, count in engine.publish(con, method, inputs_hash).items():
            rows[table] = rows.get(table, 0) + count
    return rows


def keep_history(con: duckdb.DuckDBPyConnection) -> int:
    """Record this scoring run in history.score_run, and keep its node scores (history.index_node) and per-region
    input fingerprints (history.region_input) unless a run with the same stage key kept them; return the runs kept.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS history")
    con.execute("CREATE TABLE IF NOT EXISTS history.score_run "
                "(stage_key VARCHAR, methodology_hash VARCHAR, inputs_hash VARCHAR, scored_at TIMESTAMPTZ)")
    con.execute("INSERT INTO history.score_run SELECT stage_key, methodology_hash, inputs_hash, now() FROM methodology.run")
    for table, source in (("index_node", "score.index_node"), ("region_input", "score.region_input")):
        con.execute(f"CREATE TABLE IF NOT EXISTS history.{table} AS "
                    f"SELECT *, '' AS stage_key, now() AS scored_at FROM {source} WITH NO DATA")
        # Warehouses from before runs were keyed by stage get the columns; their earlier rows keep them empty.
        con.execute(f"ALTER TABLE history.{table} ADD COLUMN IF NOT EXISTS stage_key VARCHAR")
        con.execute(f"ALTER TABLE history.{table} ADD COLUMN IF NOT EXISTS scored_at TIMESTAMPTZ")
        con.execute(f"""INSERT INTO history.{table} BY NAME
                        SELECT t.*, run.stage_key, now() AS scored_at FROM {source} t CROSS JOIN methodology.run run
                        WHERE NOT EXISTS (SELECT 1 FROM history.{table} h WHERE h.stage_key = run.stage_key)""")
    return con.execute("SELECT count(DISTINCT stage_key) FROM history.index_node").fetchall()[0][0]


def check_scores(con: duckdb.DuckDBPyConnection) -> None:
    """Raise ScoreCheckError unless scores are within [0, 100], ranks are complete and no region was lost."""
    problems = []
    for table, column in SCORE_COLUMNS.items():
        bad = con.execute(f"SELECT count(*) FROM score.{table} WHERE {column} < 0 OR {column} > 100 OR isnan({column})").fetchall()[0][0]
        if bad:
            problems.append(f"score.{table}: {bad} values of {column} outside [0, 100]")
    for table, (index, rank) in RANKS.items():
        bad = con.execute(f"SELECT count(*) FROM score.{table} WHERE (({index}) IS NULL) <> (({rank}) IS NULL)").fetchall()[0][0]
        if bad:
            problems.append(f"score.{table}: {bad} rows where {index} and {rank} disagree on being present")
    regions, ranked = con.execute(
        "SELECT (SELECT count(*) FROM reference.regions), (SELECT count(DISTINCT region_code) FROM score.region_ranking)").fetchall()[0]
    if regions != ranked:
        problems.append(f"score.region_ranking has {ranked} regions, the reference {regions}")
    if problems:
        raise ScoreCheckError("; ".join(problems))


def _part(con: duckdb.DuckDBPyConnection, name: str, build: Callable[[], dict[str, int]],
          parts: list[dict]) -> dict[str, int]:
    """Return the rows of one part built in its own transaction; if it cannot be computed, roll it back and record
    why in `parts`, so that the rest of the scores is still published.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        rows = build()
        con.execute("COMMIT")
    except Exception as exc:  # noqa: BLE001 - any failure of a part leaves the other parts standing
        con.execute("ROLLBACK")
        reason = (f"{exc} (the rules are in cohort.yaml of the methodology folder)" if isinstance(exc, CohortRuleError)
                  else f"{type(exc).__name__}: {exc}")
        logging.getLogger(__name__).warning("%s not computed: %s", name, reason,
                                            exc_info=not isinstance(exc, CohortRuleError))
        parts.append({"part": name, "status": "missing", "reason": reason})
        return {}
    parts.append({"part": name, "status": "complete", "reason": None})
    return rows


def withheld_parts(withheld_by_source: dict[str, str], contracts: Contracts, indices: list[str]) -> list[dict]:
    """Return the indices and parts withheld because a source feeding them (its contract's `feeds`) failed its gates
    with nothing to stand in."""
    parts, withheld = [], {}
    for index in indices:
        why = [withheld_by_source[s] for s in contracts.feeding(index) if s in withheld_by_source]
        if why:
            withheld[index] = "; ".join(why)
            parts.append({"part": index, "status": "withheld", "reason": f"withheld: {withheld[index]}"})
    for part, needs in PART_INDICES.items():
        why = [withheld_by_source[s] for s in contracts.feeding(part) if s in withheld_by_source]
        why += [f"it needs the {i} index, which is withheld" for i in needs if i in withheld]
        if why:
            parts.append({"part": part, "status": "withheld", "reason": "withheld: " + "; ".join(why)})
    return parts


def part_status_table(con: duckdb.DuckDBPyConnection, parts: list[dict]) -> None:
    """Write score.part_status: each part of the scores, complete, missing (it failed) or withheld, and why."""
    con.register("incoming", pd.DataFrame(parts, columns=["part", "status", "reason"]).astype(object))
    con.execute("CREATE OR REPLACE TABLE score.part_status AS SELECT CAST(part AS VARCHAR) AS part, "
                "CAST(status AS VARCHAR) AS status, CAST(reason AS VARCHAR) AS reason FROM incoming")
    con.unregister("incoming")


def score(settings: Settings, methodology: Methodology, mapper: selection.Mapper | None = None,
          stage_key: str | None = None) -> Scored:
    """Return row counts of the score tables after building them in data/warehouse.duckdb.

    The indices must be computed; the evaluation and the cohort are parts that may fail on their own (an
    infeasible cohort rule, say): their tables are then missing and score.part_status says why. The warehouse is
    built in a copy beside the live file and renamed over it, so readers never block the refresh.
    `mapper` runs the cohort Monte Carlo's chunks (default: one after the other in this process); `stage_key` is
    stored with the scores so the next refresh can tell whether they are still current.
    """
    manifest = json.loads((settings.curated_dir / "manifest.json").read_text(encoding="utf-8"))
    # Scored outside a refresh (tests, benchmarks): the run is still identified by what it scored.
    stage_key = stage_key or hashlib.sha256(f"{manifest['inputs_hash']}:{methodology.hash}".encode()).hexdigest()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    withheld_by_source = withheld_sources(*(pd.read_parquet(settings.curated_dir / f"{name}.parquet")
                                            for name in ("ingest_log", "source_status")))
    contracts = load_contracts(settings.sources_dir)
    indices = [m.code for m in methodology.indices]
    parts = withheld_parts(withheld_by_source, contracts, indices)
    withheld = {p["part"] for p in parts}
    phases = model_phases()
    building = warehouse.start_building(settings.warehouse_path)
    with duckdb.connect(str(building)) as con:
        con.execute("BEGIN TRANSACTION")
        load_inputs(con, settings, methodology, contracts, manifest["inputs_hash"], stage_key)
        rows = run_models(con, phases["inputs"])
        rows.update(run_indices(con, methodology, manifest["inputs_hash"], frozenset(withheld & set(indices))))
        rows.update(run_models(con, phases["results"]))
        check_scores(con)
        con.execute("COMMIT")
        builds = {"evaluation": lambda: {**run_models(con, phases["evaluation"]), **evaluation.publish(con)},
                  "cohort": lambda: selection.run(con, methodology, **({"mapper": mapper} if mapper else {}))}
        for name, build in builds.items():
            if name not in withheld:
                rows.update(_part(con, name, build, parts))
        part_status_table(con, parts)
        con.execute("BEGIN TRANSACTION")
        keep_history(con)
        rows.update(run_models(con, phases["history"]))
        con.execute("COMMIT")
        # What the report reads: views over the finished tables (a part not computed leaves its views out).
        for view, reason in create_report_views(con).items():
            logging.getLogger(__name__).info("report.%s not built: %s", view, reason)
        con.execute("CHECKPOINT")
    warehouse.swap_in(building, settings.warehouse_path)
    return Scored(rows=rows, methodology_hash=methodology.hash, inputs_hash=manifest["inputs_hash"])


def read_scored(path: Path) -> Scored:
    """Return what an earlier score step left in the warehouse: row counts of the score tables and their hashes."""
    with warehouse.read(path) as con:
        methodology_hash, inputs_hash = con.execute("SELECT methodology_hash, inputs_hash FROM methodology.run").fetchall()[0]
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'score' "
                                            "ORDER BY table_name").fetchall()]
        rows = {t: con.execute(f"SELECT count(*) FROM score.{t}").fetchall()[0][0] for t in tables}
    return Scored(rows=rows, methodology_hash=methodology_hash, inputs_hash=inputs_hash)
