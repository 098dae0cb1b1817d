"""The centred, scaled normal equations, and their refinement from rows in memory.

:func:`scaled_root` writes the coefficients' normal equations from sufficient
statistics as ``diag(d) RᵀR diag(d) b = r`` with R's columns of unit norm
(centred with an intercept; without, offsets never squared into them);
:func:`min_norm_solve` solves them (minimum norm, the rank decided on the
scaled problem), :func:`condition_of` gives their scaled condition number.
:func:`refine_normal` takes one step of iterative refinement on dense rows in
memory with the statistics' own factor; :func:`refined_lstsq` solves from the
rows by QR, refined once. :mod:`lingrad._optimum` decides which is used.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import solve_triangular

from ._doubledouble import exact_residual
from ._rowpar import single_threaded_blas
from ._stats import SufficientStats

__all__ = [
    "Root",
    "condition_of",
    "min_norm_solve",
    "refine_normal",
    "refined_lstsq",
    "scaled_root",
]

#: Eigenvalues of the scaled normal matrix below ``n_params * eps * largest`` count
#: as zero: the rank is decided on the scaled problem (units do not matter), by
#: ``numpy.linalg.lstsq``'s rule applied to the squared singular values.
_EPS = np.finfo(np.float64).eps


class Root(NamedTuple):
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


def scaled_root(
    stats: SufficientStats,
    fit_intercept: bool,
    l2: float,
    eig: tuple[np.ndarray, np.ndarray] | None = None,
) -> Root:
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
            return Root(None, d, r, (root[::-1], None), (gram + gram.T) / 2)
        return Root(root[:, None] * U.T, d, r, (root[::-1], U[:, ::-1].T))
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
    return Root(R / d2, d * d2, r)


def _unit_scales(C: np.ndarray, S: float) -> np.ndarray:
    """The scales ``d`` with ``C = diag(d) Cs diag(d)`` for the preconditioner's ``Cs``
    (columns of ``C / S`` scaled to unit variance; zero columns kept at scale 1)."""
    v = np.sqrt(np.clip(np.diag(C) / S, 0.0, None))
    v[~(v > 0)] = 1.0
    return math.sqrt(S) * v


def _cholesky_solve(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``gram^-1 rhs`` by Cholesky; LinAlgError when ``gram`` is not positive definite.

    NumPy's LAPACK factors: the statistics' products just ran on NumPy's BLAS, whose
    threads still spin for a while after, and a factorisation on SciPy's own BLAS
    (another library, another thread pool) then competes with them for the cores
    (measured on 2 cores, 501 x 501 after the syrk of 100k x 500: SciPy 3-85 ms,
    NumPy 3-5 ms). The two triangular solves are too small to be threaded.
    """
    L = np.linalg.cholesky(gram)
    y = solve_triangular(L, rhs, lower=True, check_finite=False)
    return solve_triangular(L, y, lower=True, trans="T", check_finite=False)


def min_norm_solve(root: Root, rhs: np.ndarray | None = None) -> np.ndarray:
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
            return _cholesky_solve(root.gram, r / d[:, None]) / d[:, None]
        except np.linalg.LinAlgError:  # not positive definite after all: decompose
            lam, U = np.linalg.eigh(root.gram)
            sv = np.sqrt(np.clip(lam, 0.0, None))
            root = Root(sv[:, None] * U.T, d, r, (sv[::-1], U[:, ::-1].T))
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


def condition_of(root: Root) -> float:
    """Ratio of the largest to the smallest singular value of R (1 without columns)."""
    if root.d.size == 0:
        return 1.0
    sv = np.linalg.svd(root.R, compute_uv=False) if root.svd is None else root.svd[0]
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf


def refine_normal(
    root: Root,
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
        return theta + min_norm_solve(root, np.asarray(X.T @ wres, dtype=np.float64))
    mean = wres.sum(axis=0) / float(stats.sum_weights)
    centred = res - mean if w is None else wres - np.asarray(w, np.float64)[:, None] * mean
    # centred rows: the offsets would cancel in the cross-product (one copy of X)
    step = min_norm_solve(root, (np.asarray(X, np.float64) - stats.x_mean).T @ centred)
    return theta + np.vstack([step, (mean - stats.x_mean @ step)[None, :]])


_REFINEMENT_STEPS = 1
# A QR of at most this n (f + 1)^2 (a few ms of work) runs on one BLAS thread: it is a
# sequence of small BLAS calls, each of which would wake and join the others.
_ONE_THREAD_WORK = 2**25


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
    if X.shape[0] * (X.shape[1] + 1) ** 2 <= _ONE_THREAD_WORK:  # many small BLAS calls
        with single_threaded_blas():
            return _refined_lstsq(X, Y, sample_weight, fit_intercept)
    return _refined_lstsq(X, Y, sample_weight, fit_intercept)


def _refined_lstsq(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None, fit_intercept: bool
) -> np.ndarray | None:
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
