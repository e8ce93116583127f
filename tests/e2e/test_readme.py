"""The command lines of README.md, run as written in a copy of the project, each with the outcome it must have."""

from __future__ import annotations

import re
import shutil

import pytest

from pipelines.runs import record
from tests.conftest import ROOT, run_command

pytestmark = pytest.mark.e2e
README = ROOT / "README.md"
# Not run here, with where they are covered instead: a command that never returns, one that runs this suite, one
# that takes minutes at national scale (CI's `.ci/run` runs `make bench SIZE=demo`), and one that needs files the user
# supplies (the tests take boundaries from ../shared).
COVERED_ELSEWHERE = {
    ".venv/bin/readiness boundaries provinces.geojson regencies.geojson":
        "tests/unit/test_boundaries.py::test_the_command_checks_installs_and_refuses_in_one_line",
    ".venv/bin/readiness serve": "tests/e2e/test_nightly.py::test_serve_starts_a_prefect_server_whose_scheduler_"
                                 "creates_and_runs_the_refresh",
    "make golden": "tests/e2e/test_refresh.py::test_published_table_matches_the_reviewed_golden_file",
    "make bench SIZE=national": ".ci/run (make bench SIZE=demo)",
}
# What each command prints (a fragment, spaces normalised) and the exit status it ends with, in README order.
EXPECTED = {
    ".venv/bin/readiness refresh": (0, "UNCHANGED — no input, methodology or code changed"),
    ".venv/bin/readiness refresh --force": (0, "COMPLETED — published"),
    ".venv/bin/readiness refresh --wait 600": (0, "UNCHANGED"),
    ".venv/bin/readiness status": (0, "Running now: no refresh"),
    ".venv/bin/readiness select": (0, "Proposed cohort: 50 of"),
    ".venv/bin/readiness evaluate": (0, "Evaluation 2024 (scored with the 2024 methodology):"),
    ".venv/bin/readiness pdf 35.13": (0, "35.13.pdf: Kabupaten Probolinggo (35.13)"),
    ".venv/bin/readiness refresh --methodology my-methodology/": (0, "UNCHANGED"),
    ".venv/bin/readiness demo --size small": (3, "Published without cohort: cohort size 50, but only 8 shortlisted "
                                                 "regions can be selected"),
    ".venv/bin/readiness demo --data-dir /tmp/x": (0, "COMPLETED — published"),
    ".venv/bin/readiness expectations": (0, "wrote"),
    ".venv/bin/readiness check-methodology methodology/screening.yaml": (0, "✓ methodology/screening.yaml: index "
                                                                             "'screening'"),
}
# Whether a command's run is a Prefect flow run: a refresh with nothing to redo is decided, run and recorded before
# Prefect starts (its temporary server would be nearly all of its time).
FLOW_RUN = {".venv/bin/readiness refresh": False, ".venv/bin/readiness refresh --force": True}
# `readiness demo --size small` is checked in full here, where README's command already runs it (no second run
# elsewhere): what else it prints and publishes.
SMALL_DEMO = ".venv/bin/readiness demo --size small"
SMALL_DEMO_PRINTS = ("Evaluation 2024 (scored with the 2024 methodology): 10 regions ranked, 1 with too few assessors",
                     "assessors: Asesor 03 lenient")


def readme_commands(section: str) -> list[str]:
    """Return the command lines of the README's shell block under `section`, without their comments."""
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"## {re.escape(section)}\n.*?```sh\n(.*?)```", text, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_readme_gives_exactly_two_commands_after_cloning():
    assert readme_commands("Two commands") == ["make demo", "make test"]


def test_make_demo_as_written_publishes_the_report(demo_project):
    root, done = demo_project
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Report: {root / 'data' / 'reports' / 'index.html'}" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_every_other_readme_command_runs_as_written(demo_project, tmp_path):
    commands = readme_commands("Other commands")
    assert set(commands) == set(EXPECTED) | set(COVERED_ELSEWHERE), "a README command without an expected outcome"
    source, _ = demo_project
    root = tmp_path / "project"
    shutil.copytree(source, root, symlinks=True)
    for line in commands:
        if line in COVERED_ELSEWHERE:
            continue
        if "--methodology my-methodology/" in line:
            shutil.copytree(root / "methodology", root / "my-methodology")   # "a copy of methodology/", as README says
        # The only change to a line: a private folder for /tmp/x, so parallel runs never share one.
        done = run_command(line.replace("/tmp/x", str(tmp_path / "x")), root)
        code, fragment = EXPECTED[line]
        output = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == code, f"{line}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        assert fragment in output, f"{line}\n{output[-4000:]}"
        assert "Traceback" not in output, line
        if line in FLOW_RUN:
            assert (record.runs(root / "data" / "runs")[0]["flow_run_id"] is not None) is FLOW_RUN[line], line
        if line == SMALL_DEMO:
            assert f"Report: {root / 'data' / 'reports' / 'index.html'}" in done.stdout.replace("\n", "")
            assert (root / "data" / "reports" / "provinces.html").exists()
            for printed in SMALL_DEMO_PRINTS:
                assert printed in output, f"{line}\n{output[-4000:]}"
