"""Refresh summaries read from the finished warehouse's report views: the top of the ranking as rows, and a markdown
digest of the run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.warehouse import read as read_warehouse

TOP_REGIONS = 25
RULES_SHOWN = 5
MOVERS_SHOWN = 5
# The indices whose ranks the digest compares with the previous run, in the order it lists them.
INDEX_LABELS = {"readiness": "Readiness", "screening": "Screening"}


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    cursor = con.execute(sql, params or {})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def ranking_top(warehouse: Path, n: int = TOP_REGIONS) -> list[dict]:
    """Return the first `n` regions of report.ranking_top by readiness rank, then screening rank (dicts)."""
    with read_warehouse(warehouse) as con:
        return _records(con, """SELECT * FROM report.ranking_top
                                ORDER BY readiness_rank NULLS LAST, screening_rank NULLS LAST, region_code
                                LIMIT $n""", {"n": n})


def previous_runs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Return one row per index scored by this run: its hashes, when its stage key was first scored, and the hashes
    and time of the previous scoring run (the one last scored with another stage key; None when there is none).
    """
    return _records(con, "SELECT * FROM report.index_previous_run ORDER BY index_code")


def region_movers(warehouse: Path) -> list[dict]:
    """Return report.region_mover as dicts (index, region, rank before and now, places up, cause), largest move first."""
    with read_warehouse(warehouse) as con:
        return _records(con, """SELECT index_code, region_code, region_name, rank_before, rank_now, places_up, cause
                                FROM report.region_mover
                                ORDER BY abs(places_up) DESC NULLS LAST, index_code, rank_now NULLS LAST, region_code""")


def _short(value: str | None) -> str:
    return f"`{value[:16]}`" if value else "none"


def _changes(con: duckdb.DuckDBPyConnection) -> list[str]:
    runs = {r["index_code"]: r for r in previous_runs(con)}
    lines = ["## What changed since the last run", ""]
    for code, label in INDEX_LABELS.items():
        run = runs.get(code)
        if run is None:
            lines += [f"**{label} index**: not scored in this run.", ""]
            continue
        if run["previous_scored_at"] is None:
            lines += [f"**{label} index**: first run. history.score_run holds no earlier scoring run with other inputs, "
                      f"settings, methodology or code (these were first scored "
                      f"{run['first_scored_at']:%Y-%m-%d %H:%M %Z}).", ""]
            continue
        hashes = [f"{what} changed ({_short(run[f'previous_{key}'])} → {_short(run[key])})"
                  if run[f"previous_{key}"] != run[key] else f"{what} unchanged"
                  for what, key in (("inputs", "inputs_hash"), ("methodology", "methodology_hash"))]
        moves = _records(con, "SELECT * FROM report.region_mover WHERE index_code = $index", {"index": code})
        moved = [m for m in moves if m["places_up"]]
        new = sum(m["rank_before"] is None for m in moves)
        gone = sum(m["rank_now"] is None for m in moves)
        lines += [f"**{label} index** against the run scored {run['previous_scored_at']:%Y-%m-%d %H:%M %Z}: "
                  f"{', '.join(hashes)}. {len(moved)} regions moved, {new} newly ranked, {gone} no longer ranked.", ""]
        if moved:
            lines += ["| region | rank before | rank now | places | why |", "|---|---:|---:|---:|---|"]
            lines += [f"| {m['region_code']} {m['region_name']} | {m['rank_before']} | {m['rank_now']} | "
                      f"{m['places_up']:+d} | {m['cause']} |" for m in moved[:MOVERS_SHOWN]]
            lines.append("")
    return lines


def evaluation_headline(con: duckdb.DuckDBPyConnection) -> dict | None:
    """Return the latest evaluation year's headline (ranked, flagged, best, agreement, moderation, leaning), or None
    when there is no evaluation (no score sheets, or the evaluation could not be computed: score.part_status).
    """
    if not con.execute("SELECT count(*) FROM duckdb_views() WHERE schema_name = 'report' "
                       "AND view_name = 'evaluation_headline'").fetchall()[0][0]:
        return None
    headline = _records(con, "SELECT * FROM report.evaluation_headline")
    return headline[0] if headline else None


def _evaluation(con: duckdb.DuckDBPyConnection) -> str:
    h = evaluation_headline(con)
    if h is None:
        return "Evaluation: no score sheets were scored."
    alpha = f"{h['alpha']:.3f}" if h["alpha"] is not None else "n/a"
    return (f"Evaluation {h['year']} ({h['status']}): {h['ranked']} regions ranked, best {h['best'] or 'none'}; "
            f"assessors' agreement (Krippendorff's alpha, {h['alpha_level']}) {alpha}; {h['to_moderate']} cells to moderate.")


def refresh_summary(warehouse: Path) -> str:
    """Return the markdown digest of the run in the warehouse: row counts, quarantine, hashes, ranks and changes."""
    with read_warehouse(warehouse) as con:
        rows = _records(con, "SELECT * FROM report.ingest_total")[0]
        rules = _records(con, "SELECT * FROM report.quarantine_rule ORDER BY quarantined DESC, rule, scope")
        failed = _records(con, "SELECT \"table\", reason FROM report.source_status WHERE status = 'failed' "
                               "ORDER BY \"table\"")
        run = _records(con, "SELECT * FROM report.run")[0]
        ranked = _records(con, "SELECT * FROM report.ranking_count")[0]
        evaluation = _evaluation(con)
        changes = _changes(con)
    lines = ["# Readiness refresh summary", "",
             "| files | rows read | curated | quarantined | superseded | cells quarantined | unreadable files |",
             "|---:|---:|---:|---:|---:|---:|---:|",
             "| " + " | ".join(f"{rows[k]:,}" for k in ("files", "rows_read", "rows_curated", "rows_quarantined",
                                                       "rows_superseded", "cells_quarantined", "unreadable_files"))
             + " |", ""]
    if rules:
        shown = rules[:RULES_SHOWN]
        lines += [f"## Quarantine by rule ({len(shown)} of {len(rules)} rules)", "",
                  "| rule | scope | quarantined | sources |", "|---|---|---:|---|"]
        lines += [f"| {r['rule']} | {r['scope']} | {r['quarantined']:,} | {r['sources']} |" for r in shown]
    else:
        lines.append("## Quarantine: empty")
    lines += ["", "Source tables that failed validation (their last good version is used): "
              + (", ".join(f"{f['table']} ({f['reason']})" for f in failed) or "none") + ".", "",
              "## Scores", "",
              f"Methodology {_short(run['methodology_hash'])}, inputs {_short(run['inputs_hash'])}.", "",
              f"Regions ranked: {ranked['assessed']} of {ranked['regions']} on readiness, "
              f"{ranked['screened']} of {ranked['regions']} on screening.", "",
              evaluation, "", *changes]
    return "\n".join(lines).rstrip() + "\n"
