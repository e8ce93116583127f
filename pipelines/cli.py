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


def print_summary(result) -> None:
    """Print the run summary: rows per file, suites, quarantine by rule, the top of the ranking, the report path."""
    log = result.curated.ingest_log
    parsed = int(log["was_parsed"].sum())
    files = Table(title=f"Ingest: every row read is curated, quarantined or superseded "
                        f"({parsed} files parsed, {len(log) - parsed} unchanged and taken from the cache)")
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
    console.print(f"[bold]Report:[/bold] {result.report}")


@app.command()
def refresh(data_dir: Optional[Path] = DataDir) -> None:
    """Run the refresh flow (ingest → validate → score → report) on data/raw/."""
    from pipelines.flows import refresh as refresh_flow

    print_summary(refresh_flow(data_dir=str(data_dir) if data_dir else None))


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
         data_dir: Optional[Path] = DataDir) -> None:
    """Generate the synthetic demo data, then run the refresh flow and print where the report is."""
    generate_demo(size=size, data_dir=data_dir)
    refresh(data_dir=data_dir)


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
