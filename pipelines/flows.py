"""Prefect flows: the only module that imports Prefect. Steps are plain functions; this adds logging and artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from collections.abc import Callable

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from pipelines.ingest.run import Staged, ingest
from pipelines.report.site import build_report
from pipelines.report.summary import ranking_top, refresh_summary
from pipelines.score.methodology import load as load_methodology
from pipelines.score.run import Scored, score
from pipelines.settings import Settings
from pipelines.validate.run import Curated, validate


@dataclass
class RefreshResult:
    """What one refresh produced: the curated layer, the score row counts and the report's path."""

    curated: Curated
    scored: Scored
    report: Path


@task(name="ingest", cache_policy=NONE, persist_result=False)
def ingest_task(settings: Settings) -> Staged:
    """Read every raw file into canonical staging tables."""
    logger = get_run_logger()
    staged = ingest(settings)
    for f in staged.files.itertuples():
        if f.file_error:
            logger.warning("unreadable file %s: %s", f.source_file, f.file_error)
    parsed = int(staged.files["was_parsed"].sum())
    logger.info("ingest: %d files (%d parsed, %d unchanged since the last run), %d rows read, "
                "%d rows quarantined at ingest, %d superseded",
                len(staged.files), parsed, len(staged.files) - parsed, int(staged.files["rows_read"].sum()),
                int((staged.quarantine["scope"] == "row").sum()), len(staged.superseded))
    return staged


@task(name="validate", cache_policy=NONE, persist_result=False)
def validate_task(staged: Staged, settings: Settings) -> Curated:
    """Validate the staged tables with the GX suites and write the curated layer."""
    logger = get_run_logger()
    curated = validate(staged, settings)
    for s in curated.suites:
        logger.info("suite %-26s %s  rows %6d  quarantined %5d", s["table"], "passed" if s["success"] else "FAILED",
                    s["rows"], s["rows_quarantined"])
    return curated


@task(name="monte-carlo-chunk", cache_policy=NONE, persist_result=False)
def monte_carlo_chunk(function: Callable, chunk):
    """Run one chunk of the cohort Monte Carlo's replications."""
    return function(chunk)


@flow(name="monte-carlo", log_prints=False)
def monte_carlo(function: Callable, chunks: list) -> list:
    """Map the chunks of replications over the flow's task runner and return their results in order."""
    return [f.result() for f in monte_carlo_chunk.map(unmapped(function), chunks)]


def dask_mapper(workers: int) -> Callable[[Callable, list], list]:
    """Return a mapper that runs Monte Carlo chunks as Prefect tasks on a local Dask cluster of `workers` processes."""
    from prefect_dask import DaskTaskRunner

    runner = DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None})

    def mapper(function: Callable, chunks: list) -> list:
        return monte_carlo.with_options(task_runner=runner)(function, chunks)

    return mapper


@task(name="score", cache_policy=NONE, persist_result=False)
def score_task(settings: Settings) -> Scored:
    """Score the curated layer in DuckDB with the methodology files, and choose the cohort."""
    logger = get_run_logger()
    executor = settings.monte_carlo.get("executor", "local")
    mapper = dask_mapper(int(settings.monte_carlo.get("dask_workers", 2))) if executor == "dask" else None
    scored = score(settings, load_methodology(settings.methodology_dir), mapper=mapper)
    logger.info("score: %s (methodology %s, inputs %s)", ", ".join(f"{k}={v}" for k, v in scored.rows.items()),
                scored.methodology_hash[:12], scored.inputs_hash[:12])
    return scored


@task(name="report", cache_policy=NONE, persist_result=False)
def report_task(settings: Settings) -> Path:
    """Publish the HTML report, ranking CSV and manifest."""
    path = build_report(settings)
    get_run_logger().info("report: %s", path)
    return path


@task(name="artifacts", cache_policy=NONE, persist_result=False)
def artifacts_task(settings: Settings) -> None:
    """Publish the top of the ranking and the run's summary (counts, quarantine, changes) as Prefect artifacts."""
    create_table_artifact(key="readiness-ranking-top", table=ranking_top(settings.warehouse_path),
                          description="Top 25 regions by readiness rank, then screening rank")
    create_markdown_artifact(key="readiness-refresh-summary", markdown=refresh_summary(settings.warehouse_path),
                             description="Rows, quarantine, hashes, ranks and what changed since the last run")


@flow(name="refresh", log_prints=True)
def refresh(data_dir: str | None = None, methodology_dir: str | None = None) -> RefreshResult:
    """Ingest → validate → score → report over data/raw/, publishing to data/reports/."""
    settings = Settings.default(data_dir, methodology_dir=methodology_dir)
    staged = ingest_task(settings)
    curated = validate_task(staged, settings)
    scored = score_task(settings, wait_for=[curated])
    report = report_task(settings, wait_for=[scored])
    artifacts_task(settings, wait_for=[report])
    top = curated.ingest_log[["source_file", "rows_read", "rows_curated", "rows_quarantined", "rows_superseded"]]
    create_table_artifact(key="ingest-log", table=top.to_dict("records"), description="Rows per raw file")
    return RefreshResult(curated=curated, scored=scored, report=report)
