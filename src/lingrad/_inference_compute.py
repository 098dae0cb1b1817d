"""The numbers of classical inference for one target, from a design and residual sums.

Covariances (classical or sandwich), the residual sum of squares from the
statistics, the F test and the gap to the exact least-squares optimum (from
:func:`lingrad._optimum.reference_theta`, the one exact optimum). The residual
sum of squares from the statistics, ``yy - 2 bᵀxy + bᵀ xx b + S (ȳ - x̄ᵀb - c)²``,
is exact algebra; in floating point its relative error is about
``1e-16 / (1 - R²)``, and more where the coefficients cancel (ill-conditioned
designs). A residual sum of squares at or below the rounding error it is
computed with (:func:`ssr_from_stats`, or the second pass's bound) is reported
as 0: a perfect fit, with R² = 1 and F infinite (statsmodels' ``inf``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from ._inference_design import Design
from ._inference_notes import Convergence
from ._inference_pass import Pass
from ._optimum import reference_theta
from ._stats import SufficientStats

__all__ = [
    "convergence",
    "exact_params",
    "f_test",
    "fit_ssr",
    "rel_gap",
    "ssr_from_stats",
    "target_numbers",
]

_EPS = float(np.finfo(np.float64).eps)


def exact_params(stats: SufficientStats, fit_intercept: bool, data: Any = None) -> np.ndarray:
    """Exact least-squares parameters of every target, intercept first: the reference optimum.

    :func:`lingrad._optimum.reference_theta`, the one the fit's diagnostics use:
    the statistics' normal equations, or, where the scaled condition number
    calls for it and ``data`` (``(X, Y, w)`` in memory or a source with
    ``iter_chunks()``) are given, the rows read again.

    Returns
    -------
    ndarray of shape (n_targets, n_params)
    """
    theta = reference_theta(stats, fit_intercept, data=data).theta  # intercept last
    if fit_intercept:
        theta = np.roll(theta, 1, axis=0)
    return theta.T


def rel_gap(theta: np.ndarray, exact: np.ndarray) -> float:
    """``max |theta - exact| / max |exact|`` (the absolute gap when ``exact`` is 0)."""
    if not exact.size:
        return 0.0
    scale = float(np.abs(exact).max())
    diff = float(np.abs(theta - exact).max())
    return diff / scale if scale > 0 else diff


def ssr_from_stats(stats: SufficientStats, j: int, b: np.ndarray, c: float) -> tuple[float, float]:
    """``sum_i w_i (y_i - x_i b - c)²`` from the centred statistics, and its rounding bound.

    Returns
    -------
    ssr : float
        Clipped at 0.
    floor : float
        ``32 (n_features + 2) eps`` times the sum of the magnitudes of the terms
        (``yy + 2 |b|ᵀ|xy| + |b|ᵀ|xx||b| + S d²``): what rounding in the terms
        and in the statistics themselves can leave; a smaller ``ssr`` is noise.
    """
    xx = np.asarray(stats.xx, dtype=np.float64)
    xy = np.asarray(stats.xy[:, j], dtype=np.float64)
    yy = float(stats.yy[j, j])
    d = float(stats.y_mean[j]) - float(stats.x_mean @ b) - c
    tail = float(stats.sum_weights) * d * d
    ssr = yy - float(b @ (2.0 * xy - xx @ b)) + tail
    ab = np.abs(b)
    scale = yy + 2.0 * float(ab @ np.abs(xy)) + float(ab @ np.abs(xx) @ ab) + tail
    return max(ssr, 0.0), 32.0 * (len(b) + 2) * _EPS * scale


def fit_ssr(model: Any, j: int, theta: np.ndarray, fit_intercept: bool) -> float | None:
    """The fit's own residual sum of squares of target ``j``, summed from the rows.

    ``diagnostics_.exact_ssr``: where the fit's reference optimum read the rows
    in memory it summed the residuals of that optimum in double-double; it is
    the sum of ``theta`` (intercept first) only when ``theta`` is that optimum,
    bit for bit (a converged fit finishes there). Else None.
    """
    d = getattr(model, "diagnostics_", None)
    ssr, coef = getattr(d, "exact_ssr", None), getattr(d, "exact_coef", None)
    if ssr is None or coef is None:
        return None
    coef = np.asarray(coef, dtype=np.float64)
    exact = coef.reshape(1, -1)[j] if coef.ndim == 1 else coef[j]
    if fit_intercept:
        intercept = np.atleast_1d(np.asarray(d.exact_intercept, dtype=np.float64))[j]
        exact = np.concatenate([[intercept], exact])
    if exact.shape != theta.shape or not np.array_equal(exact, theta):
        return None
    return float(np.atleast_1d(np.asarray(ssr, dtype=np.float64))[j])


def f_test(
    design: Design,
    theta: np.ndarray,
    cov: np.ndarray,
    Q: np.ndarray | None,
    ess: float,
    ssr: float,
    df_model: float,
    df_resid: float,
) -> tuple[float, float]:
    """F test that every non-constant coefficient is 0 (statsmodels' ``fvalue``).

    With a robust ``Q`` (the covariance in working coordinates) the Wald
    statistic is computed where it is well conditioned: the slopes' covariance
    is ``Q[1:, 1:]`` exactly with an intercept, and without one the whitened
    coefficients ``design.tfwd @ b`` have covariance ``Q``.
    """
    if df_model <= 0 or df_resid <= 0:
        return math.nan, math.nan
    if ssr == 0:  # a perfect fit: statsmodels' ess / 0 (inf, or nan when ess is 0 too)
        return (math.inf, 0.0) if ess > 0 else (math.nan, math.nan)
    if Q is None:
        fvalue = (ess / df_model) / (ssr / df_resid)
        return fvalue, float(sps.f.sf(fvalue, df_model, df_resid))
    p = len(theta)
    if design.fit_intercept:
        g, v = theta[1:], Q[1:, 1:]
    elif design.k_constant == 0 and design.rank == p:
        g, v = design.tfwd @ theta, Q
    elif design.k_constant == 1 and design.const_idx is None:
        return math.nan, math.nan  # implicit constant: statsmodels gives nan (its #2444)
    else:
        idx = [i for i in range(p) if i != design.const_idx]
        g, v = theta[idx], cov[np.ix_(idx, idx)]
    if g.size == 0:
        return math.nan, math.nan
    try:
        quad = float(g @ np.linalg.solve(v, g))
    except np.linalg.LinAlgError:
        quad = float(g @ np.linalg.pinv(v, hermitian=True) @ g)
    fvalue = quad / g.size
    return fvalue, float(sps.f.sf(fvalue, g.size, df_resid))


def covariance(
    design: Design, ssr: float, meat: np.ndarray | None, cov_type: str, nobs: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Covariance of the parameters and, when robust, in working coordinates.

    Parameters
    ----------
    design : Design
    ssr : float
        Residual sum of squares (classical covariance).
    meat : ndarray of shape (n_working, n_working) or None
        The sandwich's meat of this target (robust covariances).
    cov_type : str
    nobs : float

    Returns
    -------
    cov : ndarray of shape (n_params, n_params)
    Q : ndarray of shape (n_working, n_working), or None for "nonrobust"
    """
    df_resid = nobs - design.rank
    if cov_type == "nonrobust":
        sigma2 = ssr / df_resid if df_resid > 0 else math.nan
        return sigma2 * design.normalized_cov, None
    if cov_type in ("cluster", "cluster-crv3", "HAC"):  # the pass gave the covariance itself
        return design.to_params(meat), meat
    hc1 = (nobs / df_resid if df_resid > 0 else math.nan) if cov_type == "HC1" else 1.0
    Q = design.binv @ (meat * hc1) @ design.binv
    return design.to_params(Q), Q


def convergence(
    stats: SufficientStats,
    design: Design,
    theta: np.ndarray,
    exact: np.ndarray,
    numbers: dict[str, Any],
    names: list[str],
) -> Convergence:
    """The distance of ``theta`` to the exact optimum ``exact`` (both intercept first).

    In standard errors where there is a positive error variance: per
    coefficient (``|coef_j - exact_j| / bse_j``) for a full-rank design; for a
    rank-deficient one, whose coefficients are not unique, the fitted values'
    distance ``sqrt(dᵀ AᵀWA d) / sigma`` (``d = theta - exact``), which bounds
    every identified combination's. ``AᵀWA`` enters through the statistics
    (``S (x̄ᵀ d_b + d_c)² + d_bᵀ C d_b``), never formed.
    """
    delta = theta - exact
    f0 = int(design.fit_intercept)
    db = delta[f0:]
    shift = float(stats.x_mean @ db) + (float(delta[0]) if f0 else 0.0)
    C = np.asarray(stats.xx, dtype=np.float64)
    quad = max(float(stats.sum_weights) * shift * shift + float(db @ C @ db), 0.0)
    utss = float(numbers["uncentered_tss"])
    fit_gap = math.sqrt(quad / utss) if utss > 0 else math.sqrt(quad)
    identified = design.rank == len(theta)
    rel = rel_gap(theta, exact) if identified else math.nan
    ssr, df_resid = float(numbers["ssr"]), stats.nobs - design.rank
    if not (ssr > 0 and df_resid > 0):
        return Convergence(rel, math.nan, fit_gap, None, identified)
    if not identified:
        se_gap = math.sqrt(quad) / math.sqrt(ssr / df_resid)
        return Convergence(rel, se_gap, fit_gap, None, identified)
    with np.errstate(invalid="ignore"):
        bse = np.sqrt(np.diag(numbers["cov"]))
    z = np.abs(delta) / np.where(bse > 0, bse, math.nan)
    if not np.isfinite(z).all():
        return Convergence(rel, math.nan, fit_gap, None, identified)
    worst = int(np.argmax(z))
    return Convergence(rel, float(z[worst]), fit_gap, names[worst], identified)


def target_numbers(
    stats: SufficientStats,
    design: Design,
    res: Pass | None,
    j: int,
    theta: np.ndarray,
    cov_type: str,
    rows_ssr: float | None = None,
) -> dict[str, Any]:
    """The computed fields of one target's :class:`~lingrad.inference.Summary`.

    Parameters
    ----------
    stats : SufficientStats
    design : Design
    res : Pass or None
        The second pass over the data, when the data were given.
    j : int
        The target.
    theta : ndarray of shape (n_params,)
        The model's parameters of target ``j``, intercept first.
    cov_type : str
    rows_ssr : float or None, default=None
        The residual sum of squares of ``theta`` summed from the rows (:func:`fit_ssr`),
        used without ``res`` where the statistics' sum is at its rounding bound.

    Returns
    -------
    dict
        ``params``, ``cov``, ``ssr``, ``centered_tss``, ``uncentered_tss``,
        ``fvalue`` and ``f_pvalue``; and ``ssr_floor``, the rounding bound of the
        residual sum of squares (not a field: ``ssr`` at or below it is set to 0).
    """
    nobs = stats.nobs
    df_resid = nobs - design.rank
    df_model = float(design.rank - design.k_constant)
    if res is not None:
        ssr, floor = float(res.ssr[j]), float(res.ssr_floor[j])
    else:
        f = int(design.fit_intercept)
        ssr, floor = ssr_from_stats(stats, j, theta[f:], float(theta[0]) if f else 0.0)
        if ssr <= floor and rows_ssr is not None:
            # the statistics' sum is rounding; the rows' is exact but for the fitted
            # values' own rounding, about eps**2 times the terms' squares
            ssr, floor = rows_ssr, floor * 32.0 * (len(theta) + 2) * _EPS
    if ssr <= floor:
        ssr = 0.0
    meat = None if res is None or res.meat is None else res.meat[j]
    cov, Q = covariance(design, ssr, meat, cov_type, nobs)
    yy = float(stats.yy[j, j])
    ybar = float(stats.y_mean[j])
    utss = yy + float(stats.sum_weights) * ybar * ybar
    tss = yy if design.k_constant else utss
    ess = tss - ssr
    fvalue, f_pvalue = f_test(design, theta, cov, Q, ess, ssr, df_model, df_resid)
    if not tss > 0:  # constant y (or y = 0 without a constant): nothing to explain
        fvalue, f_pvalue = math.nan, math.nan
    return {
        "params": theta,
        "cov": cov,
        "ssr": ssr,
        "centered_tss": yy,
        "uncentered_tss": utss,
        "fvalue": fvalue,
        "f_pvalue": f_pvalue,
        "ssr_floor": floor,
    }
