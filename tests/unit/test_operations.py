"""The parts of the unattended refresh that need no flow: the lock, the plan, the run records, the publication swap."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from pipelines.report.publish import building_dir, live, prune, publish
from pipelines.runs import record
from pipelines.runs.lock import RefreshBusy, lock_holder, refresh_lock
from pipelines.runs.plan import raw_changes, refresh_plan, scan_raw, stage_keys
from pipelines.settings import Settings, load_yaml
from pipelines.sources import file_sha256, load_contracts
from tests.conftest import ROOT

FRAMEWORK = load_yaml(ROOT / "methodology" / "framework.yaml")
SOURCES = load_contracts(ROOT / "config" / "sources")

HOLDER = {"run_id": "run-a", "pid": 1, "started_at": "2026-11-30T02:00:00+00:00"}


def test_a_second_refresh_is_refused_while_the_lock_is_held_and_gets_it_once_released(tmp_path):
    path = tmp_path / ".refresh.lock"
    assert lock_holder(path) is None
    with refresh_lock(path, HOLDER):
        assert lock_holder(path) == HOLDER
        with pytest.raises(RefreshBusy, match="run run-a, pid 1, started 2026-11-30T02:00:00"):
            with refresh_lock(path, {"run_id": "run-b"}):
                pass
    assert lock_holder(path) is None
    with refresh_lock(path, {"run_id": "run-b"}):
        assert lock_holder(path)["run_id"] == "run-b"


def test_a_waiting_refresh_takes_the_lock_when_the_first_one_ends(tmp_path):
    path = tmp_path / ".refresh.lock"
    released = threading.Event()

    def first():
        with refresh_lock(path, HOLDER):
            time.sleep(1.5)
        released.set()

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.3)
    with refresh_lock(path, {"run_id": "run-b"}, wait_seconds=30):
        assert released.is_set()
    thread.join()


def test_a_file_still_growing_is_left_for_the_next_run(tmp_path):
    raw = tmp_path / "raw" / "fiscal_capacity"
    raw.mkdir(parents=True)
    (raw / "settled.csv").write_text("kode;nilai\n11.01;1\n")
    growing = raw / "growing.csv"
    growing.write_text("kode;nilai\n")
    stop = threading.Event()

    def writer():
        with open(growing, "a") as fh:
            while not stop.is_set():
                fh.write("11.02;2\n")
                fh.flush()
                time.sleep(0.05)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        scan = scan_raw(tmp_path / "raw", 0.5, SOURCES)
    finally:
        stop.set()
        thread.join()
    assert scan.settling == ["fiscal_capacity/growing.csv"]
    assert list(scan.files) == ["fiscal_capacity/settled.csv"]
    assert scan_raw(tmp_path / "raw", 0.2, SOURCES).settling == []


def test_a_scan_waits_only_when_a_file_changed_since_the_last_and_reads_only_those(tmp_path):
    raw = tmp_path / "raw" / "fiscal_capacity"
    raw.mkdir(parents=True)
    for year in (2023, 2024):
        (raw / f"kapasitas_fiskal_{year}.csv").write_text(f"kode;nilai\n11.01;{year}\n")
    first = scan_raw(tmp_path / "raw", 0, SOURCES)
    # The status recorded per file is what lets the next scan trust it; a wrong sha256 in it shows whether it did.
    known = {p: [*s[:4], "sha-from-the-last-scan"] for p, s in first.stats.items()}
    start = time.monotonic()
    again = scan_raw(tmp_path / "raw", 3, SOURCES, known)
    assert time.monotonic() - start < 1.5, "nothing changed: no settle wait"
    assert set(again.files.values()) == {"sha-from-the-last-scan"} and again.settling == []
    (raw / "kapasitas_fiskal_2024.csv").write_text("kode;nilai\n11.01;9\n")
    start = time.monotonic()
    changed = scan_raw(tmp_path / "raw", 0.3, SOURCES, known)
    assert time.monotonic() - start >= 0.3, "a changed file is watched for the settle window"
    assert changed.files["fiscal_capacity/kapasitas_fiskal_2023.csv"] == "sha-from-the-last-scan"
    assert changed.files["fiscal_capacity/kapasitas_fiskal_2024.csv"] == file_sha256(raw / "kapasitas_fiskal_2024.csv")


def _settings(tmp_path: Path) -> Settings:
    settings = Settings.default(tmp_path / "data")
    folder = settings.raw_dir / "fiscal_capacity"
    folder.mkdir(parents=True)
    (folder / "kapasitas_fiskal_2024.csv").write_text("kode_wilayah;ikfd\n11.01;1,2\n")
    return settings


def _pretend_built(settings: Settings, keys: dict, inputs: dict) -> None:
    """Leave the stored keys a complete run would have left: curated manifest, warehouse run row, site manifest."""
    import duckdb

    settings.curated_dir.mkdir(parents=True)
    (settings.curated_dir / "manifest.json").write_text(json.dumps({
        "stage_key": keys["validate"], "inputs": [{"source_file": f, "sha256": h} for f, h in inputs.items()]}))
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE SCHEMA methodology")
        con.execute("CREATE TABLE methodology.run AS SELECT ? AS stage_key", [keys["score"]])
    site = building_dir(settings, "run-1")
    (site / "manifest.json").write_text(json.dumps({
        "stage_key": keys["report"], "inputs": [{"source_file": f, "sha256": h} for f, h in inputs.items()]}))
    publish(settings, site)


def test_the_plan_redoes_every_stage_from_the_first_whose_inputs_changed(tmp_path):
    settings = _settings(tmp_path)
    fresh = refresh_plan(settings, "methodology-1", settle_seconds=0)
    assert fresh.stages == ["ingest", "validate", "score", "report"] and fresh.reused == []
    _pretend_built(settings, fresh.keys, fresh.scan.files)
    assert refresh_plan(settings, "methodology-1", settle_seconds=0).stages == []
    assert refresh_plan(settings, "methodology-1", force=True, settle_seconds=0).stages == fresh.stages
    # Another methodology: the curated layer is still current, the scores and the site are not.
    other = refresh_plan(settings, "methodology-2", settle_seconds=0)
    assert other.stages == ["score", "report"] and other.reused == ["ingest", "validate"]
    # A changed raw file: everything.
    (settings.raw_dir / "fiscal_capacity" / "kapasitas_fiskal_2024.csv").write_text("kode_wilayah;ikfd\n11.01;1,3\n")
    changed = refresh_plan(settings, "methodology-1", settle_seconds=0)
    assert changed.stages == fresh.stages and changed.keys["validate"] != fresh.keys["validate"]
    assert raw_changes(settings, changed.scan)["changed"] == ["fiscal_capacity/kapasitas_fiskal_2024.csv"]


@pytest.mark.parametrize("part, redone", [("cohort", []), ("images", ["report"]), ("pdfs", ["report"])])
def test_a_site_published_without_its_images_or_pdfs_is_built_again(tmp_path, part, redone):
    # Chromium may have been installed since; a cohort the rules cannot fill stays unfilled with the same inputs.
    settings = _settings(tmp_path)
    fresh = refresh_plan(settings, "methodology-1", settle_seconds=0)
    _pretend_built(settings, fresh.keys, fresh.scan.files)
    manifest = settings.reports_dir / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "missing_parts": {part: "why"}}))
    assert refresh_plan(settings, "methodology-1", settle_seconds=0).stages == redone


def test_the_stage_keys_follow_the_validation_settings_and_the_monte_carlo(tmp_path):
    settings = _settings(tmp_path)
    scan = scan_raw(settings.raw_dir, 0, SOURCES)
    keys = stage_keys(settings, scan, "m")
    stricter = stage_keys(settings.with_validation(coverage_min_pct=95), scan, "m")
    assert stricter["validate"] != keys["validate"] and stricter["report"] != keys["report"]
    from dataclasses import replace
    more = stage_keys(replace(settings, monte_carlo={"executor": "dask"}), scan, "m")
    assert more["validate"] == keys["validate"] and more["score"] != keys["score"]


def test_a_run_waits_when_a_file_the_published_data_came_from_is_being_rewritten(tmp_path):
    settings = _settings(tmp_path)
    fresh = refresh_plan(settings, "m", settle_seconds=0)
    _pretend_built(settings, fresh.keys, fresh.scan.files)
    path = settings.raw_dir / "fiscal_capacity" / "kapasitas_fiskal_2024.csv"
    # As after a validation that was killed: no curated manifest, only the live publication says what it used.
    (settings.curated_dir / "manifest.json").unlink()
    stop = threading.Event()

    def rewrite():
        while not stop.is_set():
            path.write_text("kode_wilayah;ikfd\n11.01;1,2\n" * (1 + int(time.monotonic() * 20) % 7))
            time.sleep(0.05)

    thread = threading.Thread(target=rewrite)
    thread.start()
    try:
        plan = refresh_plan(settings, "m", settle_seconds=0.5)
    finally:
        stop.set()
        thread.join()
    assert plan.waiting == ["fiscal_capacity/kapasitas_fiskal_2024.csv"]


def test_records_left_running_by_a_killed_process_are_closed_as_interrupted(tmp_path):
    runs = tmp_path / "runs"
    record.write(runs, {"run_id": "20261130T020000000000Z-1", "status": "RUNNING", "stage": "score"})
    record.write(runs, {"run_id": "20261129T020000000000Z-1", "status": "COMPLETED"})
    record.write(runs, {"run_id": "20261128T020000000000Z-1", "status": "RUNNING", "stage": "after publication",
                        "publication": "data/publications/20261128T020000000000Z-1"})
    assert record.close_interrupted(runs) == ["20261130T020000000000Z-1", "20261128T020000000000Z-1"]
    newest, older, oldest = record.runs(runs)
    assert newest["status"] == "INTERRUPTED"
    assert newest["message"] == "the process stopped during score; nothing it built was published"
    assert oldest["message"] == ("the process stopped during after publication; its site "
                                 "data/publications/20261128T020000000000Z-1 was published, the run summary was not "
                                 "completed")
    assert record.last_published(runs)["run_id"] == older["run_id"]
    assert record.close_interrupted(runs) == []


def test_ingest_reads_only_the_planned_files_and_refuses_one_changed_since(tmp_path):
    from pipelines.ingest.run import RawFileChanged, ingest

    settings = Settings.default(tmp_path / "data")
    folder = settings.raw_dir / "fiscal_capacity"
    folder.mkdir(parents=True)
    planned, late = folder / "kapasitas_fiskal_2024.csv", folder / "kapasitas_fiskal_2023.csv"
    for path, year in ((planned, 2024), (late, 2023)):
        path.write_text(f"kode_wilayah;nama_daerah;tahun;ikfd\n11.01;Kabupaten Aceh Selatan;{year};1,2\n")
    scan = scan_raw(settings.raw_dir, 0, SOURCES)
    expected = {p: h for p, h in scan.files.items() if p.endswith("2024.csv")}
    staged = ingest(settings, FRAMEWORK, expected)
    assert staged.files["source_file"].tolist() == ["fiscal_capacity/kapasitas_fiskal_2024.csv"]
    planned.write_text("kode_wilayah;nama_daerah;tahun;ikfd\n11.01;Kabupaten Aceh Selatan;2024;9,9\n")
    with pytest.raises(RawFileChanged, match="kapasitas_fiskal_2024.csv changed after this refresh fingerprinted it"):
        ingest(settings, FRAMEWORK, expected)


def test_only_files_in_the_source_folders_count_as_inputs(tmp_path):
    settings = _settings(tmp_path)
    keys = refresh_plan(settings, "m", settle_seconds=0).keys
    (settings.raw_dir / "README.txt").write_text("notes for the analysts, not an input")
    (settings.raw_dir / "fiscal_capacity" / ".~lock.kapasitas_fiskal_2024.csv#").write_text("office lock file")
    assert refresh_plan(settings, "m", settle_seconds=0).keys == keys


def test_publishing_swaps_the_live_site_and_keeps_only_the_newest_earlier_ones(tmp_path):
    settings = Settings.default(tmp_path / "data")
    settings.reports_dir.mkdir(parents=True)
    (settings.reports_dir / "index.html").write_text("before publications existed")
    sites = []
    for n in range(5):
        site = building_dir(settings, f"2026113{n}")
        (site / "index.html").write_text(f"site {n}")
        sites.append(publish(settings, site))
        assert (settings.reports_dir / "index.html").read_text() == f"site {n}"
        assert live(settings) == sites[-1] and settings.reports_dir.is_symlink()
    keep = settings.operations["keep_publications"]
    left = sorted(p.name for p in settings.publications_dir.iterdir())
    assert left == [s.name for s in sites[-1 - keep:]]
    leftover = building_dir(settings, "killed")
    assert prune(settings, keep) == [leftover] and not leftover.exists()


def test_pruning_never_deletes_the_live_site_when_the_data_folder_is_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    settings = Settings.default(tmp_path / "linked")
    for n in range(2):
        site = building_dir(settings, f"2026113{n}")
        (site / "index.html").write_text(f"site {n}")
        publish(settings, site)
    prune(settings, keep=0)
    assert (settings.reports_dir / "index.html").read_text() == "site 1"
    assert [p.name for p in settings.publications_dir.iterdir()] == ["20261131"]
