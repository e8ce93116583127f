"""The yearly evaluation: its rules (methodology/evaluation.yaml), the SQL models that turn assessors' score sheets
into consensus scores, results, a moderation list and the Smart Province roll-up, and the assessors' agreement
(Krippendorff's alpha at the four levels of measurement, computed with the `krippendorff` package).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import krippendorff
import numpy as np
import pandas as pd

from pipelines.score.yaml_lines import Checker, content_hash, read_with_lines

COMPONENTS = ("baseline", "output", "outcome", "impact", "quick_win")
RULES = ("mean", "median", "trimmed_mean")
# How a published score is rounded to `decimals`, as Python's decimal module names the rules: ties away from zero
# (ROUND_HALF_UP, as a person rounds), ties to the even digit (ROUND_HALF_EVEN) and truncation toward zero (ROUND_DOWN).
ROUNDING = ("half_up", "half_even", "down")
# Krippendorff's levels of measurement: alpha is published at all four, the year's `agreement.level` gives the verdict.
ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")
# The rounding snaps to a millionth of the last published digit first, exact in binary floating point up to 6 decimals.
MAX_DECIMALS = 6
TOP_KEYS = {"evaluation", "label", "component_labels", "defaults", "years", "smart_province"}
YEAR_KEYS = {"source", "components", "dimensions", "consensus", "decimals", "rounding", "min_assessors", "moderation",
             "severity", "agreement"}
NESTED_KEYS = {"consensus": {"rule", "trim_pct"}, "moderation": {"max_spread"},
               "severity": {"min_cells", "flag_deviation"}, "agreement": {"level"}}
# Krippendorff (2004, p. 241): rely on alpha >= .800; draw tentative conclusions only for .667 <= alpha < .800.
RELIABLE, TENTATIVE = 0.800, 0.667


@dataclass(frozen=True)
class EvaluationYear:
    """The checked rules of one evaluation year (the defaults with that year's overrides)."""

    year: int
    source: str
    components: dict[str, float]
    dimensions: dict[str, float]
    rule: str
    trim_pct: float
    decimals: int
    rounding: str
    min_assessors: int
    max_spread: float
    min_cells: int
    flag_deviation: float
    alpha_level: str


@dataclass(frozen=True)
class EvaluationRules:
    """The checked evaluation methodology: one entry per year, the roll-up settings and the content hash."""

    path: Path
    doc: dict
    years: tuple[EvaluationYear, ...]
    component_labels: dict[str, dict]
    programme: str
    masterplan_share_pct: float
    hash: str

    def year_table(self) -> pd.DataFrame:
        """Return methodology.evaluation_year: one row per methodology year with its scalar rules."""
        return pd.DataFrame([{
            "year": y.year, "source": y.source, "consensus_rule": y.rule, "trim_pct": y.trim_pct,
            "decimals": y.decimals, "rounding": y.rounding, "min_assessors": y.min_assessors,
            "max_spread": y.max_spread, "severity_min_cells": y.min_cells, "severity_flag_deviation": y.flag_deviation,
            "alpha_level": y.alpha_level,
        } for y in self.years]).astype({"year": "int64", "decimals": "int32", "min_assessors": "int64",
                                        "severity_min_cells": "int64", "trim_pct": "float64",
                                        "max_spread": "float64", "severity_flag_deviation": "float64"})

    def weight_table(self) -> pd.DataFrame:
        """Return methodology.evaluation_weight: per year, component and dimension weights as shares summing to 1."""
        rows = []
        for y in self.years:
            for level, weights in (("component", y.components), ("dimension", y.dimensions)):
                total = sum(weights.values())
                rows += [{"year": y.year, "level": level, "code": code, "weight": weight, "weight_share": weight / total}
                         for code, weight in weights.items()]
        return pd.DataFrame(rows).astype({"year": "int64", "weight": "float64", "weight_share": "float64"})

    def component_label_table(self) -> pd.DataFrame:
        """Return methodology.evaluation_component: the components in order with their labels."""
        return pd.DataFrame([{"component": c, "position": i, "label_id": self.component_labels[c]["id"],
                              "label_en": self.component_labels[c]["en"]} for i, c in enumerate(COMPONENTS)])

    def parameter_table(self) -> pd.DataFrame:
        """Return the roll-up settings the SQL reads, named `evaluation.<setting>` (as methodology.parameter)."""
        return pd.DataFrame([("evaluation.programme", self.programme),
                             ("evaluation.masterplan_share_pct", f"{self.masterplan_share_pct:g}")],
                            columns=["name", "value"])


def _weights(c: Checker, key: tuple, spec: object, expected: tuple[str, ...]) -> dict[str, float]:
    spec = c.known(key, spec, set(expected))
    missing = [code for code in expected if code not in spec]
    if missing:
        c.fail(key, f"give a weight to every one of {', '.join(expected)}; missing: {', '.join(missing)}")
    weights = {code: c.number(key + (code,), spec[code], low=0) for code in expected}
    if sum(weights.values()) <= 0:
        c.fail(key, "at least one weight must be above 0")
    return weights


def _year(c: Checker, key: tuple, spec: dict, defaults: dict, dimensions: tuple[str, ...], year: int) -> EvaluationYear:
    c.known(key, spec, YEAR_KEYS)
    merged = {**defaults, **spec}
    for nested, allowed in NESTED_KEYS.items():
        merged[nested] = {**c.known(("defaults", nested), defaults.get(nested) or {}, allowed),
                          **c.known(key + (nested,), spec.get(nested) or {}, allowed)}
    where = {name: (key if name in spec else ("defaults",)) for name in YEAR_KEYS}
    consensus = merged["consensus"]
    rule = consensus.get("rule", "median")
    if rule not in RULES:
        c.fail(where["consensus"] + ("consensus", "rule"), f"unknown consensus rule {rule!r}; known: {', '.join(RULES)}")
    trim_pct = c.number(where["consensus"] + ("consensus", "trim_pct"), consensus.get("trim_pct", 0), low=0, high=49)
    if rule == "trimmed_mean" and trim_pct == 0:
        c.fail(where["consensus"] + ("consensus", "trim_pct"), "a trimmed mean needs trim_pct above 0 (else use mean)")
    decimals = c.whole(where["decimals"] + ("decimals",), merged.get("decimals", 2), 0)
    if decimals > MAX_DECIMALS:
        c.fail(where["decimals"] + ("decimals",), f"at most {MAX_DECIMALS} decimals, found {decimals}")
    rounding = merged.get("rounding", "half_up")
    if rounding not in ROUNDING:
        c.fail(where["rounding"] + ("rounding",), f"unknown rounding rule {rounding!r}; known: {', '.join(ROUNDING)}")
    level = merged["agreement"].get("level", "ordinal")
    if level not in ALPHA_LEVELS:
        c.fail(where["agreement"] + ("agreement", "level"),
               f"unknown level of measurement {level!r}; known: {', '.join(ALPHA_LEVELS)}")
    return EvaluationYear(
        year=year, source=str(merged.get("source", "")),
        components=_weights(c, where["components"] + ("components",), merged.get("components"), COMPONENTS),
        dimensions=_weights(c, where["dimensions"] + ("dimensions",), merged.get("dimensions"), dimensions),
        rule=rule, trim_pct=trim_pct, decimals=decimals, rounding=rounding, alpha_level=level,
        min_assessors=c.whole(where["min_assessors"] + ("min_assessors",), merged.get("min_assessors", 2), 1),
        max_spread=c.number(where["moderation"] + ("moderation", "max_spread"),
                            merged["moderation"].get("max_spread", 1.0), low=0, high=4),
        min_cells=c.whole(where["severity"] + ("severity", "min_cells"), merged["severity"].get("min_cells", 30), 1),
        flag_deviation=c.number(where["severity"] + ("severity", "flag_deviation"),
                                merged["severity"].get("flag_deviation", 0.25), low=0, high=4))


def load_rules(path: Path, dimensions: tuple[str, ...]) -> EvaluationRules:
    """Return the checked evaluation methodology, or raise MethodologyError naming the file, the line and the key."""
    doc, lines = read_with_lines(path)
    c = Checker(path, lines)
    c.known((), doc, TOP_KEYS)
    defaults = c.known(("defaults",), doc.get("defaults") or {}, YEAR_KEYS - {"source"})
    years_doc = doc.get("years")
    if not isinstance(years_doc, dict) or not years_doc:
        c.fail(("years",), "list the evaluation years, each with what differs from `defaults` (or {})")
    years = []
    for year, spec in sorted(years_doc.items(), key=lambda item: str(item[0])):
        if isinstance(year, bool) or not isinstance(year, int) or not 2017 <= year <= 2100:
            c.fail(("years", year), "an evaluation year is a whole number such as 2024 (the programme began in 2017)")
        years.append(_year(c, ("years", year), spec or {}, defaults, dimensions, year))
    labels = c.known(("component_labels",), doc.get("component_labels") or {}, set(COMPONENTS))
    component_labels = {}
    for code in COMPONENTS:
        label = labels.get(code) or {}
        if not isinstance(label, dict) or not {"id", "en"} <= set(label):
            c.fail(("component_labels", code), "give the label in Indonesian and English: {id: ..., en: ...}")
        component_labels[code] = label
    roll_up = c.known(("smart_province",), doc.get("smart_province") or {}, {"programme", "masterplan_share_pct"})
    share = c.number(("smart_province", "masterplan_share_pct"), roll_up.get("masterplan_share_pct", 80), low=0, high=100)
    return EvaluationRules(path=path, doc=doc, years=tuple(years), component_labels=component_labels,
                           programme=str(roll_up.get("programme", "smart_city")), masterplan_share_pct=share,
                           hash=content_hash(doc))


def _alpha(matrix: np.ndarray, level: str) -> float | None:
    """Return Krippendorff's alpha of an assessors × units matrix (NaN = not scored), or None when undefined."""
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    if pairable.sum() < 2 or len(np.unique(matrix[:, pairable][~np.isnan(matrix[:, pairable])])) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=matrix[:, pairable], level_of_measurement=level))


def _verdict(alpha: float | None) -> str:
    if alpha is None:
        return "not computable: fewer than two cells scored by two assessors, or a single value throughout"
    if alpha >= RELIABLE:
        return "reliable (alpha ≥ 0.800)"
    if alpha >= TENTATIVE:
        return "tentative (0.667 ≤ alpha < 0.800)"
    return "unreliable (alpha < 0.667): moderate before publishing"


def agreement(scores: pd.DataFrame, verdict_levels: dict[int, str]) -> pd.DataFrame:
    """Return Krippendorff's alpha at the four levels and a verdict per year × component and over all components.

    `scores` has year, component, region_code, dimension, evaluator and score; a unit is one region × component ×
    dimension cell, scored by several assessors. `verdict_levels` gives each year's level for the verdict.
    """
    rows = []
    for year, of_year in scores.groupby("year", sort=True):
        groups = [(c, of_year[of_year["component"] == c]) for c in COMPONENTS if (of_year["component"] == c).any()]
        level = verdict_levels[int(year)]
        for component, part in [*groups, ("all", of_year)]:
            matrix = part.pivot_table(index="evaluator", columns=["region_code", "component", "dimension"],
                                      values="score_0_4", aggfunc="first").to_numpy(dtype=float)
            alphas = {f"alpha_{name}": _alpha(matrix, name) for name in ALPHA_LEVELS}
            per_unit = (~np.isnan(matrix)).sum(axis=0)
            rows.append({"year": int(year), "component": component, "units": matrix.shape[1],
                         "assessors": matrix.shape[0], "pairable_values": int(per_unit[per_unit >= 2].sum()),
                         **alphas, "verdict_level": level, "verdict_alpha": alphas[f"alpha_{level}"],
                         "verdict": _verdict(alphas[f"alpha_{level}"])})
    alpha_columns = [f"alpha_{name}" for name in ALPHA_LEVELS]
    columns = ["year", "component", "units", "assessors", "pairable_values", *alpha_columns, "verdict_level",
               "verdict_alpha", "verdict"]
    return pd.DataFrame(rows, columns=columns).astype(dict.fromkeys([*alpha_columns, "verdict_alpha"], "float64"))


class EvaluationCheckError(RuntimeError):
    """Evaluation results break an invariant (a score outside 0-4, a score-sheet row in no cell)."""


def check(con: duckdb.DuckDBPyConnection) -> None:
    """Raise EvaluationCheckError unless consensus scores are within [0, 4] and every scored row is in one cell."""
    problems = []
    for table, column in (("evaluation_cell", "consensus_score"), ("evaluation_component", "component_score"),
                          ("evaluation_region", "evaluation_index")):
        bad = con.execute(f"SELECT count(*) FROM score.{table} WHERE {column} < 0 OR {column} > 4").fetchall()[0][0]
        if bad:
            problems.append(f"score.{table}: {bad} values of {column} outside [0, 4]")
    in_cells, scored = con.execute("""SELECT (SELECT coalesce(sum(assessors), 0) FROM score.evaluation_cell),
                                             (SELECT coalesce(sum(rows_scored), 0) FROM score.evaluation_year)""").fetchall()[0]
    if in_cells != scored:
        problems.append(f"score.evaluation_cell holds {in_cells} score-sheet rows, score.evaluation_year scored {scored}")
    if problems:
        raise EvaluationCheckError("; ".join(problems))


def publish(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build score.evaluation_agreement from the scored sheets (after the evaluation's models); check the results."""
    scores = con.sql("""SELECT e.year, e.component, e.region_code, e.dimension, e.evaluator, e.score_0_4
                        FROM curated.evaluations e
                        SEMI JOIN score.evaluation_cell c USING (region_code, year, component, dimension)""").df()
    # A year is judged at the level of the methodology year that scored it (a year without an entry takes the latest).
    levels = dict(con.execute("""SELECT y.year, m.alpha_level FROM score.evaluation_year y
                                 JOIN methodology.evaluation_year m ON m.year = y.methodology_year""").fetchall())
    table = agreement(scores, levels)
    con.register("incoming", table)
    con.execute("""CREATE TABLE score.evaluation_agreement AS
                   SELECT a.*, run.methodology_hash, run.inputs_hash FROM incoming a CROSS JOIN methodology.run run""")
    con.unregister("incoming")
    check(con)
    return {"evaluation_agreement": len(table)}
