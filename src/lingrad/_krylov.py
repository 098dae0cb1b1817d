"""Conjugate gradients on the normal equations (CGLS): the direct engine's Krylov method.

``optimizer="cg"`` (chosen by ``lr="auto"`` on the direct engine, see
:func:`lingrad._optimizers.choose_optimizer`) minimises lingrad's objective on
in-memory rows, dense or CSR/CSC sparse, without densifying or copying X. It
descends ``z`` with ``theta = T z`` for the weighted, centred, column-scaled design

    A = diag(sqrt(w / S)) [(X - 1 mu^T) D, 1],   D = diag(1 / sqrt(var_j + l2)),

applied as an operator (``X @ v`` and ``X.T @ r`` plus rank-one corrections for the
centring), so that every column of A, and the ridge term ``l2 |W|^2 = z^T Lambda z``
(``Lambda = l2 D^2``, the damping), has unit curvature. One iteration is one product
with X and one with X.T: one pass. The residual ``r = sqrt(w/S) (y - X W - b)`` is
kept, so the loss history (``|r|^2``, the weighted MSE) and the stopping measure
(``sqrt(|A^T r - Lambda z|^2 / scale)``: lingrad's Jacobi-scaled estimate of
``sqrt(MSE - MSE*) / std(y)``, the direct engine's rule) cost nothing more. Every
target is its own CG, run side by side.

Why not ``scipy.sparse.linalg.lsqr`` or ``cg``: neither reports the residual at each
iterate (``lsqr`` has no callback; ``cg`` on ``A^T A`` would need an extra pass per
iterate for the loss), and a fit must record its loss history and stop by lingrad's
rule. The recurrences are the textbook CGLS (Hestenes & Stiefel, 1952; Björck,
*Numerical Methods for Least Squares Problems*, 1996, §7.4) with diagonal damping.

The diagnostics' reference optimum is the same Krylov sequence continued from the fit
until its measure stops falling (float64's limit) or is a fifth of the fit's, and one
exact line search more: CG's steps never raise the error's energy norm, so the gaps it
reports are good to 20% at worst and, at the rate CG converges by then, typically to
the square of that rate (1-3% on well-preconditioned data), for one to three passes
over X: ``reference_method`` says so. The Lanczos tridiagonal matrix that CG's coefficients
define gives the curvature estimates (``lipschitz``, ``smallest_eigenvalue``: Ritz
values of the descended Hessian) without a pass of its own.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import eigvalsh_tridiagonal

from ._convergence import convergence_warning
from ._descent import precondition_kind
from ._diagnostics import Diagnostics, Solved, diagnose
from ._messages import Part, Set
from ._objective import DirectLeastSquares
from ._operator import Design, design_of
from ._params import ParameterError
from ._plan import Plan
from ._precondition import row_space
from ._solve import OVERFLOW_MESSAGE, DataOverflowError, FitResult
from ._stopping import Stopping
from ._theta import split_theta

__all__ = ["KRYLOV_REFERENCE", "krylov_fit"]

#: ``Diagnostics.reference_method`` of a "cg" fit.
KRYLOV_REFERENCE = "Krylov (CGLS continued to float64 limits)"
#: The reference continues until its measure is below this share of the fit's (then
#: one line search more) ...
REFERENCE_SHARE = 0.2
#: ... or below this (float64's resolution of the measure), or stops falling.
REFERENCE_FLOOR = 1e-15


def _sumsq(M: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Column sums of squares (weighted by rows), shape (k,): no BLAS threads for a dot."""
    if weights is None:
        return np.einsum("ij,ij->j", M, M)
    return np.einsum("ij,ij,ij->j", M, M, np.broadcast_to(weights, M.shape))


@dataclass
class _CG:
    """The state of k conjugate-gradient runs (one per target), and their coefficients."""

    Z: np.ndarray
    R: np.ndarray
    S: np.ndarray
    P: np.ndarray
    gamma: np.ndarray
    alphas: list
    betas: list
    lanczos: bool = True
    Q: np.ndarray | None = None  # the line search's A P (scratch, reused)

    @classmethod
    def start(cls, A: Design, theta0: np.ndarray) -> _CG:
        Z, R = A.to_z(theta0), A.residual(theta0)
        if A.zero is not None and A.zero.any():  # exact null directions: the min-norm 0
            Z[: A.zero.size][A.zero] = 0.0
        S = A.rmatvec(R) - A.lam * Z
        return cls(Z, R, S, S.copy(), _sumsq(S), [], [])

    def copy(self) -> _CG:
        arrays = (self.Z, self.R, self.S, self.P, self.gamma)
        copies = (a.copy() for a in arrays)
        return _CG(*copies, list(self.alphas), list(self.betas), self.lanczos, self.Q)

    def step(self, A: Design) -> None:
        """One CGLS iteration: one product with X, one with X.T."""
        self.advance(A)
        self.turn(A)

    def advance(self, A: Design) -> None:
        """The exact line search along P (one product with X): the new Z and R."""
        Q = A.matvec(self.P, out=self.Q)
        self.Q = Q  # scratch for the next line search (no fresh pages per iteration)
        delta = _sumsq(Q) + _sumsq(self.P, A.lam)
        # the exact minimiser along P (s^T p; |s|^2 in exact arithmetic): never uphill
        slope = np.einsum("ij,ij->j", self.S, self.P)
        alpha = np.divide(slope, delta, out=np.zeros_like(delta), where=delta > 0)
        self.Z += alpha * self.P
        Q *= alpha  # (Q is spent: scaled in place, no temporary of n rows)
        self.R -= Q
        if self.lanczos:
            self.alphas.append(alpha)

    def turn(self, A: Design) -> None:
        """The new gradient (one product with X.T) and the next conjugate direction."""
        self.S = A.rmatvec(self.R) - A.lam * self.Z
        gamma = _sumsq(self.S)
        beta = np.divide(gamma, self.gamma, out=np.zeros_like(gamma), where=self.gamma > 0)
        self.P *= beta
        self.P += self.S
        lost = np.einsum("ij,ij->j", self.S, self.P) <= 0  # conjugacy lost to rounding
        if lost.any():
            self.P[:, lost] = self.S[:, lost]  # restart: steepest descent
        self.gamma = gamma
        if self.lanczos:  # CG's coefficients define Lanczos' matrix until the first restart
            self.betas.append(beta)
            self.lanczos = not lost.any() and bool(np.all(gamma > 0))

    def mse(self) -> float:
        return float(_sumsq(self.R).sum()) / self.R.shape[1]

    def measure(self, scale: float) -> float:
        return math.sqrt(max(float(self.gamma.sum()), 0.0) / (self.R.shape[1] * scale))


def _ritz(cg: _CG) -> tuple[float, float]:
    """Extreme Ritz values of the descended Hessian from CG's coefficients (Lanczos)."""
    if not cg.alphas:
        return 1.0, math.nan  # no step: the unit diagonal's mean, a lower bound on L
    al = np.array(cg.alphas)
    be = np.array(cg.betas).reshape(-1, al.shape[1])  # one fewer where a line search ended
    top, low = 0.0, math.inf
    for j in range(al.shape[1]):
        a, b = al[:, j], be[:, j]
        m = int(np.argmax(a <= 0)) if (a <= 0).any() else a.size
        if m == 0:
            continue
        a, b = a[:m], b[:m]
        diag = 1.0 / a + np.r_[0.0, b[: m - 1] / a[: m - 1]]
        ev = eigvalsh_tridiagonal(diag, np.sqrt(b[: m - 1]) / a[: m - 1])
        top, low = max(top, float(ev[-1])), min(low, float(ev[0]))
    return (top, max(low, 0.0)) if top > 0 else (1.0, math.nan)


def _no_cg(why: tuple[Part, ...], param: str, value: Any) -> ParameterError:
    return ParameterError(
        (Set("optimizer", "'cg'"), " (conjugate gradients) ", *why), param=param, value=value
    )


def check_cg(plan: Plan) -> DirectLeastSquares:
    """The in-memory direct problem a "cg" fit runs on; :class:`ParameterError` otherwise."""
    p, problem = plan.params, plan.problem
    if p.lr != "auto" or p.learning_rate != "constant":
        param, value = ("lr", p.lr) if p.lr != "auto" else ("learning_rate", p.learning_rate)
        why = (
            "chooses its own step lengths by exact line searches and takes no learning rate "
            "or schedule. Use ",
            Set("lr", "'auto'"),
            " (with the default learning_rate), or a gradient optimizer for a numeric lr.",
        )
        raise _no_cg(why, param, value)
    if p.alpha * p.l1_ratio > 0 or p.batch_size is not None:
        param = "l1_ratio" if p.batch_size is None else "batch_size"
        what = "an L1 penalty needs proximal steps" if param == "l1_ratio" else "mini-batches"
        why = (
            f"solves smooth full-batch problems (least squares, ridge); {what}. Use ",
            Set("optimizer", "'nesterov'"),
            " or 'gd' for them.",
        )
        raise _no_cg(why, param, getattr(p, param))
    if plan.engine != "direct" or not isinstance(problem, DirectLeastSquares):
        where = "a file or Dask collection" if plan.engine == "direct" else "the statistics"
        why = (
            f"runs on in-memory rows with the direct engine; this fit works from {where}. Use ",
            Set("engine", "'direct'"),
            " or 'auto' with arrays or sparse matrices, or another ",
            Set("optimizer"),
            ".",
        )
        raise _no_cg(why, "optimizer", "cg")
    return problem


def _run(A: Design, cg: _CG, n_iters: int, tol: float | None, scale: float, callback, path):
    """Iterate as the solve loop does; returns (n_iter, reason, history, measure)."""
    history = [cg.mse()]
    m = cg.measure(scale)
    stop_below = -math.inf if tol is None else tol
    it, reason = 0, "max_iter"
    for it in range(1, n_iters + 1):
        if m <= stop_below or not cg.gamma.any():
            it, reason = it - 1, "tol" if m <= stop_below else "zero_gradient"
            break
        cg.step(A)
        mse = cg.mse()
        if not math.isfinite(mse):
            raise DataOverflowError(OVERFLOW_MESSAGE)
        history.append(mse)
        if path is not None:
            path.append(A.to_theta(cg.Z))
        m = cg.measure(scale)
        if callback is not None:
            callback(it, mse)
    else:
        if m <= stop_below:
            reason = "tol"
    return it, reason, np.array(history), m


def _reference(A: Design, cg: _CG, scale: float, budget: int) -> tuple[_CG, bool]:
    """The fit's Krylov sequence continued to float64's limit; whether it got there.

    Full steps until the measure is :data:`REFERENCE_SHARE` of the fit's, then one line
    search more (one product): it lowers the error's energy norm again (CG's steps never
    raise it), typically by as much as the last step did."""
    ref = cg.copy()
    m = best = ref.measure(scale)
    goal, stalls = max(REFERENCE_FLOOR, REFERENCE_SHARE * m), 0
    for _ in range(budget):
        if m <= goal or not ref.gamma.any():
            if ref.gamma.any():
                ref.advance(A)
            return ref, True
        ref.step(A)
        m = ref.measure(scale)
        stalls = 0 if m < 0.5 * best else stalls + 1
        best = min(best, m)
        if stalls >= 3 or not math.isfinite(m):
            return ref, math.isfinite(m)
    return ref, m <= goal


def _gaps(plan: Plan, res: FitResult, ref: _CG, theta_ref: np.ndarray, mse: float):
    """The diagnostics' gaps to the reference (losses from the kept residuals: no pass)."""
    problem, k = plan.problem, res.theta.shape[1]
    f, pen = problem.n_features, problem.penalty
    diff = np.abs(res.theta - theta_ref)
    gap = float(diff.max()) if diff.size else 0.0
    top = float(np.abs(theta_ref).max()) if theta_ref.size else 0.0
    obj_fit = 0.5 * mse + pen.value(res.theta[:f]) / k
    obj_ref = 0.5 * ref.mse() + pen.value(theta_ref[:f]) / k
    coef, intercept = split_theta(
        theta_ref, f, one_d=plan.one_d, fit_intercept=problem.fit_intercept
    )
    return {
        "max_coef_gap": gap,
        "rel_coef_gap": gap / top if top > 0 else gap,
        "objective_gap": float(max(obj_fit - obj_ref, 0.0)),
        "exact_coef": coef,
        "exact_intercept": intercept,
        "reference_method": KRYLOV_REFERENCE,
    }


def krylov_fit(
    plan: Plan, callback: Callable[[int, float], None] | None = None
) -> tuple[FitResult, Diagnostics]:
    """Fit ``plan`` (``optimizer="cg"``) by CGLS; the result and its diagnostics.

    Parameters
    ----------
    plan : Plan
        In-memory rows on the direct engine (else :class:`ParameterError`).
    callback : callable, default=None
        ``callback(iteration, mse)`` after every iteration.

    Returns
    -------
    FitResult
        In the original coordinates; ``lr`` is ``1 / L`` for the Ritz estimate of L.
    Diagnostics
        Ritz curvature estimates, and the gaps to the continued Krylov solution.
    """
    p, problem = plan.params, check_cg(plan)
    kind = precondition_kind(p, "direct", False)  # "full" needs the statistics: raises
    with np.errstate(over="ignore", invalid="ignore"):
        A, scale = design_of(problem, kind)
        cg = _CG.start(A, plan.theta0)
        mse0, m0, g0 = cg.mse(), cg.measure(scale), math.sqrt(float(cg.gamma.sum()))
        if not (math.isfinite(mse0) and math.isfinite(m0)):
            raise DataOverflowError(OVERFLOW_MESSAGE)
        path = [plan.theta0.astype(np.float64)] if p.record_path else None
        n_iter, reason, history, m = _run(A, cg, p.n_iters, p.tol, scale, callback, path)
        ref, reached = _reference(A, cg, scale, max(20, min(n_iter, 1000)))
    L, mu = _ritz(ref)
    null = row_space(problem, problem.fit_intercept)  # fewer rows than parameters
    dtype = plan.theta0.dtype

    def finish(theta: np.ndarray) -> np.ndarray:  # min-norm where not unique; X's dtype
        return (theta if null is None else null.project(theta)).astype(dtype, copy=False)

    res = FitResult(
        theta=finish(A.to_theta(cg.Z)),
        theta_init=plan.theta0.copy(),
        n_iter=n_iter,
        converged=reason in ("tol", "zero_gradient"),
        stop_reason=reason,
        loss_history=history,
        grad_norm=math.sqrt(float(cg.gamma.sum())),
        grad_norm_init=g0,
        lr=1.0 / L,
        message=_message(reason, n_iter),
        path=None if path is None else np.stack([finish(t) for t in path]),
        measure=m,
        measure_init=m0,
    )
    solved = Solved(problem, res, None, "direct", "cg", 1.0 / L, L, mu, math.inf, p.tol, plan.one_d)
    d = dataclasses.replace(
        diagnose(solved),
        precondition="none" if kind == "none" else "diagonal",
        coef_unique=False if null is not None else None,
    )
    if reached:  # else the continued sequence is no reference: the gaps stay unknown (nan)
        d = dataclasses.replace(d, **_gaps(plan, res, ref, finish(A.to_theta(ref.Z)), history[-1]))
    known = _KnownLoss(problem.n_features, problem.penalty, float(history[-1]))
    warning = convergence_warning(p, known, res, d, Stopping(scale))
    if warning is not None:
        warnings.warn(warning, stacklevel=4)  # krylov_fit <- run <- fit <- the caller
    return res, d


@dataclass(frozen=True)
class _KnownLoss:
    """The fitted problem as the not-converged warning reads it: the fit's MSE is known
    from the kept residual, so the warning costs no pass over X."""

    n_features: int
    penalty: Any
    fit_mse: float

    def mse(self, theta: np.ndarray) -> float:
        return self.fit_mse


_MESSAGES = {
    "tol": "Converged: the Jacobi-scaled gradient estimate of the distance to the optimum "
    "fell below tol in {it} conjugate-gradient iterations.",
    "zero_gradient": "Converged: the gradient is exactly zero after {it} conjugate-gradient "
    "iterations.",
    "max_iter": "Ran the full budget of {it} conjugate-gradient iterations.",
}


def _message(reason: str, it: int) -> str:
    return _MESSAGES[reason].format(it=it)
