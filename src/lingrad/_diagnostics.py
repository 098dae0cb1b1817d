"""What a fit knows about its own problem: curvature, stability, distance to optimum.

Diagnostics are data (a frozen dataclass); printing them is presentation and
lives in ``__str__``. They are computed once per fit, from the sufficient
statistics when the engine has them (exact) and by Lanczos otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Diagnostics", "IllConditionedWarning"]

#: Condition numbers above this draw an :class:`IllConditionedWarning`.
ILL_CONDITIONED = 1e12


class IllConditionedWarning(UserWarning):
    """The features are collinear or badly scaled: coefficients may be unreliable."""


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
    exact_coef : ndarray of shape (n_features,) or (n_targets, n_features), or None
    exact_intercept : float or ndarray of shape (n_targets,), or None
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
    exact_coef: np.ndarray | None = None
    exact_intercept: float | np.ndarray | None = None

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
