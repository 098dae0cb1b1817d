"""The elastic-net path over alphas, exactly, in feature space.

For squared loss the penalised optimum depends on the data only through the
sufficient statistics, so each fold's path is computed from an f x f Gram
matrix, never from rows. Each alpha is solved exactly (to rounding) by an
active-set method, the feature-sign search of Lee, Battle, Raina & Ng (2006):
guess the signs, solve the linear system on the active set, line-search to
the first sign change, repeat; warm-started from the previous alpha (the path
runs from the largest alpha down, as glmnet and scikit-learn do). Cyclic
coordinate descent on the Gram, glmnet's method, is the fallback should the
active set cycle.

The objective is lingrad's (and scikit-learn's ``ElasticNet``)::

    1/(2 S) sum_i s_i (y_i - x_i w - b)^2 + alpha l1_ratio |w|_1
                                          + alpha (1 - l1_ratio)/2 |w|^2

Examples
--------
>>> import numpy as np
>>> from lingrad._stats import SufficientStats
>>> X = np.random.default_rng(0).standard_normal((100, 3))
>>> y = X @ [1.0, 0.0, -2.0] + 0.5
>>> stats = SufficientStats.from_arrays(X, y)
>>> alphas = alpha_grid(stats, True, 1.0, n_alphas=5)
>>> W, b = stats_path(stats, True, alphas, 1.0)
>>> W.shape, b.shape
((5, 3, 1), (5, 1))
>>> bool(np.all(W[0] == 0))  # the largest alpha zeroes every coefficient
True
"""

from __future__ import annotations

import numpy as np

from .._bounds import Box, bounded_optimum
from .._stats import SufficientStats

__all__ = ["alpha_grid", "held_out_mse", "stats_path"]

#: l1_ratio used for the top of an automatic grid when there is no L1 part
#: (glmnet's convention for ridge: the lasso's alpha_max at l1_ratio 1e-3).
RIDGE_GRID_L1_RATIO = 1e-3
_RESOLUTION = np.finfo(np.float64).resolution
_KKT_TOL = 1e-12
_CD_SWEEPS = 100_000


def gram(stats: SufficientStats, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(G, c)``: the normalised Gram X'WX/S (centred with an intercept) and X'Wy/S."""
    S = float(stats.sum_weights)
    G = np.array(stats.xx, dtype=np.float64) / S
    c = np.array(stats.xy, dtype=np.float64) / S
    if not fit_intercept:
        xbar, ybar = stats.x_mean, stats.y_mean
        G += np.outer(xbar, xbar)
        c += np.outer(xbar, ybar)
    return (G + G.T) / 2, c


def alpha_grid(
    stats: SufficientStats,
    fit_intercept: bool,
    l1_ratio: float,
    *,
    n_alphas: int = 100,
    eps: float = 1e-3,
) -> np.ndarray:
    """scikit-learn's automatic grid, per target: shape (n_alphas, n_targets).

    From ``alpha_max = max_j |x_j' W y| / (S l1_ratio)`` (the smallest alpha
    whose lasso optimum is 0) down to ``eps * alpha_max``, evenly on a log
    scale. With ``l1_ratio = 0`` (ridge, where no finite alpha zeroes the
    coefficients) ``l1_ratio`` is taken as :data:`RIDGE_GRID_L1_RATIO`, as glmnet does.
    """
    _, c = gram(stats, fit_intercept)
    ratio = max(float(l1_ratio), RIDGE_GRID_L1_RATIO)
    grids = []
    for amax in np.abs(c).max(axis=0, initial=0.0) / ratio:
        if amax <= _RESOLUTION:
            grids.append(np.full(n_alphas, _RESOLUTION))
        else:
            grids.append(np.geomspace(amax, amax * eps, num=n_alphas))
    return np.column_stack(grids)


def stats_path(
    stats: SufficientStats,
    fit_intercept: bool,
    alphas: np.ndarray,
    l1_ratio: float,
    box: Box | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact optimum at each alpha, from the statistics alone.

    Parameters
    ----------
    stats : SufficientStats
    fit_intercept : bool
    alphas : ndarray of shape (n_alphas,) or (n_alphas, n_targets)
        Decreasing (warm starts run down the path); one column per target,
        or one column shared by all targets.
    l1_ratio : float
    box : Box, default=None
        Bounds on the coefficients (:func:`lingrad._bounds.bounded_optimum` at each alpha).

    Returns
    -------
    W : ndarray of shape (n_alphas, n_features, n_targets)
    b : ndarray of shape (n_alphas, n_targets)
        The intercepts (zeros without ``fit_intercept``).
    """
    G, c = gram(stats, fit_intercept)
    f, k = c.shape
    A = np.asarray(alphas, dtype=np.float64).reshape(len(alphas), -1)
    A = np.broadcast_to(A, (A.shape[0], k))
    W = np.zeros((A.shape[0], f, k))
    for j in range(k):
        x = np.zeros(f)
        for i, alpha in enumerate(A[:, j]):
            l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
            if box is not None:
                H = G + l2 * np.eye(f)
                x = bounded_optimum(H, c[:, j : j + 1], l1, box, x[:, None])[:, 0]
            else:
                x = _solve_one(G, c[:, j], l1, l2, x)
            W[i, :, j] = x
    if fit_intercept:
        b = stats.y_mean[None, :] - np.einsum("f,afk->ak", stats.x_mean, W)
    else:
        b = np.zeros((A.shape[0], k))
    return W, b


def held_out_mse(stats: SufficientStats, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Weighted) mean squared error of each ``(W[a], b[a])`` on the rows of ``stats``.

    Exact from the statistics: with centred moments ``Sxx, Sxy, Syy`` and means
    ``mx, my``, ``MSE = (w'Sxx w - 2 w'Sxy + Syy)/S + (my - mx'w - b)^2``.

    Parameters
    ----------
    stats : SufficientStats
        Of the held-out rows.
    W : ndarray of shape (n_alphas, n_features, n_targets)
    b : ndarray of shape (n_alphas, n_targets)

    Returns
    -------
    ndarray of shape (n_alphas, n_targets)
    """
    S = float(stats.sum_weights)
    quad = np.einsum("afk,fg,agk->ak", W, stats.xx, W)
    lin = np.einsum("afk,fk->ak", W, stats.xy)
    yy = np.diag(stats.yy)[None, :]
    bias = stats.y_mean[None, :] - np.einsum("f,afk->ak", stats.x_mean, W) - b
    return np.maximum((quad - 2.0 * lin + yy) / S, 0.0) + bias**2


def _solve_one(G: np.ndarray, c: np.ndarray, l1: float, l2: float, x0: np.ndarray) -> np.ndarray:
    """argmin 1/2 x'Gx - c'x + l1 |x|_1 + l2/2 |x|^2, warm-started at ``x0``."""
    f = len(c)
    H = G + l2 * np.eye(f)
    if l1 <= 0:
        if l2 > 0:
            try:
                return np.linalg.solve(H, c)
            except np.linalg.LinAlgError:
                pass
        return np.linalg.lstsq(H, c, rcond=None)[0]  # minimum norm (alpha = 0)
    x = _feature_sign(H, c, l1, x0)
    return x if x is not None else _coordinate_descent(H, c, l1, x0)


def _objective(H: np.ndarray, c: np.ndarray, lam: float, x: np.ndarray) -> float:
    return float(0.5 * x @ H @ x - c @ x + lam * np.abs(x).sum())


def _restricted_solve(H: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, rhs, rcond=None)[0]


def _feature_sign(H: np.ndarray, c: np.ndarray, lam: float, x0: np.ndarray) -> np.ndarray | None:
    """Feature-sign search from ``x0``: the exact L1 optimum, or None if it cycles."""
    f = len(c)
    tol = _KKT_TOL * max(float(np.abs(c).max(initial=0.0)), lam, _RESOLUTION)
    x = x0.copy()
    g = H @ x - c
    for _ in range(20 * f + 50):
        nz = x != 0
        s = np.sign(x)
        if np.abs(g[nz] + lam * s[nz]).max(initial=0.0) <= tol:
            viol = ~nz & (np.abs(g) > lam + tol)
            if not viol.any():
                return x
            s[viol] = -np.sign(g[viol])
            nz = nz | viol
        act = np.flatnonzero(nz)
        H_a, c_a, s_a, x_a = H[np.ix_(act, act)], c[act], s[act], x[act]
        new = _restricted_solve(H_a, c_a - lam * s_a)
        d = new - x_a
        cross = np.flatnonzero((x_a != 0) & (np.sign(new) != np.sign(x_a)))
        cands = [new]
        for j in cross:
            t = x_a[j] / (x_a[j] - new[j])
            z = x_a + t * d
            z[j] = 0.0  # the coefficient that reaches zero there
            cands.append(z)
        best = min(cands, key=lambda z: _objective(H_a, c_a, lam, z))
        x = np.zeros(f)
        x[act] = best
        g = H @ x - c
    return None


def _coordinate_descent(H: np.ndarray, c: np.ndarray, lam: float, x0: np.ndarray) -> np.ndarray:
    """Cyclic coordinate descent on the Gram (glmnet's covariance updates)."""
    x = x0.copy()
    g = c - H @ x  # negative gradient of the smooth part
    diag = np.diag(H)
    scale = max(float(np.abs(c).max(initial=0.0)), _RESOLUTION)
    for _ in range(_CD_SWEEPS):
        change = 0.0
        for j in range(len(c)):
            if diag[j] <= 0:
                continue
            z = g[j] + diag[j] * x[j]
            new = np.sign(z) * max(abs(z) - lam, 0.0) / diag[j]
            if new != x[j]:
                g -= H[:, j] * (new - x[j])
                change = max(change, abs(new - x[j]) * diag[j])
                x[j] = new
        if change <= _KKT_TOL * scale:
            break
    return x
