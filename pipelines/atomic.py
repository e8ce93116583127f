"""Writes that a killed process cannot leave half done: write beside the target, then rename over it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # only a frame's own method is called: the plan's writes need no pandas
    import pandas as pd


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one rename."""
    partial = _partial(path)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Replace `path` with `frame` as Parquet (no index) in one rename."""
    partial = _partial(path)
    frame.to_parquet(partial, index=False)
    os.replace(partial, path)
