"""The design of a linear model, from sufficient statistics, in well-conditioned coordinates.

``AᵀWA`` (A = [1, X]) is never formed. With an intercept the regressors are
handled in centred working coordinates ``z = [1, x - x̄]``, where the Gram
matrix is block diagonal, ``diag(S, XcᵀWXc)``; without one, in the whitened
coordinates of an SVD of a square root of ``XᵀWX`` built from the centred
scatter. :func:`build_design` also finds the rank, the singular values (the
condition number) and the constant, as statsmodels detects it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._stats import SufficientStats

__all__ = ["Design", "build_design", "matrix_rank"]

_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True, eq=False)
class Design:
    """``AᵀWA`` in working coordinates ``z``, with ``z = tinvᵀ a`` for a row ``a`` of A.

    With an intercept ``z = [1, x - x̄]``: the working Gram matrix is block
    diagonal, ``diag(S, C)`` with C the centred scatter, ``binv`` its inverse.
    Without, ``z = diag(1/s) Vᵀ x`` from the SVD ``sqrt(W) X = U diag(s) Vᵀ``:
    the working Gram matrix is the identity (no squared condition number in the
    sandwich). Either way ``(AᵀWA)⁻¹ = tinv @ binv @ tinvᵀ`` (the pseudo-inverse
    restricted to the design's rank when deficient).
    """

    fit_intercept: bool
    x_mean: np.ndarray  # (n_features,)
    binv: np.ndarray  # (n_working, n_working)
    tinv: np.ndarray  # (n_params, n_working)
    rank: int
    singular_values: np.ndarray  # of sqrt(W) A, descending
    k_constant: int
    const_idx: int | None

    def working(self, X: np.ndarray) -> np.ndarray:
        """Working coordinates of rows of X, shape (n_rows, n_working)."""
        if not self.fit_intercept:
            return X @ self.tinv
        Z = np.empty((X.shape[0], X.shape[1] + 1))
        Z[:, 0] = 1.0
        np.subtract(X, self.x_mean, out=Z[:, 1:])
        return Z

    def to_params(self, Q: np.ndarray) -> np.ndarray:
        """Map a working-coordinate covariance to the parameters: ``tinv Q tinvᵀ``."""
        out = self.tinv @ Q @ self.tinv.T
        return (out + out.T) / 2

    @property
    def normalized_cov(self) -> np.ndarray:
        """``(AᵀWA)⁻¹`` (a generalised inverse when rank deficient)."""
        return self.to_params(self.binv)


def matrix_rank(s: np.ndarray, n_rows: int, n_cols: int, floor: float) -> int:
    """numpy.linalg.matrix_rank's rule on given singular values, above a noise floor."""
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > max(s[0] * max(n_rows, n_cols) * _EPS, floor)))


def build_design(stats: SufficientStats, fit_intercept: bool) -> Design:
    """The design of the statistics' regressors, with or without the intercept.

    Parameters
    ----------
    stats : SufficientStats
    fit_intercept : bool

    Returns
    -------
    Design
    """
    f = stats.n_features
    S = float(stats.sum_weights)
    n = int(stats.n_samples)
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    C = np.asarray(stats.xx, dtype=np.float64)
    C = (C + C.T) / 2
    lam, U = np.linalg.eigh(C)
    lam = np.clip(lam, 0.0, None)
    # sqrt(W) A = Q G with G built from a square root of the centred scatter:
    # G's singular values are those of the weighted design, without forming AᵀWA.
    R_C = np.sqrt(lam)[:, None] * U.T
    sq = math.sqrt(S)
    G_int = np.zeros((f + 1, f + 1))
    G_int[0, 0] = sq
    G_int[0, 1:] = sq * xbar
    G_int[1:, 1:] = R_C
    s_int = np.linalg.svd(G_int, compute_uv=False)
    G_no = np.vstack([sq * xbar[None, :], R_C])
    _, s_no, Vt = np.linalg.svd(G_no, full_matrices=False)
    # The scatter's eigenvalues carry an absolute error of about eps * max(n, p)
    # * lam_max, so its square roots (singular values) are only resolved above
    # this floor: a design closer to singular than that is treated as singular.
    floor = math.sqrt(max(n, f + 1) * _EPS * float(lam.max(initial=0.0)))
    rank_int = matrix_rank(s_int, n, f + 1, floor)
    rank_no = matrix_rank(s_no, n, f, floor)
    if fit_intercept:
        p = f + 1
        root = np.sqrt(lam)
        keep = np.flatnonzero(root > max(root.max(initial=0.0) * max(n, p) * _EPS, floor))
        rank_int = 1 + keep.size
        binv = np.zeros((p, p))
        binv[0, 0] = 1.0 / S
        Uk = U[:, keep]
        binv[1:, 1:] = (Uk / lam[keep]) @ Uk.T
        tinv = np.eye(p)
        tinv[0, 1:] = -xbar
        return Design(True, xbar, binv, tinv, rank_int, s_int, 1, 0)
    r = rank_no
    tinv = Vt[:r].T / s_no[:r]
    k_const, const_idx = _detect_constant(stats, xbar, C, rank_int, rank_no)
    return Design(False, xbar, np.eye(r), tinv, r, s_no, k_const, const_idx)


def _detect_constant(
    stats: SufficientStats, xbar: np.ndarray, C: np.ndarray, rank_int: int, rank_no: int
) -> tuple[int, int | None]:
    """statsmodels' constant detection (``hasconst=None``), from the statistics."""
    S = float(stats.sum_weights)
    var = np.diag(C) / S if S > 0 else np.zeros_like(xbar)
    const_cols = np.flatnonzero(var <= (1e-12 * np.abs(xbar)) ** 2)
    if const_cols.size == 1 and xbar[const_cols[0]] != 0:
        return 1, int(const_cols[0])
    if const_cols.size > 1:
        ones = [j for j in const_cols if np.isclose(xbar[j], 1.0, rtol=1e-12, atol=0.0)]
        if ones:
            return 1, int(ones[0])
        nonzero = [j for j in const_cols if xbar[j] != 0]
        if nonzero:
            return 1, int(nonzero[0])
    # implicit constant: the column of ones lies in the span of X
    return int(rank_no == rank_int), None
