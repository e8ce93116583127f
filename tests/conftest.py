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


@pytest.fixture(scope="session")
def prefect_api():
    """A temporary Prefect API (SQLite) for the whole session; only flow tests start it."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory, prefect_api):
    """The refresh flow run once on the seeded `small` demo; returns (settings, RefreshResult)."""
    from pipelines.demo.generate import DemoSize, generate
    from pipelines.flows import refresh

    folder = tmp_path_factory.mktemp("small-demo")
    methodology = methodology_copy(folder, **SMALL_COHORT)
    settings = Settings.default(folder / "data", methodology_dir=methodology)
    generate(DemoSize.named("small", settings), settings)
    return settings, refresh(data_dir=str(settings.data_dir), methodology_dir=str(methodology))


@pytest.fixture
def reference_regions():
    """The shipped reference regions table."""
    from pipelines.ingest.reference import regions

    return regions(ROOT / "data" / "reference")
