"""Score step, cohort part: shortlist → candidates → proposed cohort, with rank statistics and sensitivity.

Runs after the indices are published (score.region_*, score.cohort_shortlist). The nominal cohort comes from
the published scores; the Monte Carlo redraws the choices declared under `uncertainty` in screening.yaml,
readiness.yaml and cohort.yaml, chunk by chunk (a `mapper` may send chunks to a Dask cluster).
"""

from __future__ import annotations

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
Mapper = Callable[[Callable, list], list]


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
        eligible_rank = uncertainty.ranks(screening[:, self.eligible], self.screening.decimals)
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
    factor = Factor("cohort.component_weights", "weights", tuple(f"draw {i + 1}" for i in range(len(draws))), weights=draws)
    return factor, nominal


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


def run(con: duckdb.DuckDBPyConnection, methodology: Methodology, inputs_hash: str,
        mapper: Mapper = _serial) -> dict[str, int]:
    """Build score.cohort_selection, cohort_proposed, cohort_rank_statistics, cohort_sensitivity and cohort_run."""
    started = time.perf_counter()
    rules = methodology.cohort
    frame = candidates(con, methodology)
    used = _components(rules)
    reason = _why_not(frame, used)
    selectable = frame[reason.isna()].reset_index(drop=True)
    seats = cohort.compile_rules(rules, selectable)
    sim, nominal_weights = simulation(con, methodology, selectable, seats)

    chosen = cohort.select(seats, cohort.combine(_component_matrix(selectable, used)[None], nominal_weights[None]))
    how, binding = _binding(selectable, chosen, seats)
    dimensions = methodology.readiness.nodes.set_index("node_code")
    dimension_codes = list(methodology.framework["dimensions"])
    gaps = cohort.gap_to_cutoff(selectable, chosen, seats, rules, dimensions.loc[dimension_codes, "weight"],
                                dimensions.loc[dimension_codes, "label_en"].to_dict())

    drawn = uncertainty.design(sim.factors, int(rules.uncertainty["base_samples"]), int(rules.uncertainty["seed"]))
    chunks = [drawn[i:i + CHUNK_ROWS] for i in range(0, len(drawn), CHUNK_ROWS)]
    parts = mapper(sim.run, chunks)
    replicated = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    selection_nominal = uncertainty.ranks(chosen.adjusted)[0]
    eligible_codes = [sim.screening.units[i] for i in sim.eligible]
    eligible_nominal = con.sql("SELECT region_code, eligible_rank FROM score.cohort_shortlist WHERE is_eligible").df() \
        .set_index("region_code")["eligible_rank"].reindex(eligible_codes).to_numpy(dtype=float)
    stats = pd.concat([
        uncertainty.rank_statistics(eligible_codes, eligible_nominal, replicated["eligible_rank"]).assign(
            stage="shortlist", probability_pct=100 * (replicated["eligible_rank"] <= sim.shortlist_size).mean(axis=0)),
        uncertainty.rank_statistics(list(selectable["region_code"]), selection_nominal, replicated["selection_rank"]).assign(
            stage="selection", probability_pct=100 * replicated["selected"].mean(axis=0)),
    ], ignore_index=True).rename(columns={"unit_code": "region_code"})
    low, high = rules.uncertainty["flag_probability_pct"]
    stats["is_flagged"] = stats["probability_pct"].between(low, high, inclusive="neither")

    selected_nominal = chosen.selected[0]
    outputs = {"mean_absolute_rank_shift": uncertainty.mean_absolute_rank_shift(selection_nominal, replicated["selection_rank"]),
               "cohort_changes": (replicated["selected"] & ~selected_nominal[None]).sum(axis=1).astype(float)}
    sensitivity = pd.concat([uncertainty.sensitivity(sim.factors, y, seed=int(rules.uncertainty["seed"])).assign(output=name)
                             for name, y in outputs.items()], ignore_index=True)

    picked = stats[stats["stage"] == "selection"].set_index("region_code")
    result = frame.assign(selection_status=reason).merge(
        selectable[["region_code"]].assign(
            bonus_points=seats.bonus, selection_score=chosen.adjusted[0] - seats.bonus, adjusted_score=chosen.adjusted[0],
            selection_rank=selection_nominal, is_selected=selected_nominal, how_selected=how.to_numpy(),
            binding_rule=binding.to_numpy(),
            tags=[", ".join(t.code for t in rules.tags if c in t.regions) or None for c in selectable["region_code"]]),
        on="region_code", how="left").merge(gaps, on="region_code", how="left")
    result["is_selected"] = result["is_selected"].fillna(False).astype(bool)
    outcome = result["how_selected"].astype(str).where(~result["is_selected"], "selected: " + result["how_selected"].astype(str))
    result["selection_status"] = result["selection_status"].fillna(outcome)
    result = result.join(picked[["median_rank", "q05_rank", "q95_rank", "probability_pct", "is_flagged"]]
                         .rename(columns={"probability_pct": "selection_probability_pct"}), on="region_code")
    result["is_flagged"] = result["is_flagged"].fillna(False).astype(bool)
    seconds = time.perf_counter() - started
    run_row = pd.DataFrame([{
        "cohort": rules.doc.get("cohort"), "size": rules.size, "candidates": len(frame), "selectable": len(selectable),
        "replications": len(drawn), "base_samples": int(rules.uncertainty["base_samples"]),
        "seed": int(rules.uncertainty["seed"]), "factors": ", ".join(f"{f.name} ({f.size})" for f in sim.factors),
        "engine_variants": len(sim.screening.variants) + len(sim.readiness.variants), "seconds": seconds,
        "cutoff_score": gaps["cutoff_score"].iloc[0] if len(gaps) else None,
        "selected_in_every_replication": int((replicated["selected"].mean(axis=0) == 1).sum()),
        "flagged": int(result["is_flagged"].sum())}])
    tables = {"cohort_selection": result.drop(columns=["readiness_status"]), "cohort_rank_statistics": stats,
              "cohort_sensitivity": sensitivity, "cohort_run": run_row}
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
    rows["cohort_proposed"] = int(selected_nominal.sum())
    return rows
