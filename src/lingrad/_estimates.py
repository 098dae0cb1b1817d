"""Iteration estimates that mean what lingrad's stopping rule means.

A fit stops at the first iterate whose stopping measure ``m`` (the RMS
distance of the fitted values from the optimum's, relative to the standard
deviation of y: :class:`lingrad._stopping.Stopping`) is at most ``tol``. On
squared loss ``m_k^2 = sum_i lam_i e_k(lam_i)^2 d_i^2 / scale`` over the
Hessian's eigenpairs, where ``d`` is the start's error and ``e_k(lam)`` the
factor by which a method has shrunk the error along an eigenvalue ``lam``
after ``k`` iterations. So ``m_k <= max_lam |e_k(lam)| m_0``, and both
estimates are the smallest ``k`` for which that bound is at most ``tol``,
from the fit's own start ``m_0``; *upper bounds*, tight when the start's
error lies along the slowest direction.

- Plain GD at the learning rate used: ``e_k = (1 - lr lam)^k``, so
  ``max |e_k| = rho^k`` with ``rho = max(|1 - lr L|, |1 - lr mu|)``.
- Nesterov at ``lr = 1/L`` with momentum ``beta = (sqrt(kappa) - 1) /
  (sqrt(kappa) + 1)`` (what ``lr="auto", optimizer="nesterov"`` runs when the
  condition number is known): along ``mu`` the recurrence has the double root
  ``r = 1 - 1/sqrt(kappa)`` and, from rest, ``e_k = r^k (1 + k (1 - r))``;
  every other direction decays faster (complex roots of modulus
  ``sqrt((1 - lam/L) beta) < r``), so that mode is the maximum. The classic
  ``sqrt(kappa) log(1/tol)`` replaces ``-log r`` by ``1/sqrt(kappa)``: the
  same for large kappa, but too large for small kappa (25 against 10 at
  kappa 1.18, tol 1e-10, the tutorial's).

Examples
--------
>>> gd_iterations(lr=1.0, L=1.0, mu=0.5, start=1.0, tol=1e-3)  # rho = 0.5: 2**-10 < 1e-3
10.0
>>> nesterov_iterations(kappa=1.0, start=1.0, tol=1e-10)  # r = 0: one step
1.0
"""

from __future__ import annotations

import math

__all__ = ["DEFAULT_ESTIMATE_TOL", "gd_iterations", "nesterov_iterations", "start_measure"]

#: The ``tol`` the estimates assume when the fit has none (said where printed).
DEFAULT_ESTIMATE_TOL = 1e-8


def start_measure(measure_init: float) -> float:
    """The stopping measure at the start (1, a relative reduction, when unknown)."""
    return measure_init if math.isfinite(measure_init) and measure_init > 0 else 1.0


def gd_iterations(lr: float, L: float, mu: float, start: float, tol: float) -> float:
    """Iterations of plain GD at ``lr`` to bring the measure from ``start`` to ``tol``, at most.

    ``inf`` when GD does not converge (``rho >= 1``: unstable, or singular);
    ``nan`` when ``mu`` is unknown (engine "direct").
    """
    if math.isnan(mu) or math.isnan(L):
        return math.nan
    if start <= tol:
        return 0.0
    rho = max(abs(1.0 - lr * L), abs(1.0 - lr * mu))
    if not rho < 1.0:
        return math.inf
    if rho == 0.0:
        return 1.0
    # log(tol) - log(start), not log(tol / start): finite for every tol (1e-320 too)
    return float(max(1, math.ceil((math.log(tol) - math.log(start)) / math.log(rho))))


def nesterov_iterations(kappa: float, start: float, tol: float) -> float:
    """Iterations of Nesterov at ``lr=1/L`` with the optimal momentum, at most.

    The smallest ``k`` with ``r^k (1 + k (1 - r)) <= tol / start``,
    ``r = 1 - 1/sqrt(kappa)`` (decreasing in ``k``: found by bisection).
    """
    if math.isnan(kappa):
        return math.nan
    if start <= tol:
        return 0.0
    if not math.isfinite(kappa):
        return math.inf
    q = 1.0 / math.sqrt(max(kappa, 1.0))
    if q >= 1.0:
        return 1.0
    log_r, target = math.log1p(-q), math.log(tol) - math.log(start)

    def log_bound(k: float) -> float:
        return k * log_r + math.log1p(k * q)

    lo, hi = 0.0, 1.0
    while log_bound(hi) > target:
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            return math.inf
    while hi - lo > 0.5 and hi > lo * (1 + 1e-15):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if log_bound(mid) > target else (lo, mid)
    if hi > 2.0**52:  # integers no longer resolved: the bisection's bound
        return float(math.ceil(hi))
    k = max(1.0, math.floor(lo))  # the boundary lies in [lo, hi], hi - lo <= 0.5
    while log_bound(k) > target:
        k += 1.0
    return k
