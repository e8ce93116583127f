"""The `readiness` command: generate demo data, run the refresh flow, regenerate GX suites."""

from __future__ import annotations

import os
import sys

# Offline-friendly defaults before Prefect is imported (../shared/stack.md §2.2).
for _key, _value in {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                     "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90", "GX_ANALYTICS_ENABLED": "false"}.items():
    os.environ.setdefault(_key, _value)

from pathlib import Path  # noqa: E402
from typing import Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipelines.settings import Settings  # noqa: E402

app = typer.Typer(help="Readiness pipeline for Gerakan Menuju 100 Smart City.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)
DataDir = typer.Option(None, "--data-dir", help="Folder with raw/, curated/, reports/ (default: ./data).")


def print_run(run: dict) -> None:
    """Print one run's outcome: status, what was redone and reused, the message and the movers."""
    colour = {"COMPLETED": "green", "UNCHANGED": "cyan", "WAITING": "yellow"}.get(run["status"], "red")
    console.print(f"[bold {colour}]Run {run['run_id']}: {run['status']}[/] — {run.get('message', '')}", soft_wrap=True)
    if run.get("stages_run") is not None:
        console.print(f"redone: {', '.join(run['stages_run']) or 'nothing'} · reused: "
                      f"{', '.join(run['stages_reused']) or 'nothing'}")
    movers = run.get("movers") or []
    if movers:
        table = Table(title="Movers since the previous run (all in score.region_mover and on the overview page)")
        for column in ("index", "region", "rank before", "rank now", "places", "why"):
            table.add_column(column, overflow="fold")
        for m in movers:
            table.add_row(m["index_code"], f"{m['region_code']} {m['region_name']}", str(m["rank_before"] or "-"),
                          str(m["rank_now"] or "-"), f"{m['places_up']:+d}" if m["places_up"] is not None else "",
                          m["cause"])
        console.print(table)


def print_summary(result) -> None:
    """Print the run summary: rows per file, suites, quarantine by rule, movers, the report path."""
    if result.curated is None:
        print_run(result.run)
        if result.report:
            console.print(f"[bold]Report:[/bold] {result.report}")
        return
    log = result.curated.ingest_log
    parsed = int(log["was_parsed"].sum())
    reused = "validate" in result.run.get("stages_reused", [])
    title = ("Ingest: every row read is curated, quarantined or superseded (reused: the inputs did not change since "
             "they were validated)" if reused else
             f"Ingest: every row read is curated, quarantined or superseded "
             f"({parsed} files parsed, {len(log) - parsed} unchanged and taken from the cache)")
    files = Table(title=title)
    for column in ("file", "read", "curated", "quarantined", "superseded", "cells q.", "error"):
        files.add_column(column, justify="left" if column in ("file", "error") else "right")
    for r in log.itertuples():
        files.add_row(r.source_file, str(r.rows_read), str(r.rows_curated), str(r.rows_quarantined),
                      str(r.rows_superseded), str(r.cells_quarantined), r.file_error or "")
    files.add_row("total", *(str(int(log[c].sum())) for c in ("rows_read", "rows_curated", "rows_quarantined",
                                                                "rows_superseded", "cells_quarantined")), "", style="bold")
    console.print(files)
    suites = Table(title="Validation (Great Expectations)")
    for column in ("table", "result", "rows", "quarantined", "failed rules"):
        suites.add_column(column)
    for s in result.curated.suites:
        suites.add_row(s["table"], "[green]passed" if s["success"] else "[red]failed", str(s["rows"]),
                       str(s["rows_quarantined"]), ", ".join(f"{f['rule']}({f['column']})" for f in s["failures"]))
    console.print(suites)
    for f in result.curated.source_status.itertuples():
        if f.status == "failed":
            console.print(f"[bold red]{f.table} failed validation[/] ({f.reason}); scores use: {f.version_used}")
    quarantine = result.curated.quarantine
    if not quarantine.empty:
        q = Table(title=f"Quarantine ({len(quarantine)} entries; all in data/curated/quarantine.parquet)")
        for column in ("file", "row", "column", "rule", "message"):
            q.add_column(column, overflow="fold")
        for r in quarantine.head(15).itertuples():
            q.add_row(r.source_file, str(r.source_row), r.source_column or "", r.rule, r.message)
        console.print(q)
    console.print(f"methodology {result.scored.methodology_hash[:16]} · inputs {result.scored.inputs_hash[:16]}")
    print_run(result.run)
    console.print(f"[bold]Report:[/bold] {result.report}")


def print_cohort(warehouse: Path, rows: int) -> None:
    """Print the proposed cohort with its uncertainty, the regions nearest the cut-off and the sensitivity indices."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        run = con.sql("SELECT * FROM score.cohort_run").df().iloc[0]
        proposed = con.sql("SELECT * FROM score.cohort_proposed").df()
        near = con.sql("""SELECT region_code, region_name, selection_rank, adjusted_score, gap_to_cutoff, how_selected,
                                 what_it_would_take, selection_probability_pct
                          FROM score.cohort_selection WHERE NOT is_selected AND selection_rank IS NOT NULL
                          ORDER BY selection_rank LIMIT ?""", params=[rows]).df()
        sensitivity = con.sql("SELECT * FROM score.cohort_sensitivity WHERE output = 'cohort_changes' "
                              "ORDER BY total DESC").df()
    table = Table(title=f"Proposed cohort: {len(proposed)} of {run['selectable']} selectable shortlisted regions; "
                        f"{run['replications']} replications (seed {run['seed']}); {run['flagged']} flagged")
    for column in ("rank", "region", "province", "score", "how", "P(selected) %", "rank 5-95%", "flag"):
        table.add_column(column, justify="right" if column in ("rank", "score", "P(selected) %") else "left")
    for r in proposed.itertuples():
        table.add_row(f"{r.selection_rank:.0f}", f"{r.region_code} {r.region_name}", r.province_name,
                      f"{r.adjusted_score:.2f}", r.how_selected, f"{r.selection_probability_pct:.1f}",
                      f"{r.q05_rank:.0f}-{r.q95_rank:.0f}", "[bold yellow]unstable" if r.is_flagged else "")
    console.print(table)
    gaps = Table(title=f"Nearest below the cut-off ({run['cutoff_score']:.2f}): what it would take")
    for column in ("rank", "region", "score", "gap", "why", "what it would take", "P(selected) %"):
        gaps.add_column(column)
    for r in near.itertuples():
        gaps.add_row(f"{r.selection_rank:.0f}", f"{r.region_code} {r.region_name}", f"{r.adjusted_score:.2f}",
                     f"{r.gap_to_cutoff:.2f}", r.how_selected, r.what_it_would_take or "", f"{r.selection_probability_pct:.1f}")
    console.print(gaps)
    sens = Table(title="What the cohort depends on most (Sobol indices of the number of regions that change)")
    for column in ("uncertain input", "alternatives", "first-order", "total"):
        sens.add_column(column)
    for r in sensitivity.itertuples():
        sens.add_row(r.factor, str(r.alternatives), f"{r.first_order:.3f} ± {r.first_order_conf:.3f}",
                     f"{r.total:.3f} ± {r.total_conf:.3f}")
    console.print(sens)


def print_evaluation(warehouse: Path) -> None:
    """Print the latest evaluation year: regions ranked, agreement, cells to moderate, lenient or severe assessors."""
    import duckdb

    from pipelines.report.summary import evaluation_headline

    with duckdb.connect(str(warehouse), read_only=True) as con:
        h = evaluation_headline(con)
    if h is None:
        console.print("Evaluation: no score sheets in data/raw/evaluations/")
        return
    agreement = f"alpha (ordinal) {h['alpha']:.3f}, {h['verdict']}" if h["alpha"] is not None else "alpha n/a"
    console.print(f"Evaluation {h['year']} ({h['status']}): {h['ranked']} regions ranked, {h['too_few']} with too few "
                  f"assessors; {agreement}; {h['to_moderate']} cells to moderate; "
                  f"assessors: {h['leaning'] or 'none lenient or severe'}", soft_wrap=True)


MethodologyDir = typer.Option(None, "--methodology", help="Methodology folder to use instead of ./methodology.")


Force = typer.Option(False, "--force", help="Redo every stage even if no input, methodology or code changed.")
Wait = typer.Option(0.0, "--wait", metavar="SECONDS",
                    help="If another refresh is running on the data folder, wait up to SECONDS for it (default: exit).")
BUSY_EXIT = 75  # EX_TEMPFAIL: try again later


def run_refresh(data_dir: Optional[Path], methodology: Optional[Path], force: bool = False, wait: float = 0):
    """Run the refresh flow and return its result; exit with a clear message if another refresh holds the data."""
    from pipelines.flows import PublicationBlocked, refresh as refresh_flow
    from pipelines.runs.lock import RefreshBusy

    try:
        return refresh_flow(data_dir=str(data_dir) if data_dir else None,
                            methodology_dir=str(methodology) if methodology else None, force=force, wait_seconds=wait)
    except RefreshBusy as exc:
        console.print(f"[bold yellow]Not started:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=BUSY_EXIT) from None
    except PublicationBlocked as exc:
        live = Settings.default(data_dir).reports_dir
        console.print(f"[bold red]Not published:[/] {exc}. The last publication stays live"
                      f"{f' ({live.resolve()})' if live.exists() else ''}; see data/curated/quarantine.parquet and "
                      "`readiness status`.", soft_wrap=True)
        raise typer.Exit(code=1) from None


@app.command()
def refresh(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir, force: bool = Force,
            wait: float = Wait) -> None:
    """Run the refresh flow (ingest → validate → score → report) on data/raw/, redoing only what changed."""
    result = run_refresh(data_dir, methodology, force, wait)
    print_summary(result)
    if result.scored is not None:
        print_evaluation(Settings.default(data_dir).warehouse_path)


@app.command()
def select(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir,
           rows: int = typer.Option(10, help="Regions below the cut-off to show.")) -> None:
    """Refresh, then print the proposed cohort with its uncertainty and what it would take for the next regions."""
    result = run_refresh(data_dir, methodology)
    print_run(result.run)
    print_cohort(Settings.default(data_dir).warehouse_path, rows)


@app.command()
def status(data_dir: Optional[Path] = DataDir, runs: int = typer.Option(10, help="How many recent runs to list.")) -> None:
    """Show the last runs, what is published, and what is waiting for the next refresh."""
    from pipelines.runs.status import refresh_status

    settings = Settings.default(data_dir)
    state = refresh_status(settings, runs)
    table = Table(title=f"Last {len(state['runs'])} refresh runs ({settings.runs_dir})")
    for column in ("run", "started (UTC)", "finished", "status", "redone", "rows read", "message"):
        table.add_column(column, overflow="fold", no_wrap=column != "message")
    for r in state["runs"]:
        table.add_row(r["run_id"], r["started_at"][:19].replace("T", " "), (r.get("finished_at") or "")[11:19],
                      r["status"],
                      ", ".join(r.get("stages_run") or []), str((r.get("counts") or {}).get("read", "")),
                      r.get("message") or "")
    console.print(table)
    running = state["running"]
    console.print(f"Running now: run {running.get('run_id')} (pid {running.get('pid')}, started {running.get('started_at')})"
                  if running is not None else "Running now: no refresh")
    published = state["published"]
    if published:
        console.print(f"Published: {published['path']} (built from inputs {published['inputs_hash'][:16]}, "
                      f"methodology {published['methodology_hash'][:16]}, {published['pages']} pages)", soft_wrap=True)
    else:
        console.print("Published: nothing yet (run `readiness refresh`)")
    waiting = state["waiting"]
    lines = [f"{what} {path}" for what in ("added", "changed", "removed", "settling") for path in waiting[what]]
    console.print("Waiting for the next refresh: " + ("; ".join(lines) if lines else "nothing: the published data "
                  "is built from the files in data/raw/") + (f"; methodology or code changed: {state['stale']}"
                                                              if state["stale"] else ""), soft_wrap=True)


@app.command()
def serve(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir, cron: Optional[str] = typer.Option(
              None, help="Cron expression (default: config/run.yaml schedule.cron, 0 2 * * *)."),
          timezone: Optional[str] = typer.Option(None, help="Time zone of the cron (default: Asia/Jakarta)."),
          port: int = typer.Option(4200, help="Port of the local Prefect server started when none is configured.")) -> None:
    """Serve the refresh on its nightly schedule; start a local Prefect server (SQLite) if none is configured."""
    from pipelines.flows import serve_nightly

    schedule = Settings.default(data_dir).operations["schedule"]
    parameters = {"data_dir": str(data_dir.resolve()) if data_dir else None,
                  "methodology_dir": str(methodology.resolve()) if methodology else None}
    serve_nightly(cron or schedule["cron"], timezone or schedule["timezone"], port,
                  parameters={k: v for k, v in parameters.items() if v}, log=console.print)


@app.command("generate-demo")
def generate_demo(size: str = typer.Option("demo", help="small, demo or national (config/demo.yaml)."),
                  data_dir: Optional[Path] = DataDir) -> None:
    """Write the seeded synthetic demo files into data/raw/ (replacing what is there)."""
    from pipelines.demo.generate import DemoSize, generate

    settings = Settings.default(data_dir)
    counts = generate(DemoSize.named(size, settings), settings)
    console.print(f"demo data ({size}) written to {settings.raw_dir}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
def demo(size: str = typer.Option("demo", help="small, demo or national (config/demo.yaml)."),
         data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir) -> None:
    """Generate the synthetic demo data, then run the refresh flow and print where the report is."""
    generate_demo(size=size, data_dir=data_dir)
    refresh(data_dir=data_dir, methodology=methodology, force=False, wait=0)


@app.command()
def expectations() -> None:
    """Regenerate expectations/<table>.json from expectations/specs/<table>.yaml."""
    from pipelines.validate.suites import write_suites

    for path in write_suites(Settings.default().expectations_dir):
        console.print(f"wrote {path}")


@app.command("check-methodology")
def check_methodology(paths: list[Path] = typer.Argument(..., help="Methodology YAML files to check.")) -> None:
    """Check methodology files without running anything: print each one's tree summary and hash, or the error."""
    from pipelines.score.methodology import MethodologyError, load_index

    failed = False
    for path in paths:
        try:
            method = load_index(path)
        except (MethodologyError, OSError) as exc:
            console.print(f"[red]✗ {exc}[/red]")
            failed = True
            continue
        nodes = method.nodes
        levels = ", ".join(f"level {h}: {n}" for h, n in nodes.groupby("height").size().items())
        console.print(f"✓ {path}: index {method.code!r}, {len(nodes)} nodes ({levels}), "
                      f"hash {method.hash[:16]}")
    if failed:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
