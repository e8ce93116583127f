"""The methodology folder (methodology/*.yaml): every file loaded and checked, with one hash over all five."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.score.cohort import CohortRules, load_rules as load_cohort
from pipelines.score.evaluation import EvaluationRules, load_rules as load_evaluation
from pipelines.score.index_method import IndexMethodology, check_readiness_framework, load_index
from pipelines.score.yaml_lines import MethodologyError, content_hash, read_with_lines

# MethodologyError is what `load` raises: its callers import it from here, with the loader.
__all__ = ["Methodology", "MethodologyError", "load"]


@dataclass(frozen=True)
class Methodology:
    """The framework, the two indices, the cohort rules and the evaluation rules, with one hash over all five files."""

    framework: dict
    screening: IndexMethodology
    readiness: IndexMethodology
    cohort: CohortRules
    evaluation: EvaluationRules
    hash: str

    @property
    def indices(self) -> list[IndexMethodology]:
        """Return the indices in the order the refresh computes them."""
        return [self.screening, self.readiness]

    def dimension_table(self) -> pd.DataFrame:
        """Return methodology.readiness_dimension: one row per dimension with its weight and labels."""
        weights = self.readiness.nodes.set_index("node_code")["weight"]
        return pd.DataFrame([
            {"dimension": d, "weight": float(weights[d]), "position": i,
             "label_id": spec["label"]["id"], "label_en": spec["label"]["en"]}
            for i, (d, spec) in enumerate(self.framework["dimensions"].items())])

    def aspect_table(self) -> pd.DataFrame:
        """Return methodology.readiness_aspect: one row per aspect with its labels."""
        return pd.DataFrame([{"aspect": a, "label_id": labels["id"], "label_en": labels["en"]}
                             for a, labels in self.framework["aspects"].items()])

    def answer_type_table(self) -> pd.DataFrame:
        """Return methodology.answer_type: the normalisation of each answer type's mean answer (checked on load)."""
        rows = []
        for answer_type, spec in self.readiness.doc["answer_types"].items():
            spec = spec if isinstance(spec, dict) else {"method": spec}
            rows.append({"answer_type": answer_type, "normalisation_method": spec["method"],
                         "normalisation_low": spec.get("low"), "normalisation_high": spec.get("high")})
        return pd.DataFrame(rows).astype({"normalisation_low": "float64", "normalisation_high": "float64"})

    def parameter_table(self) -> pd.DataFrame:
        """Return methodology.parameter: each index's scalar settings, named `index.setting`."""
        return pd.concat([*(m.settings_table().assign(name=lambda f, m=m: m.code + "." + f["name"]) for m in self.indices),
                          self.cohort.parameter_table(), self.evaluation.parameter_table()], ignore_index=True)


def load(methodology_dir: Path) -> Methodology:
    """Return the checked methodology from methodology/{framework,screening,readiness,cohort,evaluation}.yaml."""
    framework, _ = read_with_lines(methodology_dir / "framework.yaml")
    screening = load_index(methodology_dir / "screening.yaml")
    readiness = load_index(methodology_dir / "readiness.yaml")
    check_readiness_framework(readiness, framework)
    cohort = load_cohort(methodology_dir / "cohort.yaml")
    evaluation = load_evaluation(methodology_dir / "evaluation.yaml", tuple(framework["dimensions"]))
    digest = content_hash({"framework": framework, "screening": screening.doc, "readiness": readiness.doc,
                           "cohort": cohort.doc, "evaluation": evaluation.doc})
    return Methodology(framework=framework, screening=screening, readiness=readiness, cohort=cohort,
                       evaluation=evaluation, hash=digest)
