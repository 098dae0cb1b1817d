"""The exact optimum of the objective: the one reference every report compares with.

The diagnostics (gap to the optimum), inference (is the fit converged enough
for classical inference?), the plots (the optimum's star) and the command line
call :func:`reference_theta` (statistics, plus the rows where the statistics
are not accurate enough), :func:`optimum_theta` (statistics alone) or
:func:`exact_optimum` (arrays), so they never disagree about where the optimum is.

Which method :func:`reference_theta` uses is decided by one rule: the
centred, diagonally scaled normal equations (no extra pass) while the scaled
condition number is at most :data:`NORMAL_EQUATIONS_MAX_KAPPA`; beyond it,
or where statistics merged chunk by chunk (files, Dask) are estimated to hold
fewer digits (:func:`statistics_error` above :data:`STATISTICS_MAX_ERROR`: columns
whose offsets dwarf their spread), when the rows can be read again, a TSQR
factor of the rows refined in double-double (:mod:`lingrad._tsqr`).

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

from ._bounds import stats_optimum
from ._doubledouble import exact_residual
from ._normal import condition_of as _condition
from ._normal import min_norm_solve as _min_norm_solve
from ._normal import refine_normal as _refined_normal
from ._normal import refined_lstsq
from ._normal import scaled_root as _scaled_root
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
    "STATISTICS_MAX_ERROR",
    "Reference",
    "exact_optimum",
    "exact_residual",
    "optimum_theta",
    "reference_theta",
    "refined_lstsq",
    "scaled_condition",
    "statistics_error",
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

_EPS = float(np.finfo(np.float64).eps)

#: The largest estimated relative error of the statistics' optimum (:func:`statistics_error`)
#: the reference accepts before it reads the rows again: ``NORMAL_EQUATIONS_MAX_KAPPA**2 * eps``,
#: the same bound as the scaled condition number's for statistics accumulated in one piece.
STATISTICS_MAX_ERROR = NORMAL_EQUATIONS_MAX_KAPPA**2 * _EPS

#: ``Diagnostics.reference_method``: how the reference optimum was computed.
NORMAL_EQUATIONS = "normal equations"
NORMAL_REFINED = "normal equations, refined"
QR_REFINED = "QR, refined"
TSQR_REFINED = "second pass (TSQR, refined)"
NO_REFERENCE = "none"  # the "direct" engine: no statistics, no reference optimum
METHODS = (NORMAL_EQUATIONS, NORMAL_REFINED, QR_REFINED, TSQR_REFINED, NO_REFERENCE)


def _intercept_row(stats: SufficientStats, fit_intercept: bool, W: np.ndarray) -> np.ndarray:
    """theta of shape (n_params, n_targets) from the coefficient rows ``W``."""
    if not fit_intercept:
        return W
    return np.vstack([W, (stats.y_mean - stats.x_mean @ W)[None, :]])


def _with_l1(
    stats: SufficientStats, fit_intercept: bool, penalty: Penalty, theta: np.ndarray
) -> np.ndarray:
    """The L1 optimum by accelerated proximal gradient in feature space, from ``theta``
    (the smooth optimum); ``theta`` itself without an L1 part. With a box, the exact
    constrained optimum (:func:`lingrad._bounds.stats_optimum`)."""
    if penalty.box is not None:
        return stats_optimum(stats, fit_intercept, penalty)
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
    error : float
        The estimated relative error of the worst coefficient of the statistics' own
        optimum (:func:`statistics_error`, grown by how far that coefficient is below
        the norm of all, in scaled units; nan where not estimated).
    kappa : float
        The scaled condition number of the statistics (nan where not computed).
    """

    theta: np.ndarray
    method: str
    passes: int = 0
    statistics: np.ndarray | None = None
    ssr: np.ndarray | None = None
    error: float = math.nan
    kappa: float = math.nan

    @property
    def reachable(self) -> np.ndarray:
        """The optimum a descent on the statistics converges to (the stopping rule's)."""
        return self.theta if self.statistics is None else self.statistics

    @property
    def digits(self) -> float:
        """Estimated correct significant digits of ``theta``: those the statistics hold
        (``-log10(error)``, 0 to 16) for the normal equations; nan for the rows' methods
        (backward-stable and refined: at least 7 on the classic designs)."""
        if self.method != NORMAL_EQUATIONS or not self.error >= 0:
            return math.nan
        return float(min(max(-math.log10(max(self.error, 1e-16)), 0.0), 16.0))


def statistics_error(stats: SufficientStats, kappa: float, merged: bool = False) -> float:
    """Estimated relative error of the coefficients solved from ``stats`` (normal equations).

    ``kappa**2 * eps`` from the scaled condition number ``kappa``; for statistics
    ``merged`` chunk by chunk (files and Dask: Chan et al.'s update adds the
    differences of the chunks' means, each rounded at the size of the mean) also
    ``kappa * eps * max_j |mean_j| / sd_j`` over the columns of X and y that vary:
    columns whose offset dwarfs their spread lose those digits in the merged scatter.

    Examples
    --------
    >>> s = SufficientStats.from_arrays(np.c_[1e6 + np.arange(4.0)], np.arange(4.0))
    >>> statistics_error(s, 1.0) < statistics_error(s, 1.0, merged=True) < 1e-9
    True
    """
    error = kappa * kappa * _EPS if math.isfinite(kappa) else math.inf
    if merged and stats.sum_weights > 0:
        var = np.diag(stats.scatter) / float(stats.sum_weights)
        varies = var > 0
        if varies.any():
            ratio = np.abs(stats.mean[varies]) / np.sqrt(var[varies])
            error += kappa * _EPS * float(ratio.max())
    return float(error)


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
    (well-conditioned data pays nothing); beyond it, or where statistics merged
    from a file's or Dask's chunks are estimated to hold fewer digits than that
    (:func:`statistics_error`), and where ``data`` can be read again, from a
    TSQR factor of the rows refined in double-double
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
    kappa = _condition(root)
    error = statistics_error(stats, kappa, merged=data is not None and not isinstance(data, tuple))
    if data is not None and accurate is None:
        accurate = error > STATISTICS_MAX_ERROR  # in one piece: kappa > NORMAL_EQUATIONS_MAX_KAPPA
    found = None
    if accurate and _in_memory(data) and penalty.l2 == 0:
        theta = refined_lstsq(*data, fit_intercept)
        found = None if theta is None else (theta, 1)
    elif accurate:
        found = accurate_theta(data, stats, fit_intercept, penalty.l2)
    smooth = _intercept_row(stats, fit_intercept, _min_norm_solve(root))
    error *= _spread(root.d, smooth[: stats.n_features])  # of each coefficient, not the norm
    if found is None and kappa > REFINE_MIN_KAPPA and _in_memory(data) and penalty.l2 == 0:
        found = (_refined_normal(root, stats, fit_intercept, smooth, data), 1)
        ref = _from_rows(stats, fit_intercept, penalty, data, found, NORMAL_REFINED, None)
        return ref._replace(error=error, kappa=kappa)
    normal = _with_l1(stats, fit_intercept, penalty, smooth)
    if found is None:
        return Reference(normal, NORMAL_EQUATIONS, error=error, kappa=kappa)
    method = QR_REFINED if isinstance(data, tuple) else TSQR_REFINED
    ref = _from_rows(stats, fit_intercept, penalty, data, found, method, normal)
    return ref._replace(error=error, kappa=kappa)


#: Coefficients below this fraction of the largest (scaled) carry no relative digits to
#: estimate: a zero coefficient's error is absolute.
_NEGLIGIBLE = 1e-8


def _spread(d: np.ndarray, W: np.ndarray) -> float:
    """``max_j ||z|| / |z_j|`` over the coefficients ``z = d W`` of the scaled problem that
    are not negligible: how much a normwise relative error grows in the worst coefficient
    relative to itself (1 without coefficients)."""
    z = np.abs(d[:, None] * W)
    norm = np.sqrt((z * z).sum(axis=0))
    ratios = [n / c[c >= _NEGLIGIBLE * n].min() for n, c in zip(norm, z.T, strict=True) if n > 0]
    return float(max(ratios, default=1.0))


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
