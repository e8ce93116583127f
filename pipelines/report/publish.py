"""Atomic publication: each site is built in its own folder under data/publications/, and data/reports is a
symbolic link that is swapped to the new folder in one rename, so readers see the old site or the new one, never
half of either.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pipelines.settings import Settings

PARTIAL = ".partial"


def building_dir(settings: Settings, run_id: str) -> Path:
    """Return an empty folder to build run `run_id`'s site in (data/publications/<run_id>.partial)."""
    folder = settings.publications_dir / f"{run_id}{PARTIAL}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def live(settings: Settings) -> Path | None:
    """Return the folder of the live publication (what data/reports points to), or None."""
    link = settings.reports_dir
    return link.resolve() if link.exists() else None


def missing_parts(folder: Path) -> dict[str, str]:
    """Return the parts a built or live site is published without, with the reasons ({} when complete or absent)."""
    manifest = folder / "manifest.json"
    return (json.loads(manifest.read_text(encoding="utf-8")).get("missing_parts") or {}) if manifest.is_file() else {}


def _adopt_plain_folder(settings: Settings) -> None:
    # A data/reports written before publications existed becomes the first publication, so it stays live.
    link = settings.reports_dir
    if link.is_dir() and not link.is_symlink():
        settings.publications_dir.mkdir(parents=True, exist_ok=True)
        link.rename(settings.publications_dir / "00000000-earlier")


def publish(settings: Settings, built: Path) -> Path:
    """Make the site in `built` the live publication and return its folder; older publications beyond the
    configured number are deleted.
    """
    _adopt_plain_folder(settings)
    final = built.with_name(built.name.removesuffix(PARTIAL))
    built.rename(final)
    temporary = settings.reports_dir.with_name(f".{settings.reports_dir.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(final, settings.reports_dir.parent), target_is_directory=True)
    os.replace(temporary, settings.reports_dir)
    prune(settings, keep=int(settings.operations.get("keep_publications", 3)))
    return final


def prune(settings: Settings, keep: int) -> list[Path]:
    """Delete unfinished builds and all but the newest `keep` earlier publications; return what was deleted."""
    if not settings.publications_dir.is_dir():
        return []
    current = live(settings)
    folders = sorted((p for p in settings.publications_dir.iterdir() if p.is_dir()), key=lambda p: p.name)
    partial = [p for p in folders if p.name.endswith(PARTIAL)]
    earlier = [p for p in folders if p not in partial and p.resolve() != current]
    doomed = partial + earlier[:max(len(earlier) - keep, 0)]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed
