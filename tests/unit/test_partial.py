"""A part of the scores that fails is rolled back alone and named; withheld sources withhold what reads them."""

import duckdb
import pandas as pd

from pipelines.score.cohort import CohortRuleError
from pipelines.score.run import _part, withheld_parts
from pipelines.settings import load_yaml
from pipelines.sources import load_contracts
from pipelines.validate.run import withheld_sources
from pipelines.warehouse import read, start_building, swap_in
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")


def test_a_failing_part_is_rolled_back_and_recorded_while_the_others_stay(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA score")
    parts: list[dict] = []

    def evaluation():
        con.execute("CREATE TABLE score.evaluation_cell AS SELECT 1 AS x")
        con.execute("CREATE TABLE score.evaluation_region AS SELECT * FROM score.no_such_table")
        return {}

    def cohort():
        con.execute("CREATE TABLE score.cohort_run AS SELECT 50 AS size")
        raise CohortRuleError("cohort size 50, but only 7 shortlisted regions can be selected")

    def shortlist():
        con.execute("CREATE TABLE score.cohort_shortlist AS SELECT 1 AS n")
        return {"cohort_shortlist": 1}

    assert _part(con, "evaluation", evaluation, parts) == {}
    assert _part(con, "cohort", cohort, parts) == {}
    assert _part(con, "shortlist", shortlist, parts) == {"cohort_shortlist": 1}
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"cohort_shortlist"}
    assert [(p["part"], p["status"]) for p in parts] == [("evaluation", "missing"), ("cohort", "missing"),
                                                          ("shortlist", "complete")]
    assert parts[0]["reason"].startswith("CatalogException: Catalog Error: Table with name no_such_table")
    assert parts[1]["reason"] == ("cohort size 50, but only 7 shortlisted regions can be selected "
                                  "(the rules are in cohort.yaml of the methodology folder)")


def test_a_failed_source_without_a_stand_in_withholds_the_index_and_the_parts_that_need_it():
    log = pd.DataFrame({"source": ["fiscal_capacity", "evaluations"], "rows_read": [20, 5]})
    status = pd.DataFrame({"table": ["fiscal_capacity", "evaluations", "sustainability", "cohorts"],
                           "source": ["fiscal_capacity", "evaluations", "sustainability", "cohorts"],
                           "status": ["failed", "failed", "failed", "passed"],
                           "reason": ["coverage (20 rows)", "year_after_run (5 rows)", "coverage (0 rows)", None],
                           "version_used": ["none: no earlier good version, the source is left out",
                                            "last good version (40 rows from evaluations/a.csv)",
                                            "none: no earlier good version, the source is left out", "this run"]})
    # Evaluations have a stand-in; no sustainability file arrived (its table is empty, not failed by a delivery):
    # only fiscal capacity withholds.
    withheld = withheld_sources(log, status)
    assert withheld == {"fiscal_capacity": "fiscal_capacity failed the gate coverage (20 rows) and no earlier good "
                                           "version exists"}
    assert withheld_parts(withheld, load_contracts(ROOT / "config" / "sources"), ["screening", "readiness"]) == [
        {"part": "screening", "status": "withheld", "reason": f"withheld: {withheld['fiscal_capacity']}"},
        {"part": "cohort", "status": "withheld", "reason": "withheld: it needs the screening index, which is withheld"}]


def test_the_warehouse_is_built_in_a_copy_and_swapped_in_while_a_writer_holds_the_live_file(tmp_path):
    import subprocess
    import sys

    live = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(live)) as con:
        con.execute("CREATE TABLE history AS SELECT 1 AS run")
    # A notebook that writes into the warehouse: it holds the lock and leaves a write-ahead log beside the file.
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "con.execute('CREATE TABLE mine AS SELECT 42 AS x'); print('open', flush=True); "
                               "sys.stdin.readline(); print(con.execute('SELECT count(*) FROM history').fetchone()[0], "
                               "flush=True)", str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert live.with_name("warehouse.duckdb.wal").exists()
        building = start_building(live)
        with duckdb.connect(str(building)) as con:
            con.execute("INSERT INTO history VALUES (2)")
        # The report's reader gets a snapshot while the analyst's process holds the lock of the old file.
        with read(live) as con:
            assert con.execute("SELECT count(*) FROM history").fetchall() == [(1,)]
        swap_in(building, live)
        # The notebook's log belongs to the old file: moved aside, so the new file opens without replaying it.
        assert not live.with_name("warehouse.duckdb.wal").exists()
        assert live.with_name("warehouse.duckdb.wal.replaced").exists()
        with read(live) as con:
            assert con.execute("SELECT list(run ORDER BY run) FROM history").fetchall() == [([1, 2],)]
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "1"     # the notebook still reads the file it opened
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_first_delivery_with_nothing_readable_withholds_its_source(tmp_path):
    from pipelines.ingest.run import ingest
    from pipelines.settings import Settings
    from pipelines.validate.run import validate

    settings = Settings.default(tmp_path, as_of_year=2025)
    (settings.raw_dir / "fiscal_capacity").mkdir(parents=True)
    (settings.raw_dir / "fiscal_capacity" / "kapasitas_fiskal_2024.csv").write_bytes(b"")
    curated = validate(ingest(settings, FRAMEWORK), settings, FRAMEWORK)
    status = curated.source_status.set_index("table").loc["fiscal_capacity"]
    assert (status["status"], status["reason"]) == ("failed", "nothing_curated (0 rows)")
    assert withheld_sources(curated.ingest_log, curated.source_status) == {
        "fiscal_capacity": "fiscal_capacity failed the gate nothing_curated (0 rows) and no earlier good version exists"}
