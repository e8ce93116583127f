"""Reference points the stages are compared with, each doing like work on the same data: reading the raw files,
a bare DuckDB aggregation, plain pandas, GX's fixed cost, a per-replication loop."""

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


def read_raw_files(paths: list[Path]) -> int:
    """Read the raw files as plain tables (pandas' C CSV parser as text, calamine for XLSX, json) and return the
    cells read: the floor for ingest, which reads the same files and checks, parses and resolves every cell."""
    import json

    from python_calamine import CalamineWorkbook

    from pipelines.ingest.readers import delimiter_of

    cells = 0
    for path in paths:
        if path.suffix.lower() == ".xlsx":
            cells += sum(len(row) for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
        elif path.suffix.lower() == ".json":
            cells += sum(len(record) for record in json.loads(path.read_text(encoding="utf-8")))
        else:
            first = path.read_text(encoding="utf-8-sig", errors="replace").split("\n", 1)[0]
            cells += pd.read_csv(path, sep=delimiter_of(first), dtype=str, encoding="utf-8-sig",
                                 encoding_errors="replace", on_bad_lines="skip").size
    return cells


def region_dimension_means(con: duckdb.DuckDBPyConnection, curated_dir: Path) -> int:
    """Return the rows of a bare DuckDB mean answer per region and dimension over the curated Parquet (answers joined
    to the question bank and the methodology's elements): the floor for the readiness scoring chain."""
    return con.execute("""
        SELECT count(*) FROM (
            SELECT a.region_code, n.parent_code AS dimension, avg(a.answer_value) AS mean_answer
            FROM read_parquet(?) a JOIN read_parquet(?) b USING (question_code)
            JOIN methodology.node n ON n.node_code = b.element AND n.index_code = 'readiness'
            GROUP BY ALL)""", [str(curated_dir / "questionnaire_answers.parquet"),
                               str(curated_dir / "question_bank.parquet")]).fetchall()[0][0]


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


def _naive_index(model, row) -> pd.Series:
    """One replication of one index the way a per-replication loop would: pandas merges and group-bys."""
    kinds = [f.kind for f in model.factors]
    stages = [i for i, k in enumerate(kinds) if k not in ("aggregation", "weights")]
    scores, applicable = model.variants[tuple(int(row[i]) for i in stages)]
    weights = model.factors[kinds.index("weights")].weights[row[kinds.index("weights")]] if "weights" in kinds else model.weights
    method = model.factors[kinds.index("aggregation")].methods[row[kinds.index("aggregation")]]["method"] \
        if "aggregation" in kinds else "arithmetic"
    leaves = [model.nodes[i] for i in model.leaves]
    long = pd.DataFrame(scores, index=model.units, columns=leaves).rename_axis("unit").reset_index().melt(
        id_vars="unit", var_name="child", value_name="value")
    for level in model.levels:
        parents = pd.DataFrame({"child": [model.nodes[c] for c in level.children],
                                "node": [model.nodes[level.parents[j]] for j in level.incidence.argmax(axis=1)],
                                "w": weights[level.children]})
        merged = long.merge(parents, on="child").dropna(subset=["value"])
        merged["term"] = merged["w"] * (np.log(merged["value"]) if method == "geometric" else merged["value"])
        grouped = merged.groupby(["unit", "node"]).agg(term=("term", "sum"), w=("w", "sum")).reset_index()
        grouped["value"] = grouped["term"] / grouped["w"]
        if method == "geometric":
            grouped["value"] = np.exp(grouped["value"])
        long = grouped[["unit", "node", "value"]].rename(columns={"node": "child"})
    return long.set_index("unit")["value"].reindex(model.units)


def naive_monte_carlo(simulation, drawn: np.ndarray) -> list:
    """Run replications one at a time with pandas (the loop an analyst would write), for timing against run()."""
    from pipelines.score import cohort

    n_s, n_r = len(simulation.screening.factors), len(simulation.readiness.factors)
    selected = []
    for row in drawn:
        screening = _naive_index(simulation.screening, row[:n_s]).to_numpy()
        readiness = _naive_index(simulation.readiness, row[n_s:n_s + n_r]).to_numpy()
        components = simulation.fixed.copy()
        components[:, 0] = screening[simulation.screening_of]
        components[:, 1] = readiness[simulation.readiness_of]
        weights = simulation.component_weights[row[-1]]
        scores = (components * weights).sum(axis=1) / weights.sum()
        selected.append(cohort.select(simulation.seats, scores[None]).selected[0])
    return selected
