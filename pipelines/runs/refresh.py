"""The refresh as a run state machine: plan, redo what changed, publish, and keep the run record of every state.

Plain functions of the settings and the data folder; the steps arrive as callables (flows.py passes its Prefect
tasks, PLAIN_STEPS the plain functions), so this runs and is tested without Prefect. The steps' modules are imported
when a stage needs them: an unchanged refresh must not pay for loading the scoring engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.report.publish import live as publish_live, missing_parts
from pipelines.runs import record
from pipelines.runs.lock import refresh_lock
from pipelines.runs.plan import Plan, curated_manifest, refresh_plan
from pipelines.score.methodology import Methodology, load as load_methodology
from pipelines.settings import Settings

if TYPE_CHECKING:
    from pipelines.ingest.run import Staged
    from pipelines.score.run import Scored
    from pipelines.validate.run import Curated

# Movers kept in the run record (all of them are in score.region_mover and on the report).
MOVERS_KEPT = 10
LOGGER = logging.getLogger(__name__)


def warehouse_movers(settings: Settings) -> list[dict]:
    """Return the regions whose rank moved in `settings`' warehouse, largest move first (summary.region_movers)."""
    from pipelines.report.summary import region_movers

    return region_movers(settings.warehouse_path)


def no_artifacts(settings: Settings, curated: Curated) -> None:
    """Publish no run artifacts: they are Prefect's (flows.artifacts_task), and a plain refresh has no flow run."""


@dataclass
class Steps:
    """The step callables a refresh calls, in run order; each is a plain step or a wrapper around one."""

    plan: Callable[[Settings, str, bool], Plan]                  # settings, methodology hash, force
    ingest: Callable[[Settings, dict[str, str], dict], Staged]   # settings, the files the plan fingerprinted, framework
    validate: Callable[[Staged, Settings, str, dict], Curated]   # staged, settings, stage key, framework
    score: Callable[[Settings, Methodology, str], Scored]        # settings, methodology, stage key
    report: Callable[[Settings, str, str], dict[str, str]]       # settings, run id, stage key -> missing parts
    artifacts: Callable[[Settings, Curated], None] = no_artifacts  # the run's summary, once the site is live
    movers: Callable[[Settings], list[dict]] = warehouse_movers  # largest move first, read once the site is live


def _ingest(settings: Settings, files: dict[str, str], framework: dict) -> Staged:
    from pipelines.ingest.run import ingest

    return ingest(settings, framework, files)


def _validate(staged: Staged, settings: Settings, stage_key: str, framework: dict) -> Curated:
    from pipelines.validate.run import validate

    return validate(staged, settings, framework, stage_key)


def _score(settings: Settings, methodology: Methodology, stage_key: str) -> Scored:
    from pipelines.score.run import score

    return score(settings, methodology, stage_key=stage_key)


def _report(settings: Settings, run_id: str, stage_key: str) -> dict[str, str]:
    from pipelines.report.site import publish_report

    return publish_report(settings, run_id, stage_key)[1]


# The steps without Prefect: what `readiness refresh` runs when its plan, made before Prefect starts, finds nothing
# to redo (and, should the inputs change in the moment between, the whole refresh).
PLAIN_STEPS = Steps(plan=refresh_plan, ingest=_ingest, validate=_validate, score=_score, report=_report)


@dataclass
class RefreshResult:
    """What one refresh did: its run record, and the curated layer, scores and site it used (None when not reached)."""

    run: dict
    curated: Curated | None = None
    scored: Scored | None = None
    report: Path | None = None


def _counts(curated: Curated) -> dict[str, int]:
    log = curated.ingest_log
    return {"files": len(log), **{c.removeprefix("rows_"): int(log[c].sum()) for c in (
        "rows_read", "rows_curated", "rows_quarantined", "rows_superseded")}}


def refresh(settings: Settings, steps: Steps, force: bool = False, wait_seconds: float = 0,
            flow_run_id: str | None = None, logger: logging.Logger | logging.LoggerAdapter = LOGGER) -> RefreshResult:
    """Run one refresh of `settings`' data folder under its lock and return its result; a failure is recorded as
    FAILED (with the error as message) and raised again.

    Another refresh holding the lock longer than `wait_seconds` raises RefreshBusy before any record is written.
    """
    run_id = record.new_run_id()
    started = record.now_utc()
    with refresh_lock(settings.lock_path, {"run_id": run_id, "pid": os.getpid(), "started_at": started}, wait_seconds):
        for earlier in record.close_interrupted(settings.runs_dir):
            logger.warning("run %s was interrupted; its partial work is discarded", earlier)
        run = record.write(settings.runs_dir, {
            "run_id": run_id, "flow_run_id": flow_run_id, "pid": os.getpid(),
            "started_at": started, "finished_at": None, "status": "RUNNING", "stage": "plan", "force": force,
            "data_dir": str(settings.data_dir), "methodology_dir": str(settings.methodology_dir)})
        try:
            return _run_stages(settings, steps, run, logger)
        except BaseException as exc:
            record.write(settings.runs_dir, {**run, "status": "FAILED", "finished_at": record.now_utc(),
                                             "message": f"{type(exc).__name__}: {exc}"})
            logger.error("refresh FAILED at %s; the last publication stays live", run.get("stage"))
            raise


def _run_stages(settings: Settings, steps: Steps, run: dict,
                logger: logging.Logger | logging.LoggerAdapter) -> RefreshResult:
    """Take `run` (a RUNNING record) through the plan and the stages, writing the record at every change of state."""

    def stage(name: str, **fields) -> None:
        run.update(stage=name, **fields)
        record.write(settings.runs_dir, run)

    def finish(status: str, message: str, **fields) -> dict:
        run.update(status=status, stage=None, finished_at=record.now_utc(), message=message, **fields)
        logger.info("refresh %s: %s", status, message)
        return record.write(settings.runs_dir, run)

    def note_ignored(ignored: list[tuple[str, str]]) -> None:
        run["ignored_files"] = [{"file": name, "reason": reason} for name, reason in ignored]
        for name, reason in ignored:
            logger.warning("not read: %s: %s", name, reason)

    methodology = load_methodology(settings.methodology_dir)
    plan = steps.plan(settings, methodology.hash, run["force"])
    stage("plan", keys=plan.keys, stages_run=plan.stages, stages_reused=plan.reused, raw_files=len(plan.scan.files),
          settling=plan.scan.settling, methodology_hash=methodology.hash)

    # Ingest lists the files it does not read; a run that does not ingest looks for them itself.
    if "ingest" not in plan.stages or plan.waiting:
        from pipelines.ingest.run import ignored_now

        note_ignored(ignored_now(settings))
    if plan.waiting:
        return RefreshResult(finish("WAITING", "files the published data came from are still being written: "
                                    + ", ".join(plan.waiting) + "; the last publication stays until the next run"))
    if not plan.stages:
        previous = record.last_published(settings.runs_dir)
        since = f" since run {previous['run_id']}" if previous else ""
        missing = missing_parts(settings.reports_dir)
        return RefreshResult(finish("UNCHANGED", f"no input, methodology or code changed{since}: nothing redone, "
                                    f"{publish_live(settings)} stays published"
                                    + (f" (without {', '.join(missing)})" if missing else ""),
                                    inputs_hash=curated_manifest(settings).get("inputs_hash"), missing_parts=missing),
                             report=settings.reports_dir / "index.html")
    if "ingest" in plan.stages:
        stage("ingest")
        staged = steps.ingest(settings, plan.scan.files, methodology.framework)
        note_ignored(list(staged.ignored.itertuples(index=False, name=None)))
        stage("validate")
        curated = steps.validate(staged, settings, plan.keys["validate"], methodology.framework)
        # Scoring and the report read the curated layer from Parquet. The tables are emptied in place, not only let
        # go: Prefect keeps each task's return value until the flow run ends, at national size 1.8 M answers twice.
        staged.tables.clear()
        curated.tables.clear()
    else:
        from pipelines.validate.run import read_curated

        curated = read_curated(settings.curated_dir)
    run["counts"] = _counts(curated)
    if "score" in plan.stages:
        stage("score")
        scored = steps.score(settings, methodology, plan.keys["score"])
    else:
        from pipelines.score.run import read_scored

        scored = read_scored(settings.warehouse_path)
    stage("report")
    missing = steps.report(settings, run["run_id"], plan.keys["report"])
    report = settings.reports_dir / "index.html"
    # The new site is live from here on: what follows only reports on it, so its failures are warnings.
    stage("after publication", publication=str(publish_live(settings)), inputs_hash=scored.inputs_hash)
    notes = []
    try:
        run["movers"] = steps.movers(settings)[:MOVERS_KEPT]
        steps.artifacts(settings, curated)
    except Exception as exc:
        logger.warning("published, but the run summary could not be completed: %s: %s", type(exc).__name__, exc)
        notes.append(f"; the run summary could not be completed ({type(exc).__name__}: {exc})")
    if missing:
        finished = finish("PARTIAL", f"published {publish_live(settings)} with parts missing: "
                          + "; ".join(f"{part}: {reason}" for part, reason in missing.items()) + "".join(notes),
                          missing_parts=missing)
    else:
        finished = finish("COMPLETED", f"published {publish_live(settings)}" + "".join(notes), missing_parts={})
    return RefreshResult(run=finished, curated=curated, scored=scored, report=report)
