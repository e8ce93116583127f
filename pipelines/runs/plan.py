"""What a refresh must redo: fingerprints of every input and each stage's key, against what the last run left."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.atomic import write_text
from pipelines.code import code_hash, module_file, module_info
from pipelines.report.publish import missing_parts
from pipelines.settings import Settings
from pipelines.sources import (
    Contracts, fingerprint, folder_digest, is_input, load_contracts, pii_salt, raw_files,
)
from pipelines.warehouse import read as read_warehouse

# Stages in run order; a stage whose key changed is redone with every stage after it. Each is made by the steps
# (modules) listed: their code, what they import from pipelines/ and the inputs they declare (READS) make its key.
STAGES = {"validate": ["pipelines.ingest.run", "pipelines.validate.run"], "score": ["pipelines.score.run"],
          "report": ["pipelines.report.site"]}


@dataclass
class RawScan:
    """The raw files that held still during the settle window (path under data/raw/ -> sha256), those that did not,
    and the file status of those that did (path -> [size, mtime ns, ctime ns, inode, sha256]) for the next scan."""

    files: dict[str, str]
    settling: list[str] = field(default_factory=list)
    stats: dict[str, list] = field(default_factory=dict)


def scan_raw(raw_dir: Path, settle_seconds: float, sources: Contracts, known: dict[str, list] | None = None) -> RawScan:
    """Return the sha256 of every raw file whose size and modification time stayed put for `settle_seconds`.

    A file that is still growing (an upload or a copy in progress) is listed in `settling` and left for the next run.
    A file whose status equals its entry in `known` (the last scan's `stats`) held still since then: when every file
    does, there is nothing to wait for, and such a file's sha256 is taken from `known` instead of read again.
    """
    known = known or {}

    def stats() -> dict[str, tuple[int, ...]]:
        found = {}
        for path in sorted(raw_dir.rglob("*")) if raw_dir.is_dir() else []:
            if is_input(path, raw_dir, sources):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed while listing: it is simply not there this run
                    continue
                # A link's own status says nothing of where it points: it is never taken from `known`.
                found[path.relative_to(raw_dir).as_posix()] = (
                    stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, -1 if path.is_symlink() else stat.st_ino)
        return found

    def unchanged(path: str, stat: tuple[int, ...]) -> bool:
        return stat[3] >= 0 and list(stat) == known.get(path, [])[:4]

    before = stats()
    if settle_seconds > 0 and not all(unchanged(p, s) for p, s in before.items()):
        time.sleep(settle_seconds)
        after = stats()
    else:
        after = before
    settling = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    # A link out of data/raw/ is fingerprinted by where it points, never by reading it (ingest refuses it).
    files = {p: known[p][4] if unchanged(p, after[p]) else fingerprint(raw_dir / p, raw_dir)
             for p in after if p not in settling}
    return RawScan(files=files, settling=settling, stats={p: [*after[p], h] for p, h in files.items()})


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _fingerprint(value: object) -> object:
    """Return what a declared input contributes to a key: a file's or folder's bytes, or a setting's value."""
    if not isinstance(value, Path):
        return value
    if value.is_dir():
        return folder_digest(value)
    return hashlib.sha256(value.read_bytes()).hexdigest() if value.is_file() else None


def _reads(module: str) -> tuple[str, ...]:
    """Return a step module's READS, read from its source: importing every step to learn it would cost the plan
    more than the rest of its work."""
    path = module_file(module)
    reads = module_info(path).reads
    if reads is None:
        raise ValueError(f"{path}: a step module declares READS = (...), the Settings attributes it reads")
    return reads


def declared_inputs(settings: Settings, modules: list[str]) -> dict[str, object]:
    """Return the fingerprint of every input the steps `modules` declare in their READS (Settings attributes)."""
    names = sorted({name for module in modules for name in _reads(module)})
    return {name: _fingerprint(getattr(settings, name)) for name in names}


def stage_keys(settings: Settings, scan: RawScan, methodology_hash: str) -> dict[str, str]:
    """Return the key of each stage: a sha256 of everything its output depends on, including the earlier stages' keys.

    That is the raw files (for the first stage), the methodology (for scoring), and per stage its steps' code and
    declared inputs.
    """
    keys: dict[str, str] = {}
    before: str | None = None
    for stage, modules in STAGES.items():
        parts = {"code": code_hash(modules), "inputs": declared_inputs(settings, modules), "before": before}
        if before is None:
            parts["raw"] = scan.files
        if stage == "score":
            parts["methodology"] = methodology_hash
        keys[stage] = before = _digest(parts)
    return keys


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stored_keys(settings: Settings) -> dict[str, str | None]:
    """Return the key each stage's current output was built with (None where there is no complete output)."""
    score = None
    if settings.warehouse_path.exists():
        try:
            with read_warehouse(settings.warehouse_path) as con:
                score = con.execute("SELECT any_value(stage_key) FROM methodology.run").fetchone()[0]
        except duckdb.Error:
            score = None
    # A site published without its images or PDFs is rebuilt by the next refresh: the browser may be installed by now.
    report = (None if {"images", "pdfs"} & missing_parts(settings.reports_dir).keys()
              else _json(settings.reports_dir / "manifest.json").get("stage_key"))
    return {"validate": curated_manifest(settings).get("stage_key"), "score": score, "report": report}


def curated_manifest(settings: Settings) -> dict:
    """Return the current curated layer's manifest ({} while there is no complete curated layer)."""
    return _json(settings.curated_dir / "manifest.json")


def curated_inputs(settings: Settings) -> dict[str, str]:
    """Return the raw files (path -> sha256) behind the current curated layer."""
    return {i["source_file"]: i["sha256"] for i in curated_manifest(settings).get("inputs", [])}


def published_inputs(settings: Settings) -> dict[str, str]:
    """Return the raw files (path -> sha256) behind the live publication."""
    return {i["source_file"]: i["sha256"] for i in _json(settings.reports_dir / "manifest.json").get("inputs", [])}


def scan_path(settings: Settings) -> Path:
    """Return where the plan keeps the last scan's file status, so that an unchanged refresh neither waits nor
    reads the raw files again."""
    return settings.staging_dir / "raw_scan.json"


def last_scan(settings: Settings) -> dict[str, list]:
    """Return the file status the last plan kept (RawScan.stats), {} if none: what scan_raw takes as `known`."""
    return _json(scan_path(settings))


@dataclass
class Plan:
    """What this refresh does: the stages to run (in order), the keys, and the raw files it must wait for."""

    keys: dict[str, str]
    stored: dict[str, str | None]
    scan: RawScan
    stages: list[str]
    waiting: list[str]

    @property
    def reused(self) -> list[str]:
        """The stages whose previous output is still current."""
        return [s for s in ["ingest", *STAGES] if s not in self.stages]


def refresh_plan(settings: Settings, methodology_hash: str, force: bool = False,
                 settle_seconds: float | None = None) -> Plan:
    """Return what a refresh must redo: every stage from the first whose key differs from its stored output's.

    `waiting` lists files still being written that the current curated layer was built from: publishing without
    them would drop data that is only being replaced, so the whole run waits for the next one.
    """
    settle = float(settings.operations.get("settle_seconds", 0) if settle_seconds is None else settle_seconds)
    pii_salt(settings.salt_path)   # created before the keys are taken, so the first run's key is the one that lasts
    known = last_scan(settings)
    scan = scan_raw(settings.raw_dir, settle, load_contracts(settings.sources_dir), known)
    if scan.stats != known:
        scan_path(settings).parent.mkdir(parents=True, exist_ok=True)
        write_text(scan_path(settings), json.dumps(scan.stats, indent=1, sort_keys=True))
    keys = stage_keys(settings, scan, methodology_hash)
    stored = stored_keys(settings)
    order = list(STAGES)
    first = next((i for i, stage in enumerate(order) if force or keys[stage] != stored[stage]), len(order))
    stages = order[first:]
    if "validate" in stages:
        stages = ["ingest", *stages]
    # Against the live publication too: a killed validation leaves no curated manifest to compare with.
    waiting = sorted(set(scan.settling) & (set(curated_inputs(settings)) | set(published_inputs(settings))))
    return Plan(keys=keys, stored=stored, scan=scan, stages=stages, waiting=waiting)


def raw_changes(settings: Settings, scan: RawScan) -> dict[str, list[str]]:
    """Return the raw files added, changed and removed since the current curated layer, and those still settling."""
    before = curated_inputs(settings)
    read = {path.relative_to(settings.raw_dir).as_posix()
            for _, path in raw_files(settings.raw_dir, load_contracts(settings.sources_dir))}
    data = {p: h for p, h in scan.files.items() if p in read}
    return {"added": sorted(data.keys() - before.keys()),
            "changed": sorted(p for p in data.keys() & before.keys() if data[p] != before[p]),
            "removed": sorted(before.keys() - data.keys() - set(scan.settling)),
            "settling": scan.settling}
