"""Score step, cohort part: shortlist → candidates → proposed cohort, with rank statistics and sensitivity.

Runs after the indices are published (score.region_*, score.cohort_shortlist). The nominal cohort comes from
the published scores; the Monte Carlo redraws the choices declared under `uncertainty` in screening.yaml,
readiness.yaml and cohort.yaml, chunk by chunk (a `mapper` may send chunks to a Dask cluster).
The readers (candidates, simulation, eligible_ranks) take the warehouse; the cohort tables are pure functions of
those frames and arrays (cohort_tables and the functions it calls); `write` is the one writer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipelines.score import cohort, uncertainty
from pipelines.score.methodology import Methodology
from pipelines.score.uncertainty import Factor, IndexModel

# Replications per chunk handed to the mapper.
CHUNK_ROWS = 2048
# The cohort's own uncertain input, drawn last in the design.
COMPONENT_WEIGHTS = "cohort.component_weights"
Mapper = Callable[[Callable, list], list]
LOGGER = logging.getLogger(__name__)


@dataclass
class CohortSimulation:
    """Everything one chunk of replications needs; plain arrays, so it can be shipped to Dask workers."""

    screening: IndexModel
    readiness: IndexModel
    seats: cohort.Seats
    factors: list[Factor]
    eligible: np.ndarray          # positions in screening.units of the eligible regions
    shortlist_size: int
    screening_of: np.ndarray      # per candidate: its position in screening.units
    readiness_of: np.ndarray      # per candidate: its position in readiness.units
    fixed: np.ndarray             # (candidates, components): the published components; the drawn ones are replaced
    component_weights: np.ndarray  # (alternatives, components)

    def run(self, choices: np.ndarray) -> dict[str, np.ndarray]:
        """Return, per replication of the chunk, the eligible regions' screening ranks and the selection."""
        n_s, n_r = len(self.screening.factors), len(self.readiness.factors)
        screening = uncertainty.simulate(self.screening, choices[:, :n_s])
        readiness = uncertainty.simulate(self.readiness, choices[:, n_s:n_s + n_r])
        eligible_rank = uncertainty.ranks(screening[:, self.eligible], self.screening.decimals,
                                          self.screening.significant_digits)
        components = np.repeat(self.fixed[None], len(choices), axis=0)
        components[..., 0] = screening[:, self.screening_of]
        components[..., 1] = readiness[:, self.readiness_of]
        weights = self.component_weights[choices[:, -1]]
        chosen = cohort.select(self.seats, cohort.combine(components, weights))
        return {"eligible_rank": eligible_rank, "selection_rank": uncertainty.ranks(chosen.adjusted),
                "selected": chosen.selected}


def _serial(function: Callable, chunks: list) -> list:
    return [function(chunk) for chunk in chunks]


def candidates(con: duckdb.DuckDBPyConnection, methodology: Methodology) -> pd.DataFrame:
    """Return the shortlisted regions with their components, dimension scores and tags (score.cohort_shortlist)."""
    dimensions = list(methodology.framework["dimensions"])
    pivot = ", ".join(f"max(dimension_score) FILTER (WHERE dimension = '{d}') AS dimension_{d}" for d in dimensions)
    has_interviews = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'score' "
                                 "AND table_name = 'region_interview'").fetchall()[0][0]
    interview = "i.interview_score" if has_interviews else "CAST(NULL AS DOUBLE) AS interview_score"
    frame = con.sql(f"""
        WITH dims AS (SELECT region_code, {pivot} FROM score.region_dimension GROUP BY region_code)
        SELECT s.region_code, s.region_name, s.province_code, s.province_name, s.island_group, s.region_type,
               s.screening_index, r.readiness_index, r.readiness_status, {interview}, d.* EXCLUDE (region_code)
        FROM score.cohort_shortlist s
        JOIN score.region_ranking r USING (region_code)
        LEFT JOIN dims d USING (region_code)
        {"LEFT JOIN score.region_interview i USING (region_code)" if has_interviews else ""}
        WHERE s.is_shortlisted
        ORDER BY s.region_code""").df()
    return frame


def _components(rules: cohort.CohortRules) -> list[str]:
    return [c for c in cohort.COMPONENTS if rules.components.get(c, 0) > 0]


def _component_matrix(frame: pd.DataFrame, used: list[str]) -> np.ndarray:
    """Return the candidates' components (candidates × COMPONENTS); unused ones are 0, weighed 0."""
    matrix = frame[list(cohort.COMPONENTS)].to_numpy(dtype=float, copy=True)
    matrix[:, [c not in used for c in cohort.COMPONENTS]] = 0.0
    return matrix


def _why_not(frame: pd.DataFrame, used: list[str]) -> pd.Series:
    reasons = pd.Series(None, index=frame.index, dtype="object")
    for component in reversed(used):
        missing = frame[component].isna()
        detail = (frame["readiness_status"] if component == "readiness_index"
                  else pd.Series("none received", index=frame.index))
        reasons[missing] = "not selectable: no " + component.replace("_", " ") + " (" + detail[missing].astype(str) + ")"
    return reasons


def _component_weights(rules: cohort.CohortRules, used: list[str], rng: np.random.Generator) -> tuple[Factor, np.ndarray]:
    nominal = np.array([rules.components.get(c, 0.0) if c in used else 0.0 for c in cohort.COMPONENTS])
    noise = rules.uncertainty["component_noise_pct"] / 100
    draws = np.tile(nominal, (rules.uncertainty["component_draws"], 1))
    draws *= 1 + rng.uniform(-noise, noise, draws.shape)
    factor = Factor(COMPONENT_WEIGHTS, "weights", tuple(f"draw {i + 1}" for i in range(len(draws))), weights=draws)
    return factor, nominal


def monte_carlo_factors(methodology: Methodology) -> pd.DataFrame:
    """Return methodology.monte_carlo_factor: one row per uncertain input of the cohort Monte Carlo × alternative it
    draws from, inputs in the design's order (`position`); a weight noise is one row with its ±% and what it varies.
    """
    rows = []

    def add(index_code: str, factor: str, kind: str, choices: list, noise_pct: float | None = None,
            varied: str | None = None, alternatives: int | None = None) -> None:
        position = len({r["factor"] for r in rows}) + 1
        for i, choice in enumerate(choices, start=1):
            rows.append({"position": position, "index_code": index_code, "factor": factor, "kind": kind,
                         "alternatives": alternatives or len(choices), "alternative_position": i if choice else None,
                         "alternative": choice, "noise_pct": noise_pct, "noise_varies": varied})

    for method in methodology.indices:
        for factor in uncertainty.stage_factors(method):
            add(method.code, factor.name, factor.kind, list(factor.labels))
        weights = method.uncertainty.get("weights")
        if weights and "sets" in weights:
            add(method.code, f"{method.code}.weights", "weights", list(weights["sets"]))
        elif weights:
            add(method.code, f"{method.code}.weights", "weights", [None], weights["noise_pct"],
                ", ".join(method.doc["uncertainty"]["weights"]["levels"]), weights["draws"])
        removal = uncertainty.removal_factor(method)
        if removal is not None:
            add(method.code, removal.name, removal.kind, list(removal.labels))
    rules = methodology.cohort
    add("cohort", COMPONENT_WEIGHTS, "weights", [None], float(rules.uncertainty["component_noise_pct"]),
        ", ".join(_components(rules)), int(rules.uncertainty["component_draws"]))
    return pd.DataFrame(rows).astype({"alternative_position": "Int64", "alternative": "object", "noise_pct": "float64",
                                      "noise_varies": "object"})


def monte_carlo_design(methodology: Methodology, run_settings: dict) -> pd.DataFrame:
    """Return methodology.monte_carlo: one row with the cohort Monte Carlo's design (cohort.yaml `uncertainty`: seed,
    Sobol base samples, the replications they give, the flag band) and where it runs (config/run.yaml `monte_carlo`).
    """
    settings = methodology.cohort.uncertainty
    factors = monte_carlo_factors(methodology)["factor"].nunique()
    low, high = settings["flag_probability_pct"]
    return pd.DataFrame([{
        "seed": int(settings["seed"]), "base_samples": int(settings["base_samples"]), "factors": int(factors),
        "replications": uncertainty.design_size(int(factors), int(settings["base_samples"])),
        "flag_probability_low_pct": float(low), "flag_probability_high_pct": float(high),
        "executor": run_settings.get("executor"), "dask_workers": run_settings.get("dask_workers")}]).astype(
        {"executor": "object", "dask_workers": "Int64"})


def simulation(con: duckdb.DuckDBPyConnection, methodology: Methodology, frame: pd.DataFrame,
               seats: cohort.Seats) -> tuple[CohortSimulation, np.ndarray]:
    """Return the Monte Carlo set-up (the engine run once per drawn method combination) and the nominal weights."""
    rules = methodology.cohort
    seed = int(rules.uncertainty["seed"])
    models = []
    for offset, method in enumerate(methodology.indices):
        inputs = method.doc["inputs"]
        models.append(uncertainty.index_model(con, method, inputs["units"], inputs["values"], inputs.get("indicators"),
                                              seed=seed + offset + 1))
    screening, readiness = models
    used = _components(rules)
    weights_factor, nominal = _component_weights(rules, used, np.random.default_rng(seed))
    eligible_codes = [r[0] for r in con.execute("SELECT region_code FROM score.cohort_shortlist WHERE is_eligible").fetchall()]
    position_s = {u: i for i, u in enumerate(screening.units)}
    position_r = {u: i for i, u in enumerate(readiness.units)}
    shortlist_size = int(con.execute("SELECT count(*) FROM score.cohort_shortlist WHERE is_shortlisted").fetchall()[0][0])
    sim = CohortSimulation(
        screening=screening, readiness=readiness, seats=seats,
        factors=[*screening.factors, *readiness.factors, weights_factor],
        eligible=np.array([position_s[c] for c in eligible_codes]), shortlist_size=shortlist_size,
        screening_of=np.array([position_s[c] for c in frame["region_code"]]),
        readiness_of=np.array([position_r.get(c, 0) for c in frame["region_code"]]),
        fixed=_component_matrix(frame, used),
        component_weights=weights_factor.weights)
    return sim, nominal


def _binding(frame: pd.DataFrame, chosen: cohort.Selection, seats: cohort.Seats) -> tuple[pd.Series, pd.Series]:
    labels = cohort.phase_labels(seats)
    how = pd.Series([labels[h] for h in chosen.how[0]], index=frame.index)
    blocked = chosen.blocked[0]
    maxima = [rule for rule, _, _ in seats.maximums]
    how[blocked > 0] = ["kept out: " + maxima[b - 1] + " reached" for b in blocked[blocked > 0]]
    binding = how.where(~how.isin([cohort.OPEN, cohort.NOT_SELECTED]))
    return how, binding.str.replace("kept out: ", "", regex=False)


def eligible_ranks(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """Return the eligible regions' nominal rank among the eligible (score.cohort_shortlist), by region code."""
    return con.sql("SELECT region_code, eligible_rank FROM score.cohort_shortlist WHERE is_eligible").df() \
        .set_index("region_code")["eligible_rank"]


@dataclass
class Pool:
    """The shortlisted candidates, those that have every component the selection weighs, and why the others do not."""

    candidates: pd.DataFrame    # candidates(): one row per shortlisted region
    selectable: pd.DataFrame    # the candidates that can be selected, renumbered from 0
    reasons: pd.Series          # per candidate: why it cannot be selected, None when it can


def candidate_pool(frame: pd.DataFrame, rules: cohort.CohortRules) -> Pool:
    """Return the candidates `frame` split into those that can be selected and, with the reason, those that cannot."""
    reasons = _why_not(frame, _components(rules))
    return Pool(candidates=frame, selectable=frame[reasons.isna()].reset_index(drop=True), reasons=reasons)


@dataclass
class NominalCohort:
    """The cohort chosen with the published components and the nominal weights, per selectable candidate."""

    chosen: cohort.Selection
    rank: np.ndarray        # selection rank (1 = highest adjusted score)
    how: pd.Series          # how it got its seat, or why it did not
    binding: pd.Series      # the rule that decided it, where one did
    gaps: pd.DataFrame      # cohort.gap_to_cutoff: the cut-off, the gap to it and what would close it


def nominal_cohort(selectable: pd.DataFrame, seats: cohort.Seats, rules: cohort.CohortRules, weights: np.ndarray,
                   dimensions: pd.DataFrame) -> NominalCohort:
    """Return the cohort chosen from `selectable` with the component `weights` (over cohort.COMPONENTS);
    `dimensions` (node_code → weight, label_en) are the readiness dimensions a gap to the cut-off can be closed on.
    """
    chosen = cohort.select(seats, cohort.combine(_component_matrix(selectable, _components(rules))[None], weights[None]))
    how, binding = _binding(selectable, chosen, seats)
    gaps = cohort.gap_to_cutoff(selectable, chosen, seats, rules, dimensions["weight"], dimensions["label_en"].to_dict())
    return NominalCohort(chosen=chosen, rank=uncertainty.ranks(chosen.adjusted)[0], how=how, binding=binding, gaps=gaps)


def replications(sim: CohortSimulation, rules: cohort.CohortRules, mapper: Mapper = _serial) -> dict[str, np.ndarray]:
    """Return what each replication of the drawn method choices gave (sim.run's arrays, one row per replication),
    the design's chunks of replications mapped with `mapper`.
    """
    drawn = uncertainty.design(sim.factors, int(rules.uncertainty["base_samples"]), int(rules.uncertainty["seed"]))
    chunks = [drawn[i:i + CHUNK_ROWS] for i in range(0, len(drawn), CHUNK_ROWS)]
    parts = mapper(sim.run, chunks)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def cohort_rank_statistics(eligible_rank: pd.Series, shortlist_size: int, selection_rank: pd.Series,
                           replicated: dict[str, np.ndarray], flag_probability_pct: tuple[float, float]) -> pd.DataFrame:
    """Return score.cohort_rank_statistics: per stage (shortlist, selection) × region, the nominal rank, its spread over
    the replications, the probability of being shortlisted or selected, and whether that is unsure (is_flagged).

    `eligible_rank` and `selection_rank` are the nominal ranks by region code, in the order of the columns of
    replicated["eligible_rank"] and of replicated["selection_rank"] and ["selected"].
    """
    stats = pd.concat([
        uncertainty.rank_statistics(list(eligible_rank.index), eligible_rank.to_numpy(dtype=float),
                                    replicated["eligible_rank"]).assign(
            stage="shortlist", probability_pct=100 * (replicated["eligible_rank"] <= shortlist_size).mean(axis=0)),
        uncertainty.rank_statistics(list(selection_rank.index), selection_rank.to_numpy(),
                                    replicated["selection_rank"]).assign(
            stage="selection", probability_pct=100 * replicated["selected"].mean(axis=0)),
    ], ignore_index=True).rename(columns={"unit_code": "region_code"})
    low, high = flag_probability_pct
    stats["is_flagged"] = stats["probability_pct"].between(low, high, inclusive="neither")
    return stats


def cohort_sensitivity(factors: list[Factor], selection_rank: np.ndarray, selected: np.ndarray,
                       replicated: dict[str, np.ndarray], seed: int) -> pd.DataFrame:
    """Return score.cohort_sensitivity: the Sobol indices of each uncertain input for the mean absolute rank shift and
    for the number of regions that change (cohort_changes), against the nominal ranks and selection.
    """
    outputs = {"mean_absolute_rank_shift": uncertainty.mean_absolute_rank_shift(selection_rank, replicated["selection_rank"]),
               "cohort_changes": (replicated["selected"] & ~selected[None]).sum(axis=1).astype(float)}
    return pd.concat([uncertainty.sensitivity(factors, y, seed=seed).assign(output=name) for name, y in outputs.items()],
                     ignore_index=True)


def cohort_selection(pool: Pool, seats: cohort.Seats, nominal: NominalCohort, stats: pd.DataFrame,
                     rules: cohort.CohortRules) -> pd.DataFrame:
    """Return score.cohort_selection: one row per candidate (by region_code) with its selection score, rank, status
    and how it was selected, its gap to the cut-off and its spread over the replications (from `stats`).
    """
    chosen, selectable = nominal.chosen, pool.selectable
    picked = stats[stats["stage"] == "selection"].set_index("region_code")
    result = pool.candidates.assign(selection_status=pool.reasons).merge(
        selectable[["region_code"]].assign(
            bonus_points=seats.bonus, selection_score=chosen.adjusted[0] - seats.bonus, adjusted_score=chosen.adjusted[0],
            selection_rank=nominal.rank, is_selected=chosen.selected[0], how_selected=nominal.how.to_numpy(),
            binding_rule=nominal.binding.to_numpy(),
            tags=[", ".join(t.code for t in rules.tags if c in t.regions) or None for c in selectable["region_code"]]),
        on="region_code", how="left").merge(nominal.gaps, on="region_code", how="left")
    result["is_selected"] = result["is_selected"].fillna(False).astype(bool)
    outcome = result["how_selected"].astype(str).where(~result["is_selected"], "selected: " + result["how_selected"].astype(str))
    result["selection_status"] = result["selection_status"].fillna(outcome)
    result = result.join(picked[["median_rank", "q05_rank", "q95_rank", "probability_pct", "is_flagged"]]
                         .rename(columns={"probability_pct": "selection_probability_pct"}), on="region_code")
    result["is_flagged"] = result["is_flagged"].fillna(False).astype(bool)
    return result.drop(columns=["readiness_status"])


def cohort_run(rules: cohort.CohortRules, pool: Pool, selection: pd.DataFrame, sim: CohortSimulation,
               nominal: NominalCohort, replicated: dict[str, np.ndarray]) -> pd.DataFrame:
    """Return score.cohort_run: one row describing the selection (size, candidates, replications, seed, uncertain
    inputs, engine runs, cut-off, how stable it is); no wall-clock time, so equal inputs give an equal table.
    """
    return pd.DataFrame([{
        "cohort": rules.doc.get("cohort"), "size": rules.size, "candidates": len(pool.candidates),
        "selectable": len(pool.selectable),
        "replications": len(replicated["selected"]), "base_samples": int(rules.uncertainty["base_samples"]),
        "seed": int(rules.uncertainty["seed"]), "factors": ", ".join(f"{f.name} ({f.size})" for f in sim.factors),
        "engine_variants": len(sim.screening.variants) + len(sim.readiness.variants),
        "cutoff_score": nominal.gaps["cutoff_score"].iloc[0] if len(nominal.gaps) else None,
        "selected_in_every_replication": int((replicated["selected"].mean(axis=0) == 1).sum()),
        "flagged": int(selection["is_flagged"].sum())}])


def cohort_tables(pool: Pool, methodology: Methodology, seats: cohort.Seats, sim: CohortSimulation,
                  nominal_weights: np.ndarray, eligible_rank: pd.Series,
                  mapper: Mapper = _serial) -> dict[str, pd.DataFrame]:
    """Return the cohort tables by name (cohort_selection, cohort_rank_statistics, cohort_sensitivity, cohort_run)
    from the candidates, their seats, the Monte Carlo set-up and the eligible regions' nominal ranks.
    """
    rules = methodology.cohort
    dimensions = methodology.readiness.nodes.set_index("node_code").loc[list(methodology.framework["dimensions"])]
    nominal = nominal_cohort(pool.selectable, seats, rules, nominal_weights, dimensions)
    replicated = replications(sim, rules, mapper)
    eligible = eligible_rank.reindex([sim.screening.units[i] for i in sim.eligible])
    stats = cohort_rank_statistics(eligible, sim.shortlist_size,
                                   pd.Series(nominal.rank, index=pool.selectable["region_code"]), replicated,
                                   tuple(rules.uncertainty["flag_probability_pct"]))
    sensitivity = cohort_sensitivity(sim.factors, nominal.rank, nominal.chosen.selected[0], replicated,
                                     int(rules.uncertainty["seed"]))
    selection = cohort_selection(pool, seats, nominal, stats, rules)
    return {"cohort_selection": selection, "cohort_rank_statistics": stats, "cohort_sensitivity": sensitivity,
            "cohort_run": cohort_run(rules, pool, selection, sim, nominal, replicated)}


def write(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Replace score.<name> with each frame of `tables` (stamped with methodology.run's hashes) and the
    score.cohort_proposed they give; return the rows written per table.
    """
    rows = {}
    for name, table in tables.items():
        con.register("incoming", table)
        con.execute(f"CREATE OR REPLACE TABLE score.{name} AS SELECT i.*, run.methodology_hash, run.inputs_hash "
                    "FROM incoming i CROSS JOIN methodology.run run")
        con.unregister("incoming")
        rows[name] = len(table)
    con.execute("""CREATE OR REPLACE TABLE score.cohort_proposed AS
                   SELECT region_code, region_name, province_name, island_group, selection_rank, adjusted_score,
                          how_selected, selection_probability_pct, q05_rank, median_rank, q95_rank, is_flagged,
                          methodology_hash, inputs_hash
                   FROM score.cohort_selection WHERE is_selected ORDER BY selection_rank, region_code""")
    rows["cohort_proposed"] = int(tables["cohort_selection"]["is_selected"].sum())
    return rows


def run(con: duckdb.DuckDBPyConnection, methodology: Methodology, mapper: Mapper = _serial) -> dict[str, int]:
    """Build score.cohort_selection, cohort_proposed, cohort_rank_statistics, cohort_sensitivity and cohort_run
    (stamped with methodology.run's hashes)."""
    started = time.perf_counter()
    pool = candidate_pool(candidates(con, methodology), methodology.cohort)
    seats = cohort.compile_rules(methodology.cohort, pool.selectable)
    sim, nominal_weights = simulation(con, methodology, pool.selectable, seats)
    tables = cohort_tables(pool, methodology, seats, sim, nominal_weights, eligible_ranks(con), mapper)
    rows = write(con, tables)
    # The time is the run's, not the data's: logged, never written into a table.
    LOGGER.info("cohort: %d replications over %d selectable regions in %.1f s", tables["cohort_run"]["replications"][0],
                len(pool.selectable), time.perf_counter() - started)
    return rows
