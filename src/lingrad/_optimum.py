"""The exact optimum of the objective: the one reference every report compares with.

The diagnostics (gap to the optimum), inference (is the fit converged enough
for classical inference?), the plots (the optimum's star) and the command line
call :func:`reference_theta` (statistics, plus the rows where the statistics
are not accurate enough), :func:`optimum_theta` (statistics alone) or
:func:`exact_optimum` (arrays), so they never disagree about where the optimum is.

Which method :func:`reference_theta` uses is decided by one rule: the
centred, diagonally scaled normal equations (no extra pass) while the scaled
condition number is at most :data:`NORMAL_EQUATIONS_MAX_KAPPA`; beyond it,
when the rows can be read again, a TSQR factor of the rows refined in
double-double (:mod:`lingrad._tsqr`).

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
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve

from ._doubledouble import exact_residual
from ._objective import Penalty, StatsLeastSquares
from ._optimizers import Schedule, make_optimizer
from ._solve import solve
from ._stats import SufficientStats
from ._tsqr import accurate_theta

__all__ = [
    "METHODS",
    "NORMAL_EQUATIONS_MAX_KAPPA",
    "NO_REFERENCE",
    "REFINE_MIN_KAPPA",
    "Reference",
    "exact_optimum",
    "exact_residual",
    "optimum_theta",
    "reference_theta",
    "refined_lstsq",
    "scaled_condition",
]

#: Proximal iterations allowed for the L1 optimum (feature space, O(f^2) each).
_L1_ITERS = 20_000
_L1_TOL = 1e-11

#: Scaled condition numbers (of the centred, column-scaled design, ridge rows
#: included) above this send the reference optimum to the rows: the normal
#: equations' error grows as ``kappa**2 * eps``, about 1e-12 here, which is the
#: smallest relative gap the diagnostics promise to report within a factor of 10.
NORMAL_EQUATIONS_MAX_KAPPA = 1e2

#: Between this and :data:`NORMAL_EQUATIONS_MAX_KAPPA`, dense rows in memory refine the
#: normal equations' answer once (:func:`_refined_normal`: one pass, no factorisation of
#: the rows): their ``kappa**2 * eps`` would otherwise fall behind a backward-stable
#: solve's ``kappa * eps`` by more than half a digit. Below it nothing is paid.
REFINE_MIN_KAPPA = 4.0

#: ``Diagnostics.reference_method``: how the reference optimum was computed.
NORMAL_EQUATIONS = "normal equations"
NORMAL_REFINED = "normal equations, refined"
QR_REFINED = "QR, refined"
TSQR_REFINED = "second pass (TSQR, refined)"
NO_REFERENCE = "none"  # the "direct" engine: no statistics, no reference optimum
METHODS = (NORMAL_EQUATIONS, NORMAL_REFINED, QR_REFINED, TSQR_REFINED, NO_REFERENCE)


#: Eigenvalues of the scaled normal matrix below ``n_params * eps * largest`` count
#: as zero: the rank is decided on the scaled problem (units do not matter), by
#: ``numpy.linalg.lstsq``'s rule applied to the squared singular values.
_EPS = np.finfo(np.float64).eps


class _Root(NamedTuple):
    """``G b = r`` with ``G = diag(d) RᵀR diag(d)``; ``svd`` = (sv, Vt) of R when known.

    Where only the eigenvalues of ``RᵀR`` are known (a full-rank, well-conditioned
    problem; ``svd`` = (sv, None)), ``R`` is None and ``gram`` is ``RᵀR`` itself,
    solved by Cholesky.
    """

    R: np.ndarray | None
    d: np.ndarray
    r: np.ndarray
    svd: tuple[np.ndarray, np.ndarray | None] | None = None
    gram: np.ndarray | None = None


def _scaled_root(
    stats: SufficientStats,
    fit_intercept: bool,
    l2: float,
    eig: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Root:
    """The normal equations ``G b = r`` of the coefficients, with
    ``G = diag(d) RᵀR diag(d)`` and the columns of R of unit norm.

    With an intercept G is the centred scatter (the offsets' ill-conditioning
    removed); without, ``XᵀWX = C + S x̄x̄ᵀ``, whose square root stacks
    ``sqrt(S) x̄`` on a root of C, so the offsets are never squared into it.
    The columns are scaled to unit length before any factorisation (units do
    not matter); the L2 part adds ``sqrt(S l2)`` rows. With an intercept and no
    L2 part R is ``sqrt(lam) Uᵀ`` from the eigen-decomposition of the scaled C
    (``eig``, the preconditioner's, when given), so its SVD is known: no other
    factorisation is made.
    """
    S = float(stats.sum_weights)
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    C = np.asarray(stats.xx, dtype=np.float64)
    r = np.array(stats.xy, dtype=np.float64)
    d = np.sqrt(np.clip(np.diag(C), 0.0, None))
    d[~(d > 0)] = 1.0
    if fit_intercept and l2 == 0:
        if eig is None:
            lam, U = np.linalg.eigh((C + C.T) / 2 / d[:, None] / d[None, :])
        else:  # of diag(m) (C / S) diag(m), m the inverse column norms of C / S
            lam, U = eig
            d = _unit_scales(C, S)
        root = np.sqrt(np.clip(lam, 0.0, None))
        if U is None:  # eigenvalues only: full rank and well conditioned (the preconditioner)
            gram = C / d[:, None] / d[None, :]
            return _Root(None, d, r, (root[::-1], None), (gram + gram.T) / 2)
        return _Root(root[:, None] * U.T, d, r, (root[::-1], U[:, ::-1].T))
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
    return _Root(R / d2, d * d2, r)


def _unit_scales(C: np.ndarray, S: float) -> np.ndarray:
    """The scales ``d`` with ``C = diag(d) Cs diag(d)`` for the preconditioner's ``Cs``
    (columns of ``C / S`` scaled to unit variance; zero columns kept at scale 1)."""
    v = np.sqrt(np.clip(np.diag(C) / S, 0.0, None))
    v[~(v > 0)] = 1.0
    return math.sqrt(S) * v


def _min_norm_solve(root: _Root, rhs: np.ndarray | None = None) -> np.ndarray:
    """Minimum-norm solution of ``diag(d) RᵀR diag(d) b = rhs`` (default ``root.r``).

    From the SVD of the scaled root R (``root.svd`` when known), where the rank
    is decided; when rank deficient, the scaled solution is projected onto the
    row space in the original coordinates, which gives the minimum-norm
    solution ``numpy.linalg.lstsq`` returns. A root known by its eigenvalues
    only (full rank) is solved by Cholesky of ``RᵀR``.
    """
    d, r = root.d, root.r if rhs is None else rhs
    f = d.size
    if f == 0:
        return np.zeros((0, r.shape[1]))
    if root.gram is not None:
        try:
            return cho_solve(cho_factor(root.gram), r / d[:, None]) / d[:, None]
        except np.linalg.LinAlgError:  # not positive definite after all: decompose
            lam, U = np.linalg.eigh(root.gram)
            sv = np.sqrt(np.clip(lam, 0.0, None))
            root = _Root(sv[:, None] * U.T, d, r, (sv[::-1], U[:, ::-1].T))
    sv, Vt = np.linalg.svd(root.R, full_matrices=False)[1:] if root.svd is None else root.svd
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


def _intercept_row(stats: SufficientStats, fit_intercept: bool, W: np.ndarray) -> np.ndarray:
    """theta of shape (n_params, n_targets) from the coefficient rows ``W``."""
    if not fit_intercept:
        return W
    return np.vstack([W, (stats.y_mean - stats.x_mean @ W)[None, :]])


def _with_l1(
    stats: SufficientStats, fit_intercept: bool, penalty: Penalty, theta: np.ndarray
) -> np.ndarray:
    """The L1 optimum by accelerated proximal gradient in feature space, from ``theta``
    (the smooth optimum); ``theta`` itself without an L1 part."""
    if penalty.l1 == 0:
        return theta
    full = StatsLeastSquares(stats, fit_intercept, penalty)
    L, mu = full.spectrum()
    kappa = L / mu if mu > 0 else math.inf
    opt = make_optimizer("nesterov", None, kappa if math.isfinite(kappa) else None)
    prox = penalty.prox_for(stats.n_features)
    return solve(full, theta, opt, Schedule(1.0 / L), _L1_ITERS, tol=_L1_TOL, prox=prox).theta


def optimum_theta(
    stats: SufficientStats, fit_intercept: bool, penalty: Penalty | None = None
) -> np.ndarray:
    """Exact minimiser of the (penalised) squared loss from sufficient statistics.

    Minimum-norm least squares or ridge from the centred, diagonally scaled
    normal equations (the rank decided on the scaled problem); with an L1
    part, accelerated proximal gradient in feature space from there, down to
    the precision the statistics allow. Accurate to about
    ``scaled_condition(stats, fit_intercept) ** 2 * eps``; :func:`reference_theta`
    goes back to the rows where that is not enough.

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
    W = _min_norm_solve(_scaled_root(stats, fit_intercept, penalty.l2))
    return _with_l1(stats, fit_intercept, penalty, _intercept_row(stats, fit_intercept, W))


class Reference(NamedTuple):
    """The reference optimum and how it was computed.

    Attributes
    ----------
    theta : ndarray of shape (n_features + fit_intercept, n_targets)
    method : str
        One of :data:`METHODS` but ``"none"``: ``"normal equations"`` (statistics only),
        ``"QR, refined"`` (in-memory rows) or ``"second pass (TSQR, refined)"``
        (a file or Dask collection read again).
    passes : int
        Passes over the rows beyond the statistics' (0 for the normal equations).
    statistics : ndarray of shape (n_features + fit_intercept, n_targets) or None
        The optimum of the statistics alone (the normal equations), the one a
        descent on the statistics can reach; None when it is ``theta`` itself.
    ssr : ndarray of shape (n_targets,) or None
        The weighted residual sum of squares at ``theta``, from the rows in
        double-double (where the reference read rows in memory; else None):
        right where the statistics' ``yy - 2 bᵀxy + bᵀxxb`` cancels to rounding.
    """

    theta: np.ndarray
    method: str
    passes: int = 0
    statistics: np.ndarray | None = None
    ssr: np.ndarray | None = None

    @property
    def reachable(self) -> np.ndarray:
        """The optimum a descent on the statistics converges to (the stopping rule's)."""
        return self.theta if self.statistics is None else self.statistics


def reference_theta(
    stats: SufficientStats,
    fit_intercept: bool,
    penalty: Penalty | None = None,
    data: Any = None,
    *,
    accurate: bool | None = None,
    eig: tuple[np.ndarray, np.ndarray] | None = None,
) -> Reference:
    """The accurate reference optimum: the one every report compares with.

    From the centred, scaled normal equations (:func:`optimum_theta`) while
    :func:`scaled_condition` is at most :data:`NORMAL_EQUATIONS_MAX_KAPPA`
    (well-conditioned data pays nothing); beyond it, and where ``data`` can be
    read again, from a TSQR factor of the rows refined in double-double
    (:func:`lingrad._tsqr.accurate_theta`: one pass for the factor, one per
    refinement step). Ridge enters as extra rows of the factor; an L1 part is
    then solved in feature space from that accurate smooth optimum.
    Rank-deficient designs keep the normal equations' minimum-norm solution.

    Parameters
    ----------
    stats : SufficientStats
        Of the rows of ``data``.
    fit_intercept : bool
    penalty : Penalty, default=None (no penalty)
    data : tuple (X, Y, w) or data source, default=None
        The rows behind ``stats``: in-memory X of shape (n_samples,
        n_features), Y (n_samples, n_targets) and w None or (n_samples,);
        or a file :class:`~lingrad._sources.files.Dataset` (streamed again) or
        Dask source (per block, tree-reduced). None: statistics only.
    accurate : bool or None, default=None
        None decides by the scaled condition number; True goes to the rows
        whenever ``data`` is given (:func:`exact_optimum`).
    eig : tuple (lam, U) or None, default=None
        The eigen-decomposition of ``diag(m) (C / S) diag(m)`` (C the centred
        scatter, ``m`` its inverse column scales) when the caller made it
        already (the preconditioner's ``Transform.eig``): with an intercept and
        no L2 part it is the whole factorisation, so none is made here.

    Returns
    -------
    Reference
    """
    penalty = penalty or Penalty()
    root = _scaled_root(stats, fit_intercept, penalty.l2, eig)  # factored once, used twice
    kappa = _condition(root) if data is not None else math.nan
    if data is not None and accurate is None:
        accurate = kappa > NORMAL_EQUATIONS_MAX_KAPPA
    found = None
    if accurate and _in_memory(data) and penalty.l2 == 0:
        theta = refined_lstsq(*data, fit_intercept)
        found = None if theta is None else (theta, 1)
    elif accurate:
        found = accurate_theta(data, stats, fit_intercept, penalty.l2)
    smooth = _intercept_row(stats, fit_intercept, _min_norm_solve(root))
    if found is None and kappa > REFINE_MIN_KAPPA and _in_memory(data) and penalty.l2 == 0:
        found = (_refined_normal(root, stats, fit_intercept, smooth, data), 1)
        return _from_rows(stats, fit_intercept, penalty, data, found, NORMAL_REFINED, None)
    normal = _with_l1(stats, fit_intercept, penalty, smooth)
    if found is None:
        return Reference(normal, NORMAL_EQUATIONS)
    method = QR_REFINED if isinstance(data, tuple) else TSQR_REFINED
    return _from_rows(stats, fit_intercept, penalty, data, found, method, normal)


def _from_rows(
    stats: SufficientStats,
    fit_intercept: bool,
    penalty: Penalty,
    data: Any,
    found: tuple[np.ndarray, int],
    method: str,
    normal: np.ndarray | None,
) -> Reference:
    """The :class:`Reference` of an optimum found on the rows; in memory, with its
    residual sum of squares in double-double (one more pass)."""
    theta = _with_l1(stats, fit_intercept, penalty, found[0])
    ssr = None
    if _in_memory(data) and penalty.l1 == 0 and penalty.l2 == 0:
        X, Y, w = data
        res = exact_residual(X, Y, theta, fit_intercept)
        wv = np.ones(len(res)) if w is None else np.asarray(w, np.float64)
        ssr = wv @ (res * res)
    return Reference(theta, method, found[1], normal, ssr)


def _refined_normal(
    root: _Root,
    stats: SufficientStats,
    fit_intercept: bool,
    theta: np.ndarray,
    data: tuple,
) -> np.ndarray:
    """``theta`` after one step of iterative refinement on the rows in memory.

    The residual ``y - X b - c`` in double-double (:func:`exact_residual`), its
    cross-product with the rows in float64 (small: it is a residual), the
    correction solved with the statistics' own factor ``root`` (the corrected
    semi-normal equations): the normal equations' ``kappa**2 * eps`` error becomes
    about that of a backward-stable QR solve, at the cost of one pass over the
    rows in memory and no factorisation of them.
    """
    X, Y, w = data
    res = exact_residual(X, Y, theta, fit_intercept)
    wres = res if w is None else res * np.asarray(w, np.float64)[:, None]
    if not fit_intercept:
        return theta + _min_norm_solve(root, np.asarray(X.T @ wres, dtype=np.float64))
    mean = wres.sum(axis=0) / float(stats.sum_weights)
    centred = res - mean if w is None else wres - np.asarray(w, np.float64)[:, None] * mean
    # centred rows: the offsets would cancel in the cross-product (one copy of X)
    step = _min_norm_solve(root, (np.asarray(X, np.float64) - stats.x_mean).T @ centred)
    return theta + np.vstack([step, (mean - stats.x_mean @ step)[None, :]])


def _in_memory(data: Any) -> bool:
    """Whether ``data`` are dense rows in memory (X, Y, w)."""
    return isinstance(data, tuple) and not sp.issparse(data[0])


def scaled_condition(stats: SufficientStats, fit_intercept: bool, l2: float = 0.0) -> float:
    """Condition number of the diagonally scaled (and, with intercept, centred) design.

    What limits the accuracy of any float64 least-squares solve, once units
    and offsets are taken out; ``l2`` adds the ridge rows. From the statistics,
    so singular values below about ``sqrt(eps)`` of the largest are not
    resolved (the number is then merely huge).
    """
    return _condition(_scaled_root(stats, fit_intercept, l2))


def _condition(root: _Root) -> float:
    """Ratio of the largest to the smallest singular value of R (1 without columns)."""
    if root.d.size == 0:
        return 1.0
    sv = np.linalg.svd(root.R, compute_uv=False) if root.svd is None else root.svd[0]
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf


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

    Without a penalty, from a QR factorisation of the centred, scaled data
    refined once with a double-double residual (:func:`refined_lstsq`; the
    data are in memory, so the accurate method costs little), whatever the
    conditioning: at least 8.5 correct digits on
    the classic ill-conditioned designs (tests/test_accuracy.py), where
    ``numpy.linalg.lstsq`` gets 0 on some. Penalised or rank-deficient
    problems use the centred, scaled normal equations (:func:`optimum_theta`;
    the diagnostics' :func:`reference_theta` refines ill-conditioned ridge
    problems from the rows).

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
    penalty = Penalty(alpha, l1_ratio)
    theta = reference_theta(stats, fit_intercept, penalty, (X, Y, sw), accurate=alpha == 0).theta
    f = X.shape[1]
    b = theta[f] if fit_intercept else np.zeros(Y.shape[1])
    if y.ndim == 1:
        return theta[:f, 0].copy(), float(b[0])
    return theta[:f].T.copy(), b.copy()


_REFINEMENT_STEPS = 1


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
