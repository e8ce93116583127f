"""Weights derived from the data, for the children of one aggregate (COINr's get_PCA and get_opt_weights), and the
benefit of the doubt, which picks each unit's own most favourable weights.

pca_weights and balanced_weights return non-negative weights summing to 1, in the order of the children given. The
engine calls them level by level, once the children's scores are known (engine.aggregate).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import linprog, minimize

# Nelder-Mead's stopping rule: the weights' logarithms settled to 1e-9 and the objective to 1e-15. Tighter than
# COINr's reltol = 0.1, which stops its ASEM example at correlations 0.897 and 0.893 instead of equal ones.
X_TOLERANCE = 1e-9
F_TOLERANCE = 1e-15
ITERATIONS_PER_CHILD = 2000


def pca_weights(scores: np.ndarray) -> np.ndarray:
    """Return the squared loadings of the first principal component of the children's scores (units × children).

    As COINr's get_PCA, the component is that of the correlation matrix (prcomp with center and scale) of the units
    given; its loadings form a unit vector, so their squares are non-negative, sum to 1 and do not depend on the
    component's arbitrary sign. A constant child has no variance to explain: weight 0.
    """
    varies = scores.std(axis=0, ddof=1) > 0
    weights = np.zeros(scores.shape[1])
    if varies.sum() == 1:
        weights[varies] = 1.0
    elif varies.any():
        _, vectors = np.linalg.eigh(np.corrcoef(scores[:, varies], rowvar=False))
        weights[varies] = vectors[:, -1] ** 2   # eigh sorts the eigenvalues ascending: the last is the largest
    return weights / weights.sum() if weights.any() else weights


def balance_objective(correlations: np.ndarray) -> float:
    """Return COINr's get_opt_weights objective for equal influence: the mean squared gap between each child's share
    of the sum of the correlations and 1/k (0 when every child correlates equally with its parent)."""
    return float(np.mean((correlations / correlations.sum() - 1 / len(correlations)) ** 2))


def balanced_weights(correlations_for: Callable[[np.ndarray], np.ndarray], children: int) -> np.ndarray:
    """Return the weights whose parent correlates as equally as possible with each of its children.

    correlations_for(weights) gives each child's correlation with the parent aggregated with those weights. The
    search starts from equal weights (COINr's start for equal importance) and moves the logarithms of all weights but
    the first (softmax), so every weight stays positive and they sum to 1; Nelder-Mead, as R's optim, deterministic.
    """
    if children == 1:
        return np.ones(1)

    def weights_of(x: np.ndarray) -> np.ndarray:
        e = np.exp(np.concatenate([[0.0], x]) - max(0.0, x.max()))
        return e / e.sum()

    found = minimize(lambda x: balance_objective(correlations_for(weights_of(x))), np.zeros(children - 1),
                     method="Nelder-Mead",
                     options={"xatol": X_TOLERANCE, "fatol": F_TOLERANCE, "maxiter": ITERATIONS_PER_CHILD * children,
                              "maxfev": ITERATIONS_PER_CHILD * children,
                              "initial_simplex": np.vstack([np.zeros(children - 1), np.eye(children - 1)])})
    return weights_of(found.x)


def bod_score(scores: np.ndarray, unit: int, min_share: float, max_share: float) -> float:
    """Return the benefit-of-the-doubt score (0-1) of one row of `scores` (units × children, NaN where missing).

    The linear programme of Cherchye et al. (Compind's ci_bod): weights w ≥ 0 on the unit's children with a score
    maximise Σ w·x of the unit, such that every unit scores at most 1 with them (a missing score counts 0 there), and
    each child's share w·x / Σ w·x of the unit's score is within [min_share, max_share]. HiGHS: deterministic.
    """
    present = ~np.isnan(scores[unit])
    others = np.nan_to_num(scores[:, present])
    own = others[unit]
    if not own.any():
        return 0.0
    rows = [others]
    if min_share > 0:
        rows.append(min_share * own[None, :] - np.diag(own))
    if max_share < 1:
        rows.append(np.diag(own) - max_share * own[None, :])
    a_ub = np.vstack(rows)
    b_ub = np.concatenate([np.ones(len(others)), np.zeros(len(a_ub) - len(others))])
    found = linprog(-own, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    return float(-found.fun)
