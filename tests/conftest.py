"""Shared fixtures: offline Prefect settings, a temporary Prefect API for flow tests, a small demo run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# A private Prefect home so test runs never share a database or result cache with a user's.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="prefect-home-")

from pipelines.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# What ../shared/reference/boundaries/README.md asks to keep with maps drawn from its files.
BOUNDARY_ATTRIBUTION = "cahyadsn/wilayah_boundaries (MIT, (c) 2024 Cahya DSN), simplified"


def methodology_copy(folder: Path, **cohort: object) -> Path:
    """Copy methodology/ into `folder` with cohort.yaml's top-level keys replaced (tiny data needs tiny cohorts)."""
    import shutil

    import yaml

    target = folder / "methodology"
    shutil.copytree(ROOT / "methodology", target)
    path = target / "cohort.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc.update(cohort)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


# The cohort rules the small data sets can satisfy: a few seats, no reserved seats or minimums, few replications.
SMALL_COHORT = {"size": 2, "tags": {}, "quotas": [{"group": "province_code", "max": 1}],
                "uncertainty": {"seed": 7, "base_samples": 16, "component_noise_pct": 25}}


# Headless Chromium as the browser tests drive it: offline (no background networking), one fixed window size.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through chromedriver, with the browser's console log kept; one per test module."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("Chromium and chromedriver are required for the report tests: run `make browser` "
                    "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def prefect_api():
    """A temporary Prefect API (SQLite) for the whole session; only flow tests start it."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory, prefect_api):
    """The refresh flow run once on the seeded `small` demo with the shipped methodology; returns (settings, result).

    The shipped cohort of 50 cannot be chosen from the small demo's 12 assessed regions: this run is published with
    the cohort missing (status PARTIAL), as a user's `readiness demo --size small` is. The boundaries in ../shared are
    installed, as a user installs them (`readiness boundaries`), so the site has its maps; README's `make demo` has none.
    """
    from pipelines.demo.generate import DemoSize, generate
    from pipelines.ingest import boundaries
    from pipelines.score.methodology import load
    from pipelines.flows import refresh

    folder = tmp_path_factory.mktemp("small-demo")
    settings = Settings.default(folder / "data")
    generate(DemoSize.named("small", settings), settings, load(settings.methodology_dir).framework)
    names = boundaries.reference_names(settings.reference_dir)
    for level in ("provinces", "regencies"):
        boundaries.install(SHARED / "reference" / "boundaries" / f"{level}.geojson", names, settings.boundaries_dir,
                           BOUNDARY_ATTRIBUTION)
    return settings, refresh(data_dir=str(settings.data_dir))


def project_copy(target: Path) -> Path:
    """Copy the project's committed files into `target` (times kept, so make sees .venv as up to date) and link
    the installed .venv, so the README's commands can run there as written without touching this checkout's data.
    """
    import shutil
    import subprocess

    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    # The linked .venv is the one under test: an install input edited in the checkout since `make` built it must
    # not have `make` reinstall it from this copy (that would point the checkout's editable install at a temporary
    # folder).
    stamp = ROOT / ".venv" / ".installed"
    for name in ("pyproject.toml", "constraints.txt") if stamp.exists() else ():
        if (target / name).stat().st_mtime > stamp.stat().st_mtime:
            os.utime(target / name, (stamp.stat().st_atime, stamp.stat().st_mtime))
    return target


def run_command(line: str, cwd: Path, timeout: float = 900) -> "subprocess.CompletedProcess":
    """Run one shell command line as a user types it in `cwd` (the project copy), with the project's own settings."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "READINESS_"))}
    env.update(READINESS_ROOT=str(cwd), PREFECT_HOME=str(cwd / ".prefect"), COLUMNS="200")
    return subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory):
    """A copy of the project in which README's `make demo` has run as written; returns (root, completed process).

    Built once for the whole run, however many pytest-xdist workers ask for it: the first one builds it under a
    lock in the folder all workers share, the others wait for it and read the outcome it left (tests only read it).
    """
    import fcntl
    import json
    import shutil
    import subprocess

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, outcome = shared / "demo-project", shared / "demo-project.json"
    with open(shared / "demo-project.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            shutil.rmtree(root, ignore_errors=True)   # what a build that failed in another worker left
            root.mkdir()
            try:
                done = run_command("make demo", project_copy(root))
            except Exception as exc:  # noqa: BLE001 - a timeout, a copy that failed: recorded once, not retried
                done = subprocess.CompletedProcess("make demo", -1, "", f"{type(exc).__name__}: {exc}")
            outcome.write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout,
                                           "stderr": done.stderr}), encoding="utf-8")
    done = json.loads(outcome.read_text(encoding="utf-8"))
    return root, subprocess.CompletedProcess("make demo", done["returncode"], done["stdout"], done["stderr"])


@pytest.fixture
def reference_regions():
    """The shipped reference regions table."""
    from pipelines.ingest.reference import regions

    return regions(ROOT / "data" / "reference")
