"""The design of a linear model, from sufficient statistics, in well-conditioned coordinates.

``AᵀWA`` (A = [1, X]) is never formed. With an intercept the regressors are
handled in centred working coordinates ``z = [1, x - x̄]``, where the Gram
matrix is block diagonal, ``diag(S, XcᵀWXc)``; without one, in the whitened
coordinates of an SVD of a square root of ``XᵀWX`` built from the centred
scatter. Rank and inverse are computed with every column scaled to unit norm
(units and offsets cost nothing; the inverse keeps about ``16 - 2 log10(kappa)``
digits, kappa the scaled condition number). :func:`build_design` also finds
the singular values (statsmodels' condition number) and the constant, as
statsmodels detects it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._stats import SufficientStats

__all__ = ["Design", "build_design", "check_summary_width"]

_EPS = np.finfo(np.float64).eps

#: A centred column whose spread is below this fraction of its offset
#: (``sqrt(C_jj) <= 1e-12 sqrt(S) |x̄_j|``) is rounding noise on a constant.
_CONST_RTOL = 1e-12


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
    # of the centred, unit-scaled design over its resolved rank: the inverse from
    # the statistics keeps about 16 - 2 log10(scaled_condition) digits
    scaled_condition: float = 1.0
    tfwd: np.ndarray | None = None  # (n_working, n_params): working parameters = tfwd @ theta

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


def _scaled_eigh(C: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigen-decomposition of ``D⁻¹ C D⁻¹`` (``D = diag(d)``, zero scales left out).

    Returns ``(lam, U, dinv)`` with ``lam`` clipped at 0 and ``dinv = 1/d`` (0
    where ``d`` is 0): a scatter with columns of any units then keeps its
    small eigen-directions to the precision the unit-scaled matrix allows.
    """
    dinv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    lam, U = np.linalg.eigh(C * dinv[:, None] * dinv[None, :])
    return np.clip(lam, 0.0, None), U, dinv


def _resolved(sv: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Which singular values of a unit-scaled root count: above ``sqrt(max(n, p) eps)``
    of the largest. A Gram matrix (what the statistics hold) resolves nothing
    below that, so a design whose scaled condition number exceeds about 1e7
    is reported rank deficient.
    """
    top = float(sv.max(initial=0.0))
    return sv > top * math.sqrt(max(n_rows, n_cols) * _EPS) if top > 0 else sv > 0


def build_design(stats: SufficientStats, fit_intercept: bool) -> Design:
    """The design of the statistics' regressors, with or without the intercept.

    The rank and the inverse come from the unit-scaled problem (each column of
    the centred design, or of the raw design without an intercept, scaled to
    unit norm), so units do not matter; the condition number reported is
    statsmodels' (the unscaled design's).

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
    sq = math.sqrt(S)
    s_int, s_no = _unscaled_singular_values(C, xbar, sq)
    # centred columns: a spread below 1e-12 of the offset is rounding, a constant
    dc = np.sqrt(np.clip(np.diag(C), 0.0, None))
    dc[dc <= _CONST_RTOL * sq * np.abs(xbar)] = 0.0
    lam, U, dinv = _scaled_eigh(C, dc)
    keep = np.flatnonzero(_resolved(np.sqrt(lam), n, f + 1) & (lam > 0))
    rank_int = 1 + keep.size
    kappa = _ratio(np.sqrt(lam[keep]))
    if fit_intercept:
        p = f + 1
        binv = np.zeros((p, p))
        binv[0, 0] = 1.0 / S
        Uk = U[:, keep] * dinv[:, None]
        binv[1:, 1:] = (Uk / lam[keep]) @ Uk.T
        tinv = np.eye(p)
        tinv[0, 1:] = -xbar
        return Design(True, xbar, binv, tinv, rank_int, s_int, 1, 0, kappa)
    # without: sqrt(W) X = Q G, G stacking sqrt(S) x̄ᵀ on a root of C that is exactly
    # zero in the unresolved centred directions; G is scaled to unit columns and
    # factored (an SVD of a root, not of a Gram: the offsets cost nothing).
    root = np.zeros_like(U.T)
    root[keep] = np.sqrt(lam[keep])[:, None] * U[:, keep].T * dc[None, :]
    d = np.sqrt(np.clip(np.diag(C), 0.0, None) + S * xbar * xbar)
    d[~(d > 0)] = 1.0
    G = np.vstack([sq * xbar[None, :], root]) / d
    _, sv, Vt = np.linalg.svd(G, full_matrices=False)
    r = int(np.sum(sv > sv.max(initial=0.0) * max(n, f) * _EPS)) if sv.size and sv[0] > 0 else 0
    tinv = (Vt[:r].T / sv[:r]) / d[:, None]
    k_const, const_idx = _detect_constant(stats, xbar, C, rank_int, r)
    tfwd = (sv[:r, None] * Vt[:r]) * d[None, :]
    return Design(False, xbar, np.eye(r), tinv, r, s_no, k_const, const_idx, kappa, tfwd)


def _ratio(sv: np.ndarray) -> float:
    """Largest over smallest of the resolved singular values (1 when none)."""
    return float(sv.max() / sv.min()) if sv.size else 1.0


def _unscaled_singular_values(
    C: np.ndarray, xbar: np.ndarray, sq: float
) -> tuple[np.ndarray, np.ndarray]:
    """Singular values of ``sqrt(W) [1, X]`` and ``sqrt(W) X`` (statsmodels' condition number).

    ``sqrt(W) A = Q G`` with G built from a square root of the centred scatter:
    G's singular values are those of the weighted design, without forming AᵀWA.
    """
    f = C.shape[0]
    lam, U = np.linalg.eigh(C)
    R_C = np.sqrt(np.clip(lam, 0.0, None))[:, None] * U.T
    G_int = np.zeros((f + 1, f + 1))
    G_int[0, 0] = sq
    G_int[0, 1:] = sq * xbar
    G_int[1:, 1:] = R_C
    s_int = np.linalg.svd(G_int, compute_uv=False)
    s_no = np.linalg.svd(np.vstack([sq * xbar[None, :], R_C]), compute_uv=False)
    return s_int, s_no


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


#: Inference builds and decomposes (f + 1) x (f + 1) matrices: beyond this many
#: features, refused at once (the same bound as the "stats" engine's).
SUMMARY_MAX_FEATURES = 8191


def check_summary_width(n_features: int, n_samples: int | None = None) -> None:
    """Refuse, in seconds, a summary too wide to compute (the size, the memory, the fix).

    Examples
    --------
    >>> check_summary_width(20)
    >>> try:
    ...     check_summary_width(20_000)
    ... except ValueError as err:
    ...     print(str(err)[:40])
    summary() at 20,000 features would build
    """
    if n_features <= SUMMARY_MAX_FEATURES:
        return
    p = n_features + 1
    rows = ""
    if n_samples is not None and n_samples <= n_features:
        rows = f" (and {n_samples:,} rows leave no residual degrees of freedom)"
    raise ValueError(
        f"summary() at {n_features:,} features would build {p:,} x {p:,} matrices "
        f"({8 * p * p / 2**30:.3g} GiB each) and decompose them in O(f^3){rows}; inference is "
        f"limited to {SUMMARY_MAX_FEATURES:,} features. Select features first (e.g. "
        "sklearn.feature_selection), or use the fitted coef_ without classical inference."
    )
