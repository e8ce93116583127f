"""The methodology of one composite index (methodology/screening.yaml, readiness.yaml, examples/*.yaml).

Its schema, every method an analyst may name, the checks on load, and the node table resolved from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from pipelines.score.yaml_lines import Checker, content_hash, read_with_lines

# Every method an analyst may name, with its parameters and their defaults (None = required).
METHODS: dict[str, dict[str, dict]] = {
    "normalisation": {
        "minmax": {"low": 0.0, "high": 100.0},
        "zscore": {"mean": 0.0, "sd": 1.0},
        "goalposts": {"low": None, "high": None, "scale": 100.0, "truncate": True},
        "target": {"target": None, "scale": 100.0, "truncate": True},
        "reference_unit": {"unit": None, "scale": 100.0, "truncate": False},
        "fraction_of_max": {"scale": 100.0},
        "rank": {},
        "percentile_rank": {"scale": 100.0},
        "borda": {},
        "lookup": {"table": None},
        "none": {},
    },
    "aggregation": {
        "arithmetic": {},
        "geometric": {},
        "harmonic": {},
        "generalised": {"p": None},
        "copeland": {},
        # Non-compensatory (docs/methodology.md 4.2): Mazziotta-Pareto as Compind's ci_mpi, and benefit of the doubt
        # with each child's share of the unit's score between min_share and max_share.
        "mpi": {"penalty": "positive"},
        "bod": {"min_share": 0.0, "max_share": 1.0},
    },
    "imputation": {
        "none": {},
        "mean": {},
        "median": {},
        "group_mean": {"group": None},
        "group_median": {"group": None},
        "latest_earlier_year": {},
        # COINr's Impute(impute_by = "row", group_level = the parent), and the most frequent value for ordinal data.
        "row_mean": {},
        "mode": {},
    },
    "outliers": {
        "none": {},
        "winsorise": {"skew_max": 2.0, "kurtosis_max": 3.5, "max_share": 0.1, "max_points": 0.0, "log_fallback": True},
        # COINr's boxcox: (x^lambda - 1)/lambda, ln x at lambda 0, after x - min + 1 when makepos.
        "boxcox": {"lambda": None, "makepos": True},
    },
    # How an aggregate weighs its children: as declared, or from the data (docs/methodology.md 4.5).
    "weighting": {
        "nominal": {},
        "pca": {},
        "optimised": {},
    },
}
# The stages whose method the Monte Carlo may draw (weights are drawn too, see _check_uncertainty).
UNCERTAIN_STAGES = ("imputation", "outliers", "normalisation", "aggregation")
TEXT_PARAMETERS = {"unit", "table", "group", "penalty"}
FLAG_PARAMETERS = {"truncate", "log_fallback", "makepos"}
NODE_KEYS = {"parent", "label", "unit", "description", "direction", "weight", "denominator", "applies_to",
             "min_availability_pct", *METHODS}
DEFAULT_KEYS = {"direction", "weight", "min_availability_pct", *METHODS}
TOP_KEYS = {"index", "label", "description", "inputs", "year", "units", "weights", "weight_sets", "lookups",
            "defaults", "levels", "nodes", "ranking", "audit", "answer_types", "uncertainty", "remove_elements"}
ANSWER_TYPES = ("scale_1_5", "yes_no", "number")
UNIT_KEYS = {"include", "minimum", "min_data_availability_pct", "min_nonzero_pct", "force_in", "force_out", "groups"}
AUDIT_DEFAULTS = {"redundancy_r": 0.92, "low_availability_pct": 65.0, "skew_max": 2.0, "kurtosis_max": 3.5,
                  "cronbach_min": 0.7}
BUILT_IN_DEFAULTS = {"direction": 1, "weight": 1.0, "min_availability_pct": 0.0, "normalisation": "minmax",
                     "aggregation": "arithmetic", "imputation": "none", "outliers": "none", "weighting": "nominal"}
# How scores are rounded before ranking: fixed decimals (as published tables on 0-100), or significant digits.
RANKING_KEYS = ("decimals", "significant_digits")
# A scale ranked with ranking.decimals needs this many rounding steps across it (2 decimals on 0-100 give 10,000),
# or rounding ties units that differ: a 0-1 scale at 2 decimals has 101 values.
MIN_RANKING_STEPS = 10_000
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def parameter_dtypes() -> dict[str, str]:
    """Return the dtype of every method-parameter column of a node table (<stage>_<parameter>)."""
    return {f"{stage}_{name}": "object" if name in TEXT_PARAMETERS else "boolean" if name in FLAG_PARAMETERS else "float64"
            for stage, methods in METHODS.items() for spec in methods.values() for name in spec}


def parameter_columns(stage: str, resolved: dict) -> dict:
    """Return one column per parameter any method of the stage has, set from a resolved method (None if unused)."""
    columns = {}
    for name in {p for spec in METHODS[stage].values() for p in spec}:
        value = resolved.get(name)
        columns[f"{stage}_{name}"] = (None if value is None else str(value) if name in TEXT_PARAMETERS
                                      else bool(value) if name in FLAG_PARAMETERS else float(value))
    return columns


def _method(c: Checker, key: tuple, stage: str, spec: object) -> dict:
    """Return {method, params...} with defaults filled in, or fail naming the unknown method or parameter."""
    spec = {"method": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict) or "method" not in spec:
        c.fail(key, f"expected a method name or a mapping with `method`, found {spec!r}")
    name = spec["method"]
    if name not in METHODS[stage]:
        c.fail(key + ("method",), f"unknown {stage} method {name!r}; known: {', '.join(sorted(METHODS[stage]))}")
    params = METHODS[stage][name]
    c.known(key, spec, {"method", *params})
    resolved = {"method": name, **params, **{k: v for k, v in spec.items() if k != "method"}}
    for param, value in resolved.items():
        if value is None:
            c.fail(key, f"{stage} method {name!r} needs `{param}`")
    return resolved


@dataclass
class IndexMethodology:
    """One composite index: its checked document, the resolved node table, its lookups and its content hash."""

    code: str
    path: Path
    doc: dict
    nodes: pd.DataFrame
    lookups: pd.DataFrame
    hash: str
    indicator_template: dict = field(repr=False, default_factory=dict)
    lines: dict = field(repr=False, default_factory=dict)
    uncertainty: dict = field(repr=False, default_factory=dict)

    @cached_property
    def root(self) -> str:
        """Return the code of the node without a parent: the index itself."""
        return self.nodes.loc[self.nodes["parent_code"].isna(), "node_code"].iloc[0]

    def setting(self, *keys: str, default: object = None) -> object:
        """Return a nested setting of the document, or `default` when it is absent."""
        value: object = self.doc
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def settings_table(self) -> pd.DataFrame:
        """Return the scalar settings the engine's SQL reads (name, value as text)."""
        units = self.doc.get("units") or {}
        audit = {**AUDIT_DEFAULTS, **(self.doc.get("audit") or {})}
        rows = {"index": self.code, "year": str(self.doc.get("year", "latest")),
                "min_data_availability_pct": str(float(units.get("min_data_availability_pct", 0)))}
        if "min_nonzero_pct" in units:  # only when set: the methodologies without it publish the same parameters
            rows["min_nonzero_pct"] = str(float(units["min_nonzero_pct"]))
        rows.update({f"audit.{k}": str(float(v)) for k, v in audit.items()})
        for key in RANKING_KEYS:
            value = self.setting("ranking", key)
            rows[f"ranking.{key}"] = "" if value is None else str(int(value))
        return pd.DataFrame(sorted(rows.items()), columns=["name", "value"])

    def unit_rules_table(self) -> pd.DataFrame:
        """Return the unit rules: include (attribute in values), minimum (attribute ≥ value), force in/out."""
        units = self.doc.get("units") or {}
        rows = []
        for attribute, rule in (units.get("include") or {}).items():
            rule = rule if isinstance(rule, dict) else {"values": rule}
            rows.append({"rule": "include", "attribute": attribute, "text_values": [str(v).lower() for v in rule["values"]],
                         "min_value": None, "reason": rule.get("reason")})
        for attribute, rule in (units.get("minimum") or {}).items():
            rule = rule if isinstance(rule, dict) else {"min": rule}
            rows.append({"rule": "minimum", "attribute": attribute, "text_values": None, "min_value": float(rule["min"]),
                         "reason": rule.get("reason")})
        rows += [{"rule": rule, "attribute": None, "text_values": [str(u) for u in units.get(rule) or []],
                  "min_value": None, "reason": None} for rule in ("force_in", "force_out")]
        frame = pd.DataFrame(rows, columns=["rule", "attribute", "text_values", "min_value", "reason"])
        return frame.astype({"rule": "object", "attribute": "object", "min_value": "float64", "reason": "object"})

    def removal_heights(self, drawn: bool = False) -> list[int]:
        """Return the heights whose nodes are removed one at a time (`remove_elements`: level names), lowest first;
        drawn: those the Monte Carlo removes one per replication (`uncertainty.remove`)."""
        names = [level.get("name") for level in self.doc.get("levels") or []]
        removal = (self.doc.get("uncertainty") or {}).get("remove") if drawn else self.doc.get("remove_elements")
        return sorted(names.index(name) + 1 for name in removal or [])

    def groups(self) -> list[str]:
        """Return the unit attributes within which ranks are also computed (province, island group, ...)."""
        return list(self.setting("units", "groups", default=[]) or [])


def _check_nodes(c: Checker, doc: dict) -> dict[str, dict]:
    nodes = doc.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        c.fail(("nodes",), "at least one node is needed: the index, its aggregates and its indicators")
    for code, spec in nodes.items():
        if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", code):
            c.fail(("nodes", code), "a node code is letters, digits, `_`, `.` or `-`, starting with a letter")
        c.known(("nodes", code), spec if spec is not None else {}, NODE_KEYS)
    nodes = {code: dict(spec or {}) for code, spec in nodes.items()}
    extra_parents = set()
    if doc.get("inputs", {}).get("indicators"):
        extra_parents = set(nodes)  # leaves from a table may hang under any node declared here
    roots = [code for code, spec in nodes.items() if spec.get("parent") is None]
    if len(roots) != 1:
        c.fail(("nodes",), f"exactly one node has no parent (the index); found {len(roots)}: {', '.join(roots) or 'none'}")
    for code, spec in nodes.items():
        parent = spec.get("parent")
        if parent is not None and parent not in nodes:
            c.fail(("nodes", code, "parent"), f"parent {parent!r} is not a node of this methodology")
        seen, walk = {code}, parent
        while walk is not None:
            if walk in seen:
                c.fail(("nodes", code, "parent"), f"the parents of {code!r} form a cycle")
            seen.add(walk)
            walk = nodes[walk].get("parent")
    children: dict[str, list[str]] = {}
    for code, spec in nodes.items():
        if spec.get("parent") is not None:
            children.setdefault(spec["parent"], []).append(code)
    if not children and not extra_parents:
        c.fail(("nodes",), "the index needs at least one indicator under it")
    return {code: {**spec, "_children": children.get(code, []), "_leaf_parent": code in extra_parents}
            for code, spec in nodes.items()}


def _heights(nodes: dict[str, dict], leaf_codes: set[str]) -> dict[str, int]:
    heights: dict[str, int] = {}

    def height(code: str) -> int:
        if code not in heights:
            kids = nodes[code]["_children"]
            heights[code] = 1 if code in leaf_codes else 1 + max((height(k) for k in kids), default=1)
        return heights[code]

    for code in nodes:
        height(code)
    return heights


def _level_settings(c: Checker, doc: dict, height: int) -> tuple[dict, dict[str, tuple]]:
    """Return the settings a node at this height starts from (level > defaults > built-in) and where each is set."""
    defaults = {**BUILT_IN_DEFAULTS, **c.known(("defaults",), doc.get("defaults") or {}, DEFAULT_KEYS)}
    levels = doc.get("levels") or []
    if not isinstance(levels, list):
        c.fail(("levels",), "expected a list of levels from the indicators (first) up to the index (last)")
    for i, level in enumerate(levels):
        c.known(("levels", i), level, DEFAULT_KEYS | {"name"})
    level = levels[height - 1] if height - 1 < len(levels) else {}
    origin = {k: ("levels", height - 1, k) for k in level if k != "name"}
    return {**defaults, **{k: v for k, v in level.items() if k != "name"}}, origin


def _check_parameters(c: Checker, key: tuple, resolved: dict, doc: dict) -> None:
    """Fail unless the parameters of a resolved normalisation, outlier or aggregation method make sense together."""
    name = resolved["method"]
    numbers = {k: c.number(key, v) for k, v in resolved.items()
               if k in ("low", "high", "sd", "mean", "target", "scale", "max_share", "max_points", "min_share", "lambda")}
    if name == "minmax" and numbers["high"] <= numbers["low"]:
        c.fail(key, "min-max needs low < high")
    if name == "goalposts" and numbers["high"] == numbers["low"]:
        c.fail(key, "goalposts need two different values")
    if name == "zscore" and numbers["sd"] <= 0:
        c.fail(key, "z-score needs sd > 0")
    if name == "lookup" and resolved["table"] not in (doc.get("lookups") or {}):
        c.fail(key, f"lookup {resolved['table']!r} is not under `lookups`")
    if name == "winsorise":
        c.number(key, numbers["max_share"], low=0, high=1)
        c.number(key, numbers["max_points"], low=0)
    if name == "mpi" and resolved["penalty"] not in ("positive", "negative"):
        c.fail(key, f"mpi penalty is positive (higher is better: mean − penalty) or negative (mean + penalty), "
                    f"found {resolved['penalty']!r}")
    if name == "bod" and not 0 <= numbers["min_share"] <= numbers["max_share"] <= 1:
        c.fail(key, "benefit of the doubt needs 0 ≤ min_share ≤ max_share ≤ 1")


def _row(c: Checker, doc: dict, code: str, spec: dict, level: tuple[dict, dict], *, height: int, position: int,
         is_indicator: bool, weight: float | None = None) -> dict:
    """Return the resolved row of one node, failing on the first setting that does not make sense."""
    key = ("nodes", code)
    merged = {**level[0], **spec, **({"weight": weight} if weight is not None else {})}

    def where(setting: str) -> tuple:
        return key + (setting,) if setting in spec else level[1].get(setting, ("defaults", setting))

    direction = merged["direction"]
    if direction not in (1, -1) or isinstance(direction, bool):
        c.fail(where("direction"), f"direction must be 1 or -1, found {direction!r}")
    weight = c.number(where("weight"), merged["weight"], low=0)
    min_avail = c.number(where("min_availability_pct"), merged["min_availability_pct"], low=0, high=100)
    methods = {stage: _method(c, where(stage), stage, merged[stage]) for stage in METHODS}
    if methods["aggregation"]["method"] == "generalised" and c.number(where("aggregation"), methods["aggregation"]["p"]) == 0:
        c.fail(where("aggregation"), "p = 0 is the geometric mean: name `geometric` instead")
    for stage in ("normalisation", "outliers", "aggregation"):
        _check_parameters(c, where(stage), methods[stage], doc)
    if methods["aggregation"]["method"] == "bod" and methods["weighting"]["method"] != "nominal":
        c.fail(where("weighting"), "the benefit of the doubt chooses each unit's weights: weighting must be nominal")
    norm = methods["normalisation"]
    if is_indicator and direction == -1 and norm["method"] in ("none", "lookup"):
        c.fail(where("direction"), f"direction -1 cannot reverse normalisation {norm['method']!r}: "
                                   "reverse the lookup or use goalposts")
    for setting in ("denominator", "applies_to"):
        if setting in spec and not is_indicator:
            c.fail(key + (setting,), f"{setting} applies to indicators only; {code!r} is an aggregate")
    denominator = spec.get("denominator")
    if denominator is not None and (not isinstance(denominator, str) or denominator == code):
        c.fail(key + ("denominator",), "a denominator is another indicator or a unit attribute, named as text")
    applies = spec.get("applies_to")
    if applies is not None and (not isinstance(applies, dict) or len(applies) != 1
                                or not isinstance(next(iter(applies.values())), list)):
        c.fail(key + ("applies_to",), "expected {attribute: [values]}, e.g. {region_type: [kota]}")
    label = spec.get("label") or {}
    label = label if isinstance(label, dict) else {"id": str(label), "en": str(label)}
    return {
        "node_code": code, "parent_code": spec.get("parent"), "height": height, "position": position,
        "is_indicator": is_indicator, "direction": int(direction), "weight": weight,
        "denominator": denominator, "min_availability_pct": min_avail,
        "applies_attribute": next(iter(applies)) if applies else None,
        "applies_values": [str(v).lower() for v in next(iter(applies.values()))] if applies else None,
        "label_id": str(label.get("id", code)), "label_en": str(label.get("en", label.get("id", code))),
        **{f"{stage}_method": m["method"] for stage, m in methods.items()},
        **{k: v for stage, m in methods.items() for k, v in parameter_columns(stage, m).items()},
    }


def _resolve(c: Checker, doc: dict, nodes: dict[str, dict]) -> list[dict]:
    """Return one row per node with every setting resolved: node > level > defaults > built-in."""
    leaves = {code for code, spec in nodes.items() if not spec["_children"] and not spec["_leaf_parent"]}
    heights = _heights(nodes, leaves)
    weight_set = _weight_set(c, doc, nodes)
    rows = []
    for position, (code, spec) in enumerate(nodes.items()):
        spec = {k: v for k, v in spec.items() if not k.startswith("_")}
        rows.append(_row(c, doc, code, spec, _level_settings(c, doc, heights[code]), height=heights[code],
                         position=position, is_indicator=code in leaves, weight=weight_set.get(code)))
    _check_sibling_weights(c, rows)
    return rows


def _weight_set(c: Checker, doc: dict, nodes: dict) -> dict[str, float]:
    """Return the weights of the chosen set (`weights: nominal | equal | <name>`), node → weight."""
    choice = doc.get("weights", "nominal")
    sets = doc.get("weight_sets") or {}
    if not isinstance(sets, dict):
        c.fail(("weight_sets",), "expected a mapping of set name → {node: weight}")
    for name, weights in sets.items():
        for node, w in c.known(("weight_sets", name), weights, set(nodes)).items():
            c.number(("weight_sets", name, node), w, low=0)
    if choice == "nominal":
        return {}
    if choice == "equal":
        return {code: 1.0 for code in nodes}
    if choice not in sets:
        c.fail(("weights",), f"expected nominal, equal or a name under weight_sets ({', '.join(sets) or 'none'}); found {choice!r}")
    return {code: float(w) for code, w in sets[choice].items()}


def _check_sibling_weights(c: Checker, rows: list[dict]) -> None:
    totals: dict[str, float] = {}
    for row in rows:
        if row["parent_code"] is not None:
            totals[row["parent_code"]] = totals.get(row["parent_code"], 0.0) + row["weight"]
    for parent, total in totals.items():
        if total <= 0:
            c.fail(("nodes", parent), "the weights of its children sum to zero: at least one must be positive")


def _check_top(c: Checker, doc: dict) -> None:
    c.known((), doc, TOP_KEYS)
    if not isinstance(doc.get("index"), str):
        c.fail(("index",), "name the index (a code such as `screening`)")
    year = doc.get("year", "latest")
    if year != "latest" and (isinstance(year, bool) or not isinstance(year, int)):
        c.fail(("year",), f"expected `latest` or a year, found {year!r}")
    inputs = c.known(("inputs",), doc.get("inputs") or {}, {"units", "values", "indicators"})
    for key, table in inputs.items():
        if not isinstance(table, str) or not TABLE_NAME.fullmatch(table):
            c.fail(("inputs", key), f"expected a table name such as score.screening_value, found {table!r}")
    units = c.known(("units",), doc.get("units") or {}, UNIT_KEYS)
    for attribute, rule in (units.get("include") or {}).items():
        key = ("units", "include", attribute)
        values = c.known(key, rule, {"values", "reason"}).get("values") if isinstance(rule, dict) else rule
        if not isinstance(values, list) or not values:
            c.fail(key, "expected a list of accepted values, or {values: [...], reason: ...}")
    for attribute, rule in (units.get("minimum") or {}).items():
        key = ("units", "minimum", attribute)
        c.number(key, c.known(key, rule, {"min", "reason"}).get("min") if isinstance(rule, dict) else rule)
    for key in ("min_data_availability_pct", "min_nonzero_pct"):
        c.number(("units", key), units.get(key, 0), low=0, high=100)
    for key in ("force_in", "force_out", "groups"):
        if not isinstance(units.get(key, []), list):
            c.fail(("units", key), "expected a list")
    both = set(units.get("force_in") or []) & set(units.get("force_out") or [])
    if both:
        c.fail(("units", "force_out"), f"{', '.join(sorted(map(str, both)))} also forced in")
    for name, points in (doc.get("lookups") or {}).items():
        key = ("lookups", name)
        if not isinstance(points, list) or len(points) < 2:
            c.fail(key, "a lookup is a list of at least two [from, to] pairs")
        for i, pair in enumerate(points):
            if not isinstance(pair, list) or len(pair) != 2:
                c.fail(key + (i,), f"expected a [from, to] pair, found {pair!r}")
            c.number(key + (i,), pair[0])
            c.number(key + (i,), pair[1])
        xs = [p[0] for p in points]
        if len(set(xs)) != len(xs):
            c.fail(key, "each `from` value may appear once")
    ranking = c.known(("ranking",), doc.get("ranking") or {}, set(RANKING_KEYS))
    decimals = ranking.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        c.fail(("ranking", "decimals"), f"expected a whole number of decimals ≥ 0, found {decimals!r}")
    if "significant_digits" in ranking:
        c.whole(("ranking", "significant_digits"), ranking["significant_digits"], low=1)
        if decimals is not None:
            c.fail(("ranking", "significant_digits"), "give ranking.decimals or ranking.significant_digits, not both")
    audit = c.known(("audit",), doc.get("audit") or {}, set(AUDIT_DEFAULTS))
    for key, value in audit.items():
        c.number(("audit", key), value)


def _check_ranking_scale(c: Checker, doc: dict, rows: list[dict]) -> None:
    """Fail when ranking.decimals leaves too few values on an indicator's normalised scale (0-1 at 2 decimals)."""
    decimals = (doc.get("ranking") or {}).get("decimals")
    if decimals is None:
        return
    for row in rows:
        # The methods with a known span: min-max from low to high, the others from 0 to `scale`.
        span = (row["normalisation_high"] - row["normalisation_low"] if row["normalisation_method"] == "minmax"
                else row["normalisation_scale"])
        if row["is_indicator"] and span is not None and span * 10 ** decimals < MIN_RANKING_STEPS:
            c.fail(("ranking", "decimals"), f"{decimals} decimals leave {span * 10 ** decimals + 1:g} values on the "
                                            f"{span:g}-wide scale of {row['node_code']} ({row['normalisation_method']}), "
                                            "which ties units that differ: use ranking.significant_digits")


def _check_removal(c: Checker, doc: dict, rows: list[dict]) -> None:
    """Fail unless `remove_elements` and `uncertainty.remove` list names of levels below the index (the index itself
    cannot be removed); the Monte Carlo's list must not be empty, as its other lists."""
    top = max(row["height"] for row in rows)
    names = [level.get("name") for level in doc.get("levels") or []][:top - 1]
    drawn = doc.get("uncertainty") if isinstance(doc.get("uncertainty"), dict) else {}
    lists = [(("remove_elements",), doc.get("remove_elements", []), True)]
    if "remove" in drawn:
        lists.append((("uncertainty", "remove"), drawn["remove"], False))
    for key, removal, may_be_empty in lists:
        if not isinstance(removal, list) or not (removal or may_be_empty) or any(n not in names for n in removal):
            c.fail(key, "expected a list of level names below the index, among "
                        f"{', '.join(map(str, names)) or 'none (name the levels)'}")


def _check_uncertainty(c: Checker, doc: dict) -> dict:
    """Return the resolved `uncertainty` section: alternatives per stage, and how weights vary."""
    spec = c.known(("uncertainty",), doc.get("uncertainty") or {}, {"weights", "remove", *UNCERTAIN_STAGES})
    out: dict = {}
    for stage in UNCERTAIN_STAGES:
        if stage not in spec:
            continue
        key = ("uncertainty", stage)
        if not isinstance(spec[stage], list) or not spec[stage]:
            c.fail(key, "expected a list of alternative methods (the nominal one too, if it should be drawn)")
        out[stage] = [_method(c, key + (i,), stage, alternative) for i, alternative in enumerate(spec[stage])]
        for i, resolved in enumerate(out[stage]):
            if stage in ("normalisation", "outliers"):
                _check_parameters(c, key + (i,), resolved, doc)
            if resolved["method"] in ("copeland", "mpi", "bod"):
                c.fail(key + (i,), f"{resolved['method']} compares units with one another: it cannot be drawn in "
                                   "the Monte Carlo")
            if resolved["method"] == "generalised" and c.number(key + (i,), resolved["p"]) == 0:
                c.fail(key + (i,), "p = 0 is the geometric mean: name `geometric` instead")
    if "weights" in spec:
        key = ("uncertainty", "weights")
        weights = c.known(key, spec["weights"], {"noise_pct", "levels", "draws", "sets"})
        if ("sets" in weights) == ("noise_pct" in weights):
            c.fail(key, "give either `sets` (named weight sets to draw from) or `noise_pct` with `levels`")
        if "sets" in weights:
            names = weights["sets"]
            known = {"nominal", "equal", *(doc.get("weight_sets") or {})}
            if not isinstance(names, list) or not names or any(n not in known for n in names):
                c.fail(key + ("sets",), f"expected a list of weight sets among {', '.join(sorted(known))}")
            out["weights"] = {"sets": {n: {} if n == "nominal" else "equal" if n == "equal" else doc["weight_sets"][n]
                                       for n in names}}
        else:
            level_names = [level.get("name") for level in doc.get("levels") or []]
            levels = weights.get("levels")
            if not isinstance(levels, list) or not levels or any(v not in level_names for v in levels):
                c.fail(key + ("levels",), f"expected a list of level names among {', '.join(map(str, level_names))}")
            draws = weights.get("draws", 100)
            if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
                c.fail(key + ("draws",), f"expected a whole number of weight draws ≥ 1, found {draws!r}")
            out["weights"] = {"noise_pct": c.number(key + ("noise_pct",), weights["noise_pct"], low=0, high=100),
                              "heights": sorted(level_names.index(v) + 1 for v in levels), "draws": draws}
    return out


def load_index(path: Path) -> IndexMethodology:
    """Return the checked methodology of one index, or raise MethodologyError naming file, line and key."""
    doc, lines = read_with_lines(path)
    c = Checker(path, lines)
    _check_top(c, doc)
    nodes = _check_nodes(c, doc)
    rows = _resolve(c, doc, nodes)
    _check_ranking_scale(c, doc, rows)
    _check_removal(c, doc, rows)
    for row in rows:
        if row["denominator"] in nodes and not next(r for r in rows if r["node_code"] == row["denominator"])["is_indicator"]:
            c.fail(("nodes", row["node_code"], "denominator"), f"{row['denominator']!r} is an aggregate, not an indicator")
    lookups = pd.DataFrame([{"lookup": name, "x": float(x), "y": float(y)}
                            for name, points in (doc.get("lookups") or {}).items() for x, y in points],
                           columns=["lookup", "x", "y"])
    template = _row(c, doc, "indicator", {}, _level_settings(c, doc, 1), height=1, position=len(rows), is_indicator=True)
    return IndexMethodology(code=doc["index"], path=path, doc=doc, nodes=pd.DataFrame(rows), lookups=lookups,
                            hash=content_hash(doc), indicator_template=template, lines=lines,
                            uncertainty=_check_uncertainty(c, doc))


def check_readiness_framework(readiness: IndexMethodology, framework: dict) -> None:
    """Raise MethodologyError unless the readiness nodes are the framework's dimensions and elements; label them."""
    c = Checker(readiness.path, readiness.lines)
    nodes = readiness.nodes.set_index("node_code")
    labels = {}
    for dim, spec in framework["dimensions"].items():
        if dim not in nodes.index or nodes.at[dim, "parent_code"] != readiness.root:
            c.fail(("nodes", dim), f"dimension {dim!r} of the framework must be a node under {readiness.root!r}")
        labels[dim] = spec["label"]
        for element, element_labels in spec["elements"].items():
            if element not in nodes.index or nodes.at[element, "parent_code"] != dim:
                c.fail(("nodes", element), f"element {element!r} of the framework must be a node under {dim!r}")
            labels[element] = element_labels
    for code in nodes.index:
        if code != readiness.root and code not in labels:
            c.fail(("nodes", code), "not a dimension or element of the framework (methodology/framework.yaml)")
    if "inputs" not in readiness.doc or "indicators" not in readiness.doc["inputs"]:
        c.fail(("inputs",), "the questions come from a table: set inputs.indicators")
    answer_types = c.known(("answer_types",), readiness.doc.get("answer_types") or {}, set(ANSWER_TYPES))
    for answer_type in ANSWER_TYPES:
        if answer_type not in answer_types:
            c.fail(("answer_types",), f"say how answers of type {answer_type!r} become 0-100")
        spec = answer_types[answer_type]
        if answer_type == "number":
            if (spec.get("method") if isinstance(spec, dict) else spec) != "goalposts":
                # The min-max fallback is set per question, in models/readiness_indicator.sql.
                c.fail(("answer_types", "number"), "numbers use goalposts from the question bank, or min-max over "
                                                   "the regions scored where a question has none: {method: goalposts}")
        else:
            method = _method(c, ("answer_types", answer_type), "normalisation", spec)
            if method["method"] in ("lookup", "target", "reference_unit"):
                c.fail(("answer_types", answer_type), "an answer type takes a method set by low and high only, "
                                                       "such as goalposts")
    for column in ("label_id", "label_en"):
        readiness.nodes[column] = [labels[code][column[-2:]] if code in labels else value
                                   for code, value in zip(readiness.nodes["node_code"], readiness.nodes[column])]
