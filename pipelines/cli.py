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

app = typer.Typer(help="Readiness pipeline for Gerakan Menuju 100 Smart City.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
# Exit statuses (docs/operations.md): published in full (or nothing to do), not published, a bad argument or
# methodology, published with parts missing, another refresh running.
OK_EXIT, FAILED_EXIT, USAGE_EXIT, PARTIAL_EXIT, BUSY_EXIT = 0, 1, 2, 3, 75
DEBUG = {"on": False}
console = Console(width=None if sys.stdout.isatty() else 160)
DataDir = typer.Option(None, "--data-dir", help="Folder with raw/, curated/, reports/ (default: ./data).")


def print_run(run: dict) -> None:
    """Print one run's outcome: status, what was redone and reused, the message and the movers."""
    colour = {"COMPLETED": "green", "UNCHANGED": "cyan", "WAITING": "yellow", "PARTIAL": "yellow"}.get(run["status"], "red")
    console.print(f"[bold {colour}]Run {run['run_id']}: {run['status']}[/] — {run.get('message', '')}", soft_wrap=True)
    for ignored in run.get("ignored_files") or []:
        console.print(f"[bold yellow]Not read:[/] {ignored['file']}: {ignored['reason']}", soft_wrap=True,
                      highlight=False)
    for part, reason in (run.get("missing_parts") or {}).items():
        console.print(f"[bold yellow]Published without {part}:[/] {reason}", soft_wrap=True, highlight=False)
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
                      str(r.rows_superseded), str(r.cells_quarantined), cell(r.file_error))
    files.add_row("total", *(str(int(log[c].sum())) for c in ("rows_read", "rows_curated", "rows_quarantined",
                                                                "rows_superseded", "cells_quarantined")), "", style="bold")
    console.print(files)
    suites = Table(title="Validation (Great Expectations)")
    for column in ("table", "result", "rows", "quarantined", "failed rules"):
        suites.add_column(column)
    for s in result.curated.suites:
        suites.add_row(s["table"], "[green]passed" if s["success"] else "[red]failed", str(s["rows"]),
                       str(s["rows_quarantined"]),
                       ", ".join(f"{f['rule']}({f['column']})" if f["column"] else f["rule"] for f in s["failures"]))
    console.print(suites)
    for f in result.curated.source_status.itertuples():
        if f.status == "failed":
            console.print(f"[bold red]{f.table} failed validation[/] ({f.reason}); scores use: {f.version_used}")
    quarantine = result.curated.quarantine
    if not quarantine.empty:
        # By rule, with one example each: a BPS export's 38 province rows must not hide the one row that matters.
        q = Table(title=f"Quarantine by rule ({len(quarantine)} entries; all in data/curated/quarantine.parquet)")
        for column in ("rule", "entries", "files", "example (file, row: message)"):
            q.add_column(column, overflow="fold")
        by_rule = quarantine.groupby("rule", sort=False)
        for rule, group in sorted(by_rule, key=lambda item: (-len(item[1]), item[0]))[:15]:
            first = group.iloc[0]
            q.add_row(rule, str(len(group)), str(group["source_file"].nunique()),
                      f"{first.source_file}, row {first.source_row}: {first.message}")
        console.print(q)
    console.print(f"methodology {result.scored.methodology_hash[:16]} · inputs {result.scored.inputs_hash[:16]}")
    print_run(result.run)
    console.print(f"[bold]Report:[/bold] {result.report}")


def cell(value: object, spec: str = "") -> str:
    """Return a value as table text: '' for a missing one (None or NaN), else formatted with `spec`."""
    import pandas as pd

    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else format(value, spec)


def print_cohort(warehouse: Path, rows: int) -> None:
    """Print the proposed cohort with its uncertainty, the regions nearest the cut-off and the sensitivity indices."""
    from pipelines.warehouse import read as read_warehouse

    with read_warehouse(warehouse) as con:
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
        table.add_row(cell(r.selection_rank, ".0f"), f"{r.region_code} {r.region_name}", r.province_name,
                      cell(r.adjusted_score, ".2f"), cell(r.how_selected), cell(r.selection_probability_pct, ".1f"),
                      f"{cell(r.q05_rank, '.0f')}-{cell(r.q95_rank, '.0f')}", "[bold yellow]unstable" if r.is_flagged else "")
    console.print(table)
    gaps = Table(title=f"Nearest below the cut-off ({cell(run['cutoff_score'], '.2f')}): what it would take")
    for column in ("rank", "region", "score", "gap", "why", "what it would take", "P(selected) %"):
        gaps.add_column(column)
    for r in near.itertuples():
        gaps.add_row(cell(r.selection_rank, ".0f"), f"{r.region_code} {r.region_name}", cell(r.adjusted_score, ".2f"),
                     cell(r.gap_to_cutoff, ".2f"), cell(r.how_selected), cell(r.what_it_would_take),
                     cell(r.selection_probability_pct, ".1f"))
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
    from pipelines.warehouse import read as read_warehouse

    from pipelines.report.summary import evaluation_headline

    with read_warehouse(warehouse) as con:
        h = evaluation_headline(con)
    if h is None:
        console.print("Evaluation: no score sheets in data/raw/evaluations/")
        return
    agreement = f"alpha ({h['alpha_level']}) {h['alpha']:.3f}, {h['verdict']}" if h["alpha"] is not None else "alpha n/a"
    console.print(f"Evaluation {h['year']} ({h['status']}): {h['ranked']} regions ranked, {h['too_few']} with too few "
                  f"assessors; {agreement}; {h['to_moderate']} cells to moderate; "
                  f"assessors: {h['leaning'] or 'none lenient or severe'}", soft_wrap=True)


MethodologyDir = typer.Option(None, "--methodology", help="Methodology folder to use instead of ./methodology.")


@app.callback()
def options(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks and Prefect's own error logs.")
            ) -> None:
    """Readiness pipeline for Gerakan Menuju 100 Smart City."""
    DEBUG["on"] = debug


Force = typer.Option(False, "--force", help="Redo every stage even if no input, methodology or code changed.")
Wait = typer.Option(0.0, "--wait", metavar="SECONDS",
                    help="If another refresh is running on the data folder, wait up to SECONDS for it (default: exit).")


def fail(message: str, hint: str | None = None, code: int = USAGE_EXIT) -> None:
    """Print one line saying what is wrong (and one with what to do), then exit with `code`."""
    console.print(f"[bold red]Error:[/] {message}", soft_wrap=True, highlight=False)
    if hint:
        console.print(f"[dim]hint:[/] {hint}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=code)


def preflight(data_dir: Optional[Path], methodology: Optional[Path], wait: float = 0,
              needs_inputs: bool = True, check_lock: bool = True, needs_source: str | None = None) -> Settings:
    """Check the arguments, the data folder, the methodology and the lock before anything slow starts.

    Exits with one line per problem: 2 for a bad argument or methodology (or no files of `needs_source`), 75 when
    another refresh runs.
    """
    from pipelines.runs.lock import describe_holder, lock_holder
    from pipelines.score.check import check_folder
    from pipelines.score.methodology import MethodologyError
    from pipelines.sources import ContractError, load_contracts, raw_files

    if data_dir is not None and not data_dir.is_dir():
        fail(f"--data-dir {data_dir}: no such folder" if not data_dir.exists() else f"--data-dir {data_dir}: not a folder",
             f"give the folder that holds raw/ (`readiness demo --data-dir {data_dir}` creates one with demo data)")
    if methodology is not None and not methodology.is_dir():
        fail(f"--methodology {methodology}: no such folder",
             "give a copy of the methodology/ folder (framework, screening, readiness, cohort and evaluation YAML)")
    settings = Settings.default(data_dir, methodology_dir=methodology)
    try:
        check_folder(settings.methodology_dir)
    except MethodologyError as exc:
        fail(str(exc), f"`readiness check-methodology {settings.methodology_dir}` checks the whole folder")
    try:
        sources = load_contracts(settings.sources_dir)
    except (ContractError, ValueError, OSError) as exc:
        fail(str(exc), "each source folder of data/raw/ has one contract, config/sources/<source>.yaml (docs/inputs.md)")
    if settings.crosswalk_path.exists():
        # Only an installed crosswalk can be broken by the user; the rest of data/reference/ ships tested (and reading
        # it needs pandas, which preflight otherwise does without).
        from pipelines.ingest import reference

        try:
            reference.resolver(settings.reference_dir)
        except reference.ReferenceDataError as exc:
            fail(str(exc), "the region reference, its aliases and an installed BPS crosswalk are in data/reference/ "
                           "(docs/inputs.md, \"Region codes\")")
    raw = settings.raw_dir
    if needs_inputs and not raw_files(raw, sources) and not (settings.curated_dir / "manifest.json").exists():
        fail(f"no input files under {raw}/<source>/ (sources: {', '.join(sources)})",
             "put the files you received in their source folders (docs/inputs.md), or run `readiness demo`"
             + (f" --data-dir {data_dir}" if data_dir else ""))
    if needs_source is not None and not any(source == needs_source for source, _ in raw_files(raw, sources)):
        fail(f"no files under {raw / needs_source}/",
             f"put the files of {needs_source} there (docs/inputs.md; {settings.sources_dir / needs_source}.yaml "
             "lists their columns)")
    holder = lock_holder(settings.lock_path)
    if check_lock and holder is not None and wait <= 0:
        console.print(f"[bold yellow]Not started:[/] {describe_holder(holder, settings.lock_path)}; this refresh exits "
                      "without touching anything (use --wait SECONDS to queue behind it)", soft_wrap=True, highlight=False)
        raise typer.Exit(code=BUSY_EXIT)
    return settings


def _nothing_to_redo(settings: Settings, force: bool) -> bool:
    """Return whether this refresh's plan redoes nothing (or waits for files still being written): decided before
    Prefect starts, whose temporary server would cost such a run nearly all of its time."""
    from pipelines.runs.lock import lock_holder
    from pipelines.runs.plan import refresh_plan
    from pipelines.score.methodology import load

    # A refresh running now (this one waits for it, --wait) is about to change what a plan made now would find.
    if force or lock_holder(settings.lock_path) is not None:
        return False
    try:
        plan = refresh_plan(settings, load(settings.methodology_dir).hash)
    except OSError:   # a file vanishing or locked right now: the flow's plan task retries such errors
        return False
    return not plan.stages or bool(plan.waiting)


def run_refresh(data_dir: Optional[Path], methodology: Optional[Path], force: bool = False, wait: float = 0,
                needs_source: str | None = None):
    """Run the refresh and return its result; exit with a clear message if another refresh holds the data.

    A refresh with something to redo is the Prefect flow; one with nothing to redo runs the same states without
    Prefect (its run record is written all the same, with no flow run).
    """
    settings = preflight(data_dir, methodology, wait, needs_source=needs_source)
    from pipelines.runs.lock import RefreshBusy
    from pipelines.runs.refresh import PLAIN_STEPS, refresh as plain_refresh

    try:
        if _nothing_to_redo(settings, force):
            return plain_refresh(settings, PLAIN_STEPS, wait_seconds=wait)
        from pipelines.flows import quiet_prefect_tracebacks, refresh as refresh_flow

        if not DEBUG["on"]:
            quiet_prefect_tracebacks()
        return refresh_flow(data_dir=str(settings.data_dir), methodology_dir=str(methodology) if methodology else None,
                            force=force, wait_seconds=wait)
    except RefreshBusy as exc:
        console.print(f"[bold yellow]Not started:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=BUSY_EXIT) from None
    except Exception as exc:  # noqa: BLE001 - the run record has it; the analyst gets one line and where to look
        if DEBUG["on"]:
            raise
        live = settings.reports_dir
        console.print(f"[bold red]Refresh FAILED, not published:[/] {type(exc).__name__}: {exc}", soft_wrap=True,
                      highlight=False)
        console.print(f"The last publication stays live{f' ({live.resolve()})' if live.exists() else ''}; the run "
                      f"record is in {settings.runs_dir}; run again with --debug for the traceback.", soft_wrap=True,
                      highlight=False)
        DEBUG["failed_run"] = True
        raise typer.Exit(code=FAILED_EXIT) from None


def exit_status(run: dict) -> None:
    """Exit 3 when the live publication lacks parts (the cohort, the evaluation, the images), 1 when the run failed."""
    if run.get("missing_parts"):
        raise typer.Exit(code=PARTIAL_EXIT)
    if run["status"] in ("FAILED", "INTERRUPTED"):
        raise typer.Exit(code=FAILED_EXIT)


@app.command()
def refresh(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir, force: bool = Force,
            wait: float = Wait) -> None:
    """Run the refresh flow (ingest → validate → score → report) on data/raw/, redoing only what changed."""
    result = run_refresh(data_dir, methodology, force, wait)
    print_summary(result)
    if result.scored is not None and "evaluation" not in result.run.get("missing_parts", {}):
        print_evaluation(Settings.default(data_dir).warehouse_path)
    exit_status(result.run)


@app.command()
def select(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir,
           rows: int = typer.Option(10, help="Regions below the cut-off to show.")) -> None:
    """Refresh, then print the proposed cohort with its uncertainty and what it would take for the next regions."""
    result = run_refresh(data_dir, methodology)
    print_run(result.run)
    missing = result.run.get("missing_parts") or {}
    if "cohort" in missing:
        console.print(f"[bold red]No proposed cohort:[/] {missing['cohort']}", soft_wrap=True, highlight=False)
    else:
        print_cohort(Settings.default(data_dir).warehouse_path, rows)
    exit_status(result.run)


def print_evaluation_years(warehouse: Path) -> None:
    """Print one line per year of score sheets: its status, the regions ranked and the agreement verdict."""
    from pipelines.warehouse import read as read_warehouse

    with read_warehouse(warehouse) as con:
        years = con.sql("""SELECT y.year, y.status, y.rows_scored, y.regions,
                                  (SELECT count(evaluation_index) FROM score.evaluation_region r WHERE r.year = y.year)
                                      AS ranked, a.verdict_level, a.verdict_alpha, a.verdict
                           FROM score.evaluation_year y
                           LEFT JOIN score.evaluation_agreement a ON a.year = y.year AND a.component = 'all'
                           ORDER BY y.year""").df()
    table = Table(title="Evaluation per year (score.evaluation_year, score.evaluation_region, score.evaluation_agreement)")
    for column in ("year", "status", "rows scored", "regions", "ranked", "agreement"):
        table.add_column(column, overflow="fold")
    for y in years.itertuples():
        agreement = (f"alpha ({y.verdict_level}) {cell(y.verdict_alpha, '.3f') or 'n/a'}: {y.verdict}"
                     if isinstance(y.verdict, str) else "")
        table.add_row(str(y.year), y.status, str(y.rows_scored), str(y.regions), str(y.ranked), agreement)
    console.print(table)


@app.command()
def evaluate(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir, force: bool = Force,
             wait: float = Wait) -> None:
    """Score the evaluation from the score sheets in data/raw/evaluations/ (with or without the other sources) and
    print it; exit 0 when the evaluation is published, whatever else the data cannot give."""
    result = run_refresh(data_dir, methodology, force, wait, needs_source="evaluations")
    settings = Settings.default(data_dir)
    print_run(result.run)
    if "evaluation" in (result.run.get("missing_parts") or {}):
        raise typer.Exit(code=PARTIAL_EXIT)    # print_run said "Published without evaluation: <reason>"
    if result.run["status"] in ("FAILED", "INTERRUPTED") or not settings.warehouse_path.exists():
        raise typer.Exit(code=FAILED_EXIT)     # print_run said why
    import pandas as pd

    # Read from the curated layer, not the run's result: a run that redid nothing holds no quarantine of its own.
    quarantine = settings.curated_dir / "quarantine.parquet"
    rows = pd.read_parquet(quarantine, columns=["source_file", "source_row", "message"])
    rows = rows[rows["source_file"].str.startswith("evaluations/")]
    if not rows.empty:
        first = rows.iloc[0]
        console.print(f"[bold yellow]Quarantined:[/] {len(rows)} score-sheet entries, not scored (all in "
                      f"{quarantine}); first: {first.source_file}, row {first.source_row}: {first.message}",
                      soft_wrap=True, highlight=False)
    print_evaluation_years(settings.warehouse_path)
    print_evaluation(settings.warehouse_path)
    console.print(f"Tables: score.evaluation_* in {settings.warehouse_path}; CSV and Parquet in "
                  f"{settings.reports_dir / 'downloads'}/evaluation_*; page {settings.reports_dir / 'evaluation.html'}",
                  soft_wrap=True, highlight=False)


@app.command()
def status(data_dir: Optional[Path] = DataDir, runs: int = typer.Option(10, help="How many recent runs to list.")) -> None:
    """Show the last runs, what is published, and what is waiting for the next refresh."""
    from pipelines.runs.status import refresh_status

    if data_dir is not None and not data_dir.is_dir():
        fail(f"--data-dir {data_dir}: no such folder", "give the folder that holds raw/, curated/ and runs/")
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
                  f"is built from the files in {settings.raw_dir}/") + (f"; methodology or code: {state['stale']}"
                                                                       if state["stale"] else ""), soft_wrap=True)
    for name, reason in state["ignored"]:
        console.print(f"[bold yellow]Not read:[/] {name}: {reason}", soft_wrap=True, highlight=False)


@app.command()
def serve(data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir, cron: Optional[str] = typer.Option(
              None, help="Cron expression (default: config/run.yaml schedule.cron, 0 2 * * *)."),
          timezone: Optional[str] = typer.Option(None, help="Time zone of the cron (default: Asia/Jakarta)."),
          port: int = typer.Option(4200, help="Port of the local Prefect server started when none is configured.")) -> None:
    """Serve the refresh on its nightly schedule; start a local Prefect server (SQLite) if none is configured."""
    # A refresh running now is no reason not to serve the schedule: the lock is the served runs' business.
    preflight(data_dir, methodology, needs_inputs=False, check_lock=False)
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
    from pipelines.score.methodology import load

    settings = Settings.default(data_dir)
    counts = generate(DemoSize.named(size, settings), settings, load(settings.methodology_dir).framework)
    console.print(f"demo data ({size}) written to {settings.raw_dir}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
def demo(size: str = typer.Option("demo", help="small, demo or national (config/demo.yaml)."),
         data_dir: Optional[Path] = DataDir, methodology: Optional[Path] = MethodologyDir) -> None:
    """Generate the synthetic demo data, then run the refresh flow and print where the report is."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    preflight(data_dir, methodology, needs_inputs=False)
    generate_demo(size=size, data_dir=data_dir)
    refresh(data_dir=data_dir, methodology=methodology, force=False, wait=0)


@app.command()
def expectations() -> None:
    """Write the Great Expectations suites the source contracts give (config/sources/*.yaml) to expectations/*.json."""
    from pipelines.sources import load_contracts
    from pipelines.validate.suites import write_suites

    settings = Settings.default()
    for path in write_suites(load_contracts(settings.sources_dir), settings.expectations_dir):
        console.print(f"wrote {path}")


@app.command()
def boundaries(files: list[Path] = typer.Argument(..., help="GeoJSON files: one of the 38 provinces, one of the 514 "
                                                              "kabupaten/kota (codes as in the Kemendagri 2025 list)."),
               attribution: Optional[str] = typer.Option(None, help="Source and licence, shown under every map."),
               check: bool = typer.Option(False, "--check", help="Only check the files; install nothing."),
               data_dir: Optional[Path] = DataDir) -> None:
    """Check boundary files against the region list and install them for the report's maps (the next refresh
    draws them)."""
    from pipelines.ingest import boundaries as b

    settings = Settings.default(data_dir)
    names = b.reference_names(settings.reference_dir)
    for path in files:
        try:
            if check:
                done = b.check(path, names)
                record = {"level": done.level, "features": len(done.features), "missing": done.missing}
            else:
                record = b.install(path, names, settings.boundaries_dir, attribution)
        except b.BoundaryError as exc:
            fail(str(exc), "docs/report.md (\"Maps\") says where to get boundary files and what they must hold")
        level = b.LEVEL_NAMES[record["level"]]
        total = len(names[record["level"]])
        gaps = (f"; {len(record['missing'])} without a boundary, drawn as gaps: {b.listed(record['missing'])}"
                if record["missing"] else "")
        where = "checked, not installed" if check else f"installed as {b.installed_path(settings.boundaries_dir, record['level'])}"
        console.print(f"✓ {path}: {record['features']} of the {total} {level}{gaps}; {where}", soft_wrap=True,
                      highlight=False)
    if not check:
        console.print("The next `readiness refresh` draws the maps.", highlight=False)


@app.command()
def pdf(region: str = typer.Argument(..., help="A kabupaten/kota: its code (35.13 or 3513) or its name."),
        data_dir: Optional[Path] = DataDir,
        out: Optional[Path] = typer.Option(None, "--out", help="The PDF file, or a folder for <code>.pdf "
                                                               "(default: <code>.pdf in the current folder)."),
        lang: str = typer.Option("id", "--lang", help="The page's language: id (Indonesian) or en (English).")) -> None:
    """Print a region's page of the published report (data/reports/regions/<code>.html) as an A4 PDF."""
    from pipelines.report.pdf import PdfExportError, PrintJob, find_region, page_count, write_pdfs

    if data_dir is not None and not data_dir.is_dir():
        fail(f"--data-dir {data_dir}: no such folder", "give the folder that holds reports/ (default: ./data)")
    if lang not in ("id", "en"):
        fail(f"--lang {lang}: not id or en")
    settings = Settings.default(data_dir)
    try:
        code, name = find_region(region, settings.reference_dir)
    except LookupError as exc:
        fail(str(exc))
    page = settings.reports_dir / "regions" / f"{code}.html"
    if not page.is_file():
        fail(f"no published report in {settings.reports_dir} yet (no regions/{code}.html): run `readiness refresh"
             + (f" --data-dir {data_dir}" if data_dir else "") + "` first")
    target = (out / f"{code}.pdf" if out.is_dir() else out) if out is not None else Path.cwd() / f"{code}.pdf"
    if not target.parent.is_dir():
        fail(f"--out {out}: no folder {target.parent}")
    try:
        write_pdfs([PrintJob(page, target)], lang=lang, tabs=1)
    except PdfExportError as exc:
        fail(str(exc), code=FAILED_EXIT)
    pages = page_count(target.read_bytes())
    console.print(f"Wrote {target.resolve()}: {name} ({code}), {pages} page{'s' if pages != 1 else ''}",
                  soft_wrap=True, highlight=False)


@app.command("check-methodology")
def check_methodology(paths: list[Path] = typer.Argument(..., help="Methodology folders or YAML files to check.")) -> None:
    """Check methodology folders or files without running anything: one line per file checked, or the problem."""
    from pipelines.score.check import check_path
    from pipelines.score.methodology import MethodologyError

    failed = False
    for path in paths:
        try:
            lines = check_path(path)
        except (MethodologyError, OSError) as exc:
            console.print(f"[red]✗ {exc}[/red]", soft_wrap=True, highlight=False)
            failed = True
            continue
        for line in lines:
            console.print(f"✓ {line}", soft_wrap=True, highlight=False)
    if failed:
        raise typer.Exit(code=1)


def main() -> None:
    """Run the command line; an unexpected error is one line (the traceback only with --debug)."""
    try:
        app()
    except SystemExit as done:
        if DEBUG.get("failed_run"):
            # Prefect keeps the failed run's state, and with it the error's frames and their DuckDB objects, until
            # the interpreter shuts down, where DuckDB's bindings then print a page of "leaked instance" warnings:
            # the run is over and recorded, so leave without that shutdown.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(done.code if isinstance(done.code, int) else FAILED_EXIT)
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one readable line, not a traceback
        if DEBUG["on"]:
            raise
        console.print(f"[bold red]Error:[/] {type(exc).__name__}: {exc}", soft_wrap=True, highlight=False)
        console.print("[dim]hint:[/] run again with --debug (readiness --debug …) for the traceback", highlight=False)
        sys.exit(FAILED_EXIT)


if __name__ == "__main__":
    main()
