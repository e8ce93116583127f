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


def _level(children: pd.DataFrame, keys: list[str], nodes: pd.DataFrame, node_column: str) -> pd.DataFrame:
    """One level up: weighted mean of the children present, kept where their weight share reaches the node's threshold."""
    out = _weighted_mean(children, keys, "score", "weight")
    threshold = out[node_column].map(nodes.set_index("node_code")["min_availability_pct"])
    out["score"] = out["mean"].where((out["coverage_pct"] > 0) & (out["coverage_pct"] >= threshold))
    return out


def pandas_readiness(curated_dir: Path, methodology) -> pd.DataFrame:
    """Return region_code → readiness_index computed with pandas groupby, as an analyst would without DuckDB."""
    answers = pd.read_parquet(curated_dir / "questionnaire_answers.parquet",
                              columns=["region_code", "period", "question_code", "answer_value"])
    bank = pd.read_parquet(curated_dir / "question_bank.parquet")
    submissions = pd.read_parquet(curated_dir / "questionnaire_submissions.parquet", columns=["region_code", "period"])
    readiness = methodology.readiness
    year = readiness.doc.get("year", "latest")
    period = submissions["period"].max() if year == "latest" else year
    types = methodology.answer_type_table().set_index("answer_type")
    bank = bank[bank["answer_type"].isin(types.index)]
    a = answers[answers["period"] == period].merge(bank, on="question_code")
    questions = a.groupby(["region_code", "question_code", "element", "weight", "direction", "answer_type"], sort=False)[
        "answer_value"].mean().reset_index()
    low = questions["answer_type"].map(types["normalisation_low"]).fillna(questions["question_code"].map(
        bank.set_index("question_code")["goal_low"]))
    high = questions["answer_type"].map(types["normalisation_high"]).fillna(questions["question_code"].map(
        bank.set_index("question_code")["goal_high"]))
    d = questions["direction"].astype(float)
    lo, hi = np.minimum(d * low, d * high), np.maximum(d * low, d * high)
    questions["score"] = 100 * ((d * questions["answer_value"] - lo) / (hi - lo)).clip(0, 1)
    nodes = readiness.nodes
    weights = nodes.set_index("node_code")["weight"]
    elements = _level(questions, ["region_code", "element"], nodes, "element")
    elements["dimension"] = elements["element"].map(nodes.set_index("node_code")["parent_code"])
    elements["weight"] = elements["element"].map(weights)
    dimensions = _level(elements, ["region_code", "dimension"], nodes, "dimension")
    dimensions["weight"], dimensions["root"] = dimensions["dimension"].map(weights), readiness.root
    index = _level(dimensions, ["region_code", "root"], nodes, "root")
    opds = submissions[submissions["period"] == period].groupby("region_code").size()
    minimum = readiness.unit_rules_table().set_index("attribute").at["opd_submissions", "min_value"]
    index["readiness_index"] = index["score"].where(index["region_code"].map(opds) >= minimum)
    return index[["region_code", "readiness_index"]]
