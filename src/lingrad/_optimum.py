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


#: Eigenvalues of the scaled normal matrix below ``n_params * eps * largest`` count
#: as zero: the rank is decided on the scaled problem (units do not matter), by
#: ``numpy.linalg.lstsq``'s rule applied to the squared singular values.
_EPS = np.finfo(np.float64).eps


def _scaled_root(
    stats: SufficientStats, fit_intercept: bool, l2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(R, d, r)``: the normal equations ``G b = r`` of the coefficients, with
    ``G = diag(d) RᵀR diag(d)`` and the columns of R of unit norm.

    With an intercept G is the centred scatter (the offsets' ill-conditioning
    removed); without, ``XᵀWX = C + S x̄x̄ᵀ``, whose square root stacks
    ``sqrt(S) x̄`` on a root of C, so the offsets are never squared into it.
    The columns are scaled to unit length before any factorisation (units do
    not matter); the L2 part adds ``sqrt(S l2)`` rows.
    """
    S = float(stats.sum_weights)
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    C = np.asarray(stats.xx, dtype=np.float64)
    r = np.array(stats.xy, dtype=np.float64)
    d = np.sqrt(np.clip(np.diag(C), 0.0, None))
    d[~(d > 0)] = 1.0
    lam, U = np.linalg.eigh((C + C.T) / 2 / d[:, None] / d[None, :])
    rows = [np.sqrt(np.clip(lam, 0.0, None))[:, None] * U.T]  # a root of the scaled C
    if not fit_intercept:
        rows.insert(0, math.sqrt(S) * (xbar / d)[None, :])
        r += S * np.outer(xbar, stats.y_mean)
    if l2 > 0:
        rows.append(np.diag(math.sqrt(S * l2) / d))
    R = np.vstack(rows)
    d2 = np.linalg.norm(R, axis=0)
    d2[~(d2 > 0)] = 1.0
    return R / d2, d * d2, r


def _min_norm_solve(R: np.ndarray, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Minimum-norm solution of ``diag(d) RᵀR diag(d) b = r``.

    From the SVD of the scaled root R, where the rank is decided; when rank
    deficient, the scaled solution is projected onto the row space in the
    original coordinates, which gives the minimum-norm solution
    ``numpy.linalg.lstsq`` returns.
    """
    f = R.shape[1]
    if f == 0:
        return np.zeros((0, r.shape[1]))
    _, sv, Vt = np.linalg.svd(R, full_matrices=False)
    ev = sv * sv
    keep = ev > ev.max(initial=0.0) * f * _EPS
    V = Vt.T
    z = V[:, keep] @ ((V[:, keep].T @ (r / d[:, None])) / ev[keep, None])
    b = z / d[:, None]
    if keep.all():
        return b
    null = V[:, ~keep] / d[:, None]  # spans the null space of G itself
    q, _ = np.linalg.qr(null)
    return b - q @ (q.T @ b)


def optimum_theta(
    stats: SufficientStats, fit_intercept: bool, penalty: Penalty | None = None
) -> np.ndarray:
    """Exact minimiser of the (penalised) squared loss from sufficient statistics.

    Minimum-norm least squares or ridge from the centred, diagonally scaled
    normal equations (the rank decided on the scaled problem); with an L1
    part, accelerated proximal gradient in feature space from there, down to
    the precision the statistics allow.

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
    f = stats.n_features
    theta = np.empty((f + int(fit_intercept), stats.n_targets))
    theta[:f] = _min_norm_solve(*_scaled_root(stats, fit_intercept, penalty.l2))
    if fit_intercept:
        theta[f] = stats.y_mean - stats.x_mean @ theta[:f]
    if penalty.l1 == 0:
        return theta
    full = StatsLeastSquares(stats, fit_intercept, penalty)
    L, mu = full.spectrum()
    kappa = L / mu if mu > 0 else math.inf
    opt = make_optimizer("nesterov", None, kappa if math.isfinite(kappa) else None)
    prox = penalty.prox_for(f)
    return solve(full, theta, opt, Schedule(1.0 / L), _L1_ITERS, tol=_L1_TOL, prox=prox).theta


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

    Without a penalty, from a QR factorisation of the data refined once with
    a double-double residual (:func:`refined_lstsq`; the data are in memory,
    so the accurate method costs little): at least 8.5 correct digits on the
    classic ill-conditioned designs (tests/test_accuracy.py), where
    ``numpy.linalg.lstsq`` gets 0 on some. Penalised or rank-deficient
    problems use the centred, scaled normal equations (:func:`optimum_theta`).

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
    if alpha == 0:
        refined = refined_lstsq(X, Y, sw, fit_intercept)
        theta = theta if refined is None else refined
    f = X.shape[1]
    b = theta[f] if fit_intercept else np.zeros(Y.shape[1])
    if y.ndim == 1:
        return theta[:f, 0].copy(), float(b[0])
    return theta[:f].T.copy(), b.copy()


#: Scaled condition numbers above this make the normal equations lose more
#: than about 6 of float64's 16 digits (their error grows as kappa² eps): the
#: reference optimum is then re-solved from the data by QR with refinement.
NORMAL_EQUATIONS_MAX_KAPPA = 1e5
_REFINEMENT_STEPS = 1


def scaled_condition(stats: SufficientStats, fit_intercept: bool) -> float:
    """Condition number of the diagonally scaled (and, with intercept, centred) design.

    What limits the accuracy of any float64 least-squares solve, once units
    and offsets are taken out (from the statistics: tiny singular values are
    resolved only down to about ``sqrt(eps)`` of the largest).
    """
    R, _, _ = _scaled_root(stats, fit_intercept, 0.0)
    if R.shape[1] == 0:
        return 1.0
    sv = np.linalg.svd(R, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf


def refined_lstsq(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None, fit_intercept: bool
) -> np.ndarray | None:
    """Least squares from the data itself: QR of the centred, scaled design, then
    one step of iterative refinement with the residual in extended precision.

    Backward-stable QR squares no condition number; the refinement step (the
    residual ``y - X b - c`` recomputed in ``numpy.longdouble`` on the raw data,
    the correction solved with the float64 factor) recovers the digits that the
    residual's size would otherwise cost. Returns theta of shape
    (n_features + fit_intercept, n_targets), or None when the design is rank
    deficient (then the minimum-norm solution of :func:`optimum_theta` stands).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    n, f = X.shape
    sw = np.ones(n) if sample_weight is None else np.sqrt(np.asarray(sample_weight, np.float64))
    w = sw * sw
    xbar = (w @ X) / w.sum() if fit_intercept else np.zeros(f)
    Zw = sw[:, None] * (X - xbar)
    d = np.linalg.norm(Zw, axis=0)
    if not (d > 0).all():
        return None
    Zw /= d
    Q, R = np.linalg.qr(Zw)
    rdiag = np.abs(np.diag(R))
    if f and not rdiag.min() > rdiag.max() * max(n, f) * _EPS:
        return None

    def solve_for(rhs: np.ndarray) -> np.ndarray:
        c = (w @ rhs) / w.sum() if fit_intercept else np.zeros(rhs.shape[1])
        z = np.linalg.solve(R, Q.T @ (sw[:, None] * (rhs - c)))
        b = z / d[:, None]
        return np.vstack([b, (c - xbar @ b)[None, :]]) if fit_intercept else b

    theta = solve_for(Y)
    for _ in range(_REFINEMENT_STEPS):
        theta = theta + solve_for(exact_residual(X, Y, theta, fit_intercept))
    return theta


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``a + b = s + e`` exactly, elementwise."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split of doubles into 26-bit halves (``a = hi + lo`` exactly)."""
    c = 134217729.0 * a  # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProduct: ``a * b = p + e`` exactly, elementwise."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def exact_residual(
    X: np.ndarray, Y: np.ndarray, theta: np.ndarray, fit_intercept: bool
) -> np.ndarray:
    """``Y - X W - b`` in double-double arithmetic, rounded once to float64.

    Error-free products and sums (Dekker, Knuth) carry about 32 digits, so the
    residual is right even where ``X W`` cancels ``Y`` to the last float64
    digit: what iterative refinement needs on ill-conditioned designs.
    Shapes: X (n, f), Y (n, k), theta (f + fit_intercept, k); returns (n, k).
    """
    n, f = X.shape
    out = np.empty_like(Y, dtype=np.float64)
    for j in range(Y.shape[1]):
        hi = Y[:, j].astype(np.float64).copy()
        lo = np.zeros(n)
        terms = [(X[:, i], -theta[i, j]) for i in range(f)]
        if fit_intercept:
            terms.append((np.ones(n), -theta[f, j]))
        for col, t in terms:
            p, e = _two_prod(col, np.full(n, t))
            hi, err = _two_sum(hi, p)
            lo += err + e
        out[:, j] = hi + lo
    return out
