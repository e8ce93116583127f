"""The DuckDB warehouse file: built aside and swapped in, read without waiting for whoever else has it open.

Analysts open data/warehouse.duckdb in notebooks, the DuckDB CLI or dashboards; a read-write connection there holds
an exclusive lock on the file. A refresh therefore never writes the live file: it copies it (for its history),
scores into the copy and renames the copy over the live file. Readers that had the old file open keep reading the
old one until they reconnect.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def building_path(live: Path) -> Path:
    """Return where the next warehouse is built beside the live one."""
    return live.with_name(f".{live.stem}.building{live.suffix}")


def start_building(live: Path) -> Path:
    """Return a fresh building copy of the live warehouse (or no file, if there is none yet) to score into."""
    building = building_path(live)
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if live.exists():
        # A byte copy, not ATTACH: it works even while another process holds the live file's lock.
        shutil.copyfile(live, building)
    return building


def swap_in(building: Path, live: Path) -> None:
    """Make the finished (checkpointed) building copy the live warehouse in one rename.

    A write-ahead log beside the live file belongs to the old file (a notebook that wrote into it): replayed
    against the new one it would fail, so it is moved aside to `<name>.wal.replaced`.
    """
    os.replace(building, live)
    wal = live.with_name(live.name + ".wal")
    if wal.exists():
        os.replace(wal, live.with_name(live.name + ".wal.replaced"))


def is_lock_error(exc: BaseException) -> bool:
    """Return whether a DuckDB error says another process holds the file (its lock, or a log of its writes)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and ("lock" in text or "wal" in text)


@contextmanager
def read(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-only connection to the warehouse; if another process locks it, read a snapshot copy instead."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if not is_lock_error(exc):
            raise
        con = None
    if con is not None:
        try:
            yield con
        finally:
            con.close()
        return
    with tempfile.TemporaryDirectory(prefix="warehouse-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        con = duckdb.connect(str(copy), read_only=True)
        try:
            yield con
        finally:
            con.close()
