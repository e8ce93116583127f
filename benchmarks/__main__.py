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


def _tree_rss_mib(processes: list) -> float:
    """Return the resident memory of `processes` and all their descendants together, in MiB (0 for those gone)."""
    import psutil

    total = 0
    for process in processes:
        try:
            family = [process, *process.children(recursive=True)]
        except psutil.Error:
            continue
        for member in family:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                continue
    return total / 2**20


def timed_process(command: list[str], env: dict | None = None, also: list | None = None) -> dict:
    """Return wall s, CPU s and peak RSS MiB of a command in a new process. The peak is of the whole process tree
    (a temporary Prefect server, Chromium for the images) and of the processes `also` (a server it talks to),
    sampled every 50 ms."""
    import psutil

    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    watched, peak = [psutil.Process(child.pid), *(also or [])], 0.0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_mib(watched))
        time.sleep(0.05)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed")
    return {"wall_s": time.perf_counter() - start, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": max(peak, usage.ru_maxrss / 1024)}


def refresh_process(data_dir: Path, *options: str, env: dict | None = None, also: list | None = None) -> dict:
    """Return the figures of `readiness refresh` in a new process (imports and Prefect included)."""
    return timed_process([_readiness(), "refresh", "--data-dir", str(data_dir), *options], env=env, also=also)


def refresh_with_server(data_dir: Path) -> dict:
    """Return the figures of a one-value-changed refresh against a Prefect server that is already up (as under
    `readiness serve`), so the temporary server's start is not counted; the server's memory is counted.
    """
    import socket
    import urllib.request

    import psutil

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
        return refresh_process(data_dir, env={**os.environ, "PREFECT_API_URL": url}, also=[psutil.Process(server.pid)])
    finally:
        server.terminate()
        server.wait(timeout=60)


def forget_caches(staging_dir: Path) -> None:
    """Delete what ingest and validation keep between runs (parses by file, suite results by table): a cold run."""
    for cache in ("cache", "validation_cache"):
        shutil.rmtree(staging_dir / cache, ignore_errors=True)


def _processes(data_dir: Path) -> dict:
    """Return the refreshes in new processes (cold, unchanged, one file changed, one changed with a server up) and
    the start of the command line itself, the floor of any of them."""
    forget_caches(data_dir / "staging")
    figures = {"refresh_cold": refresh_process(data_dir, "--force"), "refresh_unchanged": refresh_process(data_dir),
               "cli_start": timed_process([_readiness(), "--help"])}
    fiscal = sorted((data_dir / "raw" / "fiscal_capacity").glob("*.csv"))[-1]
    original = fiscal.read_bytes()
    try:
        fiscal.write_bytes(_one_value_changed(original))
        figures["refresh_one_file"] = refresh_process(data_dir) | {"file": fiscal.relative_to(data_dir).as_posix()}
        fiscal.write_bytes(original)
        figures["refresh_one_file_served"] = refresh_with_server(data_dir)   # back to the original value
    finally:
        fiscal.write_bytes(original)
    # The GX import and an empty context, which every validation pays before checking a row.
    figures["gx_fixed"] = timed_process([sys.executable, "-c", "from pipelines.validate.gx import gx_context; gx_context()"])
    return figures


def run(size: str, profile: bool, max_rss_gib: float) -> dict:
    """Return every figure of one benchmark run on one size."""
    _watchdog(max_rss_gib * 1024)
    data_dir = ROOT / "benchmarks" / "out" / size
    generated = generate_once(size, data_dir)
    # Child processes first: Linux carries the parent's peak RSS into a child's, so measure while this
    # process is still small.
    processes = _processes(data_dir)

    from benchmarks.reference import pandas_readiness, read_raw_files
    from pipelines.ingest.run import ingest
    from pipelines.report.site import build_report
    from pipelines.score.methodology import load
    from pipelines.score.run import score
    from pipelines.settings import Settings
    from pipelines.sources import load_contracts, raw_files
    from pipelines.validate.run import validate

    settings = Settings.default(data_dir)
    methodology = load(settings.methodology_dir)
    profile_dir = data_dir if profile else None
    paths = [path for _, path in raw_files(settings.raw_dir, load_contracts(settings.sources_dir))]
    read = measure("reading the same raw files as plain tables (pandas C parser, calamine)",
                   lambda: read_raw_files(paths), lambda cells: cells)
    read.pop("result")
    forget_caches(settings.staging_dir)
    stages = [measure("ingest", lambda: ingest(settings, methodology.framework), lambda s: int(s.files["rows_read"].sum()), profile_dir)]
    staged = stages[0].pop("result")
    answers = len(staged.tables["questionnaire_answers"])
    stages.append(measure("validate", lambda: validate(staged, settings, methodology.framework), None, profile_dir))
    stages[-1].pop("result")
    stages.append(measure("score", lambda: score(settings, methodology), lambda _: answers, profile_dir))
    stages[-1].pop("result")
    sites = [settings.publications_dir / f"benchmark-{n}.partial" for n in (1, 2)]
    stages.append(measure("report", lambda: build_report(settings, sites[0]), None, profile_dir))
    stages[-1].pop("result")
    again = measure("report, again from the same warehouse", lambda: build_report(settings, sites[1]))
    again.pop("result")
    copied = measure("copying the built site (writing the same files)",
                     lambda: shutil.copytree(sites[0], sites[0].with_name("benchmark-copy.partial")))
    copied.pop("result")
    for folder in (*sites, sites[0].with_name("benchmark-copy.partial")):
        shutil.rmtree(folder)
    chain = _readiness_chain(settings, methodology)
    monte_carlo = _monte_carlo(settings, methodology)
    panda = measure("pandas readiness (plain pandas, as an analyst would)",
                    lambda: pandas_readiness(settings.curated_dir, methodology), lambda _: answers)
    expected = _readiness_from_warehouse(settings.warehouse_path)
    got = panda.pop("result").set_index("region_code")["readiness_index"].reindex(expected.index)
    agreement = float((got - expected).abs().max())
    warm_ingest = measure("ingest, unchanged files", lambda: ingest(settings, methodology.framework), lambda s: int(s.files["rows_read"].sum()))
    warm_ingest.pop("result")
    warm_validate = measure("validate, unchanged tables", lambda: validate(staged, settings, methodology.framework))
    warm_validate.pop("result")
    return {
        "size": size, "date": time.strftime("%Y-%m-%d"), "commit": _commit(), "load": _load(),
        "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB, "
                   f"{platform.platform()}, Python {platform.python_version()}",
        "generated_s": generated, "files": len(staged.files), "raw_rows": int(staged.files["rows_read"].sum()),
        "answers": answers, "stages": stages, "references": [read, again, copied, panda, warm_ingest, warm_validate],
        **processes, "readiness_chain": chain, "pandas_vs_duckdb_max_abs_diff": agreement, "monte_carlo": monte_carlo,
    }


NAIVE_REPLICATIONS = 20


def _one_value_changed(csv: bytes) -> bytes:
    """Return a semicolon CSV with the fourth field of its first data row replaced (a re-delivered statistics file)."""
    lines = csv.split(b"\n")
    fields = lines[1].split(b";")
    fields[3] = b"9,9999" if fields[3] != b"9,9999" else b"0,0001"
    lines[1] = b";".join(fields)
    return b"\n".join(lines)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) at the start"


def _warehouse_copy(settings) -> Path:
    """Return a copy of the warehouse to score into, so that the benchmark leaves the built one as it was."""
    copy = settings.data_dir / "benchmark-warehouse.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    return copy


def _readiness_chain(settings, methodology) -> dict:
    """Time the readiness scoring chain warm (its input models, the engine, publishing) beside a bare DuckDB mean per
    region and dimension over the same Parquet, both in this process and on the same connection, each run once first."""
    import duckdb

    from benchmarks.reference import region_dimension_means
    from pipelines.score import engine
    from pipelines.score.run import MODELS_DIR, model_phases, model_references, run_models

    method = methodology.readiness
    inputs = method.doc["inputs"]
    needed, todo = set(), [t.split(".")[1] for t in inputs.values()]
    while todo:
        model = todo.pop()
        if model not in needed and (MODELS_DIR / f"{model}.sql").is_file():
            needed.add(model)
            todo += [t.split(".")[1] for t in model_references((MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8"))
                     if t.startswith("score.")]
    models = [m for m in model_phases()["inputs"] if m in needed]
    copy = _warehouse_copy(settings)
    try:
        with duckdb.connect(str(copy)) as con:
            inputs_hash = con.execute("SELECT inputs_hash FROM methodology.run").fetchall()[0][0]

            def chain():
                run_models(con, models)
                engine.build(con, method, inputs["units"], inputs["values"], inputs.get("indicators"))
                return engine.publish(con, method, inputs_hash)

            chain(), region_dimension_means(con, settings.curated_dir)
            warm = measure(f"readiness scoring chain, warm ({', '.join(models)}, engine, publish)", chain)
            bare = measure("bare DuckDB mean per region and dimension, warm", lambda: region_dimension_means(
                con, settings.curated_dir))
    finally:
        copy.unlink(missing_ok=True)
    warm.pop("result"), bare.pop("result")
    return {"stages": [warm, bare], "ratio": warm["wall_s"] / bare["wall_s"]}


def _monte_carlo(settings, methodology) -> dict:
    """Time the cohort step whole (set-up, 10,240 replications, rank statistics, Sobol, writing) beside its parts: the
    set-up, the vectorised replications alone, and a per-replication pandas loop on a sample."""
    import duckdb
    import numpy as np

    from benchmarks.reference import naive_monte_carlo
    from pipelines.score import cohort, selection, uncertainty

    copy = _warehouse_copy(settings)
    try:
        with duckdb.connect(str(copy)) as con:
            whole = measure("cohort step, whole (selection.run)", lambda: selection.run(con, methodology))
            whole.pop("result")
            frame = selection.candidates(con, methodology)
            frame = frame[frame["readiness_index"].notna()].reset_index(drop=True)
            seats = cohort.compile_rules(methodology.cohort, frame)
            setup = measure("uncertainty set-up (engine per method variant)",
                            lambda: selection.simulation(con, methodology, frame, seats))
    finally:
        copy.unlink(missing_ok=True)
    sim, _ = setup.pop("result")
    drawn = uncertainty.design(sim.factors, int(methodology.cohort.uncertainty["base_samples"]), 0)
    vectorised = measure(f"uncertainty: {len(drawn):,} replications, vectorised kernel", lambda: sim.run(drawn))
    result = vectorised.pop("result")
    sample = drawn[:NAIVE_REPLICATIONS]
    naive = measure(f"uncertainty: {len(sample)} replications, pandas loop re-aggregating the variants' leaf scores",
                    lambda: naive_monte_carlo(sim, sample))
    same = float(np.mean([np.array_equal(a, b) for a, b in zip(naive.pop("result"), result["selected"][:len(sample)])]))
    per_naive = naive["wall_s"] / len(sample)
    return {"stages": [whole, setup, vectorised, naive], "replications": len(drawn),
            "replications_per_s": len(drawn) / vectorised["wall_s"],
            "replications_per_s_whole": len(drawn) / whole["wall_s"],
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


def _stage(results: dict, name: str, group: str = "stages") -> dict:
    return next(f for f in results[group] if f["stage"].startswith(name))


def targets(results: dict) -> list[tuple[str, float, str, float | None, str, str]]:
    """Return issue 19's targets as (measure, measured, unit, target, reference measured in this run, ratio)."""
    stages = {f["stage"]: f for f in results["stages"]}
    mc, chain = results["monte_carlo"], results["readiness_chain"]
    whole_mc, kernel = mc["stages"][0], mc["stages"][2]
    warm_chain, bare = chain["stages"]
    read, again, copied = results["references"][:3]
    cold = results["refresh_cold"]
    in_process = sum(stages[s]["wall_s"] for s in ("ingest", "validate", "score", "report"))
    peak_target = 3 * 1024 if results["size"] == "national10x" else 1024

    def row(measure, value, unit, target, reference, reference_value):
        ratio = f"{value / reference_value:.1f}×" if reference_value else ""
        return (measure, value, unit, target, f"{reference}: {reference_value:,.2f} {unit}" if reference else "", ratio)

    return [
        row("refresh, nothing changed, from the CLI (wall)", results["refresh_unchanged"]["wall_s"], "s", 3,
            "the command line's own start (readiness --help)", results["cli_start"]["wall_s"]),
        row(f"refresh, one value changed in {results['refresh_one_file']['file']} (wall)",
            results["refresh_one_file"]["wall_s"], "s", 10, "the same refresh with a Prefect server already up",
            results["refresh_one_file_served"]["wall_s"]),
        row("refresh, cold, everything (wall)", cold["wall_s"], "s", 30, "its four stages in one process, without "
            "Prefect or imports", in_process),
        row("ingest, cold (CPU)", stages["ingest"]["cpu_s"], "s", 6, "reading the same files as plain tables",
            read["cpu_s"]),
        row("validate (CPU, GX import included)", stages["validate"]["cpu_s"], "s", 5,
            "GX's import and an empty context, in a new process", results["gx_fixed"]["cpu_s"]),
        row("readiness scoring chain, warm (wall; target also ≤ 5× the reference)", warm_chain["wall_s"], "s", 0.3,
            "a bare DuckDB mean per region × dimension, warm, same connection", bare["wall_s"]),
        row(f"cohort Monte Carlo, {mc['replications']:,} replications, whole step (wall)", whole_mc["wall_s"], "s", 2,
            "its vectorised replications alone", kernel["wall_s"]),
        row("report, all pages + workbook + images, cold (wall)", stages["report"]["wall_s"], "s", 6,
            "copying the built site", copied["wall_s"]),
        row("report, no-op: again from the same warehouse (wall)", again["wall_s"], "s", 1, "", 0),
        row("peak RSS of the cold refresh, whole process tree (Prefect server, Chromium)", cold["peak_rss_mib"], "MiB",
            peak_target, "the largest in-process stage", max(f["peak_rss_mib"] for f in results["stages"])),
    ]


def report(results: dict) -> str:
    """Return the figures as the text printed to the terminal (markdown tables, ready for docs/benchmarks.md)."""
    lines = [f"machine: {results['machine']}; {results['load']}",
             f"date {results['date']}, commit {results['commit']}, size "
             f"{results['size']}: {results['files']} files, {results['raw_rows']:,} raw rows, {results['answers']:,} "
             f"answers" + (f"; generated in {results['generated_s']:.0f} s" if results["generated_s"] else ""), ""]
    national = results["size"].startswith("national")
    lines += [f"Targets (issue 19; they are for national size{'' if national else ', so only the ratios mean much here'}):",
              "", "| measure | measured | target | reference, measured in this run | ratio |", "|---|---|---|---|---|"]
    for measure, value, unit, target, reference, ratio in targets(results):
        mark = "✓" if value <= target else "✗"
        lines.append(f"| {measure} | {value:,.2f} {unit} | {mark} ≤ {target:,} {unit} | {reference} | {ratio} |")
    lines += ["| the test suite on CI | not measured here: .ci/run's log | ≤ 6 min | | |", "",
              "| stage | wall s | CPU s | peak RSS MiB | rows/s |", "|---|---|---|---|---|"]
    for f in (results["stages"] + results["readiness_chain"]["stages"] + results["monte_carlo"]["stages"]
              + results["references"]):
        rate = f"{f['rows_per_s']:,.0f}" if "rows_per_s" in f else ""
        lines.append(f"| {f['stage']} | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | {f['peak_rss_mib']:,.0f} | {rate} |")
    for label, key in (("refresh, cold process (imports, Prefect, every file parsed, --force)", "refresh_cold"),
                       ("refresh, new process, no input changed (nothing redone, no Prefect)", "refresh_unchanged"),
                       (f"refresh, new process, one value changed in {results['refresh_one_file']['file']}",
                        "refresh_one_file"),
                       ("the same, Prefect server already up (as under serve; its memory counted)",
                        "refresh_one_file_served"),
                       ("readiness --help (the command line's start)", "cli_start"),
                       ("GX import and an empty context, new process", "gx_fixed")):
        f = results[key]
        lines.append(f"| {label} | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | {f['peak_rss_mib']:,.0f} | |")
    mc = results["monte_carlo"]
    lines += ["", f"readiness scoring chain / bare DuckDB region × dimension mean (both warm, same connection): "
                  f"{results['readiness_chain']['ratio']:.1f}×",
              f"Monte Carlo: {mc['replications']:,} replications at {mc['replications_per_s']:,.0f}/s in the kernel, "
              f"{mc['replications_per_s_whole']:,.0f}/s for the whole step; a pandas loop re-aggregating the variants' "
              f"leaf scores (not re-scoring) would take {mc['naive_s_for_all']:,.0f} s, extrapolated from "
              f"{NAIVE_REPLICATIONS} ({mc['naive_over_vectorised']:,.0f}× the kernel; same cohort in "
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
