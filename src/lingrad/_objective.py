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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from ._stats import SufficientStats

ALL = slice(None)  # "every row": never index X with it (sparse indexing copies)


@dataclass(frozen=True)
class Penalty:
    """Elastic-net penalty on the coefficient rows (never the intercept)."""

    alpha: float = 0.0
    l1_ratio: float = 0.0

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

    def prox(self, theta: np.ndarray, step: float, n_coef: int) -> np.ndarray:
        """Soft-threshold the coefficient rows of ``theta`` in place by ``step * l1``."""
        if self.l1 > 0:
            W = theta[:n_coef]
            np.copyto(W, np.sign(W) * np.maximum(np.abs(W) - step * self.l1, 0.0))
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
        self.n_features = stats.n_features
        self.n_targets = stats.n_targets
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self._C = stats.xx / sw
        self._Cxy = stats.xy / sw
        self._Cyy = np.diag(stats.yy) / sw
        self._mu = stats.x_mean
        self._ybar = stats.y_mean

    @property
    def n_params(self) -> int:
        return self.n_features + int(self.fit_intercept)

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = self.n_features
        W = theta[:f]
        rbar = self._mu @ W - self._ybar
        if self.fit_intercept:
            rbar = rbar + theta[f]
        return W, rbar

    def grad_mse(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE at ``theta``."""
        W, rbar = self._split(theta)
        CW = self._C @ W
        g = np.empty_like(theta)
        g[: self.n_features] = CW - self._Cxy + np.outer(self._mu, rbar) + self.penalty.l2 * W
        if self.fit_intercept:
            g[self.n_features] = rbar
        mse = np.sum(W * (CW - 2 * self._Cxy), axis=0) + self._Cyy + rbar**2
        return g, float(np.mean(np.maximum(mse, 0.0)))

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

    def spectrum(self) -> tuple[float, float]:
        """Largest and smallest eigenvalue of the Hessian (exact)."""
        p = self.n_params
        H = self.hessian()
        if p <= 2000:
            ev = np.linalg.eigvalsh(H)
            return float(ev[-1]), float(max(ev[0], 0.0))
        top = eigsh(H, k=1, which="LA", return_eigenvectors=False, tol=1e-6)[0]
        return float(top), float("nan")

    def solve_exact(self) -> np.ndarray:
        """Exact minimiser of the smooth objective (minimum-norm when singular)."""
        H = self.hessian()
        rhs = np.empty((self.n_params, self.n_targets))
        f = self.n_features
        rhs[:f] = self._Cxy + np.outer(self._mu, self._ybar)
        if self.fit_intercept:
            rhs[f] = self._ybar
        return np.linalg.lstsq(H, rhs, rcond=None)[0]


class DirectLeastSquares:
    """Squared loss evaluated by passes over X (dense or sparse), no copies of X.

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
        self.sample_weight = sample_weight
        self.sum_weights = float(len(Y) if sample_weight is None else sample_weight.sum())
        self.n_features = X.shape[1]
        self.n_targets = Y.shape[1]
        self.fit_intercept = fit_intercept
        self.penalty = penalty

    @property
    def n_params(self) -> int:
        return self.n_features + int(self.fit_intercept)

    def residual(self, theta: np.ndarray, rows=ALL) -> np.ndarray:
        """``X W + b - Y`` on the chosen rows, shape (n_rows, n_targets)."""
        f = self.n_features
        X = self.X if rows is ALL else self.X[rows]
        r = X @ theta[:f]
        if self.fit_intercept:
            r += theta[f]
        r -= self.Y[rows]
        return r

    def grad_mse(self, theta: np.ndarray, rows=ALL) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE, on all rows or a batch."""
        f = self.n_features
        r = self.residual(theta, rows)
        if self.sample_weight is None:
            sr = r
            sw = r.shape[0]
        else:
            w = self.sample_weight[rows]
            sr = r * w[:, None]
            sw = float(w.sum())
        g = np.empty_like(theta)
        if sw <= 0:
            g[...] = 0.0
            return g, 0.0
        X = self.X if rows is ALL else self.X[rows]
        g[:f] = (X.T @ sr) / sw + self.penalty.l2 * theta[:f]
        if self.fit_intercept:
            g[f] = sr.sum(axis=0) / sw
        mse = float(np.sum(r * sr) / (sw * r.shape[1]))
        return g, mse

    def mse(self, theta: np.ndarray) -> float:
        """Mean squared error (averaged over targets) at ``theta``."""
        r = self.residual(theta)
        sr = r if self.sample_weight is None else r * self.sample_weight[:, None]
        return float(np.sum(r * sr) / (self.sum_weights * r.shape[1]))

    def spectrum(self) -> tuple[float, float]:
        """Largest eigenvalue of the Hessian by Lanczos (a few passes over X).

        The smallest is not estimated (``nan``): it needs far more passes.
        """
        f, p = self.n_features, self.n_params
        w = self.sample_weight
        X = self.X

        def matvec(v):
            v = np.asarray(v, dtype=X.dtype).ravel()
            t = X @ v[:f]
            if self.fit_intercept:
                t = t + v[f]
            if w is not None:
                t = t * w
            out = np.empty(p)
            out[:f] = X.T @ t / self.sum_weights + self.penalty.l2 * v[:f]
            if self.fit_intercept:
                out[f] = t.sum() / self.sum_weights
            return out

        if p == 1:
            top = float(matvec(np.ones(1))[0])
        else:
            op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
            top = float(eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-4)[0])
            top *= 1.0 + 1e-4  # an upper bound, so 1/L and 2/L stay on the safe side
        return top, float("nan")


def is_sparse(X) -> bool:
    """True for SciPy sparse matrices and arrays."""
    return sp.issparse(X)
