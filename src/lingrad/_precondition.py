"""Preconditioned descent: gradient descent on ``z`` where ``theta = T z``.

With the intercept fitted, ``T`` centres the columns (the intercept decoupled:
``c = b + mu . W`` is the mean prediction) and scales them: ``W = M w`` with
``M = diag(m) P``, ``m`` the inverse column standard deviations and ``P`` the
identity ("diagonal") or ``U Lambda^(-1/2)`` from the eigen-decomposition
``U Lambda U^T`` of the scaled covariance ("full": the descended Hessian is the
identity). The problems here have the objective protocol of
:mod:`lingrad._objective` (``grad_mse``, ``mse``, ``spectrum``,
``linear_modes``) in ``z``: the same MSE, the gradient ``T^T grad(T z)``, and the
Hessian ``T^T H T`` whose eigenbasis the closed-form trajectories use.

Rank deficiency is decided on the scaled problem, by the rule of
:func:`lingrad._optimum.optimum_theta` (eigenvalues of the scaled covariance
below ``n_features * eps`` times the largest are zero); :attr:`Transform.null`
spans the null space in the original coordinates, so that a result can be
made the minimum-norm solution by projecting it out.

Examples
--------
>>> import numpy as np
>>> t = Transform(mu=np.array([10.0]), m=np.array([0.5]))
>>> theta = np.array([[2.0], [1.0]])
>>> t.to_z(theta).ravel().tolist(), t.to_theta(t.to_z(theta)).ravel().tolist()
([4.0, 21.0], [2.0, 1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from ._modes import EIGH_MAX, diagonal_modes, raw_spectrum
from ._objective import StatsLeastSquares

__all__ = [
    "AUTO_FULL_KAPPA",
    "VECTORS_MIN_FEATURES",
    "Preconditioned",
    "StatsInZ",
    "Transform",
    "column_scales",
    "raw_spectrum",
    "scaled_eigh",
]

#: "auto" whitens (``precondition="full"``) when the centred, diagonally scaled
#: problem still has a condition number above this: plain GD would need more
#: than about ``1e3 log(1/tol)`` iterations where whitened GD needs one.
AUTO_FULL_KAPPA = 1e3

#: From this many features on, a well-conditioned full-rank problem is decomposed for
#: its eigenvalues only (``eigvalsh``; the condition number, the rank, the step sizes):
#: the eigenvectors cost several times more, and descent in a diagonally scaled
#: problem of condition number at most :data:`AUTO_FULL_KAPPA` takes fewer O(f^2)
#: iterations than an O(f^3) decomposition is worth. The reference optimum then
#: solves by Cholesky (:func:`lingrad._optimum.reference_theta`).
VECTORS_MIN_FEATURES = 64

_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Transform:
    """``theta = T z``: ``W = diag(m) P w`` and, when ``mu`` is given, ``b = c - mu . W``.

    Attributes
    ----------
    mu : ndarray of shape (n_features,) or None
        Column means (centring; None without an intercept).
    m : ndarray of shape (n_features,)
        Column scales (inverse standard deviations).
    P : ndarray of shape (n_features, rank) or None
        Whitening (None: the identity).
    P_left : ndarray of shape (rank, n_features) or None
        Left inverse of ``P`` (``P_left @ P = I``).
    kind : {"diagonal", "full"}
    null : ndarray of shape (n_features, n_null) or None
        Orthonormal basis of the null space of the design, original coordinates.
    eig : tuple (lam, U) or None
        The eigen-decomposition of the scaled coefficient Hessian ``diag(m) S diag(m)``
        the transform was made from (:func:`scaled_eigh`; None: not decomposed):
        the diagonally preconditioned Hessian's, and the reference optimum's
        factor (:func:`lingrad._optimum.reference_theta`), so it is computed once.
    """

    mu: np.ndarray | None
    m: np.ndarray
    P: np.ndarray | None = None
    P_left: np.ndarray | None = None
    kind: str = "diagonal"
    null: np.ndarray | None = None
    eig: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_features(self) -> int:
        return self.m.size

    @property
    def rank(self) -> int:
        """Number of coefficient coordinates in ``z``."""
        return self.m.size if self.P is None else self.P.shape[1]

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        """``T z``: shape (rank + intercept, k) -> (n_features + intercept, k)."""
        r = self.rank
        w = z[:r]
        W = self.m[:, None] * (w if self.P is None else self.P @ w)
        if self.mu is None:
            return W
        return np.vstack([W, z[r : r + 1] - self.mu @ W])

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        """``T^-1 theta`` (the left inverse when whitening drops null directions)."""
        f = self.n_features
        W = theta[:f].astype(np.float64) / self.m[:, None]
        w = W if self.P_left is None else self.P_left @ W
        if self.mu is None:
            return w
        return np.vstack([w, theta[f : f + 1] + self.mu @ theta[:f]])

    def grad_to_z(self, g: np.ndarray) -> np.ndarray:
        """``T^T g``: a gradient in theta to one in z."""
        f = self.n_features
        gW = g[:f] if self.mu is None else g[:f] - self.mu[:, None] * g[f : f + 1]
        gw = self.m[:, None] * gW
        gw = gw if self.P is None else self.P.T @ gw
        return gw if self.mu is None else np.vstack([gw, g[f : f + 1]])

    def project(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` with the null-space part of its coefficients removed (same predictions)."""
        if self.null is None or self.null.shape[1] == 0:
            return theta
        f = self.n_features
        out = np.array(theta, dtype=np.float64)
        dW = self.null @ (self.null.T @ out[:f])
        out[:f] -= dW
        if self.mu is not None:
            out[f] += self.mu @ dW
        return out.astype(theta.dtype, copy=False)


def scaled_eigh(
    S: np.ndarray, vectors: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """``(m, lam, U, keep)``: ``m`` inverse square roots of ``diag(S)``, the eigen-decomposition
    of ``diag(m) S diag(m)`` (eigenvalues ascending, clipped at 0) and which count as non-zero.

    Zero-variance columns get ``m = 1``. Shapes: S (f, f); m, lam, keep (f,); U (f, f),
    or None when ``vectors`` is False (eigenvalues only, several times cheaper).
    """
    d = np.sqrt(np.clip(np.diag(S), 0.0, None))
    d[~(d > 0)] = 1.0
    m = 1.0 / d
    Cs = S * m[:, None] * m[None, :]
    if vectors:
        lam, U = np.linalg.eigh((Cs + Cs.T) / 2)
    else:
        lam, U = np.linalg.eigvalsh((Cs + Cs.T) / 2), None
    lam = np.clip(lam, 0.0, None)
    keep = lam > lam.max(initial=0.0) * max(S.shape[0], 1) * _EPS
    return m, lam, U, keep


def stats_transform(
    stats: Any, fit_intercept: bool, l2: float, kind: str
) -> tuple[Transform, float]:
    """The transform of ``kind`` ("auto", "diagonal", "full") from sufficient statistics,
    and the condition number of the centred, scaled problem (nan when not decomposed)."""
    f = stats.n_features
    sw = float(stats.sum_weights)
    mu = np.asarray(stats.x_mean, dtype=np.float64)
    S = np.array(stats.xx, dtype=np.float64) / sw
    if not fit_intercept:
        S += np.outer(mu, mu)
    S.flat[:: f + 1] += l2
    centre = mu if fit_intercept else None
    if f > EIGH_MAX or not np.isfinite(S).all():
        d = np.sqrt(np.clip(np.diag(S), 0.0, None))
        d[~(d > 0)] = 1.0
        return Transform(centre, 1.0 / d), math.nan
    m, lam, U, keep = scaled_eigh(S, vectors=kind == "full" or f < VECTORS_MIN_FEATURES)
    kappa = float(lam[-1] / lam[0]) if f and keep.all() else (1.0 if f == 0 else math.inf)
    if kind == "auto":
        kind = "full" if kappa > AUTO_FULL_KAPPA else "diagonal"
    if U is None and (kind == "full" or not keep.all()):
        m, lam, U, keep = scaled_eigh(S)  # whitening or a null space: the vectors after all
    null = None
    if not keep.all():
        null, _ = np.linalg.qr(m[:, None] * U[:, ~keep])
    if kind == "diagonal":
        return Transform(centre, m, null=null, eig=(lam, U)), kappa
    root = np.sqrt(lam[keep])
    P = U[:, keep] / root[None, :]
    P_left = (U[:, keep] * root[None, :]).T
    return Transform(centre, m, P, P_left, "full", null, (lam, U)), kappa


def column_scales(problem: Any, fit_intercept: bool) -> Transform:
    """Diagonal transform from the rows of a direct problem (X never densified or copied).

    Two passes, whatever holds the rows (memory, a file stream, a cluster): the
    column means from one Hessian-vector product (``H e_b = (mu, 1)``), then the
    centred second moments ``sum_i w_i (x_i - mu)^2`` (dense rows in blocks of
    about 2^20 numbers; sparse X as ``sum w x^2 - 2 mu sum w x + mu^2 S``, never
    centred). Any positive scale maps back exactly; this one makes the
    columns' variances 1.
    """
    f = problem.n_features
    mu = _means(problem) if fit_intercept else None
    shift = np.zeros(f) if mu is None else mu
    if hasattr(problem, "centred_moments"):  # rows on a cluster
        sq, S = problem.centred_moments(shift), float(problem.sum_weights)
    else:
        sq, S, K = np.zeros(f), 0.0, None
        for X, _, w, k in problem._scaled_blocks():  # weights / 2**k: one scale for the pass
            w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
            if K is None:
                K = k
            elif k > K:
                sq, S, K = np.ldexp(sq, K - k), math.ldexp(S, K - k), k
            w = np.ldexp(w, k - K) if k < K else w
            sq += _block_centred_sq(X, w, shift)
            S += float(w.sum())
    return _from_var(sq / (S or 1.0), mu)


def _means(problem: Any) -> np.ndarray:
    e = np.zeros(problem.n_features + 1)
    e[-1] = 1.0
    return np.asarray(problem._hessian_matvec(e)[:-1], dtype=np.float64)


def _block_centred_sq(X: Any, w: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``sum_i w_i (x_i - shift)^2`` per column of one block of rows."""
    if sp.issparse(X):
        s1 = np.asarray(X.T @ w, dtype=np.float64).ravel()
        s2 = np.asarray(X.multiply(X).T @ w, dtype=np.float64).ravel()
        return np.maximum(s2 - 2.0 * shift * s1 + shift * shift * float(w.sum()), 0.0)
    out = np.zeros(X.shape[1])
    step = max(1, 2**20 // max(X.shape[1], 1))
    for i in range(0, X.shape[0], step):
        B = np.asarray(X[i : i + step], dtype=np.float64) - shift
        out += w[i : i + step] @ (B * B)
    return out


def _from_var(var: np.ndarray, mu: np.ndarray | None) -> Transform:
    d = np.sqrt(np.clip(var, 0.0, None))
    d[~(d > 0)] = 1.0
    return Transform(mu, 1.0 / d)


@dataclass(frozen=True)
class RowSpace:
    """Projection of coefficients onto the row space of the (centred, weighted) design.

    For in-memory data with fewer rows than parameters (an underdetermined
    fit, whose coefficients are never unique): ``W -> R^T (R R^T)^+ R W`` with
    ``R = diag(sqrt(w)) (X - 1 mu^T)``, from the n-by-n row Gram (X is never
    centred in place or densified beyond it).

    Attributes
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    sqrt_w : ndarray of shape (n_samples,)
    mu : ndarray of shape (n_features,) or None
        Column means (None without an intercept).
    """

    X: Any
    sqrt_w: np.ndarray
    mu: np.ndarray | None

    def _rows(self, W: np.ndarray) -> np.ndarray:
        RW = np.asarray(self.X @ W, dtype=np.float64)
        if self.mu is not None:
            RW = RW - self.mu @ W
        return self.sqrt_w[:, None] * RW

    def _cols(self, V: np.ndarray) -> np.ndarray:
        sV = self.sqrt_w[:, None] * V
        out = np.asarray(self.X.T @ sV, dtype=np.float64)
        return out if self.mu is None else out - np.outer(self.mu, sV.sum(axis=0))

    def project(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` with its coefficients in the row space (same predictions)."""
        f = self.X.shape[1]
        out = np.array(theta, dtype=np.float64)
        G = self._rows(self._cols(np.eye(self.X.shape[0])))
        lam, U = np.linalg.eigh((G + G.T) / 2)
        keep = lam > lam.max(initial=0.0) * max(G.shape[0], 1) * _EPS
        Uk = U[:, keep]
        W = self._cols(Uk @ ((Uk.T @ self._rows(out[:f])) / lam[keep, None]))
        if self.mu is not None:
            out[f] += self.mu @ (out[:f] - W)
        out[:f] = W
        return out.astype(theta.dtype, copy=False)


def row_space(problem: Any, fit_intercept: bool) -> RowSpace | None:
    """The :class:`RowSpace` of an in-memory direct problem with fewer rows than
    parameters, else None."""
    X = getattr(problem, "X", None)
    if X is None or X.shape[0] >= problem.n_params:
        return None
    sw = problem.sample_weight
    w = np.ones(X.shape[0]) if sw is None else np.asarray(sw, dtype=np.float64)
    mu = np.asarray(X.T @ w, dtype=np.float64).ravel() / (float(w.sum()) or 1.0)
    return RowSpace(X, np.sqrt(w), mu if fit_intercept else None)


class Preconditioned:
    """Any objective of :mod:`lingrad._objective` descended in ``z`` (``theta = T z``).

    Parameters
    ----------
    inner : StatsLeastSquares, DirectLeastSquares or StreamedLeastSquares
    transform : Transform
    """

    def __init__(self, inner: Any, transform: Transform) -> None:
        self.inner, self.transform = inner, transform
        self.n_features = transform.rank
        self.n_targets = inner.n_targets
        self.fit_intercept = inner.fit_intercept
        self.penalty = inner.penalty
        if hasattr(inner, "hessian") and not inner.penalty.l1:
            modes = diagonal_modes(transform, inner.fit_intercept)
            if modes is not None:
                self._eig = modes  # the decomposition the transform came from: no second one

    @property
    def n_params(self) -> int:
        return self.n_features + int(self.fit_intercept)

    def grad_mse(self, z: np.ndarray) -> tuple[np.ndarray, float]:
        """``(T^T grad(T z), mse(T z))``."""
        g, mse = self.inner.grad_mse(self.transform.to_theta(z))
        return self.transform.grad_to_z(g), mse

    def mse(self, z: np.ndarray) -> float:
        return self.grad_mse(z)[1]

    def _hessian_matvec(self, v: np.ndarray) -> np.ndarray:
        t = self.transform
        Hv = self.inner._hessian_matvec(t.to_theta(v.reshape(-1, 1)).ravel())
        return t.grad_to_z(Hv.reshape(-1, 1)).ravel()

    def hessian(self) -> np.ndarray:
        """``T^T H T`` (from the inner Hessian; statistics only)."""
        T = self.transform.to_theta(np.eye(self.n_params))
        return T.T @ self.inner.hessian() @ T

    def linear_modes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Eigenbasis of ``T^T H T`` when the inner problem offers one (not where the
        transform kept eigenvalues only: the descent then loops, O(f^2) a step)."""
        if not hasattr(self.inner, "linear_modes") or self.penalty.alpha != 0:
            return None
        eig = _eigh_of(self)
        return None if eig is None or eig[1] is None else eig

    def spectrum(self) -> tuple[float, float]:
        """Largest and smallest eigenvalue of ``T^T H T``: exact from the statistics when
        decomposable, else the largest by Lanczos (the smallest ``nan``)."""
        if hasattr(self.inner, "hessian"):
            eig = _eigh_of(self)
            if eig is not None:
                return float(eig[0][-1]), float(max(eig[0][0], 0.0))
            H = self.hessian()
            if not np.isfinite(H).all():
                return math.inf, math.nan
            return float(
                eigsh(H, k=1, which="LA", return_eigenvectors=False, tol=1e-6)[0]
            ), math.nan
        p = self.n_params
        if p == 1:
            return float(self._hessian_matvec(np.ones(1))[0]), math.nan
        op = LinearOperator((p, p), matvec=lambda v: self._hessian_matvec(np.ravel(v)))
        top = float(eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-4)[0])
        return top * (1.0 + 1e-4), math.nan


def _eigh_of(problem: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``eigh(problem.hessian())``, computed once (None when too large or not finite)."""
    if not hasattr(problem, "_eig"):
        H = problem.hessian() if problem.n_params <= EIGH_MAX else None
        ok = H is not None and np.isfinite(H).all()
        problem._eig = np.linalg.eigh((H + H.T) / 2) if ok else None
    return problem._eig


class StatsInZ(Preconditioned):
    """:class:`StatsLeastSquares` with an intercept, descended in centred coordinates.

    The gradient and the MSE come straight from the centred statistics in
    ``z`` (``c - ybar`` is the mean residual), so no offset ``mu . W`` is ever
    added and subtracted: ``grad_w = A w - B (+ l2 M^T M w)``, ``grad_c = c - ybar``,
    ``mse = w^T A w - 2 w^T B + Cyy + |c - ybar|^2`` with ``A = M^T C M`` and
    ``B = M^T Cxy``.
    """

    def __init__(self, inner: StatsLeastSquares, transform: Transform) -> None:
        super().__init__(inner, transform)
        t, r = transform, transform.rank
        l2 = inner.penalty.l2
        if t.P is None:  # diagonal: products by m, no matrix products
            self._A = inner._C * t.m[:, None] * t.m[None, :]
            self._B = t.m[:, None] * inner._Cxy
            self._Al2 = self._A + np.diag(l2 * t.m * t.m) if l2 else self._A
        else:
            M = t.m[:, None] * t.P
            self._A = M.T @ inner._C @ M
            self._B = M.T @ inner._Cxy
            self._Al2 = self._A + l2 * (M.T @ M) if l2 else self._A
        self._B2 = 2.0 * self._B
        self._Cyy = inner._Cyy_sum
        self._ybar = inner._ybar
        self._r = r

    def grad_mse(self, z: np.ndarray) -> tuple[np.ndarray, float]:
        r = self._r
        w = z[:r]
        rbar = z[r] - self._ybar
        g = np.empty_like(z, dtype=np.float64)
        np.subtract(self._Al2 @ w, self._B, out=g[:r])
        g[r] = rbar
        Aw = self._A @ w
        Aw -= self._B2
        Aw *= w
        total = Aw.sum() + self._Cyy + rbar @ rbar
        return g, max(float(total) / self.n_targets, 0.0)

    def hessian(self) -> np.ndarray:
        r = self._r
        H = np.zeros((r + 1, r + 1))
        H[:r, :r] = self._Al2
        H[r, r] = 1.0
        return H
