"""The problem a fit actually descends, and how its result maps back.

:func:`descend` turns a :class:`~lingrad._plan.Plan` into a :class:`Descent`:
the plan with its problem and start in preconditioned coordinates
(``theta = T z``, :mod:`lingrad._precondition`) when ``precondition`` says so,
else the plan itself. :meth:`Descent.result` maps the solver's result back,
exactly, and makes it the minimum-norm solution when the coefficients are not
unique: gradient descent keeps the start's null-space component (in any
coordinates), so the correction is made at the end, in the original
coordinates, by projecting the coefficients onto the orthogonal complement of
the design's null space. That changes no prediction and no loss, so
``n_iter_``, ``converged_`` and the loss history stay those of the descent.

A converged preconditioned fit then finishes at the reference optimum
(:func:`lingrad._fitting.finish`): ``diagnostics_.refined`` says when that
reference read the rows again; well-conditioned data never pays.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._diagnostics import Diagnostics, condition
from ._messages import Set
from ._params import ParameterError, Params
from ._plan import Plan
from ._precondition import (
    Preconditioned,
    RowSpace,
    StatsInZ,
    Transform,
    column_scales,
    raw_spectrum,
    row_space,
    stats_transform,
)
from ._solve import FitResult

__all__ = ["Descent", "descend", "precondition_kind"]


def precondition_kind(params: Params, engine: str, minibatch: bool) -> str:
    """What ``precondition`` means for this fit: "none", "diagonal", "full" or "auto".

    "auto" is none with a numeric ``lr`` (the tutorial's iterates), with
    mini-batches or an L1 penalty; asking for a preconditioner those exclude,
    or for "full" without the statistics, raises :class:`ParameterError`.
    """
    requested, l1 = params.precondition, params.alpha * params.l1_ratio
    box = params.positive or params.bounds is not None  # projected in the original coordinates
    if requested == "none":
        return requested
    if requested == "auto":
        return "none" if params.lr != "auto" or minibatch or l1 > 0 or box else "auto"
    if minibatch or l1 > 0 or box:
        why = ("batch_size", "mini-batch SGD") if minibatch else ("l1_ratio", "an L1 penalty")
        why = ("positive", "coefficient bounds") if box and not minibatch and not l1 else why
        raise ParameterError(
            (
                Set("precondition", repr(requested)),
                f" cannot be combined with {why[1]} (",
                Set(why[0]),
                "): its steps are taken in the original coordinates. Use ",
                Set("precondition", "'none'"),
                " or drop ",
                Set(why[0]),
                ".",
            ),
            param="precondition",
            value=requested,
        )
    if requested == "full" and engine != "stats":
        raise ParameterError(
            (
                Set("precondition", "'full'"),
                " needs the sufficient statistics (",
                Set("engine", "'stats'"),
                "); the direct engine forms no feature-by-feature matrix. Use ",
                Set("precondition", "'diagonal'"),
                " or ",
                Set("engine", "'stats'"),
                ".",
            ),
            param="precondition",
            value=requested,
        )
    return requested


@dataclass
class Descent:
    """The plan descended and how to map its result back.

    Attributes
    ----------
    plan : Plan
        ``problem`` and ``theta0`` in the coordinates descended.
    original : Plan
        The plan as built (original coordinates).
    transform : Transform or None
        ``theta = T z`` (None: no preconditioning).
    kind : {"none", "diagonal", "full"}
    raw_condition : float
        Condition number of the original problem's Hessian (nan when not computed).
    coef_unique : bool or None
        Whether the least-squares coefficients are unique (None: not decided).
    null : Transform, RowSpace or None
        Projects the null-space part out of the result (min-norm).
    scaled_condition : float
        Condition number of the centred, scaled problem (nan when not computed).
    """

    plan: Plan
    original: Plan
    transform: Transform | None
    kind: str
    raw_condition: float
    coef_unique: bool | None
    null: Transform | RowSpace | None
    scaled_condition: float = math.nan
    refined: bool = False

    def _back(self, z: np.ndarray, dtype) -> np.ndarray:
        theta = z if self.transform is None else self.transform.to_theta(z)
        if self.null is not None:
            theta = self.null.project(theta)
        return np.asarray(theta).astype(dtype, copy=False)

    def result(self, res: FitResult) -> FitResult:
        """``res`` in the original coordinates (min-norm)."""
        if self.kind == "none":
            return res
        dtype = self.original.theta0.dtype
        theta = self._back(res.theta, dtype)
        path = None if res.path is None else np.stack([self._back(z, dtype) for z in res.path])
        return dataclasses.replace(
            res, theta=theta, theta_init=self.original.theta0.copy(), path=path
        )

    def stopping(self, stop: Any) -> Any:
        """The stopping measure for the coordinates descended (the measure is invariant:
        ``(z - z*)ᵀ g_z = (theta - theta*)ᵀ g``, so only the optimum and its gradient move);
        z's coordinates are already Jacobi-scaled, so the estimate without an optimum
        needs no diagonal of its own."""
        t = self.transform
        if self.kind == "none" or t is None:
            return stop
        return dataclasses.replace(
            stop,
            theta_star=None if stop.theta_star is None else t.to_z(stop.theta_star),
            grad_star=None if stop.grad_star is None else t.grad_to_z(stop.grad_star),
            precond=None,
        )

    def describe(self, d: Diagnostics) -> Diagnostics:
        """``d`` with the preconditioning facts filled in."""
        raw = d.condition_number if self.kind == "none" else self.raw_condition
        return dataclasses.replace(
            d,
            precondition=self.kind,
            raw_condition_number=float(raw),
            coef_unique=self.coef_unique,
            refined=self.refined,
        )


def finite_stats(stats: Any) -> bool:
    """Whether statistics hold only finite numbers (no overflow in their products)."""
    with np.errstate(over="ignore", invalid="ignore"):
        parts = (stats.xx, stats.xy, stats.yy, stats.x_mean, stats.y_mean)
        return all(np.isfinite(a).all() for a in parts)


def descend(plan: Plan) -> Descent:
    """The :class:`Descent` of ``plan`` (see :func:`precondition_kind`)."""
    p, problem = plan.params, plan.problem
    kind = precondition_kind(p, plan.engine, plan.minibatch is not None)
    transform, kappa_s = None, math.nan
    if plan.engine == "stats" and not finite_stats(plan.stats):
        kind = "none"  # overflowing statistics: the raw problem explains it (DataOverflowError)
    elif plan.engine == "stats":
        transform, kappa_s = stats_transform(
            plan.stats, p.fit_intercept, problem.penalty.l2, "diagonal" if kind == "none" else kind
        )
    unique = None if transform is None or math.isnan(kappa_s) else transform.null is None
    null = transform if transform is not None and transform.null is not None else None
    if kind == "none":
        return Descent(plan, plan, None, kind, math.nan, unique, None, kappa_s)
    if transform is None:  # the direct engine: centring and scaling only
        with np.errstate(over="ignore", invalid="ignore"):
            transform = column_scales(problem, p.fit_intercept)
        mu = transform.mu if transform.mu is not None else transform.m
        if not (np.isfinite(transform.m).all() and np.isfinite(mu).all()):
            return Descent(plan, plan, None, "none", math.nan, None, None)
        null = row_space(problem, p.fit_intercept)
        unique = False if null is not None else None
    raw = condition(*raw_spectrum(problem)) if plan.engine == "stats" else math.nan
    wrapper = StatsInZ if plan.engine == "stats" and p.fit_intercept else Preconditioned
    z0 = transform.to_z(plan.theta0)
    descended = dataclasses.replace(plan, problem=wrapper(problem, transform), theta0=z0)
    return Descent(descended, plan, transform, transform.kind, raw, unique, null, kappa_s)
