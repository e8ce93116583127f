"""Bad arguments, paths and methodology are one line each, before Prefect starts; check-methodology takes folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.runs.lock import refresh_lock
from tests.conftest import ROOT, project_copy


# What "before anything slow starts" means here: the command line never imported them (a wall-time bound would fail
# on a loaded machine and pass on a fast one).
SLOW = {"prefect", "great_expectations"}


def _readiness(*args: str, cwd=ROOT, timeout: float = 60, root: Path | None = None
               ) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the command line; return its process (import timings taken out of stderr) and the packages it imported."""
    env = {**os.environ, "COLUMNS": "250", **({"READINESS_ROOT": str(root)} if root else {})}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipelines.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = done.stderr.splitlines(keepends=True)
    timings = [line for line in lines if line.startswith("import time:")]
    done.stderr = "".join(line for line in lines if not line.startswith("import time:"))
    return done, {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in timings}


def _lines(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def test_a_data_folder_that_does_not_exist_is_one_line_and_is_not_created(tmp_path):
    missing = tmp_path / "nonexistent"
    done, imported = _readiness("refresh", "--data-dir", str(missing))
    assert done.returncode == 2 and not imported & SLOW and {"pipelines", "typer"} <= imported
    assert _lines(done) == [f"Error: --data-dir {missing}: no such folder",
                            f"hint: give the folder that holds raw/ (`readiness demo --data-dir {missing}` creates one "
                            "with demo data)"]
    assert not missing.exists()
    status, _ = _readiness("status", "--data-dir", str(missing))
    assert status.returncode == 2 and _lines(status)[0] == f"Error: --data-dir {missing}: no such folder"


def test_a_data_folder_without_input_files_says_where_they_go(tmp_path):
    (tmp_path / "raw" / "misc").mkdir(parents=True)
    done, imported = _readiness("refresh", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and not imported & SLOW
    assert _lines(done)[0] == (f"Error: no input files under {tmp_path / 'raw'}/<source>/ (sources: question_bank, "
                               "fiscal_capacity, government_performance, sustainability, indicators, evaluations, "
                               "cohorts, questionnaires)")
    assert not (tmp_path / "runs").exists()


def test_evaluate_without_score_sheets_is_one_line_before_anything_starts(tmp_path):
    # Other sources are there, the score sheets are not: the evaluation has nothing to score.
    (tmp_path / "raw" / "cohorts").mkdir(parents=True)
    (tmp_path / "raw" / "cohorts" / "c.csv").write_text("kode;tahun_bergabung;program\n", encoding="utf-8")
    done, imported = _readiness("evaluate", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and not imported & SLOW
    assert _lines(done) == [f"Error: no files under {tmp_path / 'raw' / 'evaluations'}/",
                            f"hint: put the files of evaluations there (docs/inputs.md; "
                            f"{ROOT / 'config' / 'sources' / 'evaluations'}.yaml lists their columns)"]
    assert not (tmp_path / "runs").exists()
    missing = tmp_path / "nonexistent"
    done, imported = _readiness("evaluate", "--data-dir", str(missing))
    assert done.returncode == 2 and not imported & SLOW
    assert _lines(done)[0] == f"Error: --data-dir {missing}: no such folder"


def test_a_typo_in_the_methodology_is_one_line_with_its_file_and_line_before_anything_starts(tmp_path):
    methodology = tmp_path / "m"
    shutil.copytree(ROOT / "methodology", methodology)
    path = methodology / "screening.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    weight:", "    wieght:", 1), encoding="utf-8")
    (tmp_path / "data" / "raw" / "cohorts").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "cohorts" / "c.csv").write_text("kode;tahun_bergabung;program\n", encoding="utf-8")
    done, imported = _readiness("refresh", "--data-dir", str(tmp_path / "data"), "--methodology", str(methodology))
    lines = _lines(done)
    assert done.returncode == 2 and not imported & SLOW and len(lines) == 2, lines
    assert lines[0].startswith("Error: screening.yaml:34: nodes.fiscal_capacity.wieght: unknown key; known keys: ")
    assert lines[1] == f"hint: `readiness check-methodology {methodology}` checks the whole folder"
    assert "Traceback" not in done.stdout + done.stderr


def test_a_methodology_folder_missing_a_file_is_named(tmp_path):
    methodology = tmp_path / "m"
    shutil.copytree(ROOT / "methodology", methodology)
    (methodology / "cohort.yaml").unlink()
    done, _ = _readiness("check-methodology", str(methodology))
    assert done.returncode == 1
    assert _lines(done) == [f"✗ {methodology}: no cohort.yaml (a methodology folder holds framework.yaml, "
                            "screening.yaml, readiness.yaml, cohort.yaml, evaluation.yaml; start from a copy of "
                            "methodology/)"]


def test_check_methodology_accepts_the_shipped_folder_and_every_file_in_it():
    folder = ROOT / "methodology"
    done, _ = _readiness("check-methodology", str(folder), *(str(folder / f) for f in (
        "cohort.yaml", "evaluation.yaml", "framework.yaml", "screening.yaml", "readiness.yaml")))
    lines = _lines(done)
    assert done.returncode == 0, lines
    assert all(line.startswith("✓ ") for line in lines)
    assert f"✓ {folder / 'cohort.yaml'}: cohort 'next', 50 seats, 2 priority tags, 2 quotas" in lines
    assert (f"✓ {folder / 'evaluation.yaml'}: evaluation years 2023 (weights 10/20/30/30/10, 2 decimals half_up, "
            "verdict on ordinal alpha), 2024 (weights 10/20/30/20/20, 2 decimals half_up, verdict on ordinal alpha)") in lines
    assert f"✓ {folder / 'framework.yaml'}: 6 dimensions, 18 elements, 3 aspects" in lines
    assert any(line.startswith(f"✓ {folder}: methodology hash ") for line in lines)


def test_a_refresh_while_another_holds_the_lock_is_refused_at_once(tmp_path):
    (tmp_path / "raw" / "cohorts").mkdir(parents=True)
    (tmp_path / "raw" / "cohorts" / "c.csv").write_text("kode;tahun_bergabung;program\n", encoding="utf-8")
    holder = {"run_id": "20261201T000000000000Z-1", "pid": 1, "started_at": "2026-12-01T00:00:00+00:00"}
    with refresh_lock(tmp_path / ".refresh.lock", holder):
        done, imported = _readiness("refresh", "--data-dir", str(tmp_path))
    assert done.returncode == 75 and not imported & SLOW
    assert _lines(done) == ["Not started: another refresh is running on this data folder (run "
                            "20261201T000000000000Z-1, pid 1, started 2026-12-01T00:00:00+00:00); this refresh exits "
                            "without touching anything (use --wait SECONDS to queue behind it)"]
    assert not (tmp_path / "runs").exists()


def test_status_after_a_run_with_a_broken_methodology_folder_says_so_instead_of_crashing(tmp_path):
    import json

    methodology = tmp_path / "m"
    shutil.copytree(ROOT / "methodology", methodology)
    (methodology / "readiness.yaml").write_text("index: [", encoding="utf-8")
    runs = tmp_path / "data" / "runs"
    runs.mkdir(parents=True)
    (runs / "20261201T000000000000Z-1.json").write_text(json.dumps({
        "run_id": "20261201T000000000000Z-1", "started_at": "2026-12-01T00:00:00+00:00", "status": "FAILED",
        "methodology_dir": str(methodology), "message": "MethodologyError"}), encoding="utf-8")
    done, _ = _readiness("status", "--data-dir", str(tmp_path / "data"))
    text = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"methodology or code: the methodology folder {methodology} cannot be used (readiness.yaml: not valid YAML" in text


@pytest.mark.parametrize("value, text", [(float("nan"), ""), (None, ""), (2.5, "2.50"), ("kota", "kota")])
def test_table_cells_show_missing_values_as_blank(value, text):
    from pipelines.cli import cell

    assert cell(value, ".2f" if isinstance(value, float) else "") == text


def test_a_broken_bps_crosswalk_is_one_line_before_anything_starts(tmp_path):
    root = project_copy(tmp_path / "project")
    crosswalk = root / "data" / "reference" / "crosswalk" / "bps_kemendagri.csv"
    crosswalk.parent.mkdir()
    crosswalk.write_text("kode_bps,kode_dagri,nama_dagri\n1101,1109,KAB. SIMEULUE\n1101,1110,KAB. ACEH SINGKIL\n")
    (tmp_path / "data" / "raw" / "indicators").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "indicators" / "x.csv").write_text("kode_wilayah;tahun;indicator;nilai\n")
    done, imported = _readiness("refresh", "--data-dir", str(tmp_path / "data"), root=root)
    lines = _lines(done)
    assert done.returncode == 2 and not imported & SLOW and len(lines) == 2, lines
    assert lines[0] == f"Error: {crosswalk}: kode_bps 1101 is listed twice"
    assert lines[1].startswith("hint: the region reference, its aliases and an installed BPS crosswalk are in data/reference/")
