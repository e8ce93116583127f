"""A ninth source is one contract file: ingest, validation, the planner, the movers' fingerprints and the report's
coverage table follow from config/sources/broadband.yaml alone (docs/inputs.md, "Adding a source")."""

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import project_copy, run_command

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ninth_source"


@pytest.fixture(scope="module")
def ninth(tmp_path_factory, small_demo):
    """A project copy holding the small demo's refreshed data folder, then the broadband contract and one Podes file
    added and refreshed with the README's command."""
    root = project_copy(tmp_path_factory.mktemp("ninth"))
    shutil.copytree(small_demo[0].data_dir, root / "data", symlinks=True, dirs_exist_ok=True)
    shutil.copy(FIXTURE / "broadband.yaml", root / "config" / "sources" / "broadband.yaml")
    (root / "data" / "raw" / "broadband").mkdir()
    shutil.copy(FIXTURE / "podes_2024.csv", root / "data" / "raw" / "broadband" / "podes_2024.csv")
    return root, run_command(".venv/bin/readiness refresh", root)


def test_the_new_source_is_ingested_validated_and_accounted_for(ninth):
    root, refresh = ninth
    assert refresh.returncode == 3, refresh.stdout + refresh.stderr   # the small demo's cohort is still missing
    curated = root / "data" / "curated"
    table = pd.read_parquet(curated / "broadband.parquet")
    assert table[["region_code", "year", "villages_4g_pct"]].values.tolist() == [["35.13", 2024, 81.5],
                                                                                 ["35.74", 2024, 100.0]]
    quarantine = pd.read_parquet(curated / "quarantine.parquet")
    bad = quarantine[quarantine["source"] == "broadband"]
    assert bad[["source_file", "source_row", "source_column"]].values.tolist() == [
        ["broadband/podes_2024.csv", 4, "Persen Desa 4G"]]
    assert bad["message"].iloc[0] == ("Persen Desa 4G (villages_4g_pct) is outside the allowed range 0 to 100; "
                                      "fix: a share of villages runs from 0 to 100")
    log = pd.read_parquet(curated / "ingest_log.parquet").set_index("source_file").loc["broadband/podes_2024.csv"]
    assert (log["rows_read"], log["rows_curated"], log["rows_quarantined"], log["rows_superseded"]) == (3, 2, 1, 0)
    suites = {s["table"]: s for s in json.loads((curated / "validation.json").read_text(encoding="utf-8"))}
    assert suites["broadband"]["rows_quarantined"] == 1


def test_the_new_source_reaches_the_fingerprints_and_the_report(ninth):
    root, _ = ninth
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        fingerprints = con.execute("SELECT region_code, rows FROM score.region_input WHERE source = 'broadband' "
                                   "ORDER BY region_code").fetchall()
    assert fingerprints == [("35.13", 1), ("35.74", 1)]
    overview = (root / "data" / "reports" / "index.html").read_text(encoding="utf-8")
    assert "broadband" in overview.split('id="coverage-table"', 1)[1].split("</table>", 1)[0]


def test_its_suite_is_written_and_an_unknown_contract_key_is_one_line_before_anything_runs(ninth):
    root, _ = ninth
    written = run_command(".venv/bin/readiness expectations", root)
    assert written.returncode == 0 and "broadband.json" in written.stdout
    suite = json.loads((root / "expectations" / "broadband.json").read_text(encoding="utf-8"))
    assert {"type": "expect_column_values_to_be_between",
            "kwargs": {"column": "villages_4g_pct", "min_value": 0, "max_value": 100}} in [
        {k: e[k] for k in ("type", "kwargs")} for e in suite["expectations"]]
    contract = root / "config" / "sources" / "broadband.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("feeds:", "feed:"), encoding="utf-8")
    broken = run_command(".venv/bin/readiness refresh", root)
    assert broken.returncode == 2
    assert broken.stdout.splitlines()[0].startswith("Error:") and "unknown key 'feed'" in broken.stdout
