"""Carry out a :class:`~lingrad._plan.Plan`: solve, recover from divergence, diagnose.

:func:`run` is the one place a fit calls :func:`lingrad._solve.solve`. A
learning rate at or above the stable limit of plain gradient descent is
caught before iterating; a loss that blows up during the solve raises
:class:`~lingrad._solve.DivergenceError`. Either way ``on_divergence`` says
what happens: raise, or warn and solve again from the same start at the safe
rate (``lr='auto'``). The result is the :class:`~lingrad._fitted.FittedState`
the estimator applies to itself.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._convergence import convergence_warning, statistics_limited, stopping_for
from ._descent import Descent, descend, finite_stats
from ._diagnostics import ILL_CONDITIONED, Solved, condition, diagnose, ill_conditioned_warning
from ._fitted import FittedState
from ._krylov import krylov_fit
from ._messages import Alt, Set
from ._optimizers import GD, Schedule
from ._optimum import NORMAL_EQUATIONS, QR_REFINED, TSQR_REFINED, Reference, reference_theta
from ._plan import Plan, Rates, curvature, resolve_rates
from ._solve import DivergenceError, DivergenceWarning, FitResult, divergence_parts, solve
from ._stopping import Stopping
from ._theta import split_path, split_theta
from ._tsqr import rows_at_scale

__all__ = ["diverged", "fitted_state", "run"]

#: Warnings from :func:`run` point at the line that called ``fit`` (run <- fit <- user).
_STACKLEVEL = 3


def diverged(rates: Rates, lr: float, optimizer: str, iteration: int, on_divergence: str) -> float:
    """Raise :class:`DivergenceError`, or warn and return the safe rate (``on_divergence``)."""
    parts = divergence_parts(lr, rates.stable_lr, optimizer, iteration)
    if on_divergence == "raise":
        raise DivergenceError(parts, lr, rates.stable_lr, iteration)
    recovered = (
        " Recovered: refitted from the same start with ",
        Set("lr", f"{rates.safe_lr:.6g}"),
        " (",
        Set("lr", "'auto'"),
        ")",
        Alt("; see lr_", ""),
        ". Pass ",
        Set("on_divergence", "'raise'"),
        " to get an error instead.",
    )
    fields = {"lr": lr, "stable_lr": rates.stable_lr, "iteration": iteration}
    warnings.warn(
        DivergenceWarning((*parts, *recovered), safe_lr=rates.safe_lr, **fields),
        stacklevel=_STACKLEVEL + 2,  # diverged <- _solve <- run
    )
    return rates.safe_lr


def verbose_callback(
    verbose: Any, n_iters: int, callback: Callable[[int, float], None] | None
) -> Callable[[int, float], None] | None:
    """``callback``, printing the MSE about ten times when ``verbose``."""
    if not verbose:
        return callback
    every = max(1, n_iters // 10)

    def cb(it: int, mse: float) -> None:
        if it % every == 0 or it == n_iters:
            print(f"[lingrad] iteration {it:>7d}/{n_iters}  mse={mse:.6g}")
        if callback is not None:
            callback(it, mse)

    return cb


def _solve(
    plan: Plan, rates: Rates, callback: Callable | None, stop: Stopping, tol: float | None
) -> tuple[FitResult, float]:
    """Solve at ``rates.lr``; on divergence, raise or solve again at the safe rate."""
    p = plan.params
    problem, batches = (plan.problem, None) if plan.minibatch is None else plan.minibatch
    lr = rates.lr
    if isinstance(rates.optimizer, GD) and lr * rates.lipschitz >= 2.0 and p.n_iters > 0:
        lr = diverged(rates, lr, p.optimizer, 0, p.on_divergence)
    prox = plan.problem.penalty.prox_for(plan.problem.n_features)
    cb = verbose_callback(p.verbose, p.n_iters, callback)

    def attempt(rate: float) -> FitResult:
        return solve(
            problem,
            plan.theta0,
            rates.optimizer,
            Schedule(rate, p.learning_rate),
            p.n_iters,
            tol=tol,
            stop=stop,
            stable_lr=rates.stable_lr,
            prox=prox,
            batches=batches,
            callback=cb,
            record_path=bool(p.record_path),
        )

    # Overflow shows up as non-finite losses, which solve checks and explains.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            return attempt(lr), lr
        except DivergenceError as err:
            lr = diverged(rates, lr, p.optimizer, err.iteration, p.on_divergence)
            return attempt(lr), lr


def fitted_state(plan: Plan, res: FitResult, **overrides: Any) -> FittedState:
    """The fitted attributes of ``res`` for ``plan`` (``overrides``: fields to replace)."""
    f, fi = plan.problem.n_features, plan.params.fit_intercept
    layout = {"one_d": plan.one_d, "fit_intercept": fi, "dtype": plan.dtype}
    coef, intercept = split_theta(res.theta, f, **layout)
    coef_init, intercept_init = split_theta(res.theta_init, f, **layout)
    paths = (None, None) if res.path is None else split_path(res.path, f, **layout)
    fields = {
        "coef": coef,
        "intercept": intercept,
        "coef_init": coef_init,
        "intercept_init": intercept_init,
        "n_iter": res.n_iter,
        "loss_history": res.loss_history,
        "converged": res.converged,
        "stop_reason": res.stop_reason,
        "lr": float(res.lr),
        "engine": plan.engine,
        "diagnostics": None,
        "stats": plan.stats,
        "fit_result": res,
        "n_features_in": plan.n_features_in,
        "feature_names_in": plan.feature_names_in,
        "coef_path": paths[0],
        "intercept_path": paths[1],
    }
    return FittedState(**{**fields, **overrides})


def finish(
    descent: Descent, res: FitResult, reference: Reference | None, stop: Stopping
) -> FitResult:
    """A converged preconditioned fit, finished at the reference optimum.

    The descent stops within ``tol`` of the optimum of its statistics (the
    stopping rule); its last step goes the rest of the way, to the reference
    optimum itself: on the statistics a Newton step with the exact Hessian,
    which lands there up to rounding, and where the statistics hold too few
    digits (the reference read the rows again: ``reference_method``) the step
    to the rows' optimum (``diagnostics_.refined``; the rows then also show the
    design has full rank). So a converged fit is as accurate as the reference,
    never less than ``numpy.linalg.lstsq``. Fits that keep the tutorial's
    iterates (``precondition`` none: a numeric ``lr``, mini-batches, L1) or that
    did not converge are returned as they are; ``n_iter_`` and the loss history
    are the descent's; ``measure`` is the stopping measure of the answer returned.
    A descent that ran its budget as close to its statistics' optimum as that optimum
    is to the rows' (statistics merged from a file's or Dask's chunks, read again for
    the reference: :func:`statistics_floor`) is converged as far as the statistics
    allow, and is finished at the rows' reference the same way.
    """
    problem = descent.original.problem
    if descent.kind == "none" or reference is None:
        return res
    if not res.converged:
        res = _stalled_at_the_statistics(problem, res, reference, stop)
        if not res.converged:
            return res
    theta = reference.theta.astype(res.theta.dtype, copy=True)
    g = problem.grad_mse(theta)[0]  # the measure at the answer returned: from the reference
    measure = dataclasses.replace(stop, theta_star=reference.theta).measure(theta, g, g)
    descent.refined = reference.method != NORMAL_EQUATIONS
    if reference.method in (QR_REFINED, TSQR_REFINED):  # the rows' factor has full rank
        descent.coef_unique = True
    return dataclasses.replace(res, theta=theta, measure=measure)


def statistics_floor(problem: Any, reference: Reference, stop: Stopping) -> float:
    """The stopping measure of the statistics' own optimum against the rows' reference.

    How close to the rows' optimum a descent on the statistics can come: the RMS
    distance of the two optima's fitted values relative to the spread of y, from
    the statistics without cancellation (``dWᵀ C dW / S + (x̄ dW + db)²``); 0 where
    the reference is the statistics' own.
    """
    if reference.statistics is None or problem.stats is None:
        return 0.0
    stats, f = problem.stats, problem.n_features
    delta = np.asarray(reference.statistics - reference.theta, dtype=np.float64)
    dW = delta[:f]
    db = delta[f] if problem.fit_intercept else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.einsum("ik,ij,jk->k", dW, stats.xx, dW) / float(stats.sum_weights)
        shift = stats.x_mean @ dW + db
        ms = float(np.mean(spread + shift * shift)) / stop.scale
    return math.sqrt(ms) if ms > 0 else (0.0 if ms == 0 else math.inf)


def _stalled_at_the_statistics(
    problem: Any, res: FitResult, reference: Reference, stop: Stopping
) -> FitResult:
    """``res`` converged as far as its statistics allow (see :func:`finish`), or as it is."""
    floor = statistics_floor(problem, reference, stop)
    if res.stop_reason != "max_iter" or not res.measure <= floor:
        return res
    return _at_the_floor(res, floor)


def _at_the_floor(res: FitResult, floor: float) -> FitResult:
    """``res`` converged as far as its statistics allow, saying so."""
    message = (
        f"Converged as far as the statistics allow: {res.measure:.3g} from their optimum, "
        f"which is {floor:.3g} from the rows'; finished at the reference from a second pass."
    )
    return dataclasses.replace(res, converged=True, stop_reason="tol", message=message)


def _descent_tol(
    tol: float | None, descent: Descent, problem: Any, reference: Reference | None, stop: Stopping
) -> tuple[float | None, float]:
    """``(tol, floor)``: the descent's ``tol`` and :func:`statistics_floor`. Where the
    reference is a second pass over a file's or Dask's rows and the fit finishes there,
    the descent stops once as close to its statistics' optimum as that is to the rows'."""
    if tol is None or reference is None or descent.kind == "none":
        return tol, 0.0
    if reference.method != TSQR_REFINED:
        return tol, 0.0
    floor = statistics_floor(problem, reference, stop)
    return (max(tol, floor) if math.isfinite(floor) else tol), floor


def run(plan: Plan, callback: Callable[[int, float], None] | None = None) -> FittedState:
    """Solve ``plan`` (recovering from divergence as it says), warn, diagnose.

    Parameters
    ----------
    plan : Plan
    callback : callable, default=None
        ``callback(iteration, mse)`` after every iteration.

    Returns
    -------
    FittedState
    """
    p = plan.params
    if p.optimizer == "cg":  # conjugate gradients on the rows (lingrad._krylov)
        res, diagnostics = krylov_fit(plan, verbose_callback(p.verbose, p.n_iters, callback))
        return fitted_state(plan, res, lr=float(res.lr), diagnostics=diagnostics)
    descent = descend(plan)  # preconditioned coordinates, when precondition says so
    L, mu = curvature(descent.plan.problem)
    rates = resolve_rates(p, plan.engine, L, mu)
    reference = None  # the exact optimum, computed once: for stopping and for diagnostics
    rows = rows_at_scale(plan.data, plan.stats)  # files, Dask: weights at the stats' scale
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: solve says so, clearly
        if plan.engine == "stats" and plan.stats is not None and finite_stats(plan.stats):
            full = plan.problem
            eig = getattr(descent.transform, "eig", None)  # the preconditioner's factor
            reference = reference_theta(plan.stats, full.fit_intercept, full.penalty, rows, eig=eig)
        # in theta: the stopping measure is invariant under the descent's coordinates
        # against the optimum the descent can reach: that of its statistics
        stop = stopping_for(plan.problem, plan.stats, getattr(reference, "reachable", None))
    tol, floor = _descent_tol(p.tol, descent, plan.problem, reference, stop)
    res, lr = _solve(descent.plan, rates, callback, descent.stopping(stop), tol)
    if res.converged and floor > (p.tol or 0.0) and res.measure > p.tol:
        res = _at_the_floor(res, floor)  # stopped at the statistics' floor: finished below
    res = finish(descent, descent.result(res), reference, stop)  # back to theta; polished
    res = statistics_limited(
        res, reference, rows, p.tol, plan.stats
    )  # no rows: the statistics' digits
    kappa = condition(L, mu) if descent.kind == "none" else descent.raw_condition
    if kappa > ILL_CONDITIONED:  # nan (not computed) compares False
        warning = ill_conditioned_warning(kappa, plan.stats, p.fit_intercept)
        warnings.warn(warning, stacklevel=_STACKLEVEL)
    solved = Solved(
        problem=plan.problem,
        result=res,
        stats=plan.stats,
        engine=plan.engine,
        optimizer=p.optimizer,
        lr=lr,
        lipschitz=L,
        smallest_eigenvalue=mu,
        stable_lr=rates.stable_lr,
        tol=p.tol,
        one_d=plan.one_d,
        data=rows,
        reference=reference,
    )
    diagnostics = descent.describe(diagnose(solved))
    warning = convergence_warning(p, plan.problem, res, diagnostics, stop, reference)
    if warning is not None:
        warnings.warn(warning, stacklevel=_STACKLEVEL)
    return fitted_state(plan, res, lr=float(lr), diagnostics=diagnostics)
