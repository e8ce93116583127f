"""The report schema: one view per models/report/<view>.sql over the finished score, curated, methodology and
history tables. The report only selects from these views; every join and aggregation it shows is defined here.
"""

from __future__ import annotations

import re
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

REPORT_MODELS_DIR = Path(__file__).parent / "models" / "report"
# The models name every table they read as schema.table, in one of the warehouse's schemas.
_TABLE = re.compile(r"(?<![\w.])(score|curated|methodology|history|reference|report)\.(\w+)", re.IGNORECASE)
# Names inside string literals and comments are not tables read.
_NOT_CODE = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)


def read_tables(sql: str) -> set[str]:
    """Return the schema-qualified tables a view's SQL reads (not in comments or strings), in lower case."""
    return {f"{schema}.{table}".lower() for schema, table in _TABLE.findall(_NOT_CODE.sub(" ", sql))}


def report_models(folder: Path = REPORT_MODELS_DIR) -> dict[str, str]:
    """Return the SQL of every report view by name, a view after the report views it reads."""
    models = {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.sql"))}
    needs = {name: {t.removeprefix("report.") for t in read_tables(sql)} & set(models)
             for name, sql in models.items()}
    return {name: models[name] for name in TopologicalSorter(needs).static_order()}


def create_report_views(con: duckdb.DuckDBPyConnection, folder: Path = REPORT_MODELS_DIR) -> dict[str, str]:
    """(Re)create the schema report with one view per model in `folder`; return the views left out, each with why.

    A view is left out when a table it reads is missing: a part of the scores that was not computed (the cohort,
    the evaluation; score.part_status says why), or a report view left out itself; or when it does not bind (run
    outside a transaction, so that one such view fails alone).
    """
    con.execute("DROP SCHEMA IF EXISTS report CASCADE")
    con.execute("CREATE SCHEMA report")
    existing = {f"{schema}.{name}".lower() for schema, name in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal").fetchall()}
    skipped = {}
    for view, sql in report_models(folder).items():
        missing = sorted(read_tables(sql) - existing)
        if missing:
            skipped[view] = "it reads " + ", ".join(missing) + ", which the warehouse does not hold"
            continue
        try:
            con.execute(f"CREATE VIEW report.{view} AS {sql}")
        except duckdb.Error as exc:   # a table without the columns the view reads (an older or partial layer)
            skipped[view] = f"it cannot be built: {str(exc).splitlines()[0]}"
            continue
        existing.add(f"report.{view}")
    return skipped
