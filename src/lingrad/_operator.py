"""The least-squares design as an operator: weighted, centred, column-scaled, never densified.

:class:`Design` is ``A = diag(sqrt(w / S)) [(X - 1 mu^T) D, 1]`` applied through
``X @ v`` and ``X.T @ r`` plus rank-one corrections for the centring, for dense or
CSR/CSC sparse X (never copied, never centred in place); :func:`design_of` builds it
from a direct problem, with the column moments of :func:`column_moments` (one chunked
pass over sparse X). :mod:`lingrad._krylov` runs conjugate gradients on it.

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0]])
>>> mu, var = column_moments(X, None, centre=True)
>>> print(mu.tolist(), round(float(var[0]), 12))
[1.0] 0.666666666667
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._blocked import Blocked, add_product, blocked_of, shell
from ._objective import DirectLeastSquares

__all__ = ["Blocked", "Design", "blocked_of", "column_moments", "design_of"]

#: Numbers of X read at a time for the column moments (bounded memory).
_CHUNK = 1 << 20
#: A column whose spread is at most this share of its root mean square is constant to
#: float64 (the operator's centring resolves nothing finer): exactly zero in A.
_ZERO = 64 * np.finfo(np.float64).eps


@dataclass
class Design:
    """``A = diag(sq) [(X - 1 mu^T) D, 1]`` as an operator, and ``theta <-> z``.

    Attributes
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sq : ndarray of shape (n_samples, 1) or float
        ``sqrt(w / S)``.
    mu : ndarray of shape (n_features,) or None
        Column means (None: no intercept).
    d : ndarray of shape (n_features,)
        Column scales ``D``.
    lam : ndarray of shape (n_params, 1)
        Damping of each coordinate of ``z`` (``l2 d^2``; 0 for the intercept).
    zero : ndarray of bool, shape (n_features,), or None
        Columns of A that are exactly zero (constant columns, centred): their
        coefficients move no prediction, and the minimum-norm answer keeps them at 0.
    """

    X: Any
    Y: np.ndarray
    sq: Any
    mu: np.ndarray | None
    d: np.ndarray
    lam: np.ndarray
    zero: np.ndarray | None = None
    blocked: Blocked | None = None  # X in blocks for threads (built here when None)

    def __post_init__(self) -> None:
        self.XT = self.X.T  # a view (sparse: the other format on the same arrays), made once
        if self.blocked is None:
            self.blocked = blocked_of(self.X)

    def _x(
        self, V: np.ndarray, transpose: bool = False, initial: Any = 0.0, out: Any = None
    ) -> np.ndarray:
        """``initial + X @ V`` (``X.T @ V``), shape (rows, k), float64 (in ``out``, a
        reused buffer, where X is blocked float64)."""
        M = self.XT if transpose else self.X
        V = V.astype(self.X.dtype, copy=False)
        V = V[:, 0] if V.shape[1] == 1 else V  # one target: a matvec
        initial = np.asarray(initial, dtype=np.float64)
        initial = initial[0] if V.ndim == 1 and initial.ndim == 1 else initial
        late, initial = (0.0, initial) if V.dtype == np.float64 else (initial, 0.0)
        if self.blocked is not None:
            buf = None if out is None else out.reshape(out.shape[0], *V.shape[1:])
            out = self.blocked.product(V, transpose, initial, out=buf)
        elif sp.issparse(M) and M.format in ("csr", "csc"):
            out = np.empty((M.shape[0], *V.shape[1:]), dtype=np.result_type(M.dtype, V))
            out[...] = initial
            add_product(M, V, out)
        else:
            out = M @ V
            out += initial
        out = np.asarray(out, dtype=np.float64).reshape(M.shape[0], -1)
        if np.any(late):  # float32 X: the constant added in float64, as the result
            out += late
        return out

    def matvec(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``A Z``: shape (n_params, k) -> (n_samples, k) (``out``: a buffer to reuse)."""
        f, scalar = self.d.size, np.ndim(self.sq) == 0
        Wd = self.d[:, None] * Z[:f]
        c = 0.0 if self.mu is None else Z[f] - self.mu @ Wd  # the centring, per target
        if scalar:  # a scalar sq scales in feature space
            return self._x(Wd * self.sq, initial=c * self.sq, out=out)
        U = self._x(Wd, initial=c, out=out)
        U *= self.sq
        return U

    def rmatvec(self, R: np.ndarray) -> np.ndarray:
        """``A^T R``: shape (n_samples, k) -> (n_params, k)."""
        f, scalar = self.d.size, np.ndim(self.sq) == 0
        V = R if scalar else R * self.sq  # a scalar sq scales in feature space
        G = self._x(V, transpose=True)
        if self.mu is not None:
            s = V.sum(axis=0)
            G -= np.outer(self.mu, s)
            G = np.vstack([G, s[None, :]])
        G[:f] *= self.d[:, None]
        if scalar:
            G *= self.sq
        if self.zero is not None:
            G[: self.zero.size][self.zero] = 0.0  # constant columns: no direction
        return G

    def to_theta(self, Z: np.ndarray) -> np.ndarray:
        f = self.d.size
        W = self.d[:, None] * Z[:f]
        return W if self.mu is None else np.vstack([W, Z[f : f + 1] - self.mu @ W])

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        f = self.d.size
        W = np.asarray(theta[:f], dtype=np.float64)
        w = W / self.d[:, None]
        return w if self.mu is None else np.vstack([w, theta[f : f + 1] + self.mu @ W])

    def residual(self, theta: np.ndarray) -> np.ndarray:
        """``sqrt(w/S) (Y - X W - b)`` from the data (no centring arithmetic)."""
        f = self.d.size
        R = self.Y - self._x(np.asarray(theta[:f], dtype=np.float64))
        if self.mu is not None:
            R -= theta[f]
        R *= self.sq
        return R


def _sparse_sums(X: Any, w: np.ndarray | None, shift: np.ndarray | None = None):
    """Per column of CSR/CSC X, over the stored entries, in chunks (X never copied):
    ``sum w (x - shift)``, ``sum w (x - shift)^2`` and ``sum w`` (shift None: 0)."""
    n, f = X.shape
    csr = X.format == "csr"
    major, indptr = (n if csr else f), X.indptr
    s1, s2, s0 = np.zeros(f), np.zeros(f), np.zeros(f)
    step = max(1, _CHUNK * major // max(X.nnz, 1))
    for a in range(0, major, step):
        b = min(major, a + step)
        p0, p1 = indptr[a], indptr[b]
        v = X.data[p0:p1].astype(np.float64)
        counts = np.diff(indptr[a : b + 1])
        if csr:
            col, wv = X.indices[p0:p1], None if w is None else np.repeat(w[a:b], counts)
        else:
            col = np.repeat(np.arange(a, b), counts)
            wv = None if w is None else w[X.indices[p0:p1]]
        c = v if shift is None else v - shift[col]
        cw = c if wv is None else c * wv
        s1 += np.bincount(col, weights=cw, minlength=f)
        s2 += np.bincount(col, weights=cw * c, minlength=f)
        if shift is not None:  # (only the centring pass needs the stored weight)
            s0 += np.bincount(col, weights=wv, minlength=f)
    return s1, s2, s0


def _sums_by_products(
    X: Any, w: np.ndarray, blocked: Blocked | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X^T w, (X*X)^T w)`` by sparse products (in threads with ``blocked``, X's
    chunks, each squaring its own values); X*X shares X's index arrays."""
    if blocked is not None:
        square = lambda v: np.square(v, dtype=np.float64)  # noqa: E731
        return blocked.product(w, True), blocked.product(w, True, values=square)
    X2 = shell(type(X), X.shape, X.indptr, X.indices, np.square(X.data, dtype=np.float64))
    return np.asarray(X.T @ w, dtype=np.float64), np.asarray(X2.T @ w, dtype=np.float64)


def column_moments(
    X: Any, w: np.ndarray | None, centre: bool, blocked: Blocked | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted column means and second moments (centred when ``centre``), shape (f,) each.

    Sparse X: one chunked pass over the stored entries, ``E[x^2] - mu^2``; where that
    cancels more than 6 digits (large offsets), a second pass centres the stored
    entries exactly (the implicit zeros add ``mu^2`` each). Dense X: the means, then
    the centred squares in blocks of about 2^20 numbers. No dense copy of X either way.
    ``blocked``: sparse X's blocks (:func:`blocked_of`) for threaded products.
    """
    n, f = X.shape
    S = float(n if w is None else w.sum()) or 1.0
    if sp.issparse(X):
        if not X.has_canonical_format:  # duplicate entries would square wrongly
            X = X.copy()
            X.sum_duplicates()
            blocked = None
        s1, s2 = _sums_by_products(X, np.ones(n) if w is None else w, blocked)
        mu, ms = s1 / S, s2 / S
        if not centre:
            return mu, ms
        var = np.maximum(ms - mu * mu, 0.0)
        if (var <= 1e-6 * ms).any():  # corrected two-pass (Chan, Golub & LeVeque, 1983)
            c1, c2, s0 = _sparse_sums(X, w, mu)
            dev = (c1 - (S - s0) * mu) / S  # the implicit zeros deviate by -mu each
            var = np.maximum((c2 + (S - s0) * mu * mu) / S - dev * dev, 0.0)
        return mu, var
    mu = np.asarray((X.sum(axis=0) if w is None else w @ X), dtype=np.float64) / S
    shift = mu if centre else np.zeros(f)
    m1, m2 = np.zeros(f), np.zeros(f)
    step = max(1, _CHUNK // max(f, 1))
    for i in range(0, n, step):
        B = np.asarray(X[i : i + step], dtype=np.float64) - shift
        m1 += B.sum(axis=0) if w is None else w[i : i + step] @ B
        B *= B
        m2 += B.sum(axis=0) if w is None else w[i : i + step] @ B
    dev = m1 / S if centre else 0.0  # the corrected two-pass formula
    return mu, np.maximum(m2 / S - dev * dev, 0.0)


def design_of(problem: DirectLeastSquares, kind: str) -> tuple[Design, float]:
    """The :class:`Design` of ``problem`` ("none": raw columns) and y's spread (its
    weighted variance averaged over targets; the mean square without an intercept)."""
    X, Y, sw = problem.X, np.asarray(problem.Y, dtype=np.float64), problem.sample_weight
    n, f = X.shape
    fi, l2 = problem.fit_intercept, problem.penalty.l2
    w = None if sw is None else np.asarray(sw, dtype=np.float64)
    S = float(n if w is None else w.sum()) or 1.0
    blocked = blocked_of(X)  # made once: for the moments and the operator
    mean, var = column_moments(X, w, centre=fi, blocked=blocked)
    zero = None
    if kind == "none":
        d = np.ones(f)
    else:
        rms = np.sqrt(var + mean * mean if fi else var)
        zero = (np.sqrt(var) <= _ZERO * rms) & (l2 == 0)
        den = np.sqrt(np.where(zero, 1.0, var + l2))
        d = np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), 1.0)
    mu = (mean if kind != "none" else np.zeros(f)) if fi else None
    lam = l2 * d * d
    lam = np.append(lam, 0.0) if fi else lam
    sq = 1.0 / math.sqrt(S) if w is None else np.sqrt(w / S)[:, None]
    ybar = (Y.sum(axis=0) if w is None else w @ Y) / S
    E = Y - ybar if fi else Y
    spread = (E * E).sum(axis=0) if w is None else w @ (E * E)
    var_y, ms_y = float(np.mean(spread)) / S, float(np.mean(spread / S + ybar * ybar))
    scale = next((c for c in ((var_y, ms_y) if fi else (var_y,)) if c > 0), 0.0)
    design = Design(X, Y, sq, mu, d, lam[:, None], zero, blocked)
    return design, scale or float(np.finfo(float).tiny)
