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

    settings = Settings.default(tmp_path_factory.mktemp("small-demo"))
    generate(DemoSize.named("small", settings), settings)
    return settings, refresh(data_dir=str(settings.data_dir))


@pytest.fixture
def reference_regions():
    """The shipped reference regions table."""
    from pipelines.ingest.reference import regions

    return regions(ROOT / "data" / "reference")
