"""One refresh at a time per data folder: an advisory file lock that the kernel releases when the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 1.0


class RefreshBusy(RuntimeError):
    """Another refresh holds the data folder's lock."""


def describe_holder(holder: dict | None, path: Path) -> str:
    """Return who holds the refresh lock, in the words a refused refresh prints."""
    if not holder:
        return f"another refresh holds {path}"
    return (f"another refresh is running on this data folder (run {holder.get('run_id')}, pid {holder.get('pid')}, "
            f"started {holder.get('started_at')})")


def lock_holder(path: Path) -> dict | None:
    """Return who holds the refresh lock at `path` (run id, pid, start), or None when no refresh is running."""
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None


@contextmanager
def refresh_lock(path: Path, holder: dict, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the exclusive refresh lock at `path` for the block; raise RefreshBusy if another holder keeps it
    longer than `wait_seconds` (0: do not wait).

    The lock is an flock on an open file, so a refresh killed with SIGKILL releases it with its process.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    message = describe_holder(_read_holder(path), path)
                    hint = (f"; waited {wait_seconds:.0f} s" if wait_seconds else
                            "; this refresh exits without touching anything (use --wait SECONDS to queue behind it)")
                    raise RefreshBusy(message + hint) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        # Closing the descriptor releases the lock; the holder text is left for nobody to trust (lock_holder checks).
        os.close(fd)
