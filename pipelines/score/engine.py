"""The composite-indicator engine: one methodology file + a units table + a values table → scores, in DuckDB.

Each stage is a function of the engine's tables (eng_*) in a DuckDB connection and runs SQL files of stages/:
stages/<name>.sql builds the table eng_<name>. The other files are queries: winsorised_step and score_level advance
eng_winsorised and eng_score a step or a level at a time, aggregation_problems lists the values a level's means cannot
take (eng_undefined_mean),
and the publish queries (RESULTS) shape the results. `build` runs the stages in order and `publish` appends the
results to the warehouse's score.index_* tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.score.index_method import METHODS, IndexMethodology, parameter_columns, parameter_dtypes
from pipelines.score.weighting import balanced_weights, bod_score, pca_weights

STAGES_DIR = Path(__file__).parent / "stages"
# The method stages that act on an aggregate (its children); the others act on indicators.
AGGREGATE_STAGES = ("aggregation", "weighting")
# Enough winsorisation steps for any limit: each step moves at least one point of at least one indicator.
MAX_WINSORISE_STEPS = 10_000


def _parameter_list_sql(stage: str) -> str:
    """Return SQL giving the parameters of a node's `stage` method as a list of {parameter, number_value, text_value,
    flag_value} in the order METHODS declares them (an empty list for a method without any)."""
    dtypes = parameter_dtypes()
    cases = []
    for method, spec in METHODS[stage].items():
        items = []
        for name in spec:
            column, dtype = f"{stage}_{name}", dtypes[f"{stage}_{name}"]
            items.append(f"{{'parameter': '{name}', "
                         f"'number_value': {column if dtype == 'float64' else 'NULL'}::DOUBLE, "
                         f"'text_value': {column if dtype == 'object' else 'NULL'}::VARCHAR, "
                         f"'flag_value': {column if dtype == 'boolean' else 'NULL'}::BOOLEAN}}")
        cases.append(f"WHEN '{method}' THEN [{', '.join(items)}]")
    return f"CASE {stage}_method {' '.join(cases)} END"


def _node_method_sql() -> str:
    """Return the SQL of score.index_node_method: one row per node with the settings the engine applied to it, as
    resolved (defaults, levels and the node's own keys; the indicators of an input table from the table)."""
    # Typed, so that a column no node uses (all NULL) still has its type in score.index_node_method.
    indicator = {"direction": "direction", "denominator": "CAST(denominator AS VARCHAR)",
                 "applies_attribute": "CAST(applies_attribute AS VARCHAR)",
                 "applies_values": "CAST(applies_values AS VARCHAR[])"}
    columns = [f"CASE WHEN is_indicator THEN {sql} END AS {name}" for name, sql in indicator.items()]
    # A parent's minimum availability, mean and weighting combine its children; the other stages act on indicators.
    columns.append("CASE WHEN NOT is_indicator THEN min_availability_pct END AS min_availability_pct")
    for stage in METHODS:
        applies = "NOT is_indicator" if stage in AGGREGATE_STAGES else "is_indicator"
        columns += [f"CASE WHEN {applies} THEN {stage}_method END AS {stage}_method",
                    f"CASE WHEN {applies} THEN {_parameter_list_sql(stage)} END AS {stage}_parameters"]
    return "SELECT node_code, is_indicator, " + ", ".join(columns) + " FROM eng_node"


# What `publish` writes: score.<table> ← engine result, one SQL file or table each.
RESULTS = {
    "index_unit": "unit_scope",
    "index_indicator": "SELECT * FROM eng_indicator_stages",
    "index_indicator_statistics": "indicator_statistics_treated",
    "index_node": "node_scores",
    "index_group_rank": "SELECT unit_code, node_code, group_attribute, group_value, group_rank FROM eng_rank "
                        "WHERE group_attribute IS NOT NULL",
    "index_contribution": "SELECT * FROM eng_contribution",
    "index_weight": "SELECT w.*, n.label_id, n.label_en, n.height, n.position FROM eng_weight w JOIN eng_node n USING (node_code)",
    "index_correlation": "SELECT * FROM eng_correlation",
    "index_cronbach": "SELECT * FROM eng_cronbach",
    "index_flag": "SELECT * FROM eng_flag",
    "index_removal": "SELECT * FROM eng_removal",
    "index_node_method": _node_method_sql(),
}
INDICATOR_COLUMNS = {"indicator_code", "parent_code", "weight", "direction"}


class EngineError(ValueError):
    """Inputs the methodology cannot be applied to; the message names the table, the unit and the node."""


def stage_sql(stage: str) -> str:
    """Return the SQL of one stage (stages/<stage>.sql)."""
    return (STAGES_DIR / f"{stage}.sql").read_text(encoding="utf-8")


def _create(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE eng_{stage} AS {stage_sql(stage)}")


def _relation_sql(name_or_sql: str) -> str:
    return name_or_sql if name_or_sql.lstrip().upper().startswith("SELECT") else stage_sql(name_or_sql)


def _load_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, select: str = "*") -> None:
    con.register("eng_incoming", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select} FROM eng_incoming")
    con.unregister("eng_incoming")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _indicator_rows(con: duckdb.DuckDBPyConnection, method: IndexMethodology, table: str) -> list[dict]:
    """Return resolved node rows for the indicators a table declares (e.g. the questions of the question bank)."""
    frame = con.sql(f"SELECT * FROM {table}").df()
    missing = INDICATOR_COLUMNS - set(frame.columns)
    if missing:
        raise EngineError(f"{table}: needs columns {', '.join(sorted(missing))}")
    declared = set(method.nodes["node_code"])
    rows = []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        code = rec["indicator_code"]
        where = f"{table} row {i} ({code})"
        if code in declared:
            raise EngineError(f"{where}: the code is already a node of {method.path.name}")
        if rec["parent_code"] not in declared:
            raise EngineError(f"{where}: parent {rec['parent_code']!r} is not a node of {method.path.name}")
        if rec["direction"] not in (1, -1) or pd.isna(rec["weight"]) or rec["weight"] < 0:
            raise EngineError(f"{where}: direction must be 1 or -1 and weight ≥ 0")
        norm_method = rec.get("normalisation_method")
        # `weights: equal` makes every weight 1, the table's indicators' too; named sets name declared nodes only.
        weight = 1.0 if method.setting("weights") == "equal" else float(rec["weight"])
        row = {**method.indicator_template, "node_code": code, "parent_code": rec["parent_code"], "weight": weight,
               "direction": int(rec["direction"]), "position": len(declared) + i,
               "label_id": rec.get("label_id") or code, "label_en": rec.get("label_en") or rec.get("label_id") or code}
        if isinstance(norm_method, str):
            if norm_method not in METHODS["normalisation"]:
                raise EngineError(f"{where}: unknown normalisation method {norm_method!r}")
            given = {k: rec[f"normalisation_{k}"] for k in METHODS["normalisation"][norm_method]
                     if f"normalisation_{k}" in rec and not pd.isna(rec[f"normalisation_{k}"])}
            resolved = {**METHODS["normalisation"][norm_method], **given}
            if any(v is None for v in resolved.values()):
                raise EngineError(f"{where}: normalisation {norm_method!r} needs "
                                  + ", ".join(k for k, v in resolved.items() if v is None))
            row.update(parameter_columns("normalisation", resolved), normalisation_method=norm_method)
        if row["direction"] == -1 and row["normalisation_method"] in ("none", "lookup"):
            raise EngineError(f"{where}: direction -1 cannot reverse normalisation {row['normalisation_method']!r}")
        rows.append(row)
    return rows


def _check_references(con: duckdb.DuckDBPyConnection, method: IndexMethodology, attributes: set[str]) -> None:
    """Raise EngineError for a unit, attribute or denominator the methodology names but the inputs lack."""
    units = {r[0] for r in con.execute("SELECT unit_code FROM eng_unit").fetchall()}
    value_codes = {r[0] for r in con.execute("SELECT DISTINCT indicator_code FROM eng_value").fetchall()}
    name = method.path.name
    for rule in ("force_in", "force_out"):
        unknown = sorted(set(map(str, method.setting("units", rule, default=[]) or [])) - units)
        if unknown:
            raise EngineError(f"{name}: units.{rule}: {', '.join(unknown)} not among the units")
    for attribute in [*method.groups(), *(method.setting("units", "include", default={}) or {}),
                      *(method.setting("units", "minimum", default={}) or {})]:
        if attribute not in attributes:
            raise EngineError(f"{name}: units: {attribute!r} is not a column of the units table")
    nodes = con.execute("SELECT node_code, denominator, applies_attribute, imputation_group, normalisation_unit "
                        "FROM eng_node").fetchall()
    for code, denominator, applies, group, unit in nodes:
        if denominator and denominator not in value_codes and denominator not in attributes:
            raise EngineError(f"{name}: nodes.{code}.denominator: {denominator!r} is neither an indicator "
                              "with values nor a column of the units table")
        if applies and applies not in attributes:
            raise EngineError(f"{name}: nodes.{code}.applies_to: {applies!r} is not a column of the units table")
        if group and group not in attributes:
            raise EngineError(f"{name}: nodes.{code}.imputation.group: {group!r} is not a column of the units table")
        if unit is not None and unit not in units:
            raise EngineError(f"{name}: nodes.{code}.normalisation.unit: {unit!r} is not among the units")


def prepare(con: duckdb.DuckDBPyConnection, method: IndexMethodology, units: str, values: str,
            indicators: str | None = None) -> None:
    """Load the methodology and the inputs (table or view names in `con`) into the engine's eng_* tables."""
    _load_frame(con, "eng_setting", method.settings_table())
    con.execute(stage_sql("_macros"))
    nodes = method.nodes.to_dict("records")
    if indicators:
        nodes += _indicator_rows(con, method, indicators)
    frame = pd.DataFrame(nodes).astype(parameter_dtypes())
    frame["applies_values"] = frame["applies_values"].map(lambda v: json.dumps(v) if isinstance(v, list) else None)
    # Text parameters that no node uses arrive as all-NULL columns: type them, so overrides can set them.
    text = [c for c, dtype in parameter_dtypes().items() if dtype == "object"]
    _load_frame(con, "eng_node", frame, select="* REPLACE (from_json(applies_values, '[\"VARCHAR\"]') AS applies_values, "
                + ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in text) + ")")
    _load_frame(con, "eng_lookup", method.lookups)
    rules = method.unit_rules_table()
    rules["text_values"] = rules["text_values"].map(lambda v: json.dumps(v) if isinstance(v, list) else None)
    _load_frame(con, "eng_unit_rule", rules, select="* REPLACE (from_json(text_values, '[\"VARCHAR\"]') AS text_values)")
    _load_frame(con, "eng_group", pd.DataFrame({"attribute": method.groups()}, dtype="object"))

    columns = [r[0] for r in con.execute(f"DESCRIBE {units}").fetchall()]
    if "unit_code" not in columns:
        raise EngineError(f"{units}: needs a unit_code column")
    name = "unit_name" if "unit_name" in columns else "unit_code"
    con.execute(f"CREATE OR REPLACE TEMP TABLE eng_unit AS SELECT CAST(unit_code AS VARCHAR) AS unit_code, "
                f"CAST({name} AS VARCHAR) AS unit_name FROM {units}")
    duplicated = con.execute("SELECT unit_code FROM eng_unit GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 3").fetchall()
    if duplicated:
        raise EngineError(f"{units}: unit {duplicated[0][0]!r} appears more than once")
    attributes = [c for c in columns if c not in ("unit_code", "unit_name")]
    parts = [f"SELECT CAST(unit_code AS VARCHAR) AS unit_code, '{c.replace(chr(39), chr(39) * 2)}' AS attribute, "
             f"CAST({_quote(c)} AS VARCHAR) AS text_value, TRY_CAST({_quote(c)} AS DOUBLE) AS num_value FROM {units}"
             for c in attributes]
    con.execute("CREATE OR REPLACE TEMP TABLE eng_attribute AS "
                + (" UNION ALL ".join(parts) if parts else
                   "SELECT ''::VARCHAR AS unit_code, ''::VARCHAR AS attribute, ''::VARCHAR AS text_value, "
                   "0::DOUBLE AS num_value WHERE false"))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE eng_value AS
                    SELECT CAST(unit_code AS VARCHAR) AS unit_code, CAST(indicator_code AS VARCHAR) AS indicator_code,
                           CAST(year AS INTEGER) AS year, CAST(value AS DOUBLE) AS value
                    FROM {values} WHERE value IS NOT NULL""")
    duplicated = con.execute("""SELECT unit_code, indicator_code, year FROM eng_value GROUP BY ALL HAVING count(*) > 1
                                ORDER BY ALL LIMIT 1""").fetchall()
    if duplicated:
        unit, indicator, year = duplicated[0]
        raise EngineError(f"{values}: two values for unit {unit}, indicator {indicator}, year {year}")
    _check_references(con, method, set(attributes))


def screen_units(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_grid (unit × indicator: applicability, year, raw value) and eng_scope (which units are scored)."""
    _create(con, "grid")
    _create(con, "scope")


def describe_indicators(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_indicator_statistics: availability, zeros, unique values, skew and kurtosis of every indicator."""
    _create(con, "indicator_statistics")


def denominate(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_denominated: values divided by their denominator, every year."""
    _create(con, "denominated")


def impute(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_imputed: the scored year's values with missing ones imputed per the indicator's method."""
    _create(con, "imputed")


def treat_outliers(con: duckdb.DuckDBPyConnection) -> int:
    """Build eng_winsorised (step by step), eng_treated (log fallback, Box-Cox) and eng_treatment; return the steps
    taken."""
    _create(con, "winsorised")
    wanted = con.execute("SELECT count(*) FROM eng_node WHERE is_indicator AND outliers_method = 'winsorise'").fetchall()[0][0]
    steps = 0
    while wanted and steps < MAX_WINSORISE_STEPS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE eng_winsorised AS {stage_sql('winsorised_step')}")
        if not con.execute("SELECT bool_or(is_moved) FROM eng_winsorised").fetchall()[0][0]:
            break
        steps += 1
    # Box-Cox without the shift takes powers and logarithms of the values themselves: they must be positive.
    negative = con.execute("""SELECT w.indicator_code, w.unit_code, w.original FROM eng_winsorised w
                              JOIN eng_node n ON n.node_code = w.indicator_code
                              WHERE n.outliers_method = 'boxcox' AND NOT n.outliers_makepos AND w.original <= 0
                              ORDER BY ALL LIMIT 1""").fetchall()
    if negative:
        indicator, unit, value = negative[0]
        raise EngineError(f"node {indicator}: Box-Cox without makepos cannot take {value:g} for unit {unit}; "
                          "set makepos: true")
    _create(con, "treated")
    _create(con, "treatment")
    return steps


def normalise(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_normalised: each indicator on its normalisation's scale, direction applied."""
    _create(con, "normalised")


def aggregate(con: duckdb.DuckDBPyConnection) -> None:
    """Add to eng_score (the indicators' scores) level by level up to the index; a mean that cannot take a child's
    value leaves that unit's node unscored, listed in eng_undefined_mean (published in the unit's scope_reason)."""
    top = con.execute("SELECT max(height) FROM eng_node").fetchall()[0][0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE eng_undefined_mean AS {stage_sql('aggregation_problems')} LIMIT 0")
    for height in range(2, top + 1):
        con.execute(f"SET VARIABLE height = {height}")
        con.execute(f"INSERT INTO eng_undefined_mean {stage_sql('aggregation_problems')}")
        _derive_weights(con)
        con.execute(f"INSERT INTO eng_score BY NAME {stage_sql('score_level')}")
        _set_bod_scores(con)


def _set_weights(con: duckdb.DuckDBPyConnection, children: list[str], weights) -> None:
    con.execute("UPDATE eng_node SET weight = w.weight FROM (SELECT unnest(?::VARCHAR[]) AS node_code, "
                "unnest(?::DOUBLE[]) AS weight) w WHERE eng_node.node_code = w.node_code",
                [children, [float(w) for w in weights]])


def _derive_weights(con: duckdb.DuckDBPyConnection) -> None:
    """Replace in eng_node the weights of the children of every aggregate at this height whose weighting is pca or
    optimised, from its children's scores (eng_score, lower heights); refuse an aggregate without the data for it."""
    nodes = con.execute("SELECT node_code, weighting_method FROM eng_node WHERE height = getvariable('height') "
                        "AND weighting_method <> 'nominal' ORDER BY position").fetchall()
    for node, how in nodes:
        children = [r[0] for r in con.execute("SELECT node_code FROM eng_node WHERE parent_code = ? ORDER BY position",
                                              [node]).fetchall()]
        scores = con.execute("SELECT unit_code, node_code, score FROM eng_score WHERE node_code IN (SELECT unnest(?))",
                             [children]).df().pivot(index="unit_code", columns="node_code", values="score")
        # A child no scored unit has (absent for all, or without data) takes no part: weight 0.
        used = [c for c in children if c in scores.columns and scores[c].notna().any()]
        complete = scores[used].dropna()
        if len(complete) < 2:
            raise EngineError(f"node {node}: {how} weights need at least 2 scored units with every child scored, "
                              f"found {len(complete)}")
        weights = pd.Series(0.0, index=children)
        if how == "pca":
            weights[used] = pca_weights(complete.to_numpy())
        else:
            # A constant child cannot correlate with its parent: weight 0, and the others are balanced.
            moving = [c for c in used if complete[c].std(ddof=1) > 0]
            _set_weights(con, children, weights)
            if moving:
                weights[moving] = balanced_weights(lambda w: _child_correlations(con, node, moving, w), len(moving))
        if not weights.any():
            raise EngineError(f"node {node}: {how} weights need a child whose score varies among the scored units")
        _set_weights(con, children, weights.to_numpy())


def _set_bod_scores(con: duckdb.DuckDBPyConnection) -> None:
    """Set in eng_score the benefit-of-the-doubt score of every unit at this height's `bod` aggregates that has the
    data for one: 100 × the best Σ w·x over its children's weights such that no unit scores above 1 with them."""
    nodes = con.execute("SELECT node_code, min_availability_pct, aggregation_min_share, aggregation_max_share "
                        "FROM eng_node WHERE height = getvariable('height') AND aggregation_method = 'bod' "
                        "ORDER BY position").fetchall()
    for node, min_availability, low, high in nodes:
        # A child of weight 0 takes no part; the other weights are chosen per unit, so their values do not matter.
        children = [r[0] for r in con.execute("SELECT node_code FROM eng_node WHERE parent_code = ? AND weight > 0 "
                                              "ORDER BY position", [node]).fetchall()]
        if low * len(children) > 1 or high * len(children) < 1:
            raise EngineError(f"node {node}: benefit-of-the-doubt shares between {low:g} and {high:g} cannot add up to "
                              f"1 over its {len(children)} children")
        scores = con.execute("SELECT unit_code, node_code, score FROM eng_score WHERE node_code IN (SELECT unnest(?))",
                             [children]).df().pivot(index="unit_code", columns="node_code", values="score")
        scores = scores.reindex(columns=children).sort_index()
        eligible = [r[0] for r in con.execute(
            """SELECT unit_code FROM eng_score WHERE node_code = ? AND availability_pct > 0 AND availability_pct >= ?
               AND unit_code NOT IN (SELECT unit_code FROM eng_undefined_mean WHERE node_code = ?) ORDER BY unit_code""",
            [node, min_availability, node]).fetchall()]
        found = [(100.0 * bod_score(scores.to_numpy(), scores.index.get_loc(unit), low, high), unit) for unit in eligible]
        con.executemany("UPDATE eng_score SET score = ? WHERE unit_code = ? AND node_code = ?",
                        [(value, unit, node) for value, unit in found])


def _child_correlations(con: duckdb.DuckDBPyConnection, node: str, children: list[str], weights: np.ndarray) -> np.ndarray:
    """Return each child's Pearson correlation with `node` aggregated (score_level, this height) with `weights`."""
    _set_weights(con, children, weights)
    found = dict(con.execute(f"""WITH level AS ({stage_sql('score_level')})
                                 SELECT c.node_code, corr(c.score, p.score)
                                 FROM level p
                                 JOIN eng_score c ON c.unit_code = p.unit_code AND c.node_code IN (SELECT unnest(?))
                                 WHERE p.node_code = ? AND p.score IS NOT NULL AND c.score IS NOT NULL
                                 GROUP BY c.node_code""", [children, node]).fetchall())
    return np.array([found[c] for c in children], dtype=float)


def rank(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_rank: ranks of every node overall and within each group attribute (ties share the best rank)."""
    _create(con, "rank")


def explain(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_contribution (each child's share of each score) and eng_weight (effective weights)."""
    _create(con, "contribution")
    _create(con, "weight")


def audit(con: duckdb.DuckDBPyConnection) -> None:
    """Build eng_correlation, eng_cronbach and eng_flag: the statistical audit of the index, on every data set."""
    _create(con, "indicator_stages")
    _create(con, "stage_value")
    _create(con, "correlation")
    _create(con, "cronbach")
    _create(con, "flag")


def remove_elements(con: duckdb.DuckDBPyConnection, method: IndexMethodology) -> None:
    """Build eng_removal: the index score and rank of every scored unit with each node of the `remove_elements`
    levels removed in turn (COINr's remove_elements: its weight 0, the levels above aggregated again)."""
    con.execute("CREATE OR REPLACE TEMP TABLE eng_removal_score AS SELECT ''::VARCHAR AS removed_code, "
                "unit_code, score FROM eng_score WHERE false")
    heights = method.removal_heights()
    saved = ("eng_node", "eng_score", "eng_undefined_mean")
    for table in saved:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_nominal AS SELECT * FROM {table}")
    # Derived weights stay those of the nominal run (as in the Monte Carlo): the element removed keeps weight 0.
    removed = [r[0] for r in con.execute("SELECT node_code FROM eng_node WHERE height IN (SELECT unnest(?)) "
                                         "ORDER BY height, position", [heights]).fetchall()]
    for code in removed:
        con.execute("CREATE OR REPLACE TEMP TABLE eng_node AS SELECT * REPLACE ("
                    "CASE WHEN node_code = ? THEN 0.0 ELSE weight END AS weight, 'nominal' AS weighting_method) "
                    "FROM eng_node_nominal", [code])
        con.execute("CREATE OR REPLACE TEMP TABLE eng_score AS SELECT * FROM eng_score_nominal WHERE height = 1")
        aggregate(con)
        con.execute("INSERT INTO eng_removal_score SELECT ?, unit_code, score FROM eng_score "
                    "WHERE node_code = (SELECT node_code FROM eng_node WHERE parent_code IS NULL)", [code])
    for table in saved:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_nominal")
    _create(con, "removal")


def override_indicators(con: duckdb.DuckDBPyConnection, stage: str, resolved: dict) -> None:
    """Set one stage's method (a resolved {method, params...}) on every indicator of eng_node."""
    columns = {f"{stage}_method": resolved["method"], **parameter_columns(stage, resolved)}
    assignments = ", ".join(f"{_quote(column)} = ?" for column in columns)
    con.execute(f"UPDATE eng_node SET {assignments} WHERE is_indicator", list(columns.values()))


def build_indicators(con: duckdb.DuckDBPyConnection, method: IndexMethodology, units: str, values: str,
                     indicators: str | None = None, overrides: dict[str, dict] | None = None,
                     prepared: bool = False) -> None:
    """Run the stages up to the indicators' scores (eng_score at height 1), with stage methods overridden.

    `prepared`: an earlier call on `con` loaded the same methodology and inputs, and only the overridden methods
    differ (the Monte Carlo's variants), so the inputs are not loaded and checked again.
    """
    if prepared:
        con.execute("CREATE OR REPLACE TEMP TABLE eng_node AS SELECT * FROM eng_node_prepared")
    else:
        prepare(con, method, units, values, indicators)
        con.execute("CREATE OR REPLACE TEMP TABLE eng_node_prepared AS SELECT * FROM eng_node")
    for stage, resolved in (overrides or {}).items():
        override_indicators(con, stage, resolved)
    screen_units(con)
    describe_indicators(con)
    denominate(con)
    impute(con)
    treat_outliers(con)
    normalise(con)
    _create(con, "score")


def build(con: duckdb.DuckDBPyConnection, method: IndexMethodology, units: str, values: str,
          indicators: str | None = None) -> None:
    """Run every stage of the engine for one methodology on the given input tables."""
    build_indicators(con, method, units, values, indicators)
    aggregate(con)
    rank(con)
    explain(con)
    audit(con)
    remove_elements(con, method)


def result(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """Return one of the engine's results (a key of RESULTS) as a DataFrame."""
    return con.sql(_relation_sql(RESULTS[name])).df()


def load_frames(con: duckdb.DuckDBPyConnection, units: pd.DataFrame, values: pd.DataFrame,
                indicators: pd.DataFrame | None = None) -> tuple[str, str, str | None]:
    """Load input DataFrames as eng_input_* tables; return their names as (units, values, indicators)."""
    _load_frame(con, "eng_input_units", units)
    _load_frame(con, "eng_input_values", values)
    if indicators is not None:
        _load_frame(con, "eng_input_indicators", indicators)
    return "eng_input_units", "eng_input_values", "eng_input_indicators" if indicators is not None else None


def build_frames(con: duckdb.DuckDBPyConnection, method: IndexMethodology, units: pd.DataFrame,
                 values: pd.DataFrame, indicators: pd.DataFrame | None = None) -> None:
    """Run the engine on DataFrames (units: unit_code + attributes; values: unit_code, indicator_code, year, value)."""
    build(con, method, *load_frames(con, units, values, indicators))


def publish(con: duckdb.DuckDBPyConnection, method: IndexMethodology, inputs_hash: str, schema: str = "score") -> dict[str, int]:
    """Append the engine's results to <schema>.index_* tagged with the index and both hashes; return rows per table."""
    rows = {}
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]).fetchall()}
    for name, source in RESULTS.items():
        select = (f"SELECT '{method.code}' AS index_code, r.*, '{method.hash}' AS methodology_hash, "
                  f"'{inputs_hash}' AS inputs_hash FROM ({_relation_sql(source)}) r")
        if name in existing:
            con.execute(f"INSERT INTO {schema}.{name} BY NAME {select}")
        else:
            con.execute(f"CREATE TABLE {schema}.{name} AS {select}")
        rows[name] = con.execute(f"SELECT count(*) FROM {schema}.{name} WHERE index_code = ?", [method.code]).fetchall()[0][0]
    return rows
