"""The refresh summaries (top of the ranking, markdown digest) read from the shared small demo run's warehouse."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from pipelines.report.summary import (MOVERS_SHOWN, RULES_SHOWN, TOP_REGIONS, previous_runs, ranking_top,
                                      refresh_summary)
from pipelines.score.run import model_phases, run_models

pytestmark = pytest.mark.e2e
SWAPPED_RANKS = (1, 3)   # the readiness ranks a fake previous run swaps


def _frame(warehouse, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def test_ranking_top_lists_readiness_ranks_first_then_screening(small_demo):
    settings, _ = small_demo
    ranking = _frame(settings.warehouse_path, "SELECT * FROM score.region_ranking")
    rows = ranking_top(settings.warehouse_path)
    assert len(rows) == TOP_REGIONS
    assert set(rows[0]) == {"readiness_rank", "screening_rank", "region_code", "region_name", "province_name",
                            "readiness_index", "screening_index"}
    assessed = ranking["readiness_rank"].notna().sum()
    assert [r["readiness_rank"] for r in rows[:assessed]] == list(range(1, assessed + 1))
    # After the assessed regions: unassessed ones by screening rank.
    rest = ranking[ranking["readiness_rank"].isna()].sort_values("screening_rank").head(TOP_REGIONS - assessed)
    assert [r["region_code"] for r in rows[assessed:]] == rest["region_code"].tolist()
    assert all(r["readiness_rank"] is None and r["readiness_index"] is None for r in rows[assessed:])
    first = ranking.set_index("readiness_rank").loc[1]
    assert (rows[0]["region_code"], rows[0]["region_name"], rows[0]["province_name"]) == \
        (first["region_code"], first["region_name"], first["province_name"])
    assert rows[0]["readiness_index"] == round(first["readiness_index"], 2)
    assert rows[0]["screening_index"] == round(first["screening_index"], 2)
    assert rows[0]["screening_rank"] == first["screening_rank"]


def test_summary_counts_rows_quarantine_hashes_and_ranks(small_demo):
    settings, result = small_demo
    markdown = refresh_summary(settings.warehouse_path)
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet")
    counts = [len(log)] + [int(log[c].sum()) for c in ("rows_read", "rows_curated", "rows_quarantined",
                                                      "rows_superseded", "cells_quarantined")]
    assert "| " + " | ".join(f"{n:,}" for n in counts) + " | 0 |" in markdown
    quarantine = pd.read_parquet(settings.curated_dir / "quarantine.parquet")
    by_rule = (quarantine.groupby(["rule", "scope"]).size().rename("rows").reset_index()
               .sort_values(["rows", "rule", "scope"], ascending=[False, True, True]))
    heading = f"## Quarantine by rule ({min(RULES_SHOWN, len(by_rule))} of {len(by_rule)} rules)"
    section = markdown.split(heading + "\n\n")[1].split("\n\n")[0].splitlines()[2:]   # the table's rows
    assert [line.split(" | ")[:3] for line in section] == \
        [[f"| {r.rule}", r.scope, str(r.rows)] for r in by_rule.head(RULES_SHOWN).itertuples()]
    assert f"Methodology `{result.scored.methodology_hash[:16]}`, inputs `{result.scored.inputs_hash[:16]}`." in markdown
    assert "Regions ranked: 12 of 514 on readiness, 508 of 514 on screening." in markdown
    assert "Evaluation 2024 (scored with the 2024 methodology): 10 regions ranked, best " in markdown
    # One refresh so far: nothing to compare with.
    assert "**Readiness index**: first run." in markdown and "**Screening index**: first run." in markdown


@pytest.fixture(scope="module")
def two_runs(small_demo, tmp_path_factory):
    """A copy of the small demo's warehouse whose history holds two earlier scoring runs with other inputs.

    The later one (a day ago) had readiness ranks 1 and 3 swapped and screening's rank 1 unranked; the older one
    (two days ago) had today's ranks. Neither kept per-region input fingerprints. Shared by this module's tests:
    only read it; a test that writes works on its own copy.
    """
    settings, _ = small_demo
    copy = tmp_path_factory.mktemp("two-runs") / "warehouse.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    first, third = SWAPPED_RANKS
    with duckdb.connect(str(copy)) as con:
        for key, days in (("older", 2), ("previous", 1)):
            con.execute(f"""INSERT INTO history.score_run
                            SELECT '{key}-key', methodology_hash, '{key}-inputs', now() - INTERVAL {days} DAY
                            FROM methodology.run""")
        con.execute("""INSERT INTO history.index_node BY NAME
                       SELECT * REPLACE ('older-inputs' AS inputs_hash), 'older-key' AS stage_key,
                              now() - INTERVAL 2 DAY AS scored_at
                       FROM score.index_node""")
        con.execute(f"""INSERT INTO history.index_node BY NAME
                        SELECT * REPLACE ('previous-inputs' AS inputs_hash, CASE
                            WHEN parent_code IS NOT NULL THEN node_rank
                            WHEN index_code = 'readiness' AND node_rank IN ({first}, {third}) THEN {first + third} - node_rank
                            WHEN index_code = 'screening' AND node_rank = 1 THEN NULL
                            ELSE node_rank END AS node_rank), 'previous-key' AS stage_key,
                               now() - INTERVAL 1 DAY AS scored_at
                        FROM score.index_node""")
        # The movers are scored against the latest other run in history: score them again with the two added.
        run_models(con, model_phases()["history"])
    return copy


def test_previous_run_is_the_latest_other_inputs_or_methodology(two_runs, small_demo):
    _, result = small_demo
    with duckdb.connect(str(two_runs), read_only=True) as con:
        runs = previous_runs(con)
    assert [r["index_code"] for r in runs] == ["readiness", "screening"]
    for run in runs:
        assert (run["inputs_hash"], run["previous_inputs_hash"]) == (result.scored.inputs_hash, "previous-inputs")
        assert run["previous_methodology_hash"] == run["methodology_hash"]
        assert run["previous_scored_at"] < run["first_scored_at"]


def test_a_return_to_earlier_inputs_compares_with_the_run_just_before(two_runs, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(two_runs, warehouse)          # this test adds a run: never into the module's shared copy
    with duckdb.connect(str(warehouse)) as con:
        # The older inputs were scored again twelve hours ago, after the "previous" run of a day ago.
        con.execute("INSERT INTO history.score_run SELECT 'older-key', methodology_hash, 'older-inputs', "
                    "now() - INTERVAL 12 HOUR FROM methodology.run")
        run_models(con, model_phases()["history"])
        runs = previous_runs(con)
        moved = con.execute("SELECT count(*) FROM score.region_mover").fetchone()[0]
    assert {r["previous_inputs_hash"] for r in runs} == {"older-inputs"}
    assert moved == 0          # the older run had today's ranks


def test_summary_says_what_changed_since_the_previous_run(two_runs, small_demo):
    _, result = small_demo
    ranking = _frame(two_runs, "SELECT * FROM score.region_ranking").set_index("readiness_rank")
    markdown = refresh_summary(two_runs)
    changed = f"inputs changed (`previous-inputs` → `{result.scored.inputs_hash[:16]}`), methodology unchanged."
    assert f"{changed} 2 regions moved, 0 newly ranked, 0 no longer ranked." in markdown
    assert f"{changed} 0 regions moved, 1 newly ranked, 0 no longer ranked." in markdown
    first, third = SWAPPED_RANKS
    up, down = ranking.loc[first], ranking.loc[third]
    # The fake earlier run kept no per-region input fingerprints, so the cause cannot be told.
    cause = "not known: the previous run kept no input fingerprints"
    moved = (f"| {up['region_code']} {up['region_name']} | {third} | {first} | +{third - first} | {cause} |\n"
             f"| {down['region_code']} {down['region_name']} | {first} | {third} | -{third - first} | {cause} |")
    assert moved in markdown
    assert "first run" not in markdown and MOVERS_SHOWN >= 2
