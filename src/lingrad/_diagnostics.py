"""What a fit knows about its own problem: curvature, stability, distance to optimum.

Diagnostics are data (a frozen dataclass); printing them is presentation and
lives in ``__str__``. They are computed once per fit, from the sufficient
statistics when the engine has them (exact) and by Lanczos otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from html import escape
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._estimates import DEFAULT_ESTIMATE_TOL, gd_iterations, nesterov_iterations, start_measure
from ._illconditioned import ILL_CONDITIONED, ill_conditioned_parts
from ._messages import LingradMessage
from ._onehot import traps
from ._optimum import NO_REFERENCE, NORMAL_EQUATIONS, reference_theta
from ._solve import FitResult
from ._stats import SufficientStats
from ._theta import split_theta

__all__ = [
    "ILL_CONDITIONED",
    "Diagnostics",
    "IllConditionedWarning",
    "NotConvergedWarning",
    "Solved",
    "condition",
    "diagnose",
    "ill_conditioned_warning",
]


class IllConditionedWarning(LingradMessage, UserWarning):
    """The features are collinear or badly scaled: coefficients may be unreliable."""


class NotConvergedWarning(LingradMessage, ConvergenceWarning):
    """A fit ended far from the optimum, or ran out of ``n_iters`` before ``tol``
    (a scikit-learn ``ConvergenceWarning``; see :mod:`lingrad._convergence`)."""


def condition(L: float, mu: float) -> float:
    """The condition number ``L / mu`` (inf when singular, nan when ``mu`` is unknown)."""
    if math.isnan(mu):
        return math.nan
    return L / mu if mu > 0 else math.inf


#: Eigenvalues of the centred (with an intercept), column-scaled Gram matrix at or below
#: ``n_features * eps`` times the largest count as zero: the rank rule of the reference
#: optimum (``lingrad._optimum._min_norm_solve``), so units and offsets never decide it.
_EPS = np.finfo(np.float64).eps
#: A column counts among the collinear ones when the null space holds this much of it.
_IN_NULL_SPACE = 0.1


def _scaled_gram(stats: SufficientStats, fit_intercept: bool) -> np.ndarray:
    """The Gram matrix of the columns scaled to unit length (centred with an intercept)."""
    S = float(stats.sum_weights)
    C = np.asarray(stats.xx, dtype=np.float64)
    if not fit_intercept:
        C = C + S * np.outer(stats.x_mean, stats.x_mean)
    d = np.sqrt(np.clip(np.diag(C), 0.0, None))
    d[~(d > 0)] = 1.0
    return (C + C.T) / 2 / d[:, None] / d[None, :]


def collinear_columns(stats: SufficientStats, fit_intercept: bool) -> list[int]:
    """Columns in the numerical null space of the scaled problem (empty: full rank).

    The rank is decided on the centred, column-scaled Gram matrix with the
    reference optimum's tolerance (eigenvalues at most ``n_features * eps``
    times the largest are zero), so a column is never called collinear for
    its units or its offset.
    """
    f = stats.n_features
    if f == 0:
        return []
    ev, V = np.linalg.eigh(_scaled_gram(stats, fit_intercept))
    null = ev <= ev.max(initial=0.0) * f * _EPS
    if not null.any():
        return []
    weight = np.sqrt((V[:, null] ** 2).sum(axis=1))
    return [int(j) for j in np.flatnonzero(weight > _IN_NULL_SPACE)]


def ill_conditioned_warning(
    kappa: float, stats: SufficientStats | None = None, fit_intercept: bool = True
) -> IllConditionedWarning:
    """The warning for a condition number above :data:`ILL_CONDITIONED`, diagnosed on the
    scaled problem when the statistics are known."""
    scaled, collinear, trapped = math.nan, None, []
    if stats is not None and np.isfinite(stats.scatter).all():
        collinear = collinear_columns(stats, fit_intercept)
        if collinear and not fit_intercept and not collinear_columns(stats, True):
            fit_intercept, collinear = True, []  # offsets, not collinearity: centred, it is scale
        trapped = traps(stats, fit_intercept) if collinear else []
        ev = np.linalg.eigvalsh(_scaled_gram(stats, fit_intercept))
        top = ev.max(initial=0.0)
        scaled = top / ev[0] if ev.size and ev[0] > top * stats.n_features * _EPS else math.inf
    return IllConditionedWarning(
        ill_conditioned_parts(kappa, scaled, collinear, trapped, fit_intercept),
        condition_number=kappa,
        one_hot_groups=trapped,
        scaled_condition_number=scaled,
        collinear_columns=collinear,
    )


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
        The ``tol`` of the estimates: the fit's, else 1e-8 (``fit_tol`` is then nan).
    est_iters_gd, est_iters_nesterov : float
        Upper bounds on the iterations plain GD at the ``lr`` used, and Nesterov
        at ``lr=1/L`` with the optimal momentum, need to bring the stopping
        measure from the fit's start to ``tol`` (:mod:`lingrad._estimates`).
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
        True when a converged descent was finished at a reference optimum that
        read the rows again (``reference_method`` other than "normal equations").
    exact_ssr : float, ndarray of shape (n_targets,) or None
        The weighted residual sum of squares at ``exact_coef``, summed from the
        rows in double-double where the reference read them in memory (else
        None); ``summary()`` uses it where the statistics' sum is at rounding level.
    reference_digits : float
        Estimated correct digits of ``exact_coef`` where it is the normal equations'
        (``Reference.digits``: what the statistics hold; the gaps are no more exact);
        nan where the rows were read (backward-stable) or not estimated.
    fit_tol : float
        The fit's ``tol``; nan when it had none.
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
    exact_ssr: float | np.ndarray | None = None
    reference_digits: float = math.nan
    fit_tol: float = math.nan

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
            ("iteration estimates to", _tol_text(self.tol, self.fit_tol)),
            ("  GD at this lr, at most", _count(self.est_iters_gd)),
            ("  Nesterov at lr=1/L, at most", _count(self.est_iters_nesterov)),
            ("final gradient norm (relative)", f"{self.grad_norm:.3e} ({self.grad_norm_rel:.3e})"),
            ("gap to exact optimum, max |coef|", f"{self.max_coef_gap:.3e}"),
            ("gap to exact optimum, objective", f"{self.objective_gap:.3e}"),
        ]
        if self.reference_method not in (NORMAL_EQUATIONS, NO_REFERENCE):  # read rows again
            rows.append(("exact optimum from", self.reference_method))
        if self.reference_digits < 10:  # the statistics' digits; nan: not estimated
            rows.append(("exact optimum, correct digits (est.)", f"{self.reference_digits:.1f}"))
        if self.optimizer != "gd":
            rows.insert(
                6, (f"largest stable lr ({self.optimizer})", f"{self.stable_lr_optimizer:.6g}")
            )
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

    def _repr_html_(self) -> str:
        """:meth:`rows` as an escaped HTML table (Jupyter)."""
        rows = self.rows()
        cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>Diagnostics</caption><tbody>{cells}</tbody></table>"


def _count(x: float) -> str:
    if math.isnan(x):
        return "unknown (no smallest eigenvalue)"
    return "never (unstable or singular)" if not math.isfinite(x) else f"{int(x):,}"


def _tol_text(tol: float, fit_tol: float) -> str:
    """The estimates' ``tol``, saying where it comes from."""
    if math.isnan(fit_tol):
        return f"tol={tol:.0e} (default for the estimate: no tol set)"
    return f"tol={tol:g} (the fit's)"


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
    reference : Reference or None
        The reference optimum when the caller computed it already (else here).
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
    reference: Any = None


def objective(problem: Any, theta: np.ndarray) -> float:
    """Half the MSE plus the penalty (per target) at ``theta`` (n_params, n_targets)."""
    f = problem.n_features
    return 0.5 * problem.mse(theta) + problem.penalty.value(theta[:f]) / problem.n_targets


_GAPS = ("max_coef_gap", "rel_coef_gap", "objective_gap")


def _optimum_gaps(s: Solved) -> dict[str, Any]:
    """Gaps to the exact optimum (from the statistics), and the optimum itself."""
    full, res = s.problem, s.result
    ref = s.reference
    if ref is None:
        ref = reference_theta(s.stats, full.fit_intercept, full.penalty, s.data)
    theta_star, method = ref.theta, ref.method
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
        "exact_ssr": _per_target(ref.ssr, s.one_d),
        "reference_digits": getattr(ref, "digits", math.nan),
    }


def _per_target(values: np.ndarray | None, one_d: bool) -> float | np.ndarray | None:
    """``values`` of shape (n_targets,) as a float for a 1-d y (None stays None)."""
    if values is None:
        return None
    return float(values[0]) if one_d else np.asarray(values, dtype=np.float64).copy()


def diagnose(s: Solved) -> Diagnostics:
    """The :class:`Diagnostics` of a finished solve."""
    L, mu, res, lr = s.lipschitz, s.smallest_eigenvalue, s.result, s.lr
    tol = s.tol if s.tol is not None else DEFAULT_ESTIMATE_TOL
    kappa = condition(L, mu)
    start = start_measure(res.measure_init)
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
        est_iters_gd=gd_iterations(lr, L, mu, start, tol),
        est_iters_nesterov=nesterov_iterations(kappa, start, tol),
        fit_tol=math.nan if s.tol is None else float(s.tol),
        grad_norm=float(res.grad_norm),
        grad_norm_rel=float(res.grad_norm / res.grad_norm_init) if res.grad_norm_init else 0.0,
        **gaps,
    )
