"""The exact optimum of the objective: the one reference every report compares with.

The diagnostics (gap to the optimum), inference (is the fit converged enough
for classical inference?), the plots (the optimum's star) and the command line
all call :func:`optimum_theta` (from statistics) or :func:`exact_optimum` (from
data), so they never disagree about where the optimum is.

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0]])
>>> coef, intercept = exact_optimum(X, 2 * X[:, 0] + 1)
>>> print(np.round(coef, 12), round(intercept, 12))
[2.] 1.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._objective import Penalty, StatsLeastSquares
from ._optimizers import Schedule, make_optimizer
from ._solve import solve
from ._stats import SufficientStats

__all__ = ["exact_optimum", "optimum_theta"]

#: Proximal iterations allowed for the L1 optimum (feature space, O(f^2) each).
_L1_ITERS = 20_000
_L1_TOL = 1e-11


def optimum_theta(
    stats: SufficientStats, fit_intercept: bool, penalty: Penalty | None = None
) -> np.ndarray:
    """Exact minimiser of the (penalised) squared loss from sufficient statistics.

    Minimum-norm least squares or ridge in closed form; with an L1 part,
    accelerated proximal gradient in feature space down to the precision the
    statistics allow.

    Parameters
    ----------
    stats : SufficientStats
    fit_intercept : bool
    penalty : Penalty, default=None (no penalty)

    Returns
    -------
    theta : ndarray of shape (n_features + fit_intercept, n_targets)
        Coefficients first, then the intercept row.
    """
    penalty = penalty or Penalty()
    full = StatsLeastSquares(stats, fit_intercept, penalty)
    theta = _centred_optimum(stats, fit_intercept, penalty.l2)
    if theta is None:  # singular (minimum-norm), overflowed or very large: the Hessian's way
        theta = full.solve_exact()
    if penalty.l1 == 0:
        return theta
    L, mu = full.spectrum()
    kappa = L / mu if mu > 0 else math.inf
    opt = make_optimizer("nesterov", None, kappa if math.isfinite(kappa) else None)
    prox = penalty.prox_for(full.n_features)
    return solve(full, theta, opt, Schedule(1.0 / L), _L1_ITERS, tol=_L1_TOL, prox=prox).theta


def _centred_optimum(stats: SufficientStats, fit_intercept: bool, l2: float) -> np.ndarray | None:
    """The smooth (ridge) optimum in well-conditioned coordinates; None when singular.

    With an intercept, ``(C + l2 I) W = Cxy`` on the centred scatter ``C`` and
    ``b = ȳ - x̄ᵀW``; without, ``C + x̄x̄ᵀ = GᵀG`` from a square root ``G`` of it
    (its SVD, never the squared matrix). Data far from the origin then lose no
    digits, where the uncentred Hessian squares their offset into its
    condition number. Returns shape (n_params, n_targets), intercept last.
    """
    f = stats.n_features
    S = float(stats.sum_weights)
    C = np.asarray(stats.xx, dtype=np.float64) / S
    Cxy = np.asarray(stats.xy, dtype=np.float64) / S
    mu = np.asarray(stats.x_mean, dtype=np.float64)
    ybar = np.asarray(stats.y_mean, dtype=np.float64)
    if f == 0 or f > StatsLeastSquares._EIGH_MAX or not np.isfinite(C).all():
        return None
    lam, U = np.linalg.eigh((C + C.T) / 2)
    lam = np.clip(lam, 0.0, None)
    if fit_intercept:
        V, ev, rhs = U, lam + l2, Cxy
    else:
        G = np.vstack([mu[None, :], np.sqrt(lam)[:, None] * U.T])  # GᵀG = C + x̄x̄ᵀ
        _, s, Vt = np.linalg.svd(G, full_matrices=False)
        V, ev, rhs = Vt.T, s * s + l2, Cxy + np.outer(mu, ybar)
    if not ev.max() > 0 or (ev <= ev.max() * (f + 1) * np.finfo(float).eps).any():
        return None
    W = V @ ((V.T @ rhs) / ev[:, None])
    return np.vstack([W, ybar - mu @ W]) if fit_intercept else W


def exact_optimum(
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    fit_intercept: bool = True,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
) -> tuple[np.ndarray, Any]:
    """The exact optimum of lingrad's objective on in-memory data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : array-like of shape (n_samples,), default=None
    fit_intercept : bool, default=True
    alpha, l1_ratio : float, default=0.0
        The penalty, as in :class:`lingrad.LinearRegression`.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept : float or ndarray of shape (n_targets,)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    Y = y.reshape(len(y), -1)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    stats = SufficientStats.from_arrays(X, Y, sw)
    theta = optimum_theta(stats, fit_intercept, Penalty(alpha, l1_ratio))
    f = X.shape[1]
    b = theta[f] if fit_intercept else np.zeros(Y.shape[1])
    if y.ndim == 1:
        return theta[:f, 0].copy(), float(b[0])
    return theta[:f].T.copy(), b.copy()
