"""Measure ingest and validation on a generated data set: wall time, CPU time, peak RSS and rows per second.

    python -m benchmarks.ingest_validate --size national

The data set is generated once into benchmarks/out/<size>/ (reused while config/demo.yaml is unchanged).
Ingest runs cold (the parse cache emptied) and then again warm (every file unchanged).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, func, rows=None) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    figures = {"stage": label, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
               "peak_rss_mib": _rss_mib()}
    if rows is not None:
        figures["rows_per_s"] = rows(result) / figures["wall_s"]
    return figures | {"result": result}


def generate_once(size: str, data_dir: Path) -> float:
    """Generate the data set in a child process unless it exists for the current config; return seconds spent."""
    stamp = data_dir / ".generated"
    digest = hashlib.sha256((ROOT / "config" / "demo.yaml").read_bytes() + size.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return 0.0
    start = time.perf_counter()
    readiness = str(Path(sys.executable).with_name("readiness"))
    subprocess.run([readiness, "generate-demo", "--size", size, "--data-dir", str(data_dir)], check=True)
    stamp.write_text(digest)
    return time.perf_counter() - start


def main() -> None:
    """Print a table of figures for ingest (cold, warm) and validation."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="national", help="a size of config/demo.yaml")
    args = parser.parse_args()
    data_dir = ROOT / "benchmarks" / "out" / args.size
    generated = generate_once(args.size, data_dir)

    from pipelines.ingest.run import ingest
    from pipelines.settings import Settings
    from pipelines.validate.run import validate

    settings = Settings.default(data_dir)
    shutil.rmtree(settings.staging_dir / "cache", ignore_errors=True)
    rows_read = lambda staged: int(staged.files["rows_read"].sum())  # noqa: E731
    cold = _timed("ingest (cold)", lambda: ingest(settings), rows_read)
    warm = _timed("ingest (unchanged files)", lambda: ingest(settings), rows_read)
    checked = _timed("validate", lambda: validate(warm["result"], settings),
                     lambda curated: sum(len(t) for t in curated.tables.values()))
    staged = cold["result"]
    answers = len(staged.tables["questionnaire_answers"])
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB,"
          f" {platform.platform()}, Python {platform.python_version()}")
    print(f"size {args.size}: {len(staged.files)} files, {rows_read(staged):,} raw rows, {answers:,} answers"
          + (f" (generated in {generated:.0f} s)" if generated else " (data set reused)"))
    print(f"{'stage':28} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'rows/s':>10}")
    for f in (cold, warm, checked):
        print(f"{f['stage']:28} {f['wall_s']:8.1f} {f['cpu_s']:8.1f} {f['peak_rss_mib']:13.0f} "
              f"{f.get('rows_per_s', 0):10,.0f}")


if __name__ == "__main__":
    main()
