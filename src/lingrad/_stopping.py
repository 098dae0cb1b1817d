"""The stopping rule: a scale-invariant measure of how far a fit is from its optimum.

``tol`` compares this measure, never the gradient's size in the units of the
data: a fit whose start has a gradient of 1e25 is not "converged" because
the gradient fell by 1e-14 in one step. :func:`lingrad._solve.solve` (the
loop) and :mod:`lingrad._trajectory` (its closed form) evaluate the same
quantity, so both stop at the same iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Stopping"]


@dataclass(frozen=True)
class Stopping:
    """The scale-invariant stopping measure: how far a fit is from the optimum.

    The measure ``m`` is the root-mean-square distance of the fitted values
    from the optimum's, relative to the spread of y (``sqrt(scale)``): with
    ``E`` the objective's excess over its optimum (per target, doubled, so
    that unpenalised ``E`` is the training MSE's excess), ``m = sqrt(E /
    scale)``. It does not depend on the start, and is unchanged when X's
    columns or y are rescaled. ``m**2`` is the R² lost against the optimum.

    With the optimum known (``theta_star``: the "stats" engine), ``E`` is
    exact: ``E = sum((theta - theta*) * (g + g*)) / k + 2 l1 (|W|_1 - |W*|_1) / k``
    (``g*`` the smooth gradient at the optimum, zero without L1), which for
    squared loss is ``(theta - theta*)^T H (theta - theta*)`` with no
    cancellation of the loss values. Without it (the "direct" engine), ``E`` is
    estimated from the (proximal) gradient in Jacobi-scaled coordinates,
    ``sum(g**2 / diag(H)) / k``: exact for orthogonal columns, unchanged by
    units.

    Attributes
    ----------
    scale : float
        The spread of y: its variance (mean square without an intercept),
        averaged over targets; positive.
    theta_star : ndarray of shape (n_params, n_targets) or None
        The exact optimum.
    grad_star : ndarray of shape (n_params, n_targets) or None
        The smooth gradient at ``theta_star`` (with an L1 penalty; else None).
    l1 : float
        Strength of the L1 penalty (with ``theta_star``).
    n_coef : int
        Coefficient rows of theta (the L1 penalty's rows).
    precond : ndarray of shape (n_params,) or None
        Diagonal of the Hessian, for the estimate without ``theta_star``.
    """

    scale: float
    theta_star: np.ndarray | None = None
    grad_star: np.ndarray | None = None
    l1: float = 0.0
    n_coef: int = 0
    precond: np.ndarray | None = None

    def measure(self, theta: np.ndarray, g: np.ndarray, pg: np.ndarray) -> float:
        """``m`` at ``theta`` with smooth gradient ``g`` and proximal gradient ``pg``."""
        k = theta.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):
            if self.theta_star is not None:
                delta = theta - self.theta_star
                gg = g if self.grad_star is None else g + self.grad_star
                excess = float(np.vdot(delta, gg))
                if self.l1:
                    W, Ws = theta[: self.n_coef], self.theta_star[: self.n_coef]
                    excess += 2.0 * self.l1 * float(np.abs(W).sum() - np.abs(Ws).sum())
            else:
                d = np.ones(len(pg)) if self.precond is None else self.precond
                excess = float(np.vdot(pg, pg / d[:, None]))
        excess /= k * self.scale
        return math.sqrt(excess) if excess > 0 else (0.0 if excess <= 0 else math.inf)
