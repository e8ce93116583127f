"""Time `readiness demo` end to end in a child process; print wall time, CPU time and peak memory (RSS)."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def measure(command: list[str]) -> dict:
    """Return wall seconds, CPU seconds and peak RSS (MiB) of one child process running `command`."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def main() -> None:
    """Run the demo once (generation + refresh flow) into a scratch data folder and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="demo")
    parser.add_argument("--data-dir", default="benchmarks/out/demo")
    args = parser.parse_args()
    readiness = str(Path(sys.executable).with_name("readiness"))
    figures = measure([readiness, "demo", "--size", args.size, "--data-dir", args.data_dir])
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB, "
          f"{platform.platform()}, Python {platform.python_version()}")
    print(f"readiness demo --size {args.size}: wall {figures['wall_s']:.1f} s, CPU {figures['cpu_s']:.1f} s, "
          f"peak RSS {figures['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
