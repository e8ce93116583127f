"""The unattended refresh end to end: schedule, no-change runs, SIGKILL at every stage, concurrent runs,
idempotence and movers, on copies of the seeded small demo, with real processes, a real Prefect server and DuckDB.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.runs import record
from pipelines.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
UTC = timezone.utc
FISCAL = Path("fiscal_capacity") / "kapasitas_fiskal_2024.csv"


@pytest.fixture(scope="session")
def api_env(prefect_api) -> dict[str, str]:
    """The environment for a `readiness` process that talks to the test session's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}


def _copy(small_demo, tmp_path: Path) -> Settings:
    """A copy of the small demo's whole data folder (raw files, curated layer, warehouse, publications, runs)."""
    settings, _ = small_demo
    target = tmp_path / "data"
    shutil.copytree(settings.data_dir, target, symlinks=True)
    return Settings.default(target, methodology_dir=settings.methodology_dir)


def _command(settings: Settings, *args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args, "--data-dir", str(settings.data_dir),
            "--methodology", str(settings.methodology_dir)]


def _start(settings: Settings, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(_command(settings, *args), env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _until(condition, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _running(settings: Settings, stage: str | None = None) -> dict | None:
    runs = record.runs(settings.runs_dir)
    newest = runs[0] if runs else None
    if newest and newest["status"] == "RUNNING" and (stage is None or newest.get("stage") == stage):
        return newest
    return None


def _published(settings: Settings) -> tuple[str, bytes, bytes]:
    """What readers see: the live publication's folder name, its index page and its ranking download."""
    return (os.readlink(settings.reports_dir), (settings.reports_dir / "index.html").read_bytes(),
            (settings.reports_dir / "downloads" / "ranking.csv").read_bytes())


def _warehouse_inputs(settings: Settings) -> tuple[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("SELECT (SELECT inputs_hash FROM methodology.run), "
                           "(SELECT count(*) FROM score.region_ranking)").fetchone()


def _set_fiscal_value(settings: Settings, region_code: str, value: str) -> None:
    path = settings.raw_dir / FISCAL
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        fields = line.split(";")
        if fields[0] == region_code:
            fields[3] = value
            lines[i] = ";".join(fields)
    path.write_text("".join(lines), encoding="utf-8")


def test_the_nightly_schedule_is_two_in_the_morning_in_jakarta_in_both_deployment_forms():
    from prefect.server.schemas.schedules import CronSchedule

    from pipelines.flows import nightly_schedule

    configured = Settings.default().operations["schedule"]
    schedule = nightly_schedule(configured["cron"], configured["timezone"])
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Asia/Jakarta")
    dates = asyncio.run(CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
                        .get_dates(n=3, start=datetime(2026, 11, 30, 12, 0, tzinfo=UTC)))
    # 02:00 WIB is 19:00 UTC the evening before; Indonesia has no daylight saving time.
    assert [d.astimezone(UTC) for d in dates] == [datetime(2026, 11, day, 19, 0, tzinfo=UTC) if day <= 30 else
                                                  datetime(2026, 12, day - 30, 19, 0, tzinfo=UTC) for day in (30, 31, 32)]
    deployment = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"][0]
    assert deployment["schedules"][0]["cron"] == configured["cron"]
    assert deployment["schedules"][0]["timezone"] == configured["timezone"]
    path, function = deployment["entrypoint"].split(":")
    assert f"def {function}(" in (ROOT / path).read_text(encoding="utf-8")


def test_a_refresh_with_no_new_files_does_nothing_and_a_forced_one_publishes_byte_identical_files(small_demo, tmp_path):
    from pipelines.flows import refresh

    settings = _copy(small_demo, tmp_path)
    before = _published(settings)
    staged = {p: p.stat().st_mtime_ns for p in settings.staging_dir.glob("*.parquet")}
    result = refresh(data_dir=str(settings.data_dir), methodology_dir=str(settings.methodology_dir))
    assert result.run["status"] == "UNCHANGED" and result.run["stages_run"] == []
    assert result.run["stages_reused"] == ["ingest", "validate", "score", "report"]
    assert "nothing redone" in result.run["message"] and result.curated is None
    assert result.run["inputs_hash"] == _warehouse_inputs(settings)[0]
    assert _published(settings) == before
    assert {p: p.stat().st_mtime_ns for p in settings.staging_dir.glob("*.parquet")} == staged

    first = settings.reports_dir.resolve()
    forced = refresh(data_dir=str(settings.data_dir), methodology_dir=str(settings.methodology_dir), force=True)
    assert forced.run["status"] == "PARTIAL" and forced.run["stages_run"] == ["ingest", "validate", "score", "report"]
    second = settings.reports_dir.resolve()
    assert second != first and first.exists()
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*")
                   if p.is_file() and not p.relative_to(first).as_posix().startswith("validation/"))
    # Every page, download and image of the small demo's publication (its cohort downloads are missing).
    assert "downloads/ranking.csv" in files and "downloads/region_mover.csv" in files and len(files) > 590
    for name in files:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name


def test_movers_are_the_regions_whose_rank_changed_with_the_input_that_caused_it(small_demo, tmp_path):
    from pipelines.flows import refresh

    settings = _copy(small_demo, tmp_path)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.sql("SELECT region_code, screening_rank, readiness_rank FROM score.region_ranking").df()
    before = before.set_index("region_code")
    in_file = {line.split(";")[0] for line in (settings.raw_dir / FISCAL).read_text(encoding="utf-8").splitlines()}
    last = before[before.index.isin(in_file)]["screening_rank"].idxmax()
    _set_fiscal_value(settings, last, "99,9999")
    result = refresh(data_dir=str(settings.data_dir), methodology_dir=str(settings.methodology_dir))
    assert result.run["status"] == "PARTIAL"
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        movers = con.sql("SELECT * FROM score.region_mover").df()
        now = con.sql("SELECT region_code, screening_rank FROM score.region_ranking").df().set_index("region_code")
    assert set(movers["index_code"]) == {"screening"}          # the questionnaires did not change
    mover = movers.set_index("region_code").loc[last]
    assert (mover["rank_before"], mover["rank_now"]) == (before.loc[last, "screening_rank"], now.loc[last, "screening_rank"])
    assert mover["rank_now"] < mover["rank_before"] and mover["places_up"] == mover["rank_before"] - mover["rank_now"]
    assert mover["cause"] == "its own data changed (fiscal_capacity)" and not mover["is_methodology_changed"]
    others = movers[movers["region_code"] != last]
    assert len(others) > 0
    assert (others["cause"] == "other regions' data changed (fiscal_capacity); ranks are relative").all()
    changed = now.join(before["screening_rank"].rename("before"))
    moved = changed[changed["screening_rank"] != changed["before"]]
    assert sorted(movers["region_code"]) == sorted(moved.index)
    biggest = movers.assign(size=movers["places_up"].abs()).sort_values("size", ascending=False).iloc[0]
    assert result.run["movers"][0]["region_code"] == biggest["region_code"]
    page = (settings.reports_dir / "index.html").read_text(encoding="utf-8")
    assert 'id="movers-table"' in page and f"regions/{last}.html" in page
    published = pd.read_csv(settings.reports_dir / "downloads" / "region_mover.csv", dtype={"region_code": str})
    assert len(published) == len(movers)


def test_a_refresh_killed_at_any_stage_leaves_the_last_publication_and_the_next_run_recovers(small_demo, tmp_path, api_env):
    settings = _copy(small_demo, tmp_path)
    before, inputs_before = _published(settings), _warehouse_inputs(settings)
    _set_fiscal_value(settings, "11.01", "9,8765")

    def building_report() -> bool:
        partial = list(settings.publications_dir.glob("*.partial/regions/*.html"))
        return _running(settings, "report") is not None and len(partial) >= 20

    points = {"ingest": lambda: _running(settings, "ingest"), "validate": lambda: _running(settings, "validate"),
              "score": lambda: _running(settings, "score"), "report": building_report}
    for stage, reached in points.items():
        process = _start(settings, api_env, "refresh")
        try:
            _until(reached, 180, f"the refresh to reach {stage}")
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert _published(settings) == before, stage
        inputs, regions = _warehouse_inputs(settings)                    # the DuckDB file opens and is whole
        assert regions == 514
        # Before the report stage the score transaction never committed; from it on the new scores are committed
        # (the next run reuses them) while readers still see the last publication.
        assert (inputs == inputs_before[0]) == (stage != "report"), stage
    process = _start(settings, api_env, "refresh")
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 3, output                              # published; the small demo has no cohort
    runs = record.runs(settings.runs_dir)
    assert runs[0]["status"] == "PARTIAL"
    interrupted = [r for r in runs if r["status"] == "INTERRUPTED"]
    assert [r["message"].split(" during ")[1].split(";")[0] for r in reversed(interrupted)] == list(points)
    assert _published(settings)[0] != before[0]
    assert _warehouse_inputs(settings)[0] != inputs_before[0] and _warehouse_inputs(settings)[1] == 514
    assert not list(settings.publications_dir.glob("*.partial"))
    assert "11.01" in (settings.reports_dir / "downloads" / "region_mover.csv").read_text(encoding="utf-8")


def test_a_second_refresh_exits_with_a_clear_message_and_one_told_to_wait_runs_after(small_demo, tmp_path, api_env):
    settings = _copy(small_demo, tmp_path)
    first = _start(settings, api_env, "refresh", "--force")
    try:
        holder = _until(lambda: _running(settings), 120, "the first refresh to take the lock")
        second = subprocess.run(_command(settings, "refresh"), env=api_env, cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        third = _start(settings, api_env, "refresh", "--wait", "600")
        assert second.returncode == 75, second.stdout + second.stderr
        assert f"another refresh is running on this data folder (run {holder['run_id']}" in " ".join(second.stdout.split())
        output, _ = first.communicate(timeout=300)
        assert first.returncode == 3, output
        output, _ = third.communicate(timeout=300)
        assert third.returncode == 3, output
    finally:
        for process in (first, third):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    statuses = [r["status"] for r in record.runs(settings.runs_dir)]
    # Newest first: the waiting run found nothing left to do; the refused one never started a run.
    assert statuses[:2] == ["UNCHANGED", "PARTIAL"]
    assert not any(s == "FAILED" for s in statuses)                    # the refused refresh left no failed run
    assert _warehouse_inputs(settings)[1] == 514


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_a_prefect_server_whose_scheduler_creates_and_runs_the_refresh(small_demo, tmp_path):
    settings = _copy(small_demo, tmp_path)
    _set_fiscal_value(settings, "11.01", "8,7654")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    earlier = {r["run_id"] for r in record.runs(settings.runs_dir)}
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen(_command(settings, "serve", "--cron", "* * * * *", "--port", str(port)), env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        done = _until(lambda: next((r for r in record.runs(settings.runs_dir) if r["run_id"] not in earlier
                                    and r["status"] in record.FINAL_STATUSES), None),
                      300, "a scheduled run to finish", interval=1)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/flow_runs/{done['flow_run_id']}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            flow_run = json.load(answer)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/deployments/{flow_run['deployment_id']}",
                                    timeout=10) as answer:
            deployment = json.load(answer)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    assert done["status"] == "PARTIAL", (tmp_path / "serve.log").read_text()
    assert flow_run["auto_scheduled"] is True and flow_run["state"]["type"] == "COMPLETED"
    assert deployment["name"] == "nightly"
    assert deployment["schedules"][0]["schedule"]["cron"] == "* * * * *"
    assert "11.01" in (settings.reports_dir / "downloads" / "region_mover.csv").read_text(encoding="utf-8")


def test_a_source_failing_its_gate_with_nothing_to_stand_in_withholds_only_what_depends_on_it(small_demo, tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    settings = _copy(small_demo, tmp_path)
    (settings.curated_dir / "last_good" / "fiscal_capacity.parquet").unlink()
    path = settings.raw_dir / FISCAL
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:21]), encoding="utf-8")           # a first delivery of 20 of 508 regions
    result = CliRunner().invoke(app, ["refresh", "--data-dir", str(settings.data_dir)], terminal_width=250)
    text = " ".join(result.output.split())
    why = "fiscal_capacity failed the gate coverage (20 rows) and no earlier good version exists"
    assert result.exit_code == 3, result.output
    assert f"Published without screening: withheld: {why}" in text
    assert "Published without cohort: withheld: it needs the screening index, which is withheld" in text
    run = record.runs(settings.runs_dir)[0]
    assert run["status"] == "PARTIAL" and run["missing_parts"]["screening"] == f"withheld: {why}"
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ranking = con.sql("SELECT * FROM score.region_ranking").df()
        evaluated = con.execute("SELECT count(*) FROM score.evaluation_region").fetchone()[0]
    # Nothing is computed from the other statistics alone; the readiness index and the evaluation are published.
    assert ranking["screening_index"].isna().all() and ranking["screening_rank"].isna().all()
    assert ranking["readiness_index"].notna().sum() == 12 and evaluated == 20
    validation = (settings.reports_dir / "validation.html").read_text(encoding="utf-8")
    assert 'id="failed-sources"' in validation and "none: no earlier good version, the source is left out" in validation
    assert "Indeks penyaringan" in (settings.reports_dir / "index.html").read_text(encoding="utf-8")


def test_status_lists_the_runs_the_publication_and_the_files_waiting(small_demo, tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    settings = _copy(small_demo, tmp_path)
    _set_fiscal_value(settings, "11.01", "7,6543")
    (settings.raw_dir / "indicators").mkdir(exist_ok=True)
    (settings.raw_dir / "indicators" / "baru.csv").write_text("kode_wilayah;tahun;kode_indikator;nilai\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["status", "--data-dir", str(settings.data_dir)], terminal_width=250)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    published = json.loads((settings.reports_dir / "manifest.json").read_text(encoding="utf-8"))
    newest = record.runs(settings.runs_dir)[0]
    assert newest["run_id"] in text and "PARTIAL" in text
    assert "Running now: no refresh" in text
    assert f"Published: {settings.reports_dir.resolve()}" in text and f"inputs {published['inputs_hash'][:16]}" in text
    assert "Waiting for the next refresh: added indicators/baru.csv; changed fiscal_capacity/kapasitas_fiskal_2024.csv" in text


def test_the_file_reading_tasks_retry_on_file_system_errors_only():
    from prefect.states import exception_to_failed_state

    from pipelines.flows import _is_io_error, ingest_task, plan_task

    def decides(exc: Exception) -> bool:
        return _is_io_error(None, None, asyncio.run(exception_to_failed_state(exc)))

    assert decides(FileNotFoundError("data/raw/fiscal_capacity/kapasitas_fiskal_2024.csv vanished mid-copy"))
    assert decides(PermissionError("still locked by the uploader"))
    assert not decides(ValueError("a data problem is quarantined, never retried"))
    for task in (plan_task, ingest_task):
        assert task.retries == 2 and task.retry_condition_fn is _is_io_error


def test_a_refresh_publishes_while_an_analyst_holds_the_warehouse_open_for_writing(small_demo, tmp_path):
    from pipelines.flows import refresh

    settings = _copy(small_demo, tmp_path)
    _set_fiscal_value(settings, "11.01", "8,7654")
    # A notebook's duckdb.connect(path) is read-write: it holds the file's exclusive lock until it closes.
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print(con.execute('SELECT count(*) FROM score.region_ranking').fetchone()[0], "
                               "flush=True); sys.stdin.read()", str(settings.warehouse_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "514"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(settings.warehouse_path), read_only=True)
        result = refresh(data_dir=str(settings.data_dir))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.run["status"] == "PARTIAL" and result.run["stages_run"] == ["ingest", "validate", "score", "report"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        inputs = con.execute("SELECT inputs_hash FROM methodology.run").fetchone()[0]
    assert inputs == result.scored.inputs_hash
    assert "11.01" in (settings.reports_dir / "downloads" / "region_mover.csv").read_text(encoding="utf-8")
