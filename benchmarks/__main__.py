"""Benchmark the refresh on a generated data set: per stage wall time, CPU time, peak RSS and rows per second,
with reference points measured in the same run.

    python -m benchmarks --size national          (or: make bench SIZE=national)

Sizes are those of config/demo.yaml (demo, national, national10x). The data set is generated once into
benchmarks/out/<size>/ and reused while config/demo.yaml is unchanged. Figures go to stdout and to
benchmarks/out/<size>/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mib() -> float:
    """Return this process's peak RSS since the last reset (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM, so each stage reports its own peak.
    Path("/proc/self/clear_refs").write_text("5")


def _watchdog(limit_mib: float) -> None:
    def watch():
        while True:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:") and int(line.split()[1]) / 1024 > limit_mib:
                    print(f"\nstopped: resident memory passed the limit of {limit_mib:.0f} MiB", flush=True)
                    os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


def measure(stage: str, func, rows=None, profile_dir: Path | None = None) -> dict:
    """Return wall s, CPU s, peak RSS MiB (and rows/s) of one call; the call's result under `result`."""
    _reset_peak_rss()
    profiler = None
    if profile_dir is not None:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    figures = {"stage": stage, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
               "peak_rss_mib": _peak_rss_mib()}
    if profiler is not None:
        profiler.stop()
        path = profile_dir / f"profile_{stage.split()[0]}.txt"
        path.write_text(profiler.output_text(show_all=False, color=False))
        figures["profile"] = str(path.relative_to(ROOT))
    if rows is not None:
        figures["rows"] = rows(result)
        figures["rows_per_s"] = figures["rows"] / figures["wall_s"]
    return figures | {"result": result}


def generate_once(size: str, data_dir: Path) -> float:
    """Generate the data set in a child process unless it exists for the current config; return seconds spent."""
    stamp = data_dir / ".generated"
    digest = hashlib.sha256((ROOT / "config" / "demo.yaml").read_bytes() + size.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return 0.0
    start = time.perf_counter()
    subprocess.run([_readiness(), "generate-demo", "--size", size, "--data-dir", str(data_dir)], check=True,
                   stdout=subprocess.DEVNULL)
    stamp.write_text(digest)
    return time.perf_counter() - start


def _readiness() -> str:
    return str(Path(sys.executable).with_name("readiness"))


def refresh_process(data_dir: Path, *options: str, env: dict | None = None) -> dict:
    """Return wall s and peak RSS MiB of `readiness refresh` in a new process (imports and Prefect included)."""
    start = time.perf_counter()
    child = subprocess.Popen([_readiness(), "refresh", "--data-dir", str(data_dir), *options], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"readiness refresh failed on {data_dir}")
    return {"wall_s": time.perf_counter() - start, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024}


def refresh_with_server(data_dir: Path) -> dict:
    """Return the figures of a no-change refresh against a Prefect server that is already up (as under
    `readiness serve`), so the temporary server's start is not counted.
    """
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        return refresh_process(data_dir, env={**os.environ, "PREFECT_API_URL": url})
    finally:
        server.terminate()
        server.wait(timeout=60)


def run(size: str, profile: bool, max_rss_gib: float) -> dict:
    """Return every figure of one benchmark run on one size."""
    _watchdog(max_rss_gib * 1024)
    data_dir = ROOT / "benchmarks" / "out" / size
    generated = generate_once(size, data_dir)
    # Child processes first: Linux carries the parent's peak RSS into a child's, so measure while this
    # process is still small.
    shutil.rmtree(data_dir / "staging" / "cache", ignore_errors=True)
    cold = refresh_process(data_dir, "--force")
    warm = refresh_process(data_dir)
    fiscal = sorted((data_dir / "raw" / "fiscal_capacity").glob("*.csv"))[-1]
    original = fiscal.read_bytes()
    try:
        fiscal.write_bytes(_one_value_changed(original))
        one_file = refresh_process(data_dir) | {"file": fiscal.relative_to(data_dir).as_posix()}
        served = refresh_with_server(data_dir)   # nothing changed since the run before
    finally:
        fiscal.write_bytes(original)

    from benchmarks.reference import bare_duckdb_means, pandas_readiness
    from pipelines.ingest.run import ingest
    from pipelines.report.site import build_report
    from pipelines.score.methodology import load
    from pipelines.score.run import score
    from pipelines.settings import Settings
    from pipelines.validate.run import validate

    settings = Settings.default(data_dir)
    methodology = load(settings.methodology_dir)
    profile_dir = data_dir if profile else None
    shutil.rmtree(settings.staging_dir / "cache", ignore_errors=True)
    stages = [measure("ingest", lambda: ingest(settings, methodology.framework), lambda s: int(s.files["rows_read"].sum()), profile_dir)]
    staged = stages[0].pop("result")
    answers = len(staged.tables["questionnaire_answers"])
    stages.append(measure("validate", lambda: validate(staged, settings, methodology.framework), None, profile_dir))
    stages[-1].pop("result")
    stages.append(measure("score", lambda: score(settings, methodology), lambda _: answers, profile_dir))
    stages[-1].pop("result")
    site = settings.publications_dir / "benchmark.partial"
    stages.append(measure("report", lambda: build_report(settings, site), None, profile_dir))
    stages[-1].pop("result")
    shutil.rmtree(site)
    monte_carlo = _monte_carlo(settings, methodology)
    duck = measure("bare DuckDB aggregation", lambda: bare_duckdb_means(settings.curated_dir), lambda _: answers)
    duck.pop("result")
    panda = measure("pandas readiness", lambda: pandas_readiness(settings.curated_dir, methodology), lambda _: answers)
    expected = _readiness_from_warehouse(settings.warehouse_path)
    got = panda.pop("result").set_index("region_code")["readiness_index"].reindex(expected.index)
    agreement = float((got - expected).abs().max())
    warm_ingest = measure("ingest, unchanged files", lambda: ingest(settings, methodology.framework), lambda s: int(s.files["rows_read"].sum()))
    warm_ingest.pop("result")
    score_s = stages[2]["wall_s"]
    return {
        "size": size, "date": time.strftime("%Y-%m-%d"), "commit": _commit(),
        "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB, "
                   f"{platform.platform()}, Python {platform.python_version()}",
        "generated_s": generated, "files": len(staged.files), "raw_rows": int(staged.files["rows_read"].sum()),
        "answers": answers, "stages": stages, "references": [duck, panda, warm_ingest],
        "refresh_cold": cold, "refresh_unchanged": warm, "refresh_one_file": one_file,
        "refresh_unchanged_served": served,
        "ratios": {"score / bare DuckDB": score_s / duck["wall_s"], "pandas / score": panda["wall_s"] / score_s},
        "pandas_vs_duckdb_max_abs_diff": agreement, "monte_carlo": monte_carlo,
    }


NAIVE_REPLICATIONS = 20


def _one_value_changed(csv: bytes) -> bytes:
    """Return a semicolon CSV with the fourth field of its first data row replaced (a re-delivered statistics file)."""
    lines = csv.split(b"\n")
    fields = lines[1].split(b";")
    fields[3] = b"9,9999" if fields[3] != b"9,9999" else b"0,0001"
    lines[1] = b";".join(fields)
    return b"\n".join(lines)


def _monte_carlo(settings, methodology) -> dict:
    """Time the cohort Monte Carlo (set-up and replications apart) and a per-replication pandas loop on a sample."""
    import duckdb
    import numpy as np

    from benchmarks.reference import naive_monte_carlo
    from pipelines.score import cohort, selection, uncertainty

    with duckdb.connect(str(settings.warehouse_path)) as con:
        frame = selection.candidates(con, methodology)
        frame = frame[frame["readiness_index"].notna()].reset_index(drop=True)
        seats = cohort.compile_rules(methodology.cohort, frame)
        setup = measure("uncertainty set-up (engine per method variant)",
                        lambda: selection.simulation(con, methodology, frame, seats))
    sim, _ = setup.pop("result")
    drawn = uncertainty.design(sim.factors, int(methodology.cohort.uncertainty["base_samples"]), 0)
    vectorised = measure(f"uncertainty: {len(drawn):,} replications, vectorised", lambda: sim.run(drawn))
    result = vectorised.pop("result")
    sample = drawn[:NAIVE_REPLICATIONS]
    naive = measure(f"uncertainty: {len(sample)} replications, pandas loop", lambda: naive_monte_carlo(sim, sample))
    same = float(np.mean([np.array_equal(a, b) for a, b in zip(naive.pop("result"), result["selected"][:len(sample)])]))
    per_naive = naive["wall_s"] / len(sample)
    return {"stages": [setup, vectorised, naive], "replications": len(drawn),
            "replications_per_s": len(drawn) / vectorised["wall_s"],
            "naive_s_for_all": per_naive * len(drawn), "naive_over_vectorised": per_naive * len(drawn) / vectorised["wall_s"],
            "naive_same_cohort_share": same}


def _readiness_from_warehouse(warehouse: Path):
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("SELECT region_code, readiness_index FROM score.region_readiness").df().set_index(
            "region_code")["readiness_index"]


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(results: dict) -> str:
    """Return the figures as the text printed to the terminal (markdown tables, ready for docs/benchmarks.md)."""
    lines = [f"machine: {results['machine']}", f"date {results['date']}, commit {results['commit']}, size "
             f"{results['size']}: {results['files']} files, {results['raw_rows']:,} raw rows, {results['answers']:,} "
             f"answers" + (f"; generated in {results['generated_s']:.0f} s" if results["generated_s"] else ""), "",
             "| stage | wall s | CPU s | peak RSS MiB | rows/s |", "|---|---|---|---|---|"]
    for f in results["stages"] + results["monte_carlo"]["stages"] + results["references"]:
        rate = f"{f['rows_per_s']:,.0f}" if "rows_per_s" in f else ""
        lines.append(f"| {f['stage']} | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | {f['peak_rss_mib']:,.0f} | {rate} |")
    for label, key in (("refresh, cold process (imports, Prefect, every file parsed, --force)", "refresh_cold"),
                       ("refresh, new process, no input changed (nothing redone)", "refresh_unchanged"),
                       (f"refresh, new process, one value changed in {results['refresh_one_file']['file']}",
                        "refresh_one_file"),
                       ("refresh, new process, no input changed, Prefect server already up (as under serve)",
                        "refresh_unchanged_served")):
        f = results[key]
        lines.append(f"| {label} | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | {f['peak_rss_mib']:,.0f} | |")
    mc = results["monte_carlo"]
    lines += ["", *(f"{k}: {v:.2f}×" for k, v in results["ratios"].items()),
              f"Monte Carlo: {mc['replications']:,} replications at {mc['replications_per_s']:,.0f}/s; the pandas loop "
              f"would take {mc['naive_s_for_all']:,.0f} s ({mc['naive_over_vectorised']:,.0f}× slower; same cohort in "
              f"{100 * mc['naive_same_cohort_share']:.0f}% of the sampled replications)",
              f"pandas readiness equals DuckDB's: max |difference| = {results['pandas_vs_duckdb_max_abs_diff']:.2e}"]
    lines += [f"profile of {f['stage']}: {f['profile']}" for f in results["stages"] if "profile" in f]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark for --size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="national", help="a size of config/demo.yaml")
    parser.add_argument("--profile", action="store_true", help="profile each stage with pyinstrument")
    parser.add_argument("--max-rss-gib", type=float, default=20, help="stop if resident memory passes this")
    args = parser.parse_args()
    results = run(args.size, args.profile, args.max_rss_gib)
    out = ROOT / "benchmarks" / "out" / args.size / "results.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
