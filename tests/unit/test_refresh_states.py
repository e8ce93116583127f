"""The refresh's run state machine (pipelines/runs/refresh.py) with plain-Python steps: no Prefect, no pipeline run."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from pipelines.ingest.run import Staged
from pipelines.report.publish import building_dir, live, publish
from pipelines.runs import record
from pipelines.runs.lock import RefreshBusy, lock_holder, refresh_lock
from pipelines.runs.plan import Plan, RawScan
from pipelines.runs.refresh import MOVERS_KEPT, Steps, refresh
from pipelines.score.run import Scored
from pipelines.settings import Settings
from pipelines.validate.run import Curated
from tests.conftest import ROOT

EVERY_STAGE = ["ingest", "validate", "score", "report"]
KEYS = {"validate": "key-validate", "score": "key-score", "report": "key-report"}
RAW = {"fiscal_capacity/kapasitas_fiskal_2024.csv": "sha-1"}
INPUTS_HASH = "inputs-1"
# One raw file's rows: read = curated + quarantined + superseded.
INGEST_LOG = pd.DataFrame({"source_file": list(RAW), "rows_read": [6], "rows_curated": [4], "rows_quarantined": [1],
                           "rows_superseded": [1]})
EMPTY = pd.DataFrame()


def _plan(stages: list[str], waiting: list[str] | None = None, settling: list[str] | None = None) -> Plan:
    return Plan(keys=KEYS, stored=dict.fromkeys(KEYS), scan=RawScan(files=RAW, settling=settling or []),
                stages=stages, waiting=waiting or [])


def _curated() -> Curated:
    return Curated(tables={}, quarantine=EMPTY, superseded=EMPTY, ingest_log=INGEST_LOG, raw_files=EMPTY, suites=[],
                   source_status=EMPTY, ignored=EMPTY)


class FakeSteps:
    """Plain steps that record what was called, and the run record's stage at each call."""

    def __init__(self, settings: Settings, plan: Plan, missing: dict[str, str] | None = None, fail: str | None = None,
                 movers: int = 1):
        self.settings, self.plan_result, self.missing, self.fail = settings, plan, missing or {}, fail
        self.movers_found = movers
        self.calls: list[tuple[str, str | None]] = []

    def _called(self, name: str) -> None:
        self.calls.append((name, record.runs(self.settings.runs_dir)[0].get("stage")))
        if name == self.fail:
            raise ValueError(f"{name} went wrong")

    def plan(self, settings: Settings, methodology_hash: str, force: bool) -> Plan:
        self._called("plan")
        return self.plan_result

    def ingest(self, settings: Settings, expected: dict[str, str], framework: dict) -> Staged:
        self._called("ingest")
        assert expected == RAW
        return Staged(tables={}, quarantine=EMPTY, superseded=EMPTY, files=EMPTY,
                      ignored=pd.DataFrame({"source_file": ["stray.csv"], "reason": ["not in a source folder"]}))

    def validate(self, staged: Staged, settings: Settings, stage_key: str, framework: dict) -> Curated:
        self._called("validate")
        assert stage_key == KEYS["validate"]
        return _curated()

    def score(self, settings: Settings, methodology, stage_key: str) -> Scored:
        self._called("score")
        assert stage_key == KEYS["score"]
        return Scored(rows={}, methodology_hash=methodology.hash, inputs_hash=INPUTS_HASH)

    def report(self, settings: Settings, run_id: str, stage_key: str) -> dict[str, str]:
        self._called("report")
        site = building_dir(settings, run_id)
        (site / "manifest.json").write_text(json.dumps({"stage_key": stage_key, "missing_parts": self.missing}))
        publish(settings, site)
        return self.missing

    def artifacts(self, settings: Settings, curated: Curated) -> None:
        self._called("artifacts")

    def movers(self, settings: Settings) -> list[dict]:
        """Region i moved i places up, largest move first."""
        self._called("movers")
        return [{"region_code": f"11.{i:02d}", "places_up": i} for i in range(self.movers_found, 0, -1)]

    def steps(self) -> Steps:
        return Steps(plan=self.plan, ingest=self.ingest, validate=self.validate, score=self.score, report=self.report,
                     artifacts=self.artifacts, movers=self.movers)


def _stored(settings: Settings) -> dict:
    return record.runs(settings.runs_dir)[0]


def test_a_full_run_goes_through_every_stage_and_completes_with_counts_and_the_largest_movers(tmp_path):
    settings = Settings.default(tmp_path / "data")
    steps = FakeSteps(settings, _plan(EVERY_STAGE), movers=MOVERS_KEPT + 2)
    result = refresh(settings, steps.steps(), flow_run_id="flow-1")
    assert steps.calls == [("plan", "plan"), ("ingest", "ingest"), ("validate", "validate"), ("score", "score"),
                           ("report", "report"), ("movers", "after publication"), ("artifacts", "after publication")]
    run = result.run
    assert run == _stored(settings)
    assert run["status"] == "COMPLETED" and run["stage"] is None and run["finished_at"] is not None
    assert run["message"] == f"published {live(settings)}" and run["missing_parts"] == {}
    assert run["publication"] == str(live(settings)) and run["inputs_hash"] == INPUTS_HASH
    assert (run["flow_run_id"], run["stages_run"], run["stages_reused"]) == ("flow-1", EVERY_STAGE, [])
    assert (run["keys"], run["raw_files"], run["force"]) == (KEYS, len(RAW), False)
    assert run["counts"] == {"files": 1, "read": 6, "curated": 4, "quarantined": 1, "superseded": 1}
    assert run["ignored_files"] == [{"file": "stray.csv", "reason": "not in a source folder"}]
    assert [m["places_up"] for m in run["movers"]] == list(range(MOVERS_KEPT + 2, 2, -1))
    assert (result.curated.ingest_log is INGEST_LOG, result.scored.inputs_hash) == (True, INPUTS_HASH)
    assert result.report == settings.reports_dir / "index.html"
    assert lock_holder(settings.lock_path) is None


def test_a_site_published_with_parts_missing_is_partial_with_the_reasons(tmp_path):
    settings = Settings.default(tmp_path / "data")
    missing = {"cohort": "cohort size 50, but only 7 shortlisted regions can be selected", "images": "no browser"}
    result = refresh(settings, FakeSteps(settings, _plan(EVERY_STAGE), missing=missing).steps())
    assert result.run["status"] == "PARTIAL" and result.run["missing_parts"] == missing
    assert result.run["message"] == (f"published {live(settings)} with parts missing: cohort: cohort size 50, but "
                                     "only 7 shortlisted regions can be selected; images: no browser")


@pytest.mark.parametrize("failing", EVERY_STAGE)
def test_a_step_that_raises_fails_the_run_with_the_reason_and_the_last_publication_stays(tmp_path, failing):
    settings = Settings.default(tmp_path / "data")
    steps = FakeSteps(settings, _plan(EVERY_STAGE), fail=failing)
    with pytest.raises(ValueError, match=f"{failing} went wrong"):
        refresh(settings, steps.steps())
    run = _stored(settings)
    assert run["status"] == "FAILED" and run["message"] == f"ValueError: {failing} went wrong"
    assert run["stage"] == failing and run["finished_at"] is not None
    assert steps.calls[-1][0] == failing and live(settings) is None
    assert lock_holder(settings.lock_path) is None


def test_a_summary_that_cannot_be_completed_after_publication_is_a_note_not_a_failure(tmp_path):
    settings = Settings.default(tmp_path / "data")
    steps = FakeSteps(settings, _plan(EVERY_STAGE), fail="movers")
    run = refresh(settings, steps.steps()).run
    assert run["status"] == "COMPLETED" and "movers" not in run
    assert run["message"] == (f"published {live(settings)}; the run summary could not be completed "
                              "(ValueError: movers went wrong)")
    assert "artifacts" not in [name for name, _ in steps.calls]


def test_a_plan_with_nothing_to_redo_is_unchanged_and_keeps_the_live_site(tmp_path):
    settings = Settings.default(tmp_path / "data")
    earlier = FakeSteps(settings, _plan(EVERY_STAGE), missing={"cohort": "too few regions"})
    first = refresh(settings, earlier.steps()).run
    settings.curated_dir.mkdir(parents=True)
    (settings.curated_dir / "manifest.json").write_text(json.dumps({"inputs_hash": INPUTS_HASH}))
    steps = FakeSteps(settings, _plan([]))
    result = refresh(settings, steps.steps())
    assert steps.calls == [("plan", "plan")]
    assert result.run["status"] == "UNCHANGED" and result.run["stages_reused"] == EVERY_STAGE
    assert result.run["message"] == (f"no input, methodology or code changed since run {first['run_id']}: nothing "
                                     f"redone, {live(settings)} stays published (without cohort)")
    assert result.run["inputs_hash"] == INPUTS_HASH and result.run["missing_parts"] == {"cohort": "too few regions"}
    assert result.run["ignored_files"] == [] and result.curated is None
    assert result.report == settings.reports_dir / "index.html"


def test_files_the_published_data_came_from_still_being_written_make_the_run_wait(tmp_path):
    settings = Settings.default(tmp_path / "data")
    settings.raw_dir.mkdir(parents=True)
    (settings.raw_dir / "stray.csv").write_text("a;b\n1;2\n")
    waiting = ["fiscal_capacity/kapasitas_fiskal_2024.csv"]
    steps = FakeSteps(settings, _plan(EVERY_STAGE, waiting=waiting, settling=waiting))
    result = refresh(settings, steps.steps())
    assert steps.calls == [("plan", "plan")] and result.curated is None and result.report is None
    assert result.run["status"] == "WAITING" and result.run["settling"] == waiting
    assert result.run["message"] == ("files the published data came from are still being written: "
                                     "fiscal_capacity/kapasitas_fiskal_2024.csv; the last publication stays until "
                                     "the next run")
    assert [f["file"] for f in result.run["ignored_files"]] == ["stray.csv"]


def test_reused_stages_are_read_from_what_the_last_run_left(tmp_path):
    settings = Settings.default(tmp_path / "data")
    settings.curated_dir.mkdir(parents=True)
    for name in ("quarantine", "superseded", "raw_files", "source_status", "ignored_files"):
        pd.DataFrame({"source_file": pd.Series(dtype=str)}).to_parquet(settings.curated_dir / f"{name}.parquet")
    INGEST_LOG.to_parquet(settings.curated_dir / "ingest_log.parquet")
    (settings.curated_dir / "validation.json").write_text("[]")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE SCHEMA methodology")
        con.execute("CREATE TABLE methodology.run AS SELECT 'm' AS methodology_hash, ? AS inputs_hash", [INPUTS_HASH])
    steps = FakeSteps(settings, _plan(["report"]))
    result = refresh(settings, steps.steps())
    assert [name for name, _ in steps.calls] == ["plan", "report", "movers", "artifacts"]
    assert result.run["status"] == "COMPLETED" and result.run["inputs_hash"] == INPUTS_HASH
    assert result.run["counts"] == {"files": 1, "read": 6, "curated": 4, "quarantined": 1, "superseded": 1}


def test_a_run_left_running_by_a_killed_process_is_closed_as_interrupted_first(tmp_path):
    settings = Settings.default(tmp_path / "data")
    record.write(settings.runs_dir, {"run_id": "20261130T020000000000Z-1", "status": "RUNNING", "stage": "score"})
    refresh(settings, FakeSteps(settings, _plan([])).steps())
    statuses = {r["run_id"]: r["status"] for r in record.runs(settings.runs_dir)}
    assert statuses.pop("20261130T020000000000Z-1") == "INTERRUPTED" and list(statuses.values()) == ["UNCHANGED"]


def test_a_refresh_refused_by_the_lock_writes_no_run_record(tmp_path):
    settings = Settings.default(tmp_path / "data")
    with refresh_lock(settings.lock_path, {"run_id": "run-a", "pid": 1, "started_at": "2026-11-30T02:00:00+00:00"}):
        with pytest.raises(RefreshBusy, match="run run-a, pid 1"):
            refresh(settings, FakeSteps(settings, _plan([])).steps())
    assert record.runs(settings.runs_dir) == []


def test_the_state_machine_imports_without_prefect():
    code = "import sys, pipelines.runs.refresh; print('prefect' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
