"""Convergence, told honestly: the stopping rule's reference and the not-converged warning.

:func:`stopping_for` gives a fit its :class:`~lingrad._stopping.Stopping`
(the exact optimum on the "stats" engine, Jacobi-scaled gradients on
"direct"), so ``tol`` means the same on any data, in any units, from any
start. :func:`convergence_warning` says when a fit ended far from the
optimum, with or without ``tol``: the excess of its training MSE, the gap of
its coefficients and a remedy that is not already set.

A fit ends *materially* above the optimum when its training MSE (its
objective, when penalised) exceeds the optimum's by more than
:data:`MATERIAL_EXCESS` of the optimum's, plus :data:`MATERIAL_FLOOR` of y's
variance (so that the rounding of a perfect fit does not count).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ._diagnostics import Diagnostics, NotConvergedWarning
from ._messages import Alt, Part, Set
from ._optimum import (
    NORMAL_EQUATIONS,
    STATISTICS_MAX_ERROR,
    Reference,
    optimum_theta,
    scaled_condition,
    statistics_error,
)
from ._params import Params
from ._solve import FitResult
from ._stats import SufficientStats
from ._stopping import Stopping

__all__ = [
    "MATERIAL_EXCESS",
    "MATERIAL_FLOOR",
    "MAX_QUOTED_ITERS",
    "STATISTICS_LIMITED",
    "StatisticsLimitedWarning",
    "convergence_warning",
    "statistics_limited",
    "stopping_for",
    "y_scale",
]

#: A training MSE more than this fraction above the optimum's draws a warning.
MATERIAL_EXCESS = 1e-3
#: ... plus this fraction of y's variance (a perfect fit's rounding is not an excess).
MATERIAL_FLOOR = 1e-10
#: Iteration estimates above this are not quoted as numbers: not feasible.
MAX_QUOTED_ITERS = 1e9
#: Condition numbers of the Hessian beyond ``1/eps``: float64 resolves no step along
#: the flattest directions, whatever the number of iterations.
FLOAT64_KAPPA = 1.0 / np.finfo(np.float64).eps
#: The ``tol`` suggested to a fit run without one.
SUGGESTED_TOL = "1e-10"


def _positive(*candidates: float) -> float:
    """The first positive, finite candidate (else the smallest normal float)."""
    for c in candidates:
        if c > 0 and math.isfinite(c):
            return float(c)
    return float(np.finfo(np.float64).tiny)


def y_scale(stats: SufficientStats, fit_intercept: bool) -> float:
    """The spread of y: its weighted variance (its mean square without an intercept),
    averaged over targets; the mean square when y is constant."""
    S, k = float(stats.sum_weights), stats.n_targets
    var = float(np.trace(stats.yy)) / S / k if S > 0 else 0.0
    square = var + float(np.mean(np.square(stats.y_mean))) if k else 0.0
    return _positive(var, square) if fit_intercept else _positive(square)


def _moments(X: Any, Y: Any, w: Any) -> tuple[np.ndarray, float, float, float]:
    """One row block's weighted column sums of squares of X, and the weight, mean and
    centred sum of squares of Y (all targets pooled)."""
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y  # (a block of no rows too)
    wv = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    if hasattr(X, "multiply"):  # SciPy sparse
        sq = np.asarray(X.multiply(X).T @ wv, dtype=np.float64).ravel()
    else:
        Xf = np.asarray(X, dtype=np.float64)
        sq = np.einsum("ij,ij,i->j", Xf, Xf, wv)
    bw = float(wv.sum()) * Y.shape[1]
    mean = float((wv @ Y).sum()) / bw if bw > 0 else 0.0
    return sq, bw, mean, float(wv @ np.square(Y - mean).sum(axis=1))


def _block_moments(problem: Any) -> list[tuple[np.ndarray, float, float, float]]:
    """:func:`_moments` of every row block: where the blocks live (Dask: on the workers)."""
    blocks = getattr(problem, "map_blocks", None)  # Spark: on the executors
    if blocks is not None:
        return [(*m, 0) for m in blocks(_moments)]
    parts = getattr(problem, "_parts", None)
    if parts is not None:
        import dask

        moments = dask.compute(*[dask.delayed(_moments)(X, Y, w) for X, Y, w in parts])
        return [(*m, 0) for m in moments]
    # weights / 2**k per block (extreme scales): brought to one scale by _blocks_scales
    return [(*_moments(X, Y, w), k) for X, Y, w, k in problem._scaled_blocks()]


def _blocks_scales(problem: Any) -> tuple[np.ndarray, float]:
    """``(diag(H), y_scale)`` of a problem that passes over its rows (one pass)."""
    fi = problem.fit_intercept
    sq = np.zeros(problem.n_features)
    sw, mean, m2 = 0.0, 0.0, 0.0  # Chan et al.'s merge of y's moments
    K = None
    for bsq, bw, bmean, bm2, k in _block_moments(problem):
        if K is None:
            K = k
        elif k > K:  # the sums so far to the larger weight scale
            sq, sw, m2, K = np.ldexp(sq, K - k), math.ldexp(sw, K - k), math.ldexp(m2, K - k), k
        if k < K:
            bsq, bw, bm2 = np.ldexp(bsq, k - K), math.ldexp(bw, k - K), math.ldexp(bm2, k - K)
        sq += bsq
        if bw <= 0:
            continue
        delta, total = bmean - mean, sw + bw
        m2 += bm2 + delta * delta * sw * bw / total
        mean += delta * bw / total
        sw = total
    n = sw / max(problem.n_targets, 1)
    d = sq / n if n > 0 else sq
    d += problem.penalty.l2
    d[~(d > 0)] = 1.0
    precond = np.append(d, 1.0) if fi else d
    var = m2 / sw if sw > 0 else 0.0
    scale = _positive(var, var + mean * mean) if fi else _positive(var + mean * mean)
    return precond, scale


def stopping_for(
    problem: Any, stats: SufficientStats | None, theta_star: np.ndarray | None = None
) -> Stopping:
    """The stopping measure of a fit of ``problem`` (``stats``: its statistics, or None).

    ``theta_star``, the exact optimum when the caller has it (the fit's reference
    optimum), saves solving for it again.
    """
    penalty = problem.penalty
    if stats is None:
        precond, scale = _blocks_scales(problem)
        return Stopping(scale, precond=precond)
    fi = problem.fit_intercept
    if theta_star is None:
        theta_star = optimum_theta(stats, fi, penalty)
    grad_star = None
    if penalty.l1 > 0 or penalty.box is not None:  # the optimum's gradient is not zero
        grad_star = problem.grad_mse(theta_star)[0]
    return Stopping(y_scale(stats, fi), theta_star, grad_star, penalty.l1, problem.n_features)


#: ``stop_reason_`` of a fit that reached the optimum of statistics that hold fewer
#: digits than ``tol`` asks, with no rows to read again (:func:`statistics_limited`).
STATISTICS_LIMITED = "statistics-limited"


class StatisticsLimitedWarning(NotConvergedWarning):
    """The fit reached its statistics' optimum, but they hold fewer digits than ``tol``
    asks and no rows are kept to read again (``stop_reason_ == 'statistics-limited'``)."""


def statistics_limited(
    res: FitResult,
    reference: Reference | None,
    rows: Any,
    tol: float | None,
    problem_stats: SufficientStats | None,
) -> FitResult:
    """``res``, not converged where the statistics cannot give ``tol``'s digits.

    A fit with no rows behind its statistics (``partial_fit``; ``rows`` None)
    converges to the optimum of the normal equations, which hold about
    ``-log10(error)`` correct digits (:attr:`Reference.error`). Where the
    statistics' conditioning sends an in-memory or streamed reference to the rows
    (``kappa**2 eps`` above :data:`STATISTICS_MAX_ERROR`) and the worst coefficient's
    estimated relative error (``error``) exceeds ``tol``,
    that fit is not counted as converged: ``converged`` False and ``stop_reason``
    :data:`STATISTICS_LIMITED` (:func:`convergence_warning` says why and what to do).
    """
    if not res.converged or rows is not None or tol is None or reference is None:
        return res
    if problem_stats is None:
        return res
    if reference.method != NORMAL_EQUATIONS or not reference.error > tol:
        return res
    if not statistics_error(problem_stats, reference.kappa) > STATISTICS_MAX_ERROR:
        return res  # the normal equations suffice (the rule of the in-memory reference)
    message = (
        f"Reached the optimum of the statistics, which hold about {reference.digits:.1f} "
        f"correct digits: fewer than tol={tol:g} asks."
    )
    return dataclasses.replace(
        res, converged=False, stop_reason=STATISTICS_LIMITED, message=message
    )


def _limited_warning(
    p: Params, problem: Any, res: FitResult, reference: Reference
) -> StatisticsLimitedWarning:
    """The warning of a :data:`STATISTICS_LIMITED` fit: the digits, why, and the remedies."""
    kappa, digits = reference.kappa, reference.digits
    parts: tuple[Part, ...] = (
        f"lingrad reached the optimum of its sufficient statistics in {res.n_iter:,} "
        f"iterations, but they hold only about {digits:.1f} correct digits of the "
        f"coefficients (estimated: their scaled condition number is {kappa:.3g}, and the "
        f"normal equations lose about {2 * math.log10(max(kappa, 1.0)):.1f} of float64's 16 "
        "digits to it), fewer than ",
        Set("tol", f"{p.tol:g}"),
        " asks; so the fit is not counted as converged (stop_reason_='statistics-limited'). "
        "No rows were kept to read again (partial_fit keeps only the statistics). Fit on the "
        "data in memory, or from a file with lingrad.open_dataset, where a second pass over "
        "the rows (QR, or TSQR on a file) gives the digits",
    )
    stats = problem.stats
    if not problem.fit_intercept and stats is not None:
        centred = scaled_condition(stats, True, problem.penalty.l2)
        if statistics_error(stats, centred) < reference.error / 10:
            parts += (
                f"; or centre the columns before fitting (their offsets cause it: once "
                f"centred the scaled condition number is {centred:.3g})",
            )
    return StatisticsLimitedWarning(
        (*parts, "."),
        n_iter=res.n_iter,
        tol=p.tol,
        digits=digits,
        scaled_condition=kappa,
        error=reference.error,
    )


def _excess(problem: Any, res: FitResult, stop: Stopping) -> tuple[float, float]:
    """``(excess, base)``: the doubled objective's excess (the MSE's, unpenalised) at the
    fit, and the same objective at the optimum (estimated on the "direct" engine)."""
    excess = res.measure * res.measure * stop.scale if math.isfinite(res.measure) else math.inf
    k = res.theta.shape[1]
    if stop.theta_star is not None:
        W = stop.theta_star[: problem.n_features]
        base = problem.mse(stop.theta_star) + 2.0 * problem.penalty.value(W) / k
    else:
        W = res.theta[: problem.n_features]
        fitted = problem.mse(res.theta) + 2.0 * problem.penalty.value(W) / k
        base = max(fitted - excess, 0.0)
    return excess, base


def _estimates(p: Params, res: FitResult, d: Diagnostics) -> tuple[tuple[Part, ...], bool]:
    """The iteration estimates a warning quotes, and whether more iterations can help."""
    kappa = d.condition_number
    if math.isnan(kappa):
        return (), True
    if not kappa * np.finfo(np.float64).eps < 1.0:
        return (
            f" The condition number {kappa:.3g} is beyond what float64 resolves "
            f"(1/eps = {FLOAT64_KAPPA:.2g}): no number of iterations on these raw columns "
            "reaches the optimum.",
        ), False

    def count(n: float) -> str:
        if not math.isfinite(n) or n > MAX_QUOTED_ITERS:
            return f"more than {MAX_QUOTED_ITERS:.0e} iterations, more than is feasible"
        return f"about {int(n):,} iterations"

    gd, nag = d.est_iters_gd, d.est_iters_nesterov
    feasible = min(gd, nag) <= MAX_QUOTED_ITERS
    if p.optimizer == "nesterov" and p.lr == "auto":
        return (f" At these settings it needs {count(nag)}.",), nag <= MAX_QUOTED_ITERS
    parts: tuple[Part, ...] = ()
    if p.optimizer == "gd" and math.isfinite(gd) and gd > res.n_iter:
        parts = (
            " Plain GD at this ",
            Alt("lr", "learning rate"),
            f" needs {count(gd)}",
        )
    if parts and math.isfinite(nag):
        with_ = [Set("optimizer", "'nesterov'")] if p.optimizer != "nesterov" else []
        if p.lr != "auto":
            with_ += [" with " if with_ else "", Set("lr", "'auto'")]
        parts += ("; ", *with_, f" {count(nag)}")
    return ((*parts, ".") if parts else ()), feasible


def _settings(p: Params, d: Diagnostics) -> list[Set]:
    """The settings a refit should change: only those that are not already so."""
    out = []
    if p.optimizer != "cg":  # cg: already faster than nesterov, and takes no lr
        if p.lr != "auto":
            out.append(Set("lr", "'auto'"))
        if p.optimizer != "nesterov":
            out.append(Set("optimizer", "'nesterov'"))
        if p.precondition == "none" and d.precondition == "none":
            out.append(Set("precondition", "'auto'"))
    if p.tol is None:
        out.append(Set("tol", SUGGESTED_TOL))
    return out


def _joined(settings: list[Set]) -> tuple[Part, ...]:
    """``lr='auto', optimizer='nesterov' and tol=1e-10`` / ``--lr auto --optimizer nesterov``."""
    parts: list[Part] = []
    for i, s in enumerate(settings):
        if i:
            parts.append(Alt(" and " if i == len(settings) - 1 else ", ", " "))
        parts.append(s)
    return tuple(parts)


def _remedies(p: Params, feasible: bool, d: Diagnostics) -> tuple[Part, ...]:
    """What to change: one refit with every setting that is not already so (in the
    command line: options to paste), or more iterations when they can help."""
    settings = _settings(p, d)
    parts: tuple[Part, ...] = (
        (" Increase ", Set("n_iters")) if feasible else (" More iterations will not help",)
    )
    if settings:
        parts += ((", or refit" if feasible else ": refit"), " with ", *_joined(settings))
        if any(s.name in ("lr", "precondition") for s in settings):
            parts += (
                Alt(" (descending on centred, scaled columns, as StandardScaler would)",
                    " (descending on centred, scaled columns: no need to standardise the file)"),
            )  # fmt: skip
    elif not feasible:
        parts += (
            ": drop or combine collinear columns, or add a ridge penalty (",
            Set("alpha"),
            ")",
        )
    parts += (".",)
    if p.tol is None:
        parts += (" A ", Alt("tol", "--tol"), " stops the fit once converged, and warns when not.")
    return parts


def _gap_parts(d: Diagnostics) -> tuple[Part, ...]:
    if math.isnan(d.max_coef_gap):
        return ()
    return (
        f" The largest coefficient gap to the optimum is {d.max_coef_gap:.3g} "
        f"({d.rel_coef_gap:.3g} relative to the largest coefficient).",
    )


def convergence_warning(
    p: Params,
    problem: Any,
    res: FitResult,
    d: Diagnostics,
    stop: Stopping,
    reference: Reference | None = None,
) -> NotConvergedWarning | None:
    """The warning for a fit that did not converge (``tol``) or ended materially above
    the optimum (always); None when neither. A :data:`STATISTICS_LIMITED` fit gets a
    :class:`StatisticsLimitedWarning` (its ``reference`` gives the digits)."""
    if res.stop_reason == STATISTICS_LIMITED and reference is not None:
        return _limited_warning(p, problem, res, reference)
    excess, base = _excess(problem, res, stop)
    material = not excess <= MATERIAL_EXCESS * base + MATERIAL_FLOOR * stop.scale
    missed_tol = p.tol is not None and not res.converged
    if not (material or missed_tol):
        return None
    what = "objective" if problem.penalty.alpha else "training MSE"
    estimated = "" if stop.theta_star is not None else "an estimated "
    rel = excess / base if base > 0 else math.inf
    head: tuple[Part, ...]
    if missed_tol:
        head = (
            "lingrad did not converge in ",
            Alt("", f"{res.n_iter:,} iterations ("),
            Set("n_iters", str(res.n_iter)),
            Alt("", ")"),
            f": the fit is {res.measure:.3g} from the optimum by the stopping measure "
            "(the RMS distance of the fitted values from the optimum's, relative to the "
            "spread of y), above ",
            Set("tol", f"{p.tol:g}"),
            ".",
        )
    else:
        head = (
            f"lingrad's fit ended far from the least-squares optimum after {res.n_iter:,} "
            "iterations.",
        )
    share = f" ({rel:.3g} of it)" if base > 0 else ""
    gap = (
        f" Its {what} is {estimated}{excess:.4g} above the optimum's {base:.6g}{share}.",
        *_gap_parts(d),
    )
    estimates, feasible = _estimates(p, res, d)
    parts = (*head, *gap, *estimates, *_remedies(p, feasible, d))
    return NotConvergedWarning(
        parts,
        n_iter=res.n_iter,
        tol=p.tol,
        measure=res.measure,
        excess=excess,
        optimum=base,
        max_coef_gap=d.max_coef_gap,
        grad_norm_rel=d.grad_norm_rel,
    )
