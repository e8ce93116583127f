"""Unit tests never start Prefect: a test that needs a flow run, or Prefect itself, belongs in tests/e2e/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The fixtures of tests/conftest.py that start Prefect or run the refresh flow.
FLOW_FIXTURES = {"prefect_api", "small_demo", "demo_project"}
MOVE = "unit tests never start Prefect: move it to tests/e2e/ or test the step without the flow"


def _prefect_loaded() -> bool:
    return "prefect" in sys.modules


def _is_unit(path: Path) -> bool:
    return HERE in Path(path).resolve().parents


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Fail the collection of a unit test module whose imports load Prefect."""
    loaded = _prefect_loaded()
    report = yield
    # Collection runs before any test, and nothing collected before tests/unit imports Prefect, so this holds in
    # the whole suite as well as in `pytest tests/unit`.
    if isinstance(collector, pytest.Module) and _is_unit(collector.path) and not loaded and _prefect_loaded():
        report.outcome, report.longrepr = "failed", f"{collector.path.name} imports prefect; {MOVE}"
    return report


def pytest_collection_modifyitems(items):
    """Refuse a unit test that asks for a fixture which runs the flow."""
    wrong = [f"{item.nodeid} uses {', '.join(sorted(FLOW_FIXTURES & set(item.fixturenames)))}"
             for item in items if _is_unit(item.path) and FLOW_FIXTURES & set(item.fixturenames)]
    if wrong:
        raise pytest.UsageError(f"{MOVE}: " + "; ".join(wrong))


@pytest.fixture(autouse=True)
def no_prefect(request):
    """Fail a unit test that imports Prefect while it runs (seen when Prefect was not loaded before it)."""
    loaded = _prefect_loaded()
    yield
    if not loaded and _prefect_loaded():
        pytest.fail(f"{request.node.nodeid} imported prefect; {MOVE}", pytrace=False)
