"""`readiness check-methodology`: check a methodology folder, or any one of its files, without running anything."""

from __future__ import annotations

from pathlib import Path

from pipelines.score import cohort, evaluation
from pipelines.score.index_method import IndexMethodology, load_index
from pipelines.score.methodology import load
from pipelines.score.yaml_lines import MethodologyError, read_with_lines

FOLDER_FILES = ("framework.yaml", "screening.yaml", "readiness.yaml", "cohort.yaml", "evaluation.yaml")


def _index_line(method: IndexMethodology) -> str:
    levels = ", ".join(f"level {h}: {n}" for h, n in method.nodes.groupby("height").size().items())
    return (f"{method.path}: index {method.code!r}, {len(method.nodes)} nodes ({levels}), hash {method.hash[:16]}")


def _cohort_line(rules: cohort.CohortRules) -> str:
    return (f"{rules.path}: cohort {rules.doc.get('cohort')!r}, {rules.size} seats, {len(rules.tags)} priority tags, "
            f"{len(rules.quotas)} quotas")


def _evaluation_line(rules: evaluation.EvaluationRules, path: Path) -> str:
    years = ", ".join(f"{y.year} (weights {'/'.join(f'{w:g}' for w in y.components.values())}, {y.decimals} decimals "
                      f"{y.rounding}, verdict on {y.alpha_level} alpha)" for y in rules.years)
    return f"{path}: evaluation years {years}"


def check_folder(folder: Path) -> list[str]:
    """Return one line per file of a methodology folder, checked together; raise MethodologyError on the first problem."""
    missing = [name for name in FOLDER_FILES if not (folder / name).is_file()]
    if missing:
        raise MethodologyError(f"{folder}: no {', '.join(missing)} (a methodology folder holds "
                               f"{', '.join(FOLDER_FILES)}; start from a copy of methodology/)")
    method = load(folder)
    framework = method.framework
    return [f"{folder / 'framework.yaml'}: {len(framework['dimensions'])} dimensions, "
            f"{sum(len(d['elements']) for d in framework['dimensions'].values())} elements, "
            f"{len(framework['aspects'])} aspects",
            *(_index_line(m) for m in method.indices), _cohort_line(method.cohort),
            _evaluation_line(method.evaluation, folder / "evaluation.yaml"),
            f"{folder}: methodology hash {method.hash[:16]}"]


def check_path(path: Path) -> list[str]:
    """Return one line per methodology file checked at `path` (a folder, or one file judged by its top-level keys).

    The framework, and an evaluation file's dimensions, are checked against the folder the file is in.
    """
    if path.is_dir():
        return check_folder(path)
    if not path.is_file():
        raise MethodologyError(f"{path}: no such file or folder")
    doc, _ = read_with_lines(path)
    if "index" in doc:
        return [_index_line(load_index(path))]
    if "cohort" in doc:
        return [_cohort_line(cohort.load_rules(path))]
    if "evaluation" in doc:
        framework_path = path.parent / "framework.yaml"
        if not framework_path.is_file():
            raise MethodologyError(f"{path.name}: the evaluation's dimensions are checked against framework.yaml, "
                                   f"and {path.parent} has none")
        framework, _ = read_with_lines(framework_path)
        return [_evaluation_line(evaluation.load_rules(path, tuple(framework.get("dimensions") or ())), path)]
    if "dimensions" in doc and "aspects" in doc:
        return check_folder(path.parent)
    raise MethodologyError(f"{path.name}: line 1: not a methodology file (expected a top-level `index`, `cohort`, "
                           "`evaluation`, or the framework's `dimensions` and `aspects`)")
