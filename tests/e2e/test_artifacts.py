"""The refresh flow's Prefect artifacts, read back from the API after the small demo's run."""

from __future__ import annotations

import asyncio
import json

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e
KEYS = ("readiness-ranking-top", "readiness-refresh-summary")


def _artifacts(data_dir: str) -> dict:
    """Return {key: artifact} of the refresh run whose data_dir parameter is `data_dir`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey, FlowFilter,
                                                FlowFilterName)

    async def read():
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["refresh"])))
            [run] = [r for r in runs if r.parameters.get("data_dir") == data_dir]
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=list(KEYS)), flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
            return {a.key: a for a in found}

    return asyncio.run(read())


def test_refresh_publishes_the_top_of_the_ranking_and_a_summary(small_demo):
    settings, result = small_demo
    artifacts = _artifacts(str(settings.data_dir))
    assert sorted(artifacts) == sorted(KEYS)

    table = artifacts["readiness-ranking-top"]
    assert table.type == "table"
    rows = json.loads(table.data)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ranking = con.sql("SELECT * FROM score.region_ranking").df()
    best = ranking[ranking["readiness_rank"] == 1].iloc[0]
    assert len(rows) == 25
    assert [r["readiness_rank"] for r in rows[:12]] == list(range(1, 13))     # the small demo assesses 12 regions
    assert (rows[0]["region_code"], rows[0]["region_name"], rows[0]["readiness_index"]) == \
        (best["region_code"], best["region_name"], round(best["readiness_index"], 2))
    assert rows[12]["readiness_rank"] is None
    assert rows[12]["region_code"] == ranking[ranking["readiness_rank"].isna()].sort_values("screening_rank")["region_code"].iloc[0]

    summary = artifacts["readiness-refresh-summary"]
    assert summary.type == "markdown"
    log = pd.read_parquet(settings.curated_dir / "ingest_log.parquet")
    assert summary.data.startswith("# Readiness refresh summary")
    assert f"| {int(log['rows_read'].sum()):,} | {int(log['rows_curated'].sum()):,} |" in summary.data
    assert "region_ambiguous" in summary.data and "region_unknown" in summary.data
    assert f"inputs `{result.scored.inputs_hash[:16]}`" in summary.data
    assert "Regions ranked: 12 of 514 on readiness" in summary.data
    assert "**Readiness index**: first run." in summary.data
