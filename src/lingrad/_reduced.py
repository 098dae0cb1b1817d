"""The squared loss evaluated where the rows live: one distributed reduction per evaluation.

Spark (:mod:`lingrad._sources.spark`) and Dask (:mod:`lingrad._sources.dask`)
keep their rows on the cluster; each gradient is :func:`lingrad._objective._sums`
of every row block, computed there and added up by a tree, so only vectors
of shape (n_params, n_targets) reach the driver. :class:`ReducedLeastSquares`
holds everything but the reduction itself, which each source supplies as
``_reduce(kernel, combine)``. The Hessian-vector product is the gradient of the
loss with every target 0 (``r = X v + v_b``), so one kernel,
:class:`BlockSums`, serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._objective import Penalty, _PassesOverData, _sums

__all__ = ["BlockSums", "CentredSquares", "ReducedLeastSquares", "add_sums"]

_ZERO_TARGET = np.zeros((1, 1))


class BlockSums:
    """``_sums(theta, X, Y, w)`` of one block, in the block's precision, returned in float64.

    Picklable (shipped to executors and workers). ``targets=False`` sums with
    targets of 0: the Hessian-vector product at ``theta``.
    """

    def __init__(self, theta: np.ndarray, fit_intercept: bool, targets: bool = True) -> None:
        self.theta, self.fit_intercept, self.targets = theta, fit_intercept, targets

    def __call__(
        self, X: np.ndarray, Y: np.ndarray | None, w: np.ndarray | None
    ) -> tuple[np.ndarray, float, float]:
        G, sse, sw = _sums(
            self.theta.astype(X.dtype, copy=False),
            X,
            Y if self.targets and Y is not None else _ZERO_TARGET,
            w,
            self.fit_intercept,
        )
        return G.astype(np.float64, copy=False), sse, sw


class CentredSquares:
    """``sum_i w_i (x_i - shift)^2`` per column of one block, in float64 (picklable)."""

    def __init__(self, shift: np.ndarray) -> None:
        self.shift = np.asarray(shift, dtype=np.float64)

    def __call__(self, X: np.ndarray, Y: Any, w: np.ndarray | None) -> np.ndarray:
        B = np.asarray(X, dtype=np.float64) - self.shift
        return (B * B).sum(axis=0) if w is None else np.asarray(w, dtype=np.float64) @ (B * B)


def add_sums(a: tuple, b: tuple) -> tuple[np.ndarray, float, float]:
    """Two blocks' ``(G, sse, sw)`` as one."""
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


class ReducedLeastSquares(_PassesOverData):
    """Squared loss whose every evaluation is one reduction of per-block sums on a cluster.

    The curvature for ``lr="auto"`` comes from the same Lanczos iteration as
    every streamed engine (:meth:`_PassesOverData.spectrum`), its
    Hessian-vector products computed the same way as the gradients.

    Parameters
    ----------
    n_features, n_targets : int
    sum_weights : float
        The total weight of the rows (at the weights' working scale).
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(
        self,
        n_features: int,
        n_targets: int,
        sum_weights: float,
        fit_intercept: bool,
        penalty: Penalty,
    ) -> None:
        self.n_features = n_features
        self.n_targets = n_targets
        self.sum_weights = float(sum_weights)
        self.fit_intercept = fit_intercept
        self.penalty = penalty

    def _reduce(self, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
        """``kernel(X, Y, w)`` of every block, combined by a tree (each source's own)."""
        raise TypeError(f"{type(self).__name__} must define _reduce(kernel, combine)")

    def _cluster_sums(self, theta: np.ndarray, targets: bool) -> tuple[np.ndarray, float, float]:
        return self._reduce(
            BlockSums(np.asarray(theta, np.float64), self.fit_intercept, targets), add_sums
        )

    def grad_mse(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE (averaged over targets).

        Parameters
        ----------
        theta : ndarray of shape (n_params, n_targets)

        Returns
        -------
        grad : ndarray of shape (n_params, n_targets)
        mse : float
        """
        G, sse, sw = self._cluster_sums(theta, targets=True)
        return self._finish(theta, G, sse, sw)

    def centred_moments(self, shift: np.ndarray) -> np.ndarray:
        """``sum_i w_i (x_i - shift)^2`` per column, shape (n_features,), tree-summed."""
        return np.asarray(self._reduce(CentredSquares(shift), np.add), dtype=np.float64)

    def _hessian_matvec(self, v: np.ndarray) -> np.ndarray:
        theta = np.asarray(v, dtype=np.float64).reshape(-1, 1)
        G, _, sw = self._cluster_sums(theta, targets=False)
        return self._finish(theta, G, 0.0, sw)[0][:, 0]
