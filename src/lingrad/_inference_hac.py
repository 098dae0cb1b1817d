"""Newey-West (HAC, Bartlett kernel) covariances for ordered rows, streamed.

The rows are taken in the order the data give them (time order). The meat is
``Γ₀ + Σ_{l=1..L} (1 - l/(L+1)) (Γ_l + Γ_lᵀ)`` with ``Γ_l = Σ_t s_t s_{t-l}ᵀ``
and ``s_t = w_t u_t z_t`` the score of row t in the design's working
coordinates (statsmodels' ``wexog * wresid``). :class:`HACSums` adds each chunk's
lagged products, keeping the last ``L`` rows' scores across chunk boundaries,
so any chunking gives the same sums. No small-sample correction: statsmodels'
``cov_type="HAC"`` default (``use_correction=False``).
"""

from __future__ import annotations

import math

import numpy as np

from ._inference_design import Design

__all__ = ["HACSums", "default_maxlags"]


def default_maxlags(n_rows: int) -> int:
    """Newey and West's rule ``floor(4 (n / 100)^(2/9))`` (statsmodels' default)."""
    return math.floor(4.0 * (n_rows / 100.0) ** (2.0 / 9.0))


class HACSums:
    """The Bartlett-weighted lagged score products of every target, chunk by chunk.

    Parameters
    ----------
    maxlags : int or None
        ``L``; None: :func:`default_maxlags` of the number of rows (then the
        scores are kept until the pass ends: O(n·p) memory).
    n_targets, n_working : int
    """

    def __init__(self, maxlags: int | None, n_targets: int, n_working: int) -> None:
        self.maxlags = maxlags
        self.meat = np.zeros((n_targets, n_working, n_working))
        self.tail = np.zeros((0, n_targets, n_working))
        self.kept: list[np.ndarray] = []
        self.n_rows = 0

    def add(self, Z: np.ndarray, wu: np.ndarray, w: np.ndarray) -> None:
        """Add one chunk: working coordinates (m, p) and ``w * u`` (m, k)."""
        del w
        scores = wu[:, :, None] * Z[:, None, :]  # (m, k, p)
        self.n_rows += len(Z)
        if self.maxlags is None:
            self.kept.append(scores)
            return
        self._lags(scores, self.maxlags)

    def _lags(self, scores: np.ndarray, L: int) -> None:
        T, m = len(self.tail), len(scores)
        V = np.concatenate([self.tail, scores]) if T else scores
        for j in range(scores.shape[1]):
            cur = scores[:, j]
            self.meat[j] += cur.T @ cur
            for lag in range(1, L + 1):
                first = max(lag, T)  # products whose later row is in this chunk
                if first >= T + m:
                    break
                gamma = V[first:, j].T @ V[first - lag : T + m - lag, j]
                self.meat[j] += (1.0 - lag / (L + 1.0)) * (gamma + gamma.T)
        self.tail = V[max(0, T + m - L) :] if L else V[:0]

    @property
    def lags(self) -> int:
        """The lags used."""
        return default_maxlags(self.n_rows) if self.maxlags is None else self.maxlags

    def cov(self, design: Design) -> np.ndarray:
        """The HAC covariance of every target in working coordinates, (k, p, p)."""
        if self.maxlags is None and self.kept:
            self._lags(np.concatenate(self.kept), self.lags)
            self.kept = []
        binv = design.binv
        out = np.array([binv @ M @ binv for M in self.meat])
        return (out + np.transpose(out, (0, 2, 1))) / 2
