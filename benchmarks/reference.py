"""Reference points the scoring stage is compared with: a bare DuckDB aggregation and plain pandas."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


def bare_duckdb_means(curated_dir: Path) -> pd.DataFrame:
    """Return the mean answer per region straight from the curated Parquet: the floor for any scoring."""
    with duckdb.connect() as con:
        return con.execute("SELECT region_code, avg(answer_value) AS mean_answer FROM read_parquet(?) GROUP BY 1",
                           [str(curated_dir / "questionnaire_answers.parquet")]).df()


def _weighted_mean(frame: pd.DataFrame, keys: list[str], value: str, weight: str) -> pd.DataFrame:
    present = frame[value].notna()
    frame = frame.assign(_vw=frame[value] * frame[weight], _w=frame[weight].where(present),
                         _all=frame[weight])
    out = frame.groupby(keys, sort=False)[["_vw", "_w", "_all"]].sum(min_count=1)
    out["mean"] = out["_vw"] / out["_w"]
    out["coverage_pct"] = 100 * out["_w"].fillna(0) / out["_all"]
    return out.reset_index()


def pandas_readiness(curated_dir: Path, methodology) -> pd.DataFrame:
    """Return region_code → readiness_index computed with pandas groupby, as an analyst would without DuckDB."""
    answers = pd.read_parquet(curated_dir / "questionnaire_answers.parquet",
                              columns=["region_code", "period", "question_code", "answer_value"])
    bank = pd.read_parquet(curated_dir / "question_bank.parquet")
    submissions = pd.read_parquet(curated_dir / "questionnaire_submissions.parquet", columns=["region_code", "period"])
    readiness = methodology.readiness
    period = submissions["period"].max() if readiness["period"] == "latest" else readiness["period"]
    a = answers[answers["period"] == period].merge(bank[bank["answer_type"] != "text"], on="question_code")
    scoring = readiness["answer_scoring"]
    low = a["answer_type"].map({t: r["low"] for t, r in scoring.items()}).fillna(a["goal_low"])
    high = a["answer_type"].map({t: r["high"] for t, r in scoring.items()}).fillna(a["goal_high"])
    raw = (100 * (a["answer_value"] - low) / (high - low)).clip(0, 100)
    a["answer_score"] = np.where(a["direction"] == -1, 100 - raw, raw)
    questions = a.groupby(["region_code", "question_code", "dimension", "element", "weight"], sort=False)[
        "answer_score"].mean().reset_index()
    elements = _weighted_mean(questions, ["region_code", "dimension", "element"], "answer_score", "weight")
    elements["element_score"] = elements["mean"].where(elements["coverage_pct"] >= readiness["min_answered_pct"])
    weights = methodology.element_table()[["dimension", "element", "weight"]]
    dimensions = _weighted_mean(elements.merge(weights, on=["dimension", "element"]), ["region_code", "dimension"],
                                "element_score", "weight")
    dimensions = dimensions.merge(methodology.dimension_table()[["dimension", "weight"]], on="dimension")
    index = _weighted_mean(dimensions, ["region_code"], "mean", "weight")
    opds = submissions[submissions["period"] == period].groupby("region_code").size()
    index["readiness_index"] = index["mean"].where(index["region_code"].map(opds) >= readiness["min_opd_submissions"])
    return index[["region_code", "readiness_index"]]
