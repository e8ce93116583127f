"""Monte Carlo uncertainty and Sobol sensitivity of composite indices, vectorised over replications.

The engine (DuckDB) computes the indicators' scores once per combination of the drawn imputation, outlier
and normalisation methods (a handful of variants); every replication then only re-aggregates them with
its drawn weights and mean, in NumPy, many replications at a time. The design is SALib's Sobol sample,
so the same replications give the rank statistics and the sensitivity indices.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy.stats import rankdata

from pipelines.score import engine
from pipelines.score.index_method import IndexMethodology

# Stages the engine recomputes per alternative; aggregation and weights vary per replication in NumPy.
ENGINE_STAGES = ("imputation", "outliers", "normalisation")
# Replications aggregated at once: bounds memory to about chunk × units × children × 8 bytes per level.
CHUNK = 256


class UncertaintyError(ValueError):
    """A drawn combination of methods the indices cannot be computed with; the message names it."""


@dataclass(frozen=True)
class Factor:
    """One uncertain input: its name (`index.stage`), its kind and a label per alternative (kind "removal": `none`,
    then the code of the node each other alternative removes)."""

    name: str
    kind: str
    labels: tuple[str, ...]
    methods: tuple[dict, ...] = ()  # the resolved methods drawn from, for the stages
    weights: np.ndarray | None = field(default=None, compare=False)  # (alternatives, nodes) for kind "weights"

    @property
    def size(self) -> int:
        """Return the number of alternatives drawn from."""
        return len(self.labels)


@dataclass
class Level:
    """One height of the tree: its parents, their children and which child belongs to which parent."""

    parents: np.ndarray
    children: np.ndarray
    incidence: np.ndarray  # (children, parents) 0/1


@dataclass
class IndexModel:
    """What a replication needs of one index: the tree, nominal settings and the indicators' score variants."""

    code: str
    units: list[str]
    nodes: list[str]
    leaves: np.ndarray
    levels: list[Level]
    weights: np.ndarray
    methods: np.ndarray
    p: np.ndarray
    min_availability_pct: np.ndarray
    decimals: int | None
    significant_digits: int | None
    factors: list[Factor]
    variants: dict[tuple, tuple[np.ndarray, np.ndarray]]  # key → (scores, applicable), both (units, leaves)

    @property
    def root(self) -> int:
        """Return the position of the index among the nodes."""
        return len(self.nodes) - 1


def _label(resolved: dict) -> str:
    params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in resolved.items()
                       if k != "method" and v is not None)
    return f"{resolved['method']} ({params})" if params else resolved["method"]


def _variant_keys(method: IndexMethodology) -> list[tuple]:
    stages = [s for s in ENGINE_STAGES if s in method.uncertainty]
    return list(itertools.product(*(range(len(method.uncertainty[s])) for s in stages)))


def _weight_factor(method: IndexMethodology, nodes: pd.DataFrame, rng: np.random.Generator) -> Factor:
    spec = method.uncertainty["weights"]
    nominal = nodes["weight"].to_numpy(dtype=float)
    name = f"{method.code}.weights"
    if "sets" in spec:
        rows = []
        for weights in spec["sets"].values():
            rows.append(np.ones_like(nominal) if weights == "equal"
                        else np.array([float(weights.get(code, w)) for code, w in zip(nodes["node_code"], nominal)]))
        return Factor(name, "weights", tuple(spec["sets"]), weights=np.vstack(rows))
    noise = spec["noise_pct"] / 100
    perturbed = nodes["height"].isin(spec["heights"]).to_numpy()
    draws = np.tile(nominal, (spec["draws"], 1))
    draws[:, perturbed] *= 1 + rng.uniform(-noise, noise, (spec["draws"], int(perturbed.sum())))
    return Factor(name, "weights", tuple(f"draw {i + 1}" for i in range(spec["draws"])), weights=draws)


def stage_factors(method: IndexMethodology) -> list[Factor]:
    """Return the factors of the methods an index's Monte Carlo draws (imputation, outliers, normalisation,
    aggregation), in the design's order; its weights, when they vary, come after them."""
    return [Factor(f"{method.code}.{stage}", stage, tuple(_label(m) for m in method.uncertainty[stage]),
                   tuple(method.uncertainty[stage]))
            for stage in (*ENGINE_STAGES, "aggregation") if stage in method.uncertainty]


def removal_factor(method: IndexMethodology) -> Factor | None:
    """Return the factor that drops one node of the `uncertainty.remove` levels per replication (or none of them),
    each alternative with equal probability, as COINr's excluded-indicator uncertainty; None when not declared."""
    heights = method.removal_heights(drawn=True)
    if not heights:
        return None
    nodes = method.nodes[method.nodes["height"].isin(heights)].sort_values(["height", "position"])
    return Factor(f"{method.code}.removal", "removal", ("none", *nodes["node_code"]))


def index_model(con: duckdb.DuckDBPyConnection, method: IndexMethodology, units: str, values: str,
                indicators: str | None = None, seed: int = 0) -> IndexModel:
    """Run the engine once per drawn combination of imputation, outlier and normalisation methods.

    Weights derived from the data (weighting pca or optimised) are derived once, on the nominal methods, and then
    drawn like declared weights."""
    stages = [s for s in ENGINE_STAGES if s in method.uncertainty]
    variants: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    unit_codes: list[str] | None = None
    for key in [(), *(_variant_keys(method) if stages else [])]:
        overrides = {s: method.uncertainty[s][i] for s, i in zip(stages, key)}
        engine.build_indicators(con, method, units, values, indicators, overrides, prepared=unit_codes is not None)
        if unit_codes is None:
            if (method.nodes["weighting_method"] != "nominal").any():
                # Weights derived from the data are those of the nominal run: aggregating derives them in eng_node.
                engine.aggregate(con)
            nodes = con.sql("""SELECT node_code, parent_code, height, weight, min_availability_pct, aggregation_method,
                                      coalesce(aggregation_p, 1) AS aggregation_p, is_indicator
                               FROM eng_node ORDER BY is_indicator DESC, height, position""").df()
            unit_codes = [r[0] for r in con.execute("SELECT unit_code FROM eng_scope WHERE is_scored ORDER BY unit_code").fetchall()]
            leaf_codes = nodes.loc[nodes["is_indicator"], "node_code"].tolist()
        leaf = con.sql("SELECT unit_code, node_code, score, NOT is_absent AS applicable FROM eng_score WHERE height = 1").df()
        grid = leaf.pivot(index="unit_code", columns="node_code").reindex(index=unit_codes)
        variants[key] = (grid["score"].reindex(columns=leaf_codes).to_numpy(dtype=float),
                         grid["applicable"].reindex(columns=leaf_codes).fillna(False).to_numpy(dtype=bool))
    position = {code: i for i, code in enumerate(nodes["node_code"])}
    levels = []
    for height in sorted(nodes.loc[~nodes["is_indicator"], "height"].unique()):
        parents = np.flatnonzero(nodes["height"].to_numpy() == height)
        parents = parents[~nodes["is_indicator"].to_numpy()[parents]]
        parent_codes = set(nodes["node_code"].iloc[parents])
        children = np.flatnonzero(nodes["parent_code"].isin(parent_codes).to_numpy())
        incidence = np.zeros((len(children), len(parents)))
        column = {p: j for j, p in enumerate(parents)}
        for i, child in enumerate(children):
            incidence[i, column[position[nodes["parent_code"].iloc[child]]]] = 1.0
        levels.append(Level(parents, children, incidence))
    rng = np.random.default_rng(seed)
    factors = stage_factors(method)
    if "weights" in method.uncertainty:
        factors.append(_weight_factor(method, nodes, rng))
    removal = removal_factor(method)
    if removal is not None:
        factors.append(removal)
    return IndexModel(code=method.code, units=unit_codes, nodes=nodes["node_code"].tolist(),
                      leaves=np.flatnonzero(nodes["is_indicator"].to_numpy()), levels=levels,
                      weights=nodes["weight"].to_numpy(dtype=float), methods=nodes["aggregation_method"].to_numpy(dtype=object),
                      p=nodes["aggregation_p"].to_numpy(dtype=float),
                      min_availability_pct=nodes["min_availability_pct"].to_numpy(dtype=float),
                      decimals=method.setting("ranking", "decimals"),
                      significant_digits=method.setting("ranking", "significant_digits"),
                      factors=factors, variants=variants)


def _mean(method: str, p: float, values: np.ndarray, inverse: bool = False) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "arithmetic":
            return values
        if method == "geometric":
            return np.exp(values) if inverse else np.log(values)
        if method == "harmonic":
            return 1.0 / values
        if method == "generalised":
            return np.power(values, 1.0 / p) if inverse else np.power(values, p)
    raise UncertaintyError(f"the {method} mean cannot be computed per replication")


def _sum_by_parent(values: np.ndarray, incidence: np.ndarray) -> np.ndarray:
    """Return the sums of `values` over its first axis (children) per parent of `incidence` (children × parents, 0/1):
    one matrix product over whole replications × units planes."""
    return (incidence.T @ values.reshape(len(values), -1)).reshape(incidence.shape[1], *values.shape[1:])


def aggregate(model: IndexModel, scores: np.ndarray, applicable: np.ndarray, weights: np.ndarray,
              methods: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Return the index score of every unit (replications × units) from the indicators' scores, as the engine does.

    weights is (replications, nodes); methods and p give each aggregate's mean. Missing children drop out with their
    weight while the node's minimum availability is met; structurally absent children count for nothing. A level's
    arrays are children × replications × units: weighting a child then scales a contiguous plane, and summing the
    children per parent is one matrix product.
    """
    reps, n = weights.shape[0], scores.shape[0]
    value: dict[int, np.ndarray] = {int(leaf): scores[None, :, i] for i, leaf in enumerate(model.leaves)}
    applies: dict[int, np.ndarray] = {int(leaf): applicable[:, i] for i, leaf in enumerate(model.leaves)}
    for level in model.levels:
        # Leaves (and aggregates whose weights did not vary) have one row; the others one per replication.
        rows = max(value[int(c)].shape[0] for c in level.children)
        child_values = np.stack([np.broadcast_to(value[int(c)], (rows, n)) for c in level.children])
        child_applies = np.stack([applies[int(c)] for c in level.children]).astype(float)
        w = weights[:, level.children].T
        if child_values.shape[1] == 1 and np.all(w == w[:, :1]):
            w = w[:, :1]  # the same for every replication: compute once
        present = ~np.isnan(child_values)
        parent_applies = level.incidence.T @ child_applies > 0
        for method, power in sorted(set(zip(methods[level.parents], p[level.parents]))):
            columns = np.flatnonzero((methods[level.parents] == method) & (p[level.parents] == power))
            parents = level.parents[columns]
            # A child value the mean cannot take leaves the parent unscored for that unit, as in the engine.
            if method in ("geometric", "harmonic") or (method == "generalised" and power < 0):
                bad = present & (child_values <= 0)
            else:
                bad = present & (child_values < 0) & (method == "generalised")
            terms = np.where(present, _mean(method, power, child_values), 0.0)
            ww = w[:, :, None]
            incidence = level.incidence[:, columns]
            numerator = _sum_by_parent(terms * ww, incidence)
            weight_present = _sum_by_parent(present * ww, incidence)
            weight_applicable = _sum_by_parent(child_applies[:, None, :] * ww, incidence)
            with np.errstate(divide="ignore", invalid="ignore"):
                availability = 100.0 * weight_present / weight_applicable
                mean = _mean(method, power, numerator / weight_present, inverse=True)
            # 1e-9: the engine compares the same ratio computed in another order
            ok = (weight_present > 0) & (availability >= model.min_availability_pct[parents][:, None, None] - 1e-9)
            ok &= _sum_by_parent(bad.astype(float), incidence) == 0
            result = np.where(ok, mean, np.nan)
            for j, parent in enumerate(parents):
                value[int(parent)] = result[j]
                applies[int(parent)] = parent_applies[columns[j]]
    root = value[model.root]
    return np.broadcast_to(root, (reps, n)).copy()


def nominal_scores(model: IndexModel) -> np.ndarray:
    """Return the index score of every unit with the methodology's own choices (units,)."""
    scores, applicable = model.variants[()]
    return aggregate(model, scores, applicable, model.weights[None], model.methods, model.p)[0]


def simulate(model: IndexModel, choices: np.ndarray) -> np.ndarray:
    """Return index scores (replications × units) for the drawn alternative of each of the model's factors."""
    reps = choices.shape[0]
    out = np.full((reps, len(model.units)), np.nan)
    kinds = [f.kind for f in model.factors]
    stage_columns = [i for i, k in enumerate(kinds) if k in ENGINE_STAGES]
    aggregation = kinds.index("aggregation") if "aggregation" in kinds else None
    weighting = kinds.index("weights") if "weights" in kinds else None
    removal = kinds.index("removal") if "removal" in kinds else None
    if removal is not None:
        removed = np.array([-1, *(model.nodes.index(code) for code in model.factors[removal].labels[1:])])
    group_columns = stage_columns + ([aggregation] if aggregation is not None else [])
    groups = np.unique(choices[:, group_columns], axis=0) if group_columns else np.zeros((1, 0), dtype=int)
    for group in groups:
        rows = np.flatnonzero(np.all(choices[:, group_columns] == group, axis=1)) if group_columns else np.arange(reps)
        scores, applicable = model.variants[tuple(int(g) for g in group[:len(stage_columns)])]
        methods, power = model.methods, model.p
        if aggregation is not None:
            drawn = model.factors[aggregation].methods[int(group[-1])]
            is_aggregate = np.arange(len(model.nodes)) >= len(model.leaves)
            methods = np.where(is_aggregate, drawn["method"], model.methods)
            power = np.where(is_aggregate, float(drawn.get("p") or 1.0), model.p)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            weights = (model.factors[weighting].weights[choices[chunk, weighting]] if weighting is not None
                       else model.weights[None].repeat(len(chunk), axis=0))
            if removal is not None:
                # The drawn node gets weight 0, as in the engine's remove_elements; alternative 0 removes nothing.
                drawn = choices[chunk, removal]
                weights[np.flatnonzero(drawn > 0), removed[drawn[drawn > 0]]] = 0.0
            out[chunk] = aggregate(model, scores, applicable, weights, methods, power)
    return out


def ranks(scores: np.ndarray, decimals: int | None = None, significant_digits: int | None = None) -> np.ndarray:
    """Return ranks per row (1 = highest score, ties share the best rank, missing scores have none), of the scores
    rounded as the engine ranks them (ranking.decimals or ranking.significant_digits)."""
    if decimals is not None:
        scores = np.round(scores, decimals)
    elif significant_digits is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            # The engine's round_significant: 10^(digits - 1 - floor(log10 |x|)) steps per unit; 0 stays 0.
            step = 10.0 ** (significant_digits - 1 - np.floor(np.log10(np.abs(scores))))
            scores = np.where(scores == 0, scores, np.round(scores * step) / step)
    return rankdata(-scores, method="min", axis=-1, nan_policy="omit")


def design_size(factors: int, base_samples: int) -> int:
    """Return the number of replications of the design over `factors` uncertain inputs (see design)."""
    # Saltelli's scheme without second-order indices: matrices A and B, and one A with B's column per factor.
    return base_samples * (factors + 2)


def design(factors: list[Factor], base_samples: int, seed: int) -> np.ndarray:
    """Return the drawn alternative of every factor per replication: SALib's Sobol design, N × (factors + 2) rows."""
    problem = {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[0.0, 1.0]] * len(factors)}
    unit = sobol_sample.sample(problem, base_samples, calc_second_order=False, scramble=True, seed=seed)
    sizes = np.array([f.size for f in factors])
    return np.minimum((unit * sizes).astype(int), sizes - 1)


def sensitivity(factors: list[Factor], output: np.ndarray, seed: int) -> pd.DataFrame:
    """Return first-order and total Sobol indices of each factor for one output per replication of the design."""
    problem = {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[0.0, 1.0]] * len(factors)}
    if np.nanvar(output) == 0:
        zeros = np.zeros(len(factors))
        found = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
    else:
        found = sobol_analyze.analyze(problem, output, calc_second_order=False, num_resamples=200, seed=seed)
    return pd.DataFrame({"factor": [f.name for f in factors], "alternatives": [f.size for f in factors],
                         "first_order": found["S1"], "first_order_conf": found["S1_conf"],
                         "total": found["ST"], "total_conf": found["ST_conf"]})


def rank_statistics(units: list[str], nominal: np.ndarray, replicated: np.ndarray) -> pd.DataFrame:
    """Return per unit: nominal rank, mean, median, 5th and 95th percentile of its rank over the replications."""
    with np.errstate(invalid="ignore"):
        frame = pd.DataFrame({
            "unit_code": units, "nominal_rank": nominal,
            "mean_rank": np.nanmean(replicated, axis=0),
            "median_rank": np.nanmedian(replicated, axis=0),
            "q05_rank": np.nanquantile(replicated, 0.05, axis=0),
            "q95_rank": np.nanquantile(replicated, 0.95, axis=0)})
    return frame


def mean_absolute_rank_shift(nominal: np.ndarray, replicated: np.ndarray) -> np.ndarray:
    """Return, per replication, the mean absolute change of rank against the nominal ranking (COINr's SA output)."""
    return np.nanmean(np.abs(replicated - nominal[None]), axis=1)
