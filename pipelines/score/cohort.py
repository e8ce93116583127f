"""Choosing the next cohort: the rules (methodology/cohort.yaml), selection under seats and quotas, and the gap to
the cut-off. The selection works on a matrix of scores (replications × candidates), so the nominal choice and
every Monte Carlo replication go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.score.yaml_lines import Checker, content_hash, read_with_lines

COMPONENTS = ("screening_index", "readiness_index", "interview_score")
TOP_KEYS = {"cohort", "label", "size", "eligibility", "shortlist", "selection", "tags", "quotas", "tie_break",
            "uncertainty"}
UNCERTAINTY_DEFAULTS = {"seed": 0, "base_samples": 1024, "component_noise_pct": 0.0, "component_draws": 100,
                        "flag_probability_pct": [10.0, 90.0]}
# How a candidate got its seat, or why it did not (score.cohort_selection.how).
OPEN, NOT_SELECTED = "open competition", "below the cut-off"


class CohortRuleError(ValueError):
    """Cohort rules that cannot be satisfied together (or do not make sense); the message names the rules."""


@dataclass(frozen=True)
class Quota:
    """At least `min` and at most `max` seats for each value (or the listed values) of a region attribute."""

    group: str
    min: int
    max: int | None
    values: tuple[str, ...] | None


@dataclass(frozen=True)
class Tag:
    """A priority tag: its regions, points added to their selection score, and seats kept for them."""

    code: str
    label: dict
    regions: frozenset[str]
    bonus: float
    reserved_seats: int


@dataclass(frozen=True)
class CohortRules:
    """The checked cohort rules and their content hash."""

    path: Path
    doc: dict
    size: int
    components: dict[str, float]
    tags: tuple[Tag, ...]
    quotas: tuple[Quota, ...]
    tie_break: tuple[str, ...]
    uncertainty: dict
    hash: str = field(default="")

    def parameter_table(self) -> pd.DataFrame:
        """Return the settings the cohort SQL reads, named `cohort.<setting>` (as methodology.parameter)."""
        eligibility, shortlist = self.doc.get("eligibility") or {}, self.doc.get("shortlist") or {}
        rows = {"cohort.size": self.size,
                "cohort.autonomous_only": str(bool(eligibility.get("autonomous_only", True))).lower(),
                "cohort.programme": eligibility.get("programme", "smart_city"),
                "cohort.allow_repeats": str(bool(eligibility.get("allow_repeats", False))).lower(),
                "cohort.shortlist_size": shortlist.get("size", ""),
                "cohort.shortlist_min_screening_index": shortlist.get("min_screening_index", "")}
        return pd.DataFrame([(k, str(v)) for k, v in rows.items()], columns=["name", "value"])


def load_rules(path: Path) -> CohortRules:
    """Return the checked cohort rules, or raise MethodologyError naming the file, the line and the key."""
    doc, lines = read_with_lines(path)
    c = Checker(path, lines)
    c.known((), doc, TOP_KEYS)
    size = c.whole(("size",), doc.get("size"), low=1)
    eligibility = c.known(("eligibility",), doc.get("eligibility") or {}, {"autonomous_only", "programme", "allow_repeats"})
    for key in ("autonomous_only", "allow_repeats"):
        if not isinstance(eligibility.get(key, False), bool):
            c.fail(("eligibility", key), "expected true or false")
    shortlist = c.known(("shortlist",), doc.get("shortlist") or {}, {"size", "min_screening_index"})
    if len(shortlist) != 1:
        c.fail(("shortlist",), "give either `size` (the best N eligible regions) or `min_screening_index`")
    if "size" in shortlist and c.whole(("shortlist", "size"), shortlist["size"], low=1) < size:
        c.fail(("shortlist", "size"), f"the shortlist ({shortlist['size']}) is smaller than the cohort ({size})")
    if "min_screening_index" in shortlist:
        c.number(("shortlist", "min_screening_index"), shortlist["min_screening_index"], low=0, high=100)
    selection = c.known(("selection",), doc.get("selection") or {}, {"components"})
    components = c.known(("selection", "components"), selection.get("components") or {}, set(COMPONENTS))
    weights = {name: c.number(("selection", "components", name), w, low=0) for name, w in components.items()}
    if weights.get("readiness_index", 0) <= 0:
        c.fail(("selection", "components", "readiness_index"), "the readiness index must weigh in the selection")
    tags = []
    for code, spec in (doc.get("tags") or {}).items():
        key = ("tags", code)
        spec = c.known(key, spec, {"label", "regions", "bonus", "reserved_seats"})
        regions = spec.get("regions")
        if not isinstance(regions, list) or not regions or not all(isinstance(r, str) for r in regions):
            c.fail(key + ("regions",), "expected a list of region codes as quoted text, such as \"64.09\"")
        bonus = c.number(key + ("bonus",), spec.get("bonus", 0), low=0)
        seats = c.whole(key + ("reserved_seats",), spec.get("reserved_seats", 0))
        if bonus == 0 and seats == 0:
            c.fail(key, "a tag adds a `bonus`, keeps `reserved_seats`, or both")
        label = spec.get("label") or {"id": code, "en": code}
        tags.append(Tag(code, label, frozenset(regions), bonus, seats))
    quotas = []
    for i, spec in enumerate(doc.get("quotas") or []):
        key = ("quotas", i)
        spec = c.known(key, spec, {"group", "min", "max", "values"})
        if not isinstance(spec.get("group"), str):
            c.fail(key + ("group",), "name the region attribute, such as island_group or province_code")
        low = c.whole(key + ("min",), spec.get("min", 0))
        high = None if spec.get("max") is None else c.whole(key + ("max",), spec["max"], low=1)
        if high is not None and low > high:
            raise CohortRuleError(f"{path.name}:{lines.get(key, 1)}: quotas.{i}: minimum {low} per {spec['group']} "
                                  f"is more than its maximum {high}")
        if low == 0 and high is None:
            c.fail(key, "a quota sets `min`, `max` or both")
        values = spec.get("values")
        if values is not None and (not isinstance(values, list) or not values):
            c.fail(key + ("values",), "expected a list of the attribute's values the quota applies to")
        quotas.append(Quota(spec["group"], low, high, None if values is None else tuple(map(str, values))))
    tie_break = doc.get("tie_break", ["region_code"])
    if not isinstance(tie_break, list) or any(t not in (*COMPONENTS, "region_code") for t in tie_break):
        c.fail(("tie_break",), f"expected a list among {', '.join((*COMPONENTS, 'region_code'))}")
    given = c.known(("uncertainty",), doc.get("uncertainty") or {}, set(UNCERTAINTY_DEFAULTS))
    uncertainty = {**UNCERTAINTY_DEFAULTS, **given}
    c.whole(("uncertainty", "seed"), uncertainty["seed"])
    c.whole(("uncertainty", "base_samples"), uncertainty["base_samples"], low=1)
    c.whole(("uncertainty", "component_draws"), uncertainty["component_draws"], low=1)
    c.number(("uncertainty", "component_noise_pct"), uncertainty["component_noise_pct"], low=0, high=100)
    band = uncertainty["flag_probability_pct"]
    if not isinstance(band, list) or len(band) != 2 or not 0 <= band[0] < band[1] <= 100:
        c.fail(("uncertainty", "flag_probability_pct"), "expected [low, high] percentages with low < high")
    reserved = sum(t.reserved_seats for t in tags)
    if reserved > size:
        raise CohortRuleError(f"{path.name}: tags: {reserved} reserved seats; the cohort has {size}")
    return CohortRules(path=path, doc=doc, size=size, components=weights, tags=tuple(tags), quotas=tuple(quotas),
                       tie_break=tuple(tie_break), uncertainty=uncertainty, hash=content_hash(doc))


@dataclass
class Seats:
    """The rules compiled against one list of candidates (positions 0..n-1), ready to select from scores."""

    size: int
    bonus: np.ndarray                               # (n,) points added by tags
    tie: np.ndarray                                 # (n,) order among equal scores (0 first)
    reserved: list[tuple[str, np.ndarray, int]]     # (rule, candidates it applies to, seats)
    minimums: list[tuple[str, np.ndarray, int]]
    maximums: list[tuple[str, np.ndarray, int]]

    @property
    def phases(self) -> list[tuple[str, np.ndarray, int]]:
        """Return the seats filled in order: reserved seats, minimums, then open competition."""
        return [*self.reserved, *self.minimums]


def compile_rules(rules: CohortRules, candidates: pd.DataFrame) -> Seats:
    """Return the rules applied to the candidates (region_code, quota attributes, tie-break columns), checked."""
    n = len(candidates)
    codes = candidates["region_code"].astype(str)
    if n < rules.size:
        raise CohortRuleError(f"cohort size {rules.size}, but only {n} shortlisted regions can be selected "
                              "(eligible, invited, with a readiness index)")
    bonus = np.zeros(n)
    reserved = []
    for tag in rules.tags:
        mask = codes.isin(tag.regions).to_numpy()
        bonus += np.where(mask, tag.bonus, 0.0)
        if tag.reserved_seats:
            if mask.sum() < tag.reserved_seats:
                raise CohortRuleError(f"tags.{tag.code}: {tag.reserved_seats} reserved seats, but {int(mask.sum())} "
                                      f"candidates carry the tag ({', '.join(sorted(codes[mask])) or 'none'})")
            reserved.append((f"reserved seat: {tag.code}", mask, tag.reserved_seats))
    minimums, maximums = [], []
    needed: dict[str, int] = {}
    for quota in rules.quotas:
        if quota.group not in candidates.columns:
            raise CohortRuleError(f"quotas: {quota.group!r} is not a region attribute "
                                  f"({', '.join(c for c in candidates.columns if c != 'region_code')})")
        column = candidates[quota.group].astype(str)
        values = quota.values or tuple(sorted(column.unique()))
        needed[quota.group] = needed.get(quota.group, 0) + quota.min * len(values)
        for value in values:
            mask = (column == value).to_numpy()
            if quota.min and mask.sum() < quota.min:
                raise CohortRuleError(f"quotas: at least {quota.min} per {quota.group} {value!r}, but {int(mask.sum())} "
                                      "candidates have it; list the values the minimum applies to under `values`")
            if quota.min:
                minimums.append((f"minimum {quota.min} per {quota.group}: {value}", mask, quota.min))
            if quota.max is not None:
                maximums.append((f"maximum {quota.max} per {quota.group}: {value}", mask, quota.max))
        if quota.max is not None:
            room = sum(min(quota.max, int((column == v).sum())) for v in column.unique())
            if room < rules.size:
                raise CohortRuleError(f"quotas: at most {quota.max} per {quota.group} leaves room for {room} of the "
                                      f"{rules.size} seats among these candidates")
    ordered = candidates.reset_index(drop=True).sort_values(
        list(rules.tie_break), ascending=[t == "region_code" for t in rules.tie_break], kind="stable")
    tie = np.empty(n, dtype=int)
    tie[ordered.index.to_numpy()] = np.arange(n)
    for group, wanted in needed.items():
        if wanted > rules.size:
            raise CohortRuleError(f"quotas: the minimums per {group} need {wanted} seats; the cohort has {rules.size}")
    return Seats(rules.size, bonus, tie, reserved, minimums, maximums)


@dataclass
class Selection:
    """Who is selected per replication, how each got its seat, and which maximum kept others out."""

    selected: np.ndarray   # (replications, candidates) bool
    how: np.ndarray        # (replications, candidates) phase number: 0 not selected, 1.. rules, last = open
    blocked: np.ndarray    # (replications, candidates) maximum number + 1 that stopped it in open competition, else 0
    adjusted: np.ndarray   # (replications, candidates) selection score with the tags' bonus


def select(seats: Seats, scores: np.ndarray) -> Selection:
    """Fill reserved seats, then minimums, then open seats in order of score, never past a maximum."""
    reps, n = scores.shape
    adjusted = scores + seats.bonus[None]
    valid = ~np.isnan(adjusted)
    order = np.lexsort((np.broadcast_to(seats.tie, (reps, n)), -np.where(valid, adjusted, -np.inf)), axis=1)
    rows = np.arange(reps)
    selected = np.zeros((reps, n), dtype=bool)
    how = np.zeros((reps, n), dtype=np.int16)
    blocked = np.zeros((reps, n), dtype=np.int16)
    counts = np.zeros((reps, len(seats.maximums)), dtype=int)
    members = np.array([m for _, m, _ in seats.maximums]).reshape(len(seats.maximums), n)
    limits = np.array([k for _, _, k in seats.maximums])
    phases = [*seats.phases, (OPEN, np.ones(n, dtype=bool), seats.size)]
    for number, (rule, mask, wanted) in enumerate(phases, start=1):
        taken = selected.sum(axis=1)
        if number == len(phases):
            need = seats.size - taken
        elif number > len(seats.reserved):  # a minimum counts the seats its group already has
            need = np.maximum(0, wanted - (selected & mask[None]).sum(axis=1))
        else:
            need = np.full(reps, wanted)
        need = np.minimum(need, seats.size - taken)
        for position in range(n):
            if not (need > 0).any():   # every replication has its seats of this phase: the rest take none
                break
            cand = order[:, position]
            open_seat = mask[cand] & valid[rows, cand] & ~selected[rows, cand] & (need > 0)
            if len(limits):
                room = counts < limits[None]
                inside = members[:, cand].T
                within = np.all(room | ~inside, axis=1)
                if number == len(phases):
                    stopped = open_seat & ~within
                    blocked[rows[stopped], cand[stopped]] = np.argmax(inside & ~room, axis=1)[stopped] + 1
            else:
                within = np.ones(reps, dtype=bool)
            take = open_seat & within
            selected[rows[take], cand[take]] = True
            how[rows[take], cand[take]] = number
            need -= take
            if len(limits):
                counts += take[:, None] & members[:, cand].T
        if (need > 0).any():
            raise CohortRuleError(_unfilled(rule, int((need > 0).sum()), reps, phases[:number - 1], seats))
    blocked[selected] = 0
    return Selection(selected, how, blocked, adjusted)


def _unfilled(rule: str, short: int, reps: int, before: list, seats: Seats) -> str:
    where = f"{rule}: cannot be filled" + (f" in {short} of {reps} selections" if reps > 1 else "")
    reasons = [f"the rules before it ({'; '.join(r for r, _, _ in before)}) may take every seat" if before else "",
               f"the maxima ({'; '.join(r for r, _, _ in seats.maximums[:3])}{' ...' if len(seats.maximums) > 3 else ''}) "
               "may leave no room" if seats.maximums else "",
               "or too few candidates qualify"]
    return where + ": " + ", ".join(r for r in reasons if r)


def phase_labels(seats: Seats) -> list[str]:
    """Return the label of each phase number used in Selection.how (index 0: not selected)."""
    return [NOT_SELECTED, *(rule for rule, _, _ in seats.phases), OPEN]


def combine(components: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the selection score: the weighted mean of the components (replications × candidates × components)."""
    return (components * weights[:, None, :]).sum(axis=-1) / weights.sum(axis=-1)[:, None]


def gap_to_cutoff(candidates: pd.DataFrame, selection: Selection, seats: Seats, rules: CohortRules,
                  dimension_weights: pd.Series, dimension_labels: dict[str, str]) -> pd.DataFrame:
    """Return per candidate the cut-off, its gap to it and the smallest rise of one readiness dimension that closes it.

    The selection score is linear in each dimension score (arithmetic means): a dimension with share s of the
    readiness index moves the selection score by (readiness weight / all weights) × s per point.
    """
    adjusted = selection.adjusted[0]
    open_seats = selection.how[0] == len(seats.phases) + 1
    cutoff = float(adjusted[open_seats].min()) if open_seats.any() else float("nan")
    per_point = rules.components["readiness_index"] / sum(rules.components.values()) * dimension_weights / dimension_weights.sum()
    rows = []
    for i, cand in enumerate(candidates.itertuples(index=False)):
        gap = cutoff - adjusted[i]
        best = None
        if not selection.selected[0, i] and not selection.blocked[0, i] and gap >= 0:
            for dim, rate in per_point.items():
                current = getattr(cand, f"dimension_{dim}")
                rise = max(gap, 0.005) / rate  # at least half a hundredth: a tie lost on the tie-break
                if current + rise <= 100 and (best is None or (rise, current) < (best[1], best[2])):
                    best = (dim, rise, current)
        rows.append({"region_code": cand.region_code, "cutoff_score": cutoff, "gap_to_cutoff": gap,
                     "dimension_to_raise": best[0] if best else None,
                     "dimension_rise_points": best[1] if best else None,
                     "what_it_would_take": (f"+{best[1]:.2f} on {dimension_labels[best[0]]} "
                                            f"({best[2]:.1f} → {best[2] + best[1]:.1f})") if best else
                                           ("out of reach through one dimension" if not selection.selected[0, i]
                                            and not selection.blocked[0, i] else None)})
    return pd.DataFrame(rows)
