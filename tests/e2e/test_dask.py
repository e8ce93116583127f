"""The cohort Monte Carlo's chunks on Prefect's Dask task runner (a local Dask cluster) give the serial result."""

from __future__ import annotations

import functools

import duckdb
import numpy as np
import pytest

from pipelines.score import engine, uncertainty
from tests.conformance.test_coinr_asem import METHODOLOGY, _v06_inputs


@pytest.mark.e2e
def test_replications_on_a_local_dask_cluster_equal_the_serial_run(prefect_api):
    from pipelines.flows import dask_mapper

    con = duckdb.connect()
    model = uncertainty.index_model(con, METHODOLOGY, *engine.load_frames(con, *_v06_inputs()), seed=1)
    drawn = uncertainty.design(model.factors, 64, seed=3)
    chunks = [drawn[i:i + 100] for i in range(0, len(drawn), 100)]
    function = functools.partial(uncertainty.simulate, model)
    on_dask = dask_mapper(2)(function, chunks)
    assert len(on_dask) == len(chunks) == 4
    assert np.array_equal(np.concatenate(on_dask), uncertainty.simulate(model, drawn), equal_nan=True)
