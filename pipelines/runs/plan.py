"""What a refresh must redo: fingerprints of every input and each stage's key, against what the last run left."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import __version__
from pipelines.ingest.run import SOURCE_ORDER, fingerprint, pii_salt, raw_files
from pipelines.report.publish import missing_parts
from pipelines.settings import Settings
from pipelines.warehouse import read as read_warehouse

PACKAGE = Path(__file__).resolve().parent.parent
CODE_SUFFIXES = (".py", ".sql", ".j2")
# Stages in run order; a stage whose key changed is redone with every stage after it.
STAGES = ["validate", "score", "report"]
# The code each stage's output depends on (under pipelines/): editing the CLI or the report does not re-validate.
STAGE_CODE = {"validate": ["__init__.py", "atomic.py", "settings.py", "ingest", "validate"], "score": ["score"],
              "report": ["report"]}


@dataclass
class RawScan:
    """The raw files that held still during the settle window (path under data/raw/ -> sha256), and those that did not."""

    files: dict[str, str]
    settling: list[str] = field(default_factory=list)


def _is_input(path: Path, raw_dir: Path) -> bool:
    # What ingest reads: files in the source folders (their _source.yaml sidecars included), not hidden or lock files.
    return (path.is_file() and not path.name.startswith((".", "~$"))
            and path.relative_to(raw_dir).parts[0] in SOURCE_ORDER)


def scan_raw(raw_dir: Path, settle_seconds: float) -> RawScan:
    """Return the sha256 of every raw file whose size and modification time stayed put for `settle_seconds`.

    A file that is still growing (an upload or a copy in progress) is listed in `settling` and left for the next run.
    """
    def stats() -> dict[str, tuple[int, int]]:
        found = {}
        for path in sorted(raw_dir.rglob("*")) if raw_dir.is_dir() else []:
            if _is_input(path, raw_dir):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed while listing: it is simply not there this run
                    continue
                found[path.relative_to(raw_dir).as_posix()] = (stat.st_size, stat.st_mtime_ns)
        return found

    before = stats()
    if settle_seconds > 0 and before:
        time.sleep(settle_seconds)
    after = stats()
    settling = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    # A link out of data/raw/ is fingerprinted by where it points, never by reading it (ingest refuses it).
    return RawScan(files={p: fingerprint(raw_dir / p, raw_dir) for p in after if p not in settling}, settling=settling)


def _files_digest(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_hash(parts: list[str]) -> str:
    """Return one sha256 over the pipeline's code (Python, SQL, templates) in `parts` (files or folders under
    pipelines/) and its version.
    """
    files = []
    for part in parts:
        path = PACKAGE / part
        found = path.rglob("*") if path.is_dir() else [path]
        files += [p for p in found if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts]
    return hashlib.sha256((__version__ + _files_digest(files, PACKAGE)).encode()).hexdigest()


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def stage_keys(settings: Settings, scan: RawScan, methodology_hash: str) -> dict[str, str]:
    """Return the key of each stage: a sha256 of everything its output depends on, including the earlier stages' keys."""
    config = settings.config_dir
    salt = settings.data_dir / ".pii_salt"
    validate = _digest({
        "raw": scan.files, "code": code_hash(STAGE_CODE["validate"]),
        "contract": _files_digest([config / "sources.yaml"], config),
        "validation": settings.validation, "as_of_year": settings.as_of_year,
        "expectations": _files_digest(list(settings.expectations_dir.glob("*.json")), settings.expectations_dir),
        "framework": _files_digest([settings.methodology_dir / "framework.yaml"], settings.methodology_dir),
        "reference": _files_digest([p for p in settings.reference_dir.rglob("*") if p.is_file()], settings.reference_dir),
        "salt": hashlib.sha256(salt.read_bytes()).hexdigest() if salt.exists() else None,
    })
    score = _digest({"validate": validate, "methodology": methodology_hash, "monte_carlo": settings.monte_carlo,
                     "code": code_hash(STAGE_CODE["score"])})
    return {"validate": validate, "score": score,
            "report": _digest({"score": score, "code": code_hash(STAGE_CODE["report"])})}


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
    # A site published without its images is rebuilt by the next refresh: the browser may be installed by now.
    report = (None if "images" in missing_parts(settings.reports_dir)
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
    pii_salt(settings)   # created before the keys are taken, so the first run's key is the one that lasts
    scan = scan_raw(settings.raw_dir, settle)
    keys = stage_keys(settings, scan, methodology_hash)
    stored = stored_keys(settings)
    first = next((i for i, stage in enumerate(STAGES) if force or keys[stage] != stored[stage]), len(STAGES))
    stages = STAGES[first:]
    if "validate" in stages:
        stages = ["ingest", *stages]
    # Against the live publication too: a killed validation leaves no curated manifest to compare with.
    waiting = sorted(set(scan.settling) & (set(curated_inputs(settings)) | set(published_inputs(settings))))
    return Plan(keys=keys, stored=stored, scan=scan, stages=stages, waiting=waiting)


def raw_changes(settings: Settings, scan: RawScan) -> dict[str, list[str]]:
    """Return the raw files added, changed and removed since the current curated layer, and those still settling."""
    before = curated_inputs(settings)
    read = {path.relative_to(settings.raw_dir).as_posix() for _, path in raw_files(settings.raw_dir)}
    data = {p: h for p, h in scan.files.items() if p in read}
    return {"added": sorted(data.keys() - before.keys()),
            "changed": sorted(p for p in data.keys() & before.keys() if data[p] != before[p]),
            "removed": sorted(before.keys() - data.keys() - set(scan.settling)),
            "settling": scan.settling}
