"""The objective: weighted squared loss plus an elastic-net penalty.

Parameters are one array ``theta`` of shape (n_params, n_targets): the
coefficients row by row, then (when fitting it) the intercept as the last row.
The minimised objective is

    F(theta) = 1/(2 S) sum_i s_i ||x_i^T W + b - y_i||^2
               + alpha * (l1_ratio * |W|_1 + (1 - l1_ratio)/2 * ||W||_2^2)

with ``S = sum_i s_i``: half the (weighted) mean squared error, whose gradient
is exactly the tutorial's ``dw = X^T (y_hat - y) / n``, ``db = mean(y_hat - y)``.
The intercept is never penalised. The smooth part (loss and L2) is what the
gradient sees; the L1 part enters through :meth:`Penalty.prox`.

Two data fits implement the same small protocol (``grad_mse``, ``mse``,
``hessian_matvec``): ``StatsLeastSquares`` works in feature space from
:class:`~lingrad._stats.SufficientStats` (O(f^2) per evaluation) and
``DirectLeastSquares`` makes a pass over X (O(n f) per evaluation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from ._bounds import Box
from ._stats import SufficientStats, normalised_weights, weight_exponent


@dataclass(frozen=True)
class Penalty:
    """Elastic-net penalty on the coefficient rows (never the intercept)."""

    alpha: float = 0.0
    l1_ratio: float = 0.0
    box: Box | None = None  # bounds on the coefficients (lingrad._bounds): a prox too

    @property
    def l2(self) -> float:
        """Strength of the smooth (ridge) part."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1(self) -> float:
        """Strength of the non-smooth (lasso) part."""
        return self.alpha * self.l1_ratio

    def value(self, W: np.ndarray) -> float:
        """Penalty value, summed over targets."""
        return float(self.l1 * np.abs(W).sum() + 0.5 * self.l2 * np.sum(W * W))

    def prox_for(self, n_coef: int):
        """``prox(theta, step)`` on the first ``n_coef`` rows, or None without L1 or box."""
        if self.l1 == 0 and self.box is None:
            return None
        return lambda theta, step: self.prox(theta, step, n_coef)

    def prox(self, theta: np.ndarray, step: float, n_coef: int) -> np.ndarray:
        """Soft-threshold the coefficient rows of ``theta`` in place by ``step * l1``."""
        if self.l1 > 0:
            W = theta[:n_coef]
            np.copyto(W, np.sign(W) * np.maximum(np.abs(W) - step * self.l1, 0.0))
        if self.box is not None:  # soft-threshold then clip: exact, both separable
            self.box.clip(theta[:n_coef])
        return theta


class StatsLeastSquares:
    """Squared loss evaluated from sufficient statistics, in feature space.

    Parameters
    ----------
    stats : SufficientStats
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(self, stats: SufficientStats, fit_intercept: bool, penalty: Penalty) -> None:
        sw = stats.sum_weights
        self.stats = stats
        self.n_features = stats.n_features
        self.n_targets = stats.n_targets
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self._C = stats.xx / sw
        self._Cxy = stats.xy / sw
        self._Cxy2 = 2.0 * self._Cxy
        self._Cyy_sum = float(np.trace(stats.yy) / sw)
        self._mu = stats.x_mean
        self._mu_col = self._mu[:, None]
        # rbar = mean residual = [mu, 1] . theta - ybar (one dot product)
        self._mu1 = np.append(self._mu, 1.0) if fit_intercept else self._mu
        self._ybar = stats.y_mean

    @property
    def n_params(self) -> int:
        return self.n_features + int(self.fit_intercept)

    def grad_mse(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE at ``theta``.

        Works with centred statistics throughout, so offsets in the data
        cancel no digits: with ``rbar`` the mean residual,
        ``grad_W = C W - Cxy + mu rbar (+ l2 W)``, ``grad_b = rbar`` and
        ``mse = W'C W - 2 W'Cxy + Cyy + rbar^2``. This is the hot loop of the
        "stats" engine: a dozen small NumPy calls, no temporaries of size n.
        """
        f = self.n_features
        W = theta[:f]
        rbar = self._mu1 @ theta - self._ybar
        CW = self._C @ W
        g = np.empty_like(theta)
        gW = g[:f]
        np.subtract(CW, self._Cxy, out=gW)
        gW += self._mu_col * rbar
        if self.penalty.l2:
            gW += self.penalty.l2 * W
        if self.fit_intercept:
            g[f] = rbar
        CW -= self._Cxy2
        CW *= W
        total = CW.sum() + self._Cyy_sum + rbar @ rbar
        return g, max(float(total) / self.n_targets, 0.0)

    def mse(self, theta: np.ndarray) -> float:
        """Mean squared error (averaged over targets) at ``theta``."""
        return self.grad_mse(theta)[1]

    def hessian(self) -> np.ndarray:
        """Hessian of the smooth objective, shape (n_params, n_params)."""
        f = self.n_features
        p = self.n_params
        H = np.empty((p, p))
        H[:f, :f] = self._C + np.outer(self._mu, self._mu)
        H[:f, :f].flat[:: f + 1] += self.penalty.l2
        if self.fit_intercept:
            H[:f, f] = self._mu
            H[f, :f] = self._mu
            H[f, f] = 1.0
        return H

    # Up to this many parameters the Hessian is decomposed exactly (eigh, O(p^3) but
    # fast); above it only L is estimated (Lanczos) and the optimum comes from Cholesky.
    _EIGH_MAX = 2000

    def _eigh(self):
        """Eigen-decomposition of the Hessian, computed once (None when too large)."""
        if not hasattr(self, "_eig"):
            H = self.hessian()
            ok = self.n_params <= self._EIGH_MAX and np.isfinite(H).all()
            self._eig = np.linalg.eigh(H) if ok else None
        return self._eig

    def linear_modes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(eigenvalues, eigenvectors)`` of the Hessian when descent may run in its
        eigenbasis (:mod:`lingrad._trajectory`): unpenalised, decomposable."""
        if self.penalty.alpha != 0:
            return None
        H = self.hessian()
        if not np.isfinite(H).all():
            return None
        return self._eigh()

    def spectrum(self) -> tuple[float, float]:
        """Largest and smallest eigenvalue of the Hessian (exact)."""
        H = self.hessian()
        if not np.isfinite(H).all():  # the statistics overflowed
            return math.inf, math.nan
        eig = self._eigh()
        if eig is not None:
            ev = eig[0]
            return float(ev[-1]), float(max(ev[0], 0.0))
        top = eigsh(H, k=1, which="LA", return_eigenvectors=False, tol=1e-6)[0]
        return float(top), float("nan")


def _sums(theta: np.ndarray, X, Y: np.ndarray, w: np.ndarray | None, fit_intercept: bool):
    """Unnormalised gradient sum, weighted SSE and weight total on one block of rows.

    Returns ``(G, sse, sw)`` with ``G`` of shape (n_params, n_targets):
    ``G[:f] = X^T (w * r)``, ``G[f] = sum(w * r)``, ``r = X W + b - Y``. One
    target works with 1-D vectors (BLAS gemv, sparse matvec), as the tutorial does.
    """
    f = X.shape[1]
    one = theta.shape[1] == 1
    W = theta[:f, 0] if one else theta[:f]
    r = X @ W
    if fit_intercept:
        r += theta[f, 0] if one else theta[f]
    r -= Y[:, 0] if one else Y
    sr = r if w is None else (r * w if one else r * w[:, None])
    G = np.empty_like(theta)
    g = X.T @ sr
    G[:f] = g[:, None] if one else g
    if fit_intercept:
        G[f] = sr.sum(axis=0)
    sw = float(r.shape[0] if w is None else w.sum())
    return G, float(r @ sr if one else np.sum(r * sr)), sw


class _PassesOverData:
    """Shared logic of the engines that read the rows at every evaluation."""

    n_features: int
    n_targets: int
    fit_intercept: bool
    penalty: Penalty

    @property
    def n_params(self) -> int:
        return self.n_features + int(self.fit_intercept)

    def _blocks(self):  # pragma: no cover - every engine defines its row blocks
        raise TypeError(f"{type(self).__name__} must define _blocks(): its row blocks")

    def _finish(self, theta, G, sse, sw):
        if sw <= 0:
            return np.zeros_like(theta), 0.0
        g = G / sw
        g[: self.n_features] += self.penalty.l2 * theta[: self.n_features]
        return g, float(sse / (sw * self.n_targets))

    def _scaled_blocks(self):
        """The blocks, and the power of two their weights are divided by (extreme scales)."""
        for X, Y, w in self._blocks():
            k = weight_exponent(w)
            yield X, Y, normalised_weights(w, k), k

    def grad_mse(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE (averaged over targets).

        Sums run at one weight scale ``2**K`` (the largest of the blocks'): the
        weights' scale cancels in the ratio, whatever it is (5e-324 or 1e308).
        """
        G = np.zeros_like(theta)
        sse = sw = 0.0
        K = None
        for X, Y, w, k in self._scaled_blocks():
            g_b, sse_b, sw_b = _sums(theta.astype(X.dtype, copy=False), X, Y, w, self.fit_intercept)
            if K is None:
                K = k
            elif k > K:  # rescale what was summed so far (shrinks: exact or negligible)
                G, sse, sw, K = np.ldexp(G, K - k), math.ldexp(sse, K - k), math.ldexp(sw, K - k), k
            if k < K:
                g_b, sse_b, sw_b = (
                    np.ldexp(g_b, k - K),
                    math.ldexp(sse_b, k - K),
                    math.ldexp(sw_b, k - K),
                )
            G += g_b
            sse += sse_b
            sw += sw_b
        return self._finish(theta, G, sse, sw)

    def mse(self, theta: np.ndarray) -> float:
        """Mean squared error (averaged over targets) at ``theta``."""
        return self.grad_mse(theta)[1]

    def _hessian_matvec(self, v: np.ndarray) -> np.ndarray:
        f = self.n_features
        out = np.zeros(self.n_params)
        sw = 0.0
        K = None
        for X, _, w, k in self._scaled_blocks():
            t = X @ v[:f].astype(X.dtype, copy=False)
            if self.fit_intercept:
                t = t + v[f]
            if w is not None:
                t = t * w
            if K is None:
                K = k
            elif k > K:  # one weight scale for the whole pass, as in grad_mse
                out, sw, K = np.ldexp(out, K - k), math.ldexp(sw, K - k), k
            if k < K:
                t = np.ldexp(t, k - K)
            out[:f] += X.T @ t
            if self.fit_intercept:
                out[f] += t.sum()
            sw += X.shape[0] if w is None else math.ldexp(float(w.sum()), min(k - K, 0))
        out /= sw  # the same pass's weight total: no separate pass to count it
        out[:f] += self.penalty.l2 * v[:f]
        return out

    def spectrum(self) -> tuple[float, float]:
        """Largest eigenvalue of the Hessian by Lanczos (a few passes over the data).

        The smallest is not estimated (``nan``): it needs far more passes.
        """
        p = self.n_params
        if p == 1:
            return float(self._hessian_matvec(np.ones(1))[0]), float("nan")
        op = LinearOperator(
            (p, p), matvec=lambda v: self._hessian_matvec(np.ravel(v)), dtype=np.float64
        )
        top = float(eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-4)[0])
        # An upper bound, so that 1/L and 2/L stay on the safe side.
        return top * (1.0 + 1e-4), float("nan")


class DirectLeastSquares(_PassesOverData):
    """Squared loss evaluated by passes over in-memory X (dense or sparse), no copies.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(self, X, Y, sample_weight, fit_intercept: bool, penalty: Penalty) -> None:
        self.X = X
        self.Y = Y
        self.sample_weight = normalised_weights(sample_weight)  # scale-free: w / 2**k
        self.n_features = X.shape[1]
        self.n_targets = Y.shape[1]
        self.fit_intercept = fit_intercept
        self.penalty = penalty

    def _blocks(self):
        yield self.X, self.Y, self.sample_weight

    def _scaled_blocks(self):
        yield self.X, self.Y, self.sample_weight, 0  # normalised once, above

    def batch_grad(self, theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gradient of the smooth objective on a mini-batch of rows."""
        w = None if self.sample_weight is None else self.sample_weight[rows]
        G, sse, sw = _sums(theta, self.X[rows], self.Y[rows], w, self.fit_intercept)
        return self._finish(theta, G, sse, sw)[0]


class StreamedLeastSquares(_PassesOverData):
    """Squared loss evaluated by streaming row blocks (files, clusters) at every pass.

    Parameters
    ----------
    blocks : callable
        ``blocks()`` yields ``(X, Y, w)`` row blocks, ``Y`` of shape
        (n_rows, n_targets) and ``w`` None or of shape (n_rows,).
    n_features, n_targets : int
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(self, blocks, n_features, n_targets, fit_intercept, penalty):
        self._block_fn = blocks
        self.n_features = n_features
        self.n_targets = n_targets
        self.fit_intercept = fit_intercept
        self.penalty = penalty

    def _blocks(self):
        return self._block_fn()


def is_sparse(X) -> bool:
    """True for SciPy sparse matrices and arrays."""
    return sp.issparse(X)
