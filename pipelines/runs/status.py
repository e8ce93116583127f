"""What `readiness status` shows: recent runs, the live publication, and what the next refresh would pick up."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from pipelines.ingest.run import ignored_now
from pipelines.report.publish import live
from pipelines.runs import record
from pipelines.runs.lock import lock_holder
from pipelines.runs.plan import STAGES, last_scan, raw_changes, scan_raw, stage_keys, stored_keys
from pipelines.score.methodology import MethodologyError, load as load_methodology
from pipelines.settings import Settings
from pipelines.sources import load_contracts


def refresh_status(settings: Settings, runs: int = 10) -> dict:
    """Return the newest `runs` run records, who is running now, the live publication, and what is waiting.

    `waiting` lists raw files added, changed or removed since the published data, and files still being written;
    `stale` names the stages the next refresh would redo although no raw file changed (methodology or code);
    `ignored` lists the files under data/raw/ a refresh does not read, with the reason.
    """
    folder = live(settings)
    published = None
    if folder and (folder / "manifest.json").exists():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        published = {"path": str(folder), "inputs_hash": manifest["inputs_hash"],
                     "methodology_hash": manifest["methodology_hash"], "pages": len(manifest["pages"])}
    # As the next refresh's plan sees them (but without keeping what it saw: status only reads).
    scan = scan_raw(settings.raw_dir, float(settings.operations.get("settle_seconds", 0)),
                    load_contracts(settings.sources_dir), last_scan(settings))
    waiting = raw_changes(settings, scan)
    history = record.runs(settings.runs_dir)
    # Compare with the methodology folder the last run used (it may be a copy passed with --methodology).
    methodology_dir = settings.methodology
    if methodology_dir is None and history and history[0].get("methodology_dir"):
        methodology_dir = Path(history[0]["methodology_dir"])
        settings = replace(settings, methodology=methodology_dir)
    no_file_changed = not any(waiting[k] for k in ("added", "changed", "removed"))
    try:
        methodology_hash = load_methodology(settings.methodology_dir).hash
    except (MethodologyError, OSError) as exc:
        # A run with a broken methodology folder leaves nothing to compare with; say so instead of failing.
        stale = f"the methodology folder {settings.methodology_dir} cannot be used ({exc})"
    else:
        keys = stage_keys(settings, scan, methodology_hash)
        stored = stored_keys(settings)
        # A stage never built is not stale: the files waiting (all of them, then) say what the next run does.
        redo = [s for s in STAGES if stored[s] is not None and keys[s] != stored[s]]
        stale = ", ".join(redo) + " would be redone" if redo and no_file_changed else ""
    return {"runs": history[:runs], "running": lock_holder(settings.lock_path),
            "published": published, "waiting": waiting, "stale": stale, "ignored": ignored_now(settings)}
