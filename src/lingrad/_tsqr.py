"""The accurate reference optimum from the rows: TSQR, then refinement in double-double.

Used where the scaled normal equations lose too many digits
(:data:`lingrad._optimum.NORMAL_EQUATIONS_MAX_KAPPA`). Two kinds of pass over
the rows, each a map over row chunks and a pairwise merge, so the same code
runs on in-memory arrays (row chunks), files (streamed chunks) and Dask
(per block on the cluster, tree-reduced, through the source's
``reduce_chunks``):

1. **TSQR.** The R factor of the weighted, centred and column-scaled design
   ``Z = sqrt(w) [(X - m) / d, 1 / sqrt(S)]`` augmented with the targets; R
   factors merge by stacking two and re-factoring (Demmel et al.'s TSQR), so
   nothing of size n is kept. Backward-stable: no condition number is squared.
   The ridge part adds the rows ``sqrt(S l2) / d``.
2. **Refinement** (Björck's corrected semi-normal equations, repeated while
   they gain): the residual and the gradient ``Zᵀ W r`` in double-double on
   the raw data (:mod:`lingrad._doubledouble`), the correction
   ``(RᵀR)⁻¹ Zᵀ W r`` from the float64 factor. Its fixed point is the exact
   optimum of the float64 data, so the digits do not depend on the size of
   the residual. The parameters are carried in double-double; it stops when
   the float64 answer no longer changes, when a correction stops shrinking,
   or after :data:`MAX_REFINEMENT_PASSES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ._doubledouble import dd_add, dd_sum, residual_dd, two_prod, two_sum
from ._stats import SufficientStats, normalised_weights

__all__ = ["MAX_REFINEMENT_PASSES", "accurate_theta", "fold_chunks", "rows_at_scale"]

#: At most this many refinement passes (each one pass over the rows).
MAX_REFINEMENT_PASSES = 6
_EPS = np.finfo(np.float64).eps
_CHUNK_ELEMENTS = 2**19  # in-memory rows are taken about 4 MiB of float64 at a time

Chunk = tuple[Any, np.ndarray, np.ndarray | None]


def _array_chunks(X: Any, Y: np.ndarray, w: np.ndarray | None) -> Iterator[Chunk]:
    """Row chunks of in-memory data (sparse rows made dense a chunk at a time)."""
    n, f = X.shape
    rows = max(1, _CHUNK_ELEMENTS // max(f + Y.shape[1], 1))
    for i in range(0, n, rows):
        Xc = X[i : i + rows]
        Xc = Xc.toarray() if sp.issparse(Xc) else Xc
        yield Xc, Y[i : i + rows], None if w is None else w[i : i + rows]


def fold_chunks(data: Any, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
    """``kernel(X, Y, w)`` on every row chunk of ``data``, merged with ``combine``.

    ``data`` is ``(X, Y, w)`` in memory (X of shape (n, f), Y (n, k), w None or
    (n,)), a source with ``reduce_chunks(kernel, combine)`` (Dask: on the
    cluster, tree-reduced) or one with ``iter_chunks()`` (files: one pass).
    """
    reduce = getattr(data, "reduce_chunks", None)
    if reduce is not None:
        return reduce(kernel, combine)
    chunks = data.iter_chunks() if hasattr(data, "iter_chunks") else _array_chunks(*data)
    total = None
    for X, Y, w in chunks:
        part = kernel(X, Y, w)
        total = part if total is None else combine(total, part)
    return total


def _at_scale(kernel: Callable[..., Any], k: int, X, Y, w) -> Any:
    """``kernel`` on a chunk whose weights are divided by ``2**k`` (exact)."""
    return kernel(X, Y, None if w is None else normalised_weights(np.asarray(w, np.float64), k))


class _RowsAtScale:
    """A source whose chunks' weights are divided by ``2**k``, as in its statistics."""

    def __init__(self, source: Any, k: int) -> None:
        self._source, self._k = source, k
        if hasattr(source, "reduce_chunks"):  # Dask: the rescaling runs on the cluster
            self.reduce_chunks = lambda kernel, combine: source.reduce_chunks(
                partial(_at_scale, kernel, k), combine
            )

    def iter_chunks(self) -> Iterator[Chunk]:
        for X, Y, w in self._source.iter_chunks():
            yield (
                X,
                Y,
                None if w is None else normalised_weights(np.asarray(w, np.float64), self._k),
            )


def rows_at_scale(data: Any, stats: SufficientStats | None) -> Any:
    """A source's rows with the weights at its statistics' scale (``w / 2**weight_exponent``).

    Files and Dask yield the weights as stored; in-memory rows ``(X, Y, w)``
    already hold them divided (:func:`lingrad._plan`), so they, ``None`` and
    statistics of ordinary weights (``weight_exponent`` 0) pass unchanged.

    Examples
    --------
    >>> s = SufficientStats.from_arrays(np.eye(2), np.ones(2), np.full(2, 1e308))
    >>> class Rows:
    ...     def iter_chunks(self):
    ...         yield np.eye(2), np.ones((2, 1)), np.full(2, 1e308)
    >>> [float(w[0]) for _, _, w in rows_at_scale(Rows(), s).iter_chunks()]
    [0.5562684646268004]
    """
    k = 0 if stats is None else stats.weight_exponent
    if not k or data is None or isinstance(data, tuple):
        return data
    return _RowsAtScale(data, k)


def _scaled_rows(
    X: np.ndarray, w: np.ndarray | None, m: np.ndarray, d: np.ndarray, root_s: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(Z, sqrt(w))``: Z of shape (n, f + intercept), the scaled design rows."""
    sw = np.ones(len(X)) if w is None else np.sqrt(np.asarray(w, np.float64))
    Z = (np.asarray(X, np.float64) - m) / d * sw[:, None]
    if root_s is not None:
        Z = np.column_stack([Z, sw / root_s])
    return Z, sw


def _r_block(
    m: np.ndarray, d: np.ndarray, ybar: np.ndarray, root_s: float | None, X, Y, w
) -> tuple[np.ndarray, int, float]:
    """One chunk's ``(R, n_rows, sum_w)``: R of ``[Z | sqrt(w) (Y - ybar)]``, upper triangular."""
    Z, sw = _scaled_rows(X, w, m, d, root_s)
    A = np.column_stack([Z, sw[:, None] * (np.asarray(Y, np.float64) - ybar)])
    total = float(len(X) if w is None else np.sum(w))
    return np.linalg.qr(A, mode="r"), len(X), total


def _merge_r(a: tuple, b: tuple) -> tuple[np.ndarray, int, float]:
    """Two chunks' R factors as one (stack and re-factor), counts added."""
    return np.linalg.qr(np.vstack([a[0], b[0]]), mode="r"), a[1] + b[1], a[2] + b[2]


def _grad_block(theta: np.ndarray, m: np.ndarray, fit_intercept: bool, X, Y, w) -> np.ndarray:
    """One chunk's ``[Σ w (x - m) r ; Σ w r]`` in double-double, stacked ``[hi, lo]``.

    Shape (2, n_params, n_targets); r is the residual ``Y - X W - b`` at the
    double-double parameters ``theta[0] + theta[1]`` (``theta`` of shape
    (2, n_params, n_targets)).
    """
    X = np.asarray(X, np.float64)
    hi, lo = residual_dd(X, np.asarray(Y, np.float64), theta[0], fit_intercept, theta[1])
    if w is not None:
        w = np.asarray(w, np.float64)[:, None]
        hi, e = two_prod(w, hi)
        lo = e + w * lo
    xs, xe = two_sum(X, np.broadcast_to(-m, X.shape))  # x - m, exactly
    k = hi.shape[1]
    out = np.zeros((2, X.shape[1] + int(fit_intercept), k))
    for j in range(k):
        p, e = two_prod(xs, hi[:, j : j + 1])
        s_hi, s_lo = dd_sum(p, e + xs * lo[:, j : j + 1] + xe * hi[:, j : j + 1])
        out[0, : X.shape[1], j], out[1, : X.shape[1], j] = s_hi, s_lo
        if fit_intercept:
            out[0, -1, j], out[1, -1, j] = dd_sum(hi[:, j], lo[:, j])
    return out


class _Coordinates:
    """The scaled coordinates z of the parameters theta: ``b = z_b / d``,
    ``c = z_c / sqrt(S) - m . b`` (with intercept; then Z above is the design)."""

    def __init__(self, m: np.ndarray, d: np.ndarray, root_s: float | None) -> None:
        self.m, self.d, self.root_s = m, d, root_s

    def theta(self, z: np.ndarray) -> np.ndarray:
        """Parameters (n_params, n_targets) from scaled coordinates of the same shape."""
        f = len(self.d)
        b = z[:f] / self.d[:, None]
        if self.root_s is None:
            return b
        return np.vstack([b, (z[f] / self.root_s - self.m @ b)[None, :]])


def _factor(
    data: Any, stats: SufficientStats, fit_intercept: bool, l2: float
) -> tuple[np.ndarray, np.ndarray, _Coordinates] | None:
    """``(R, z0, coordinates)`` from one TSQR pass, or None when rank deficient or stale."""
    f, S = stats.n_features, float(stats.sum_weights)
    xbar = np.asarray(stats.x_mean, np.float64)
    m = xbar if fit_intercept else np.zeros(f)
    diag = np.diag(np.asarray(stats.xx, np.float64))
    d = np.sqrt(np.clip(diag if fit_intercept else diag + S * xbar**2, 0.0, None))
    if not (d > 0).all() or not S > 0:
        return None
    root_s = math.sqrt(S) if fit_intercept else None
    ybar = np.asarray(stats.y_mean, np.float64) if fit_intercept else np.zeros(stats.n_targets)
    R, n, total = fold_chunks(data, partial(_r_block, m, d, ybar, root_s), _merge_r)
    if n != stats.n_samples or not math.isclose(total, S, rel_tol=1e-9):
        return None  # the rows are not those behind the statistics
    p = f + int(fit_intercept)
    if l2 > 0:
        ridge = np.zeros((f, R.shape[1]))
        ridge[:, :f] = np.diag(math.sqrt(S * l2) / d)
        R = np.linalg.qr(np.vstack([R, ridge]), mode="r")
    if R.shape[0] < p:
        return None
    sv = np.linalg.svd(R[:p, :p], compute_uv=False)
    if not sv[-1] > sv[0] * max(n, p) * _EPS:
        return None  # rank deficient: the minimum-norm solution is the normal equations'
    z = sla.solve_triangular(R[:p, :p], R[:p, p:])
    if fit_intercept:
        z[f] += root_s * ybar  # the targets were centred too
    return R[:p, :p], z, _Coordinates(m, d, root_s)


def accurate_theta(
    data: Any, stats: SufficientStats, fit_intercept: bool, l2: float = 0.0
) -> tuple[np.ndarray, int] | None:
    """The (ridge) least-squares optimum from the rows, to float64's last digits.

    Parameters
    ----------
    data : tuple (X, Y, w) or source
        The rows behind ``stats`` (see :func:`fold_chunks`): X of shape
        (n_samples, n_features), Y (n_samples, n_targets), w None or (n_samples,).
    stats : SufficientStats
        Their statistics (the means and column norms used for scaling).
    fit_intercept : bool
    l2 : float, default=0.0
        The ridge strength (objective ``1/(2S) Σ w r² + l2/2 |W|²``).

    Returns
    -------
    (theta, passes) or None
        theta of shape (n_features + fit_intercept, n_targets) and the passes
        over the rows made (TSQR plus refinement); None when the design is
        rank deficient or the rows are not those of ``stats``.
    """
    factored = _factor(data, stats, fit_intercept, l2)
    if factored is None:
        return None
    R, z, coords = factored
    f, S = stats.n_features, float(stats.sum_weights)
    theta = np.stack([coords.theta(z), np.zeros_like(z)])  # double-double: [hi, lo]
    passes, last = 1, math.inf
    for _ in range(MAX_REFINEMENT_PASSES):
        G = fold_chunks(data, partial(_grad_block, theta, coords.m, fit_intercept), dd_add)
        passes += 1
        g = G[0] + G[1]
        g[:f] /= coords.d[:, None]
        if fit_intercept:
            g[f] /= coords.root_s
        if l2 > 0:
            g[:f] -= S * l2 * (theta[0, :f] + theta[1, :f]) / coords.d[:, None]
        dz = sla.solve_triangular(R, sla.solve_triangular(R, g, trans="T"))
        size = float(np.max(np.linalg.norm(dz, axis=0) / _norm(z)))
        if not size < last:
            break  # at the floor: a correction that no longer shrinks is noise
        before = theta[0] + theta[1]
        theta = dd_add(theta, np.stack([coords.theta(dz), np.zeros_like(dz)]))
        z, last = z + dz, size
        if np.array_equal(theta[0] + theta[1], before):
            break  # the float64 answer no longer changes
    return theta[0] + theta[1], passes


def _norm(z: np.ndarray) -> np.ndarray:
    """Column norms of z (n_params, n_targets), never 0 (a zero target's solution is 0)."""
    return np.maximum(np.linalg.norm(z, axis=0), np.finfo(np.float64).tiny)
