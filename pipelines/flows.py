"""Prefect flows: the only module that imports Prefect. Steps are plain functions and the refresh's states are
runs/refresh.py's; this adds retries, logging and artifacts around them, the Dask mapper and the schedule.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.context import get_run_context
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, temporary_settings

from pipelines.ingest.run import Staged, ingest
from pipelines.report.site import publish_report
from pipelines.report.summary import ranking_top, refresh_summary
from pipelines.runs.plan import Plan, refresh_plan
from pipelines.runs.refresh import RefreshResult, Steps, refresh as run_refresh
from pipelines.score.methodology import Methodology
from pipelines.score.run import Scored, score
from pipelines.settings import Settings
from pipelines.validate.run import Curated, validate


class _NoTraceback(logging.Filter):
    """Drop the traceback from a log record, keeping its one-line message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def quiet_prefect_tracebacks() -> None:
    """Make Prefect's console logs one line per error (the CLI shows tracebacks only with --debug)."""
    names = ["", "prefect", *(n for n in logging.root.manager.loggerDict if n.startswith("prefect"))]
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, _NoTraceback) for f in handler.filters):
                handler.addFilter(_NoTraceback())


def _is_io_error(task, task_run, state) -> bool:
    """Retry only what a file still arriving can cause (a vanished, locked or half-copied file), not bad data."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="plan", cache_policy=NONE, persist_result=False, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=_is_io_error)
def plan_task(settings: Settings, methodology_hash: str, force: bool) -> Plan:
    """Fingerprint the inputs and decide which stages must run."""
    logger = get_run_logger()
    plan = refresh_plan(settings, methodology_hash, force=force)
    for path in plan.scan.settling:
        logger.warning("still being written, left for the next run: %s", path)
    logger.info("plan: run %s; reuse %s", ", ".join(plan.stages) or "nothing", ", ".join(plan.reused) or "nothing")
    return plan


@task(name="ingest", cache_policy=NONE, persist_result=False, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=_is_io_error)
def ingest_task(settings: Settings, expected: dict[str, str], framework: dict) -> Staged:
    """Read the raw files the plan fingerprinted (not those still being written) into canonical staging tables."""
    logger = get_run_logger()
    staged = ingest(settings, framework, expected)
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
def validate_task(staged: Staged, settings: Settings, stage_key: str, framework: dict) -> Curated:
    """Validate the staged tables with the GX suites and write the curated layer."""
    logger = get_run_logger()
    curated = validate(staged, settings, framework, stage_key)
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
def score_task(settings: Settings, methodology: Methodology, stage_key: str | None = None) -> Scored:
    """Score the curated layer in DuckDB with the methodology files, and choose the cohort."""
    logger = get_run_logger()
    executor = settings.monte_carlo.get("executor", "local")
    mapper = dask_mapper(int(settings.monte_carlo.get("dask_workers", 2))) if executor == "dask" else None
    scored = score(settings, methodology, mapper=mapper, stage_key=stage_key)
    logger.info("score: %s (methodology %s, inputs %s)", ", ".join(f"{k}={v}" for k, v in scored.rows.items()),
                scored.methodology_hash[:12], scored.inputs_hash[:12])
    return scored


@task(name="report", cache_policy=NONE, persist_result=False)
def report_task(settings: Settings, run_id: str, stage_key: str) -> dict[str, str]:
    """Build the site aside, then swap it in as the live publication; return its missing parts with the reasons."""
    folder, missing = publish_report(settings, run_id, stage_key)
    get_run_logger().info("report: published %s as %s", folder.name, settings.reports_dir / "index.html")
    for part, reason in missing.items():
        get_run_logger().warning("published without %s: %s", part, reason)
    return missing


@task(name="artifacts", cache_policy=NONE, persist_result=False)
def artifacts_task(settings: Settings, curated: Curated) -> None:
    """Publish the top of the ranking, the run's summary (counts, quarantine, changes) and the rows per raw file as
    Prefect artifacts.
    """
    create_table_artifact(key="readiness-ranking-top", table=ranking_top(settings.warehouse_path),
                          description="Top 25 regions by readiness rank, then screening rank")
    create_markdown_artifact(key="readiness-refresh-summary", markdown=refresh_summary(settings.warehouse_path),
                             description="Rows, quarantine, hashes, ranks and what changed since the last run")
    create_table_artifact(key="ingest-log", description="Rows per raw file", table=curated.ingest_log[
        ["source_file", "rows_read", "rows_curated", "rows_quarantined", "rows_superseded"]].to_dict("records"))


STEPS = Steps(plan=plan_task, ingest=ingest_task, validate=validate_task, score=score_task, report=report_task,
              artifacts=artifacts_task)


@flow(name="refresh", log_prints=True)
def refresh(data_dir: str | None = None, methodology_dir: str | None = None, force: bool = False,
            wait_seconds: float = 0) -> RefreshResult:
    """Ingest → validate → score → report over data/raw/, redoing only what changed, publishing to data/reports/.

    One refresh at a time per data folder: another one waits up to `wait_seconds`, then fails with RefreshBusy.
    `force` redoes every stage even when no input changed.
    """
    flow_run = get_run_context().flow_run
    return run_refresh(Settings.default(data_dir, methodology_dir=methodology_dir), STEPS, force=force,
                       wait_seconds=wait_seconds, flow_run_id=str(flow_run.id) if flow_run else None,
                       logger=get_run_logger())


def nightly_schedule(cron: str, timezone: str) -> Cron:
    """Return the refresh's schedule: `cron` in `timezone` (the nightly default is 0 2 * * * in Asia/Jakarta)."""
    return Cron(cron, timezone=timezone)


def start_local_server(port: int, log: Callable[[str], None], timeout_seconds: float = 120) -> tuple[subprocess.Popen, str]:
    """Start `prefect server start` on 127.0.0.1:`port` (SQLite in PREFECT_HOME) and return it with its API URL once
    it answers its health check.
    """
    executable = Path(sys.executable).with_name("prefect")
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    home.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/api"
    log(f"No Prefect server configured (PREFECT_API_URL): starting one at {url} (UI: http://127.0.0.1:{port}, "
        f"database in {home}, log in {home / 'server.log'})")
    with open(home / "server.log", "ab") as server_log:
        # Its own session: a stop signal sent to serve's process group (systemd, `timeout`) must not take the server
        # down while the runner still pauses its deployments on it; serve stops it once the runner is done.
        server = subprocess.Popen([str(executable), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {server.returncode} (is port {port} taken? "
                               f"try --port, or set PREFECT_API_URL to a running server); see {home / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"the Prefect server did not answer within {timeout_seconds:.0f} s; see {home / 'server.log'}")


def serve_nightly(cron: str, timezone: str, port: int, parameters: dict | None = None,
                  log: Callable[[str], None] = print) -> None:
    """Serve the refresh flow as the deployment `refresh/nightly` on its schedule until interrupted.

    Schedules need a Prefect server (the temporary one of a plain flow run does not schedule): without a configured
    PREFECT_API_URL a local one is started for as long as this runs.
    """
    server, url = None, PREFECT_API_URL.value()
    if not url:
        server, url = start_local_server(port, log)
    os.environ["PREFECT_API_URL"] = url   # the runner's flow-run processes inherit it
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            log(f"Serving refresh/nightly on '{cron}' ({timezone}); runs are listed in the Prefect UI and by "
                "`readiness status`. Stop with Ctrl-C.")
            refresh.serve(name="nightly", schedules=[nightly_schedule(cron, timezone)], limit=1,
                          parameters=parameters or {},
                          description="Nightly refresh: ingest, validate, score and publish what changed.")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
