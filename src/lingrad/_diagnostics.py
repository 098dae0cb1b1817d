"""What a fit knows about its own problem: curvature, stability, distance to optimum.

Diagnostics are data (a frozen dataclass); printing them is presentation and
lives in ``__str__``. They are computed once per fit, from the sufficient
statistics when the engine has them (exact) and by Lanczos otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._messages import LingradMessage, Part, Set
from ._optimum import NO_REFERENCE, NORMAL_EQUATIONS, reference_theta
from ._solve import FitResult
from ._stats import SufficientStats
from ._theta import split_theta

__all__ = [
    "Diagnostics",
    "IllConditionedWarning",
    "NotConvergedWarning",
    "Solved",
    "condition",
    "diagnose",
    "not_converged_parts",
]

#: Condition numbers above this draw an :class:`IllConditionedWarning`.
ILL_CONDITIONED = 1e12


class IllConditionedWarning(LingradMessage, UserWarning):
    """The features are collinear or badly scaled: coefficients may be unreliable."""


class NotConvergedWarning(LingradMessage, ConvergenceWarning):
    """A fit with ``tol`` ran out of ``n_iters`` first (a scikit-learn ``ConvergenceWarning``)."""


def condition(L: float, mu: float) -> float:
    """The condition number ``L / mu`` (inf when singular, nan when ``mu`` is unknown)."""
    if math.isnan(mu):
        return math.nan
    return L / mu if mu > 0 else math.inf


def ill_conditioned_message(kappa: float) -> str:
    """Explain a huge condition number and what to do about it."""
    what = (
        "the features are collinear (a constant, duplicated or linearly dependent column; "
        "the Hessian is singular)"
        if not math.isfinite(kappa)
        else f"the condition number is {kappa:.3g}: the features are nearly collinear or on "
        "wildly different scales"
    )
    return (
        f"Ill-conditioned problem: {what}. Gradient descent moves only along well-curved "
        "directions, so the coefficients may be far from unique or from the least-squares "
        "optimum even when predictions are good. Standardise the features "
        "(sklearn.preprocessing.StandardScaler) and drop constant or duplicated columns; see "
        "diagnostics_ for the gap to the exact optimum."
    )


def ill_conditioned_warning(kappa: float) -> IllConditionedWarning:
    """The warning for a condition number above :data:`ILL_CONDITIONED`."""
    return IllConditionedWarning(ill_conditioned_message(kappa), condition_number=kappa)


#: Relative gradient tolerance assumed by the iteration estimates when ``tol=None``.
DEFAULT_ESTIMATE_TOL = 1e-8


def iterations_to(rate: float, tol: float) -> float:
    """Iterations for a linear rate ``rate`` to shrink an error by ``tol``."""
    if not math.isfinite(rate) or rate >= 1.0:
        return math.inf
    if rate <= 0.0:
        return 1.0
    return math.ceil(math.log(tol) / math.log(rate))


@dataclass(frozen=True)
class Diagnostics:
    """Facts about a fitted problem and how far the fit is from its optimum.

    Attributes
    ----------
    engine : str
        ``"stats"`` or ``"direct"``.
    optimizer : str
    lr : float
        Base learning rate used.
    lipschitz : float
        L, the largest eigenvalue of the Hessian ``A^T W A / sum(w)`` (A is X
        with a column of ones when fitting the intercept), plus the L2 penalty.
    smallest_eigenvalue : float
        The smallest eigenvalue (``nan`` for the "direct" engine, where only L is
        estimated, by Lanczos).
    condition_number : float
        ``L / smallest_eigenvalue`` (``inf`` when singular).
    stable_lr : float
        Largest stable learning rate for plain gradient descent, ``2 / L``.
    stable_lr_optimizer : float
        Largest stable learning rate for the optimizer used.
    tol : float
        Relative gradient tolerance the estimates below refer to.
    est_iters_gd : float
        Iterations plain GD at the ``lr`` used needs to shrink the error by ``tol``.
    est_iters_nesterov : float
        Iterations Nesterov at ``lr=1/L`` with optimal momentum needs (``sqrt(kappa) log(1/tol)``).
    grad_norm : float
        Final (proximal) gradient norm.
    grad_norm_rel : float
        Final gradient norm relative to the starting one.
    max_coef_gap : float
        Largest absolute difference between the fitted and the exact
        coefficients and intercept. The exact optimum is solved from the
        sufficient statistics, so it is ``nan`` for the "direct" engine (wide or
        sparse data, where forming them is what that engine avoids); so are
        ``rel_coef_gap``, ``objective_gap``, ``exact_coef`` and ``exact_intercept``.
    rel_coef_gap : float
        ``max_coef_gap`` relative to the largest exact coefficient.
    objective_gap : float
        Objective (half MSE plus penalty) above the exact optimum.
    reference_method : str
        How the exact optimum was computed (:func:`lingrad._optimum.reference_theta`):
        ``"normal equations"`` (from the statistics; well-conditioned data, and
        model files saved before this field existed), ``"QR, refined"`` (the
        in-memory rows) or ``"second pass (TSQR, refined)"`` (a file or Dask
        collection read again, because the scaled condition number exceeds
        :data:`lingrad._optimum.NORMAL_EQUATIONS_MAX_KAPPA`); ``"none"`` for
        the "direct" engine.
    exact_coef : ndarray of shape (n_features,) or (n_targets, n_features), or None
    exact_intercept : float or ndarray of shape (n_targets,), or None
    precondition : {"none", "diagonal", "full"}
        The change of variables descended (``precondition``); ``lipschitz``,
        ``smallest_eigenvalue``, ``condition_number``, the stable rates and the
        iteration estimates describe that problem, the gaps the original one.
    raw_condition_number : float
        Condition number of the Hessian of the original (unpreconditioned)
        problem; ``nan`` when not computed (engine "direct", or files saved
        before it existed).
    coef_unique : bool or None
        False when the design is rank deficient on the scaled problem (the
        least-squares coefficients are not unique; a preconditioned fit then
        returns the minimum-norm one); None when not decided (engine "direct").
    refined : bool
        True when the coefficients took one step of iterative refinement on the
        data after a converged descent (ill-conditioned dense data in memory).
    """

    engine: str
    optimizer: str
    lr: float
    lipschitz: float
    smallest_eigenvalue: float
    condition_number: float
    stable_lr: float
    stable_lr_optimizer: float
    tol: float
    est_iters_gd: float
    est_iters_nesterov: float
    grad_norm: float
    grad_norm_rel: float
    max_coef_gap: float
    rel_coef_gap: float
    objective_gap: float
    reference_method: str = NORMAL_EQUATIONS
    exact_coef: np.ndarray | None = None
    exact_intercept: float | np.ndarray | None = None
    precondition: str = "none"
    raw_condition_number: float = math.nan
    coef_unique: bool | None = None
    refined: bool = False

    def to_dict(self) -> dict:
        """Plain-Python version (JSON-serialisable numbers; arrays as lists)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v = v.tolist()
            elif isinstance(v, np.generic):
                v = v.item()
            out[f.name] = v
        return out

    def rows(self) -> list[tuple[str, str]]:
        """The report as (label, formatted value) pairs: one source for every renderer."""
        rows = [
            ("engine / optimizer", f"{self.engine} / {self.optimizer}"),
            ("learning rate used", f"{self.lr:.6g}"),
            ("L (largest curvature)", f"{self.lipschitz:.6g}"),
            ("smallest eigenvalue", f"{self.smallest_eigenvalue:.6g}"),
            ("condition number", f"{self.condition_number:.6g}"),
            ("largest stable lr (GD, 2/L)", f"{self.stable_lr:.6g}"),
            (f"est. iterations to tol={self.tol:.0e}, GD", _count(self.est_iters_gd)),
            (f"est. iterations to tol={self.tol:.0e}, Nesterov", _count(self.est_iters_nesterov)),
            ("final gradient norm (relative)", f"{self.grad_norm:.3e} ({self.grad_norm_rel:.3e})"),
            ("gap to exact optimum, max |coef|", f"{self.max_coef_gap:.3e}"),
            ("gap to exact optimum, objective", f"{self.objective_gap:.3e}"),
        ]
        if self.optimizer != "gd":
            rows.insert(
                6, (f"largest stable lr ({self.optimizer})", f"{self.stable_lr_optimizer:.6g}")
            )
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _count(x: float) -> str:
    return "never (unstable or singular)" if not math.isfinite(x) else f"{int(x):,}"


@dataclass(frozen=True)
class Solved:
    """A finished solve, as the diagnostics need it.

    Attributes
    ----------
    problem : StatsLeastSquares or DirectLeastSquares
        The full objective (all rows).
    result : FitResult
    stats : SufficientStats or None
        The statistics behind ``problem`` (engine "stats"), for the exact optimum.
    engine, optimizer : str
    lr : float
        Base learning rate used.
    lipschitz, smallest_eigenvalue : float
        Curvature bounds (``smallest_eigenvalue`` nan when not computed).
    stable_lr : float
        Largest stable learning rate of the optimizer used.
    tol : float or None
        The fit's ``tol``.
    one_d : bool
        One target given as 1-D ``y``.
    data : tuple (X, Y, w) or data source, or None
        The rows behind ``stats``, read again for the reference optimum when
        the statistics are not accurate enough (None: statistics only).
    """

    problem: Any
    result: FitResult
    stats: SufficientStats | None
    engine: str
    optimizer: str
    lr: float
    lipschitz: float
    smallest_eigenvalue: float
    stable_lr: float
    tol: float | None
    one_d: bool
    data: Any = None


def objective(problem: Any, theta: np.ndarray) -> float:
    """Half the MSE plus the penalty (per target) at ``theta`` (n_params, n_targets)."""
    f = problem.n_features
    return 0.5 * problem.mse(theta) + problem.penalty.value(theta[:f]) / problem.n_targets


_GAPS = ("max_coef_gap", "rel_coef_gap", "objective_gap")


def _optimum_gaps(s: Solved) -> dict[str, Any]:
    """Gaps to the exact optimum (from the statistics), and the optimum itself."""
    full, res = s.problem, s.result
    theta_star, method, _ = reference_theta(s.stats, full.fit_intercept, full.penalty, s.data)
    diff = np.abs(res.theta - theta_star)
    gap = float(diff.max()) if diff.size else 0.0
    scale = float(np.abs(theta_star).max()) if theta_star.size else 0.0
    coef, intercept = split_theta(
        theta_star, full.n_features, one_d=s.one_d, fit_intercept=full.fit_intercept
    )
    return {
        "max_coef_gap": gap,
        "rel_coef_gap": gap / scale if scale > 0 else gap,
        "objective_gap": float(max(objective(full, res.theta) - objective(full, theta_star), 0.0)),
        "exact_coef": coef,
        "exact_intercept": intercept,
        "reference_method": method,
    }


def diagnose(s: Solved) -> Diagnostics:
    """The :class:`Diagnostics` of a finished solve."""
    L, mu, res, lr = s.lipschitz, s.smallest_eigenvalue, s.result, s.lr
    tol = s.tol if s.tol is not None else DEFAULT_ESTIMATE_TOL
    kappa = condition(L, mu)
    rate_gd = max(abs(1 - lr * L), abs(1 - lr * mu)) if math.isfinite(mu) else math.nan
    it_nag = math.ceil(math.sqrt(kappa) * math.log(1 / tol)) if math.isfinite(kappa) else math.inf
    # The exact optimum needs the statistics: unknown (nan) for the "direct" engine.
    gaps = _optimum_gaps(s) if s.engine == "stats" else dict.fromkeys(_GAPS, math.nan)
    gaps.setdefault("reference_method", NO_REFERENCE)
    return Diagnostics(
        engine=s.engine,
        optimizer=s.optimizer,
        lr=float(lr),
        lipschitz=float(L),
        smallest_eigenvalue=float(mu),
        condition_number=float(kappa),
        stable_lr=2.0 / L if L > 0 else math.inf,
        stable_lr_optimizer=float(s.stable_lr),
        tol=float(tol),
        est_iters_gd=iterations_to(rate_gd, tol),
        est_iters_nesterov=it_nag,
        grad_norm=float(res.grad_norm),
        grad_norm_rel=float(res.grad_norm / res.grad_norm_init) if res.grad_norm_init else 0.0,
        **gaps,
    )


def not_converged_parts(res: FitResult, d: Diagnostics, tol: float) -> tuple[Part, ...]:
    """What to do about a fit that ran out of ``n_iters`` before ``tol``."""
    rel = res.grad_norm / res.grad_norm_init if res.grad_norm_init else 0.0
    rate_needed: tuple[Part, ...] = ()
    if math.isfinite(d.est_iters_gd) and d.est_iters_gd > res.n_iter:
        rate_needed = (f" Plain GD at this lr needs about {int(d.est_iters_gd):,} iterations",)
        if math.isfinite(d.est_iters_nesterov):
            rate_needed += (
                "; ",
                Set("optimizer", "'nesterov'"),
                " with ",
                Set("lr", "'auto'"),
                f" about {int(d.est_iters_nesterov):,}",
            )
        rate_needed += (".",)
    return (
        "lingrad did not converge in ",
        Set("n_iters", str(res.n_iter)),
        f": the gradient norm is {rel:.3g} of its start, above ",
        Set("tol", f"{tol:g}"),
        ".",
        *rate_needed,
        " Increase ",
        Set("n_iters"),
        ", use ",
        Set("lr", "'auto'"),
        " or ",
        Set("optimizer", "'nesterov'"),
        ", or standardise the features.",
    )


def not_converged_warning(res: FitResult, d: Diagnostics, tol: float) -> NotConvergedWarning:
    """The warning for a fit that ran out of ``n_iters`` before ``tol``."""
    return NotConvergedWarning(
        not_converged_parts(res, d, tol), n_iter=res.n_iter, tol=tol, grad_norm_rel=d.grad_norm_rel
    )
