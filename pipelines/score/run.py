"""Score step: curated Parquet + methodology → data/warehouse.duckdb with the score.* tables."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import warehouse
from pipelines.ingest import reference
from pipelines.score import engine, evaluation, selection
from pipelines.score.cohort import CohortRuleError
from pipelines.score.methodology import Methodology
from pipelines.settings import Settings
from pipelines.validate.run import withheld_sources

MODELS_DIR = Path(__file__).parent / "models"
# Run order: the engine's inputs, then (after the engine has run every index) the region views of its results.
INPUT_MODELS = ["screening_unit", "screening_value", "readiness_period", "readiness_unit", "readiness_indicator",
                "readiness_value"]
RESULT_MODELS = ["region_screening", "region_element", "region_dimension", "region_aspect", "region_dimension_aspect",
                 "region_readiness", "region_profile", "region_ranking", "cohort_shortlist", "region_input"]
# Models over this run and the earlier ones kept in history.*: they run after this run is added to it.
HISTORY_MODELS = ["previous_run", "region_mover"]
# The curated sources each index reads through its input models (screening_value.sql, readiness_*.sql), and those
# each part reads besides the indices: what is withheld when a source fails its gates with nothing to stand in.
# Kept in the warehouse as methodology.index_source (region_mover.sql names the sources that move an index).
INDEX_SOURCES = {"screening": ["fiscal_capacity", "government_performance", "sustainability", "indicators"],
                 "readiness": ["question_bank", "questionnaires"]}
# The evaluation's Smart Province roll-up counts the programme's members (province_rollup.sql).
PART_NEEDS = {"evaluation": {"sources": ["evaluations", "cohorts"], "indices": []},
              "cohort": {"sources": ["cohorts"], "indices": ["screening", "readiness"]}}
SCORE_COLUMNS = {"region_screening": "screening_index", "region_element": "element_score",
                 "region_dimension": "dimension_score", "region_aspect": "aspect_score",
                 "region_readiness": "readiness_index", "region_dimension_aspect": "cell_score"}
RANKS = {"region_screening": ("screening_index", "screening_rank"),
         "region_readiness": ("readiness_index", "readiness_rank")}


class ScoreCheckError(RuntimeError):
    """A scored table breaks an invariant (a score outside 0-100, a region lost, a rank missing)."""


@dataclass
class Scored:
    """What the score step produced: row counts per score table and the hashes they carry."""

    rows: dict[str, int]
    methodology_hash: str
    inputs_hash: str


def load_inputs(con: duckdb.DuckDBPyConnection, settings: Settings, methodology: Methodology, inputs_hash: str,
                stage_key: str | None = None) -> None:
    """Replace the reference and methodology tables and the curated views of the warehouse with this run's inputs.

    `stage_key`, the fingerprint of everything the scores depend on, is kept in methodology.run.
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
        "methodology.index_source": pd.DataFrame([(i, s) for i, sources in INDEX_SOURCES.items() for s in sources],
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
    for path in sorted(settings.curated_dir.glob("*.parquet")):
        literal = str(path.resolve()).replace("'", "''")
        con.execute(f"CREATE VIEW curated.{path.stem} AS SELECT * FROM read_parquet('{literal}')")


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


def withheld_parts(withheld_by_source: dict[str, str]) -> list[dict]:
    """Return the indices and parts withheld because a source they read failed its gates with nothing to stand in."""
    parts, indices = [], {}
    for index, sources in INDEX_SOURCES.items():
        why = [withheld_by_source[s] for s in sources if s in withheld_by_source]
        if why:
            indices[index] = "; ".join(why)
            parts.append({"part": index, "status": "withheld", "reason": f"withheld: {indices[index]}"})
    for part, needs in PART_NEEDS.items():
        why = [withheld_by_source[s] for s in needs["sources"] if s in withheld_by_source]
        why += [f"it needs the {i} index, which is withheld" for i in needs["indices"] if i in indices]
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
    parts = withheld_parts(withheld_by_source)
    withheld = {p["part"] for p in parts}
    building = warehouse.start_building(settings.warehouse_path)
    with duckdb.connect(str(building)) as con:
        con.execute("BEGIN TRANSACTION")
        load_inputs(con, settings, methodology, manifest["inputs_hash"], stage_key)
        rows = run_models(con, INPUT_MODELS)
        rows.update(run_indices(con, methodology, manifest["inputs_hash"], frozenset(withheld & set(INDEX_SOURCES))))
        rows.update(run_models(con, RESULT_MODELS))
        check_scores(con)
        con.execute("COMMIT")
        builds = {"evaluation": lambda: {**run_models(con, evaluation.MODELS), **evaluation.publish(con)},
                  "cohort": lambda: selection.run(con, methodology, manifest["inputs_hash"],
                                                  **({"mapper": mapper} if mapper else {}))}
        for name, build in builds.items():
            if name not in withheld:
                rows.update(_part(con, name, build, parts))
        part_status_table(con, parts)
        con.execute("BEGIN TRANSACTION")
        keep_history(con)
        rows.update(run_models(con, HISTORY_MODELS))
        con.execute("COMMIT")
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
