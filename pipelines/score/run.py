"""Score step: curated Parquet + methodology → data/warehouse.duckdb with the score.* tables."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest import reference
from pipelines.score import engine, evaluation, selection
from pipelines.score.methodology import Methodology
from pipelines.settings import Settings

MODELS_DIR = Path(__file__).parent / "models"
# Run order: the engine's inputs, then (after the engine has run every index) the region views of its results.
INPUT_MODELS = ["screening_unit", "screening_value", "readiness_period", "readiness_unit", "readiness_indicator",
                "readiness_value"]
RESULT_MODELS = ["region_screening", "region_element", "region_dimension", "region_aspect", "region_dimension_aspect",
                 "region_readiness", "region_profile", "region_ranking", "cohort_shortlist", "region_input"]
# Models over this run and the earlier ones kept in history.*: they run after this run is added to it.
HISTORY_MODELS = ["previous_run", "region_mover"]
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


def run_indices(con: duckdb.DuckDBPyConnection, methodology: Methodology, inputs_hash: str) -> dict[str, int]:
    """Run the engine for every index of the methodology and publish its results to score.index_*."""
    rows: dict[str, int] = {}
    for method in methodology.indices:
        inputs = method.doc["inputs"]
        engine.build(con, method, inputs["units"], inputs["values"], inputs.get("indicators"))
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


def score(settings: Settings, methodology: Methodology, mapper: selection.Mapper | None = None,
          stage_key: str | None = None) -> Scored:
    """Return row counts of the score tables after building them in data/warehouse.duckdb.

    `mapper` runs the cohort Monte Carlo's chunks (default: one after the other in this process); `stage_key` is
    stored with the scores so the next refresh can tell whether they are still current.
    """
    manifest = json.loads((settings.curated_dir / "manifest.json").read_text(encoding="utf-8"))
    # Scored outside a refresh (tests, benchmarks): the run is still identified by what it scored.
    stage_key = stage_key or hashlib.sha256(f"{manifest['inputs_hash']}:{methodology.hash}".encode()).hexdigest()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        # One transaction: the warehouse has either this run's scores or the last run's, never half of each.
        con.execute("BEGIN TRANSACTION")
        load_inputs(con, settings, methodology, manifest["inputs_hash"], stage_key)
        rows = run_models(con, INPUT_MODELS)
        rows.update(run_indices(con, methodology, manifest["inputs_hash"]))
        rows.update(run_models(con, RESULT_MODELS))
        check_scores(con)
        rows.update(run_models(con, evaluation.MODELS))
        rows.update(evaluation.publish(con))
        rows.update(selection.run(con, methodology, manifest["inputs_hash"], **({"mapper": mapper} if mapper else {})))
        keep_history(con)
        rows.update(run_models(con, HISTORY_MODELS))
        con.execute("COMMIT")
    return Scored(rows=rows, methodology_hash=methodology.hash, inputs_hash=manifest["inputs_hash"])


def read_scored(warehouse: Path) -> Scored:
    """Return what an earlier score step left in the warehouse: row counts of the score tables and their hashes."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        methodology_hash, inputs_hash = con.execute("SELECT methodology_hash, inputs_hash FROM methodology.run").fetchone()
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'score' "
                                            "ORDER BY table_name").fetchall()]
        rows = {t: con.execute(f"SELECT count(*) FROM score.{t}").fetchone()[0] for t in tables}
    return Scored(rows=rows, methodology_hash=methodology_hash, inputs_hash=inputs_hash)
