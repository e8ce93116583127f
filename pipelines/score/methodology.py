"""Methodology files (methodology/*.yaml): loaded, checked with clear messages, hashed, turned into tables."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.settings import load_yaml

NORMALISATIONS = {"minmax", "percentile_rank"}
AGGREGATIONS = {"weighted_arithmetic"}
REGION_TYPES = {"kabupaten", "kota"}


class MethodologyError(ValueError):
    """A methodology file that does not make sense; the message names the file and the key."""


@dataclass(frozen=True)
class Methodology:
    """The framework, screening and readiness methodology, with one content hash over all three."""

    framework: dict
    screening: dict
    readiness: dict
    hash: str

    def parameter_table(self) -> pd.DataFrame:
        """Return methodology.parameter: one row per scalar setting, named `index.key`."""
        rows = [(f"{index}.{key}", str(value)) for index, doc in (("screening", self.screening), ("readiness", self.readiness))
                for key, value in doc.items() if not isinstance(value, (dict, list))]
        return pd.DataFrame(rows, columns=["name", "value"])

    def indicator_table(self) -> pd.DataFrame:
        """Return methodology.screening_indicator: one row per indicator with direction, weight and region types."""
        return pd.DataFrame([
            {"indicator_code": code, "direction": int(spec["direction"]), "weight": float(spec["weight"]),
             "applies_kabupaten": "kabupaten" in spec["applies_to"], "applies_kota": "kota" in spec["applies_to"],
             "label_id": spec["label"]["id"], "label_en": spec["label"]["en"]}
            for code, spec in self.screening["indicators"].items()])

    def dimension_table(self) -> pd.DataFrame:
        """Return methodology.readiness_dimension: one row per dimension with its weight and labels."""
        return pd.DataFrame([
            {"dimension": d, "weight": float(self.readiness["dimension_weights"][d]), "position": i,
             "label_id": spec["label"]["id"], "label_en": spec["label"]["en"]}
            for i, (d, spec) in enumerate(self.framework["dimensions"].items())])

    def element_table(self) -> pd.DataFrame:
        """Return methodology.readiness_element: one row per element with its dimension and weight."""
        weights = self.readiness.get("element_weights") or {}
        return pd.DataFrame([
            {"dimension": d, "element": e, "weight": float(weights.get(e, 1)), "label_id": labels["id"],
             "label_en": labels["en"]}
            for d, spec in self.framework["dimensions"].items() for e, labels in spec["elements"].items()])

    def aspect_table(self) -> pd.DataFrame:
        """Return methodology.readiness_aspect: one row per aspect with its weight and labels."""
        return pd.DataFrame([
            {"aspect": a, "weight": float(self.readiness["aspect_weights"][a]), "label_id": labels["id"],
             "label_en": labels["en"]}
            for a, labels in self.framework["aspects"].items()])

    def answer_scoring_table(self) -> pd.DataFrame:
        """Return methodology.answer_scoring: the answer range mapped to 0-100 per answer type."""
        return pd.DataFrame([{"answer_type": t, "low": float(r["low"]), "high": float(r["high"])}
                             for t, r in self.readiness["answer_scoring"].items()])


def _fail(path: Path, key: str, problem: str) -> None:
    raise MethodologyError(f"{path.name}: {key}: {problem}")


def _check_weights(path: Path, key: str, weights: dict, expected: list[str]) -> None:
    missing, unknown = set(expected) - set(weights), set(weights) - set(expected)
    if missing:
        _fail(path, key, f"no weight for {', '.join(sorted(missing))}")
    if unknown:
        _fail(path, key, f"{', '.join(sorted(unknown))} not in the framework (expected {', '.join(expected)})")
    for name, w in weights.items():
        if not isinstance(w, (int, float)) or w < 0:
            _fail(path, f"{key}.{name}", f"a weight must be a number ≥ 0, found {w!r}")
    if sum(weights.values()) <= 0:
        _fail(path, key, "the weights sum to zero: at least one must be positive")


def _check_common(path: Path, doc: dict, index: str) -> None:
    if doc.get("index") != index:
        _fail(path, "index", f"expected {index!r}, found {doc.get('index')!r}")
    if doc.get("aggregation") not in AGGREGATIONS:
        _fail(path, "aggregation", f"unknown method {doc.get('aggregation')!r}; known: {', '.join(sorted(AGGREGATIONS))}")
    year_key = "reference_year" if index == "screening" else "period"
    if doc.get(year_key) != "latest" and not isinstance(doc.get(year_key), int):
        _fail(path, year_key, f"expected `latest` or a year, found {doc.get(year_key)!r}")


def check_screening(path: Path, doc: dict) -> None:
    """Raise MethodologyError unless the screening methodology is complete and consistent."""
    _check_common(path, doc, "screening")
    if doc.get("normalisation") not in NORMALISATIONS:
        _fail(path, "normalisation", f"unknown method {doc.get('normalisation')!r}; known: {', '.join(sorted(NORMALISATIONS))}")
    if doc.get("rank_regions") not in ("autonomous", "all"):
        _fail(path, "rank_regions", "expected `autonomous` or `all`")
    if not 0 <= doc.get("min_coverage_pct", -1) <= 100:
        _fail(path, "min_coverage_pct", "expected a percentage from 0 to 100")
    indicators = doc.get("indicators") or {}
    if not indicators:
        _fail(path, "indicators", "at least one indicator is needed")
    _check_weights(path, "indicators", {k: v.get("weight") for k, v in indicators.items()}, list(indicators))
    for code, spec in indicators.items():
        if spec.get("direction") not in (1, -1):
            _fail(path, f"indicators.{code}.direction", f"must be 1 or -1, found {spec.get('direction')!r}")
        types = set(spec.get("applies_to") or [])
        if not types or not types <= REGION_TYPES:
            _fail(path, f"indicators.{code}.applies_to", "list kabupaten and/or kota")
    for region_type in sorted(REGION_TYPES):
        if not sum(s["weight"] for s in indicators.values() if region_type in s["applies_to"]):
            _fail(path, "indicators", f"no indicator with a positive weight applies to {region_type}")


def check_readiness(path: Path, doc: dict, framework: dict) -> None:
    """Raise MethodologyError unless the readiness methodology matches the framework."""
    _check_common(path, doc, "readiness")
    dims = list(framework["dimensions"])
    _check_weights(path, "dimension_weights", doc.get("dimension_weights") or {}, dims)
    elements = [e for d in framework["dimensions"].values() for e in d["elements"]]
    unknown = set(doc.get("element_weights") or {}) - set(elements)
    if unknown:
        _fail(path, "element_weights", f"{', '.join(sorted(unknown))} not an element of the framework")
    for dim, spec in framework["dimensions"].items():
        weights = {e: (doc.get("element_weights") or {}).get(e, 1) for e in spec["elements"]}
        _check_weights(path, f"element_weights ({dim})", weights, list(spec["elements"]))
    _check_weights(path, "aspect_weights", doc.get("aspect_weights") or {}, list(framework["aspects"]))
    if not isinstance(doc.get("min_dimensions_scored"), int) or not 1 <= doc["min_dimensions_scored"] <= len(dims):
        _fail(path, "min_dimensions_scored", f"expected a whole number from 1 to {len(dims)}")
    for key in ("min_opd_submissions", "min_answered_pct"):
        if not isinstance(doc.get(key), (int, float)) or doc[key] < 0:
            _fail(path, key, "expected a number ≥ 0")
    scoring = doc.get("answer_scoring") or {}
    for answer_type in ("scale_1_5", "yes_no"):
        r = scoring.get(answer_type) or {}
        if not isinstance(r.get("low"), (int, float)) or not isinstance(r.get("high"), (int, float)) or r["high"] <= r["low"]:
            _fail(path, f"answer_scoring.{answer_type}", "needs numbers low < high")


def load(methodology_dir: Path) -> Methodology:
    """Return the checked methodology from methodology/{framework,screening,readiness}.yaml."""
    paths = {name: methodology_dir / f"{name}.yaml" for name in ("framework", "screening", "readiness")}
    docs = {name: load_yaml(path) for name, path in paths.items()}
    check_screening(paths["screening"], docs["screening"])
    check_readiness(paths["readiness"], docs["readiness"], docs["framework"])
    digest = hashlib.sha256(json.dumps(docs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Methodology(hash=digest, **docs)
