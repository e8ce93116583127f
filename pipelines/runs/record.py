"""The run history: one JSON record per refresh in data/runs/, written whole at every change of state."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from pipelines import atomic

# RUNNING while in progress; then COMPLETED (published in full), PARTIAL (published with parts missing or withheld),
# UNCHANGED (nothing to redo), WAITING (a file it depends on was still being written), FAILED (an error; the last
# publication stays) or INTERRUPTED (killed).
FINAL_STATUSES = ("COMPLETED", "PARTIAL", "UNCHANGED", "WAITING", "FAILED", "INTERRUPTED")


def now_utc() -> str:
    """Return the current UTC time as ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_run_id() -> str:
    """Return a run id that sorts by start time (UTC, microseconds) and names the process."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def _path(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f"{run_id}.json"


def write(runs_dir: Path, record: dict) -> dict:
    """Store `record` as data/runs/<run_id>.json (replacing the earlier state) and return it."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(_path(runs_dir, record["run_id"]), json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    return record


def runs(runs_dir: Path) -> list[dict]:
    """Return every run record, newest first."""
    found = []
    for path in sorted(runs_dir.glob("*.json"), reverse=True):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return found


def close_interrupted(runs_dir: Path) -> list[str]:
    """Mark every record still RUNNING as INTERRUPTED and return their ids.

    Called by a run that holds the refresh lock: no other refresh can be running, so a RUNNING record is one
    whose process died (killed, or the machine stopped).
    """
    closed = []
    for record in runs(runs_dir):
        if record.get("status") == "RUNNING":
            outcome = (f"its site {record['publication']} was published, the run summary was not completed"
                       if record.get("publication") else "nothing it built was published")
            write(runs_dir, {**record, "status": "INTERRUPTED", "finished_at": None,
                             "message": f"the process stopped during {record.get('stage') or 'the run'}; {outcome}"})
            closed.append(record["run_id"])
    return closed


def last_published(runs_dir: Path) -> dict | None:
    """Return the newest run that published (COMPLETED, or PARTIAL: published with parts missing), or None."""
    return next((r for r in runs(runs_dir) if r.get("status") in ("COMPLETED", "PARTIAL")), None)
