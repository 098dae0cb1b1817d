"""The one solve loop: steps, stopping rule, divergence guard, history.

Every way of fitting (in memory, from statistics, from files, on Dask,
``partial_fit``) ends here, and every call returns one :class:`FitResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._messages import Alt, LingradMessage, Part, Set
from ._optimizers import Optimizer, Schedule
from ._stopping import Stopping
from ._trajectory import linear_rule, run_linear

__all__ = [
    "OVERFLOW_MESSAGE",
    "DataOverflowError",
    "DivergenceError",
    "DivergenceWarning",
    "FitResult",
    "Stopping",
    "divergence_parts",
    "solve",
]

# The loss may grow this much above its starting value before the run is
# declared divergent (momentum methods overshoot, but never by this much).
_BLOWUP = 1e8


class DivergenceError(LingradMessage, FloatingPointError, ValueError):
    """Gradient descent diverged (or would): the learning rate is too large.

    Built from message parts (see :mod:`lingrad._messages`): ``str(err)`` is
    the Python wording, ``err.render("cli")`` the command line's.

    Attributes
    ----------
    lr : float
        The learning rate that was used.
    stable_lr : float
        The largest stable learning rate for this data and optimizer.
    iteration : int
        Iteration at which divergence was detected (0 when detected before
        iterating).
    fields : dict
        ``lr``, ``stable_lr`` and ``iteration``.
    """

    def __init__(
        self, message: str | tuple[Part, ...], lr: float, stable_lr: float, iteration: int
    ) -> None:
        super().__init__(message, lr=lr, stable_lr=stable_lr, iteration=iteration)
        self.lr = lr
        self.stable_lr = stable_lr
        self.iteration = iteration


class DataOverflowError(LingradMessage, ValueError):
    """The squared-error arithmetic overflows float64 (see :data:`OVERFLOW_MESSAGE`)."""


OVERFLOW_MESSAGE = (
    "The squared-error arithmetic overflows float64 for this data: the values of X and y are "
    "too large (their squares exceed 1e308). Rescale X and y (e.g. "
    "sklearn.preprocessing.StandardScaler, or divide by a power of 10) before fitting."
)


def _round_down(x: float) -> str:
    """``x`` to 3 significant digits, rounded towards 0: advice that stays below a limit."""
    if not math.isfinite(x) or x <= 0:
        return f"{x:.3g}"
    scale = 10.0 ** (math.floor(math.log10(x)) - 2)
    return f"{math.floor(x / scale) * scale:.3g}"


class DivergenceWarning(LingradMessage, UserWarning):
    """The learning rate was too large; the fit recovered with a stable one."""


def divergence_parts(
    lr: float, stable_lr: float, optimizer: str, iteration: int
) -> tuple[Part, ...]:
    """The one explanation of a too-large learning rate, as message parts."""
    where = (
        "before iterating"
        if iteration == 0
        else f"at iteration {iteration}, where the loss blew up"
    )
    return (
        f"Gradient descent ({optimizer}) diverges with ",
        Set("lr", f"{lr:.6g}"),
        f": the largest stable learning rate for this data is {stable_lr:.6g} (detected "
        f"{where}). Use ",
        Alt(
            f"a smaller lr (below {_round_down(stable_lr)})", f"--lr below {_round_down(stable_lr)}"
        ),
        ", or ",
        Set("lr", "'auto'"),
        Alt(
            ", or standardise the features (e.g. sklearn.preprocessing.StandardScaler in a "
            "Pipeline).",
            " (which descends on centred, scaled columns: what standardising them would do).",
        ),
    )


def _norm(v: np.ndarray) -> float:
    """Euclidean norm, safe from overflow and underflow of the squares."""
    s = float(np.vdot(v, v))
    if 1e-280 < s < 1e280:
        return math.sqrt(s)
    a = float(np.max(np.abs(v))) if v.size else 0.0
    if a == 0.0 or not math.isfinite(a):
        return a
    u = v / a
    return a * math.sqrt(float(np.vdot(u, u)))


@dataclass
class FitResult:
    """Everything a solve produced (cf. ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    theta : ndarray of shape (n_params, n_targets)
        Final parameters: coefficient rows, then the intercept row if fitted.
    theta_init : ndarray of shape (n_params, n_targets)
        Starting parameters.
    n_iter : int
        Iterations (epochs in mini-batch mode) run.
    converged : bool
        True when the stopping rule was met.
    stop_reason : str
        ``"tol"``, ``"max_iter"`` (the budget ``n_iters`` ran out) or ``"zero_gradient"``.
    loss_history : ndarray of shape (n_iter + 1,)
        Mean squared error at the start and after every iteration.
    grad_norm : float
        Norm of the (proximal) gradient at ``theta``.
    grad_norm_init : float
        Norm of the (proximal) gradient at ``theta_init``.
    lr : float
        Base learning rate used.
    state : Any
        The optimizer's final state (to resume from).
    message : str
        A sentence describing how the solve ended.
    path : ndarray of shape (n_iter + 1, n_params, n_targets) or None
        Every iterate, when recorded.
    measure : float
        The stopping measure at ``theta`` (:class:`Stopping`; without one,
        the gradient norm relative to its reference).
    measure_init : float
        The stopping measure at ``theta_init``.
    """

    theta: np.ndarray
    theta_init: np.ndarray
    n_iter: int
    converged: bool
    stop_reason: str
    loss_history: np.ndarray
    grad_norm: float
    grad_norm_init: float
    lr: float
    state: Any = None
    message: str = ""
    path: np.ndarray | None = field(default=None, repr=False)
    measure: float = math.nan
    measure_init: float = math.nan


def _closed_form(problem, optimizer, schedule, prox, batches, state, stop=None):
    """``(rule, eigen-decomposition)`` when the run is a linear recurrence, else None:
    full batch, no prox, a constant learning rate, GD or constant momentum, fresh state,
    and a problem that offers its Hessian's eigenbasis (the statistics engine), with
    the optimum known when the stopping rule measures from it."""
    if prox is not None or batches is not None or state is not None:
        return None
    if stop is not None and stop.theta_star is None:  # a gradient estimate: the loop
        return None
    if schedule.kind != "constant":
        return None
    rule = linear_rule(optimizer)
    modes = getattr(problem, "linear_modes", None)
    eig = modes() if rule is not None and modes is not None else None
    return None if eig is None else (rule, eig)


def _linear_result(run, theta0, start, lr0, optimizer, stable_lr, callback, scaled) -> FitResult:
    """A ``FitResult`` from a closed-form run, exactly as the loop would have ended."""
    if run.diverged_at:
        it = run.diverged_at
        raise DivergenceError(
            divergence_parts(lr0, stable_lr, optimizer.name, it), lr0, stable_lr, it
        )
    if callback is not None:
        for it in range(1, run.stop + 1):
            callback(it, float(run.history[it]))
    end = _End(run.theta, run.state, run.stop, run.reason, run.history, run.grad_norm, run.path)
    end.measure, end.scaled = run.measure, scaled
    return end.result(theta0, start, lr0)


#: How a solve can end (``FitResult.stop_reason``, ``stop_reason_``).
STOP_REASONS = ("tol", "max_iter", "zero_gradient", "statistics-limited")

_MESSAGES = {
    "tol": "Converged: gradient norm fell below tol relative to its start in {it} iterations.",
    "tol_optimum": "Converged: the fitted values are within tol of the optimum's (relative "
    "to the spread of y) in {it} iterations.",
    "zero_gradient": "Converged: the gradient is exactly zero after {it} iterations.",
    "max_iter": "Ran the full budget of {it} iterations.",
}


def solve(
    problem,
    theta0: np.ndarray,
    optimizer: Optimizer,
    schedule: Schedule,
    n_iters: int,
    *,
    tol: float | None = None,
    stable_lr: float = math.inf,
    prox: Callable[[np.ndarray, float], np.ndarray] | None = None,
    batches: Callable[[int], Iterator[Any]] | None = None,
    state: Any = None,
    grad_norm_ref: float | None = None,
    stop: Stopping | None = None,
    record_path: bool = False,
    callback: Callable[[int, float], None] | None = None,
) -> FitResult:
    """Minimise ``problem`` from ``theta0``.

    Parameters
    ----------
    problem : StatsLeastSquares or DirectLeastSquares
        Provides ``grad_mse(theta)`` (and ``batch_grad(theta, rows)`` for batches).
    theta0 : ndarray of shape (n_params, n_targets)
    optimizer : Optimizer
    schedule : Schedule
        ``t -> lr``; ``t`` counts updates.
    n_iters : int
        Budget of full-batch iterations, or of epochs when ``batches`` is given.
    tol : float or None
        Stop before the first iterate whose stopping measure is at most
        ``tol``: :meth:`Stopping.measure` when ``stop`` is given (the rule
        every fit uses), else the (proximal) gradient norm relative to its
        starting value or ``grad_norm_ref`` (for refining an optimum from a
        good start). ``None`` runs the whole budget.
    stable_lr : float
        Largest stable learning rate, quoted if the loss blows up.
    prox : callable or None
        ``prox(theta, step)`` for the non-smooth penalty.
    batches : callable or None
        ``batches(epoch)`` yields row selections for mini-batch updates.
    state : optimizer state or None
        Resume from this state instead of ``optimizer.init``.
    grad_norm_ref : float or None
        Reference gradient norm for ``tol`` without ``stop``.
    stop : Stopping or None
        The scale-invariant stopping measure.
    record_path : bool
        Keep every iterate in ``FitResult.path``.
    callback : callable or None
        ``callback(iteration, mse)`` after every iteration (progress bars).

    Returns
    -------
    FitResult
    """
    theta = theta0.copy() if prox is None else prox(theta0.copy(), 0.0)  # into a box
    closed = _closed_form(problem, optimizer, schedule, prox, batches, state, stop)
    if state is None:
        state = optimizer.init(theta)
    loop = _Loop(problem, optimizer, schedule, prox, batches, stable_lr, stop)
    g, mse = problem.grad_mse(theta)
    gnorm0, m0 = loop.optimality(theta, g, loop.lr0)
    if not (math.isfinite(mse) and math.isfinite(gnorm0)):
        raise DataOverflowError(OVERFLOW_MESSAGE)
    if stop is None:
        m0 = gnorm0 / (grad_norm_ref if grad_norm_ref is not None else gnorm0 or 1.0)
    loop.ref = grad_norm_ref if grad_norm_ref is not None else gnorm0
    stop_below = -math.inf if tol is None else tol
    loop.loss_cap = _BLOWUP * max(mse, np.finfo(float).tiny)
    start = (gnorm0, m0)
    if closed is not None:
        args = (closed, theta, g, mse, n_iters, start, stop_below, record_path)
        return loop.closed(*args, callback, theta0)
    end = loop.run(theta, state, g, mse, start, n_iters, stop_below, record_path, callback)
    return end.result(theta0, start, loop.lr0)


@dataclass
class _End:
    """How an iteration loop ended."""

    theta: np.ndarray
    state: Any
    n_iter: int
    reason: str
    history: np.ndarray
    grad_norm: float
    path: np.ndarray | None
    measure: float = math.nan
    scaled: bool = False

    def result(self, theta0: np.ndarray, start: tuple[float, float], lr0: float) -> FitResult:
        gnorm0, m0 = start
        key = "tol_optimum" if self.reason == "tol" and self.scaled else self.reason
        return FitResult(
            theta=self.theta,
            theta_init=theta0.copy(),
            n_iter=self.n_iter,
            converged=self.reason in ("tol", "zero_gradient"),
            stop_reason=self.reason,
            loss_history=self.history,
            grad_norm=self.grad_norm,
            grad_norm_init=gnorm0,
            lr=lr0,
            state=self.state,
            message=_MESSAGES[key].format(it=self.n_iter),
            path=self.path,
            measure=self.measure,
            measure_init=m0,
        )


class _History:
    """Loss history that grows with the iterations run (never ``n_iters`` up front)."""

    def __init__(self, first: float, budget: int) -> None:
        self._a = np.empty(min(budget + 1, 1024))
        self._a[0] = first
        self.n = 1

    def append(self, value: float) -> None:
        if self.n == self._a.size:
            self._a = np.concatenate([self._a, np.empty(self._a.size)])
        self._a[self.n] = value
        self.n += 1

    def array(self) -> np.ndarray:
        return self._a[: self.n].copy()


class _Loop:
    """The iteration loop of :func:`solve`: one update per iteration (or per batch)."""

    def __init__(self, problem, optimizer, schedule, prox, batches, stable_lr, stop) -> None:
        self.problem, self.optimizer, self.schedule = problem, optimizer, schedule
        self.prox, self.batches, self.stable_lr, self.stop = prox, batches, stable_lr, stop
        self.ref = 1.0
        self.proxf = prox if prox is not None else (lambda th, step: th)
        self.lr0 = schedule(0)
        self.loss_cap = math.inf
        self.t_update = 0

    def optimality(self, theta: np.ndarray, g: np.ndarray, lr: float) -> tuple[float, float]:
        """The (proximal) gradient norm and the stopping measure (:class:`Stopping`;
        without one, the gradient norm relative to its reference)."""
        pg = g if self.prox is None else (theta - self.proxf(theta - lr * g, lr)) / lr
        gnorm = _norm(pg)
        if self.stop is None:
            return gnorm, gnorm / self.ref if self.ref else gnorm
        return gnorm, self.stop.measure(theta, g, pg)

    def closed(
        self, closed, theta, g, mse, n_iters, start, stop_below, record_path, callback, theta0
    ):
        """The run in closed form (:func:`lingrad._trajectory.run_linear`), as a FitResult."""
        rule, eig = closed
        reference = None if self.stop is None else (self.stop.theta_star, self.stop.scale)
        run = run_linear(
            eig,
            theta,
            g,
            mse,
            rule,
            self.lr0,
            n_iters,
            start=start,
            stop_below=stop_below,
            loss_cap=self.loss_cap,
            record_path=record_path,
            reference=reference,
            grad_ref=self.ref,
        )
        args = (run, theta0, start, self.lr0, self.optimizer, self.stable_lr, callback)
        return _linear_result(*args, self.stop is not None)

    def step(self, theta: np.ndarray, state: Any, g: np.ndarray, epoch: int):
        """One iteration: a full-batch update, or one epoch of mini-batch updates."""
        opt, schedule = self.optimizer, self.schedule
        if self.batches is None:
            theta, state = opt.update(
                state, theta, schedule(self.t_update), grad=g, prox=self.proxf
            )
            self.t_update += 1
            return theta, state
        for rows in self.batches(epoch):
            theta, state = opt.update(
                state,
                theta,
                schedule(self.t_update),
                grad_fn=lambda point, rows=rows: self.problem.batch_grad(point, rows),
                prox=self.proxf,
            )
            self.t_update += 1
        return theta, state

    def run(self, theta, state, g, mse, start, n_iters, stop_below, record_path, callback) -> _End:
        """Iterate until the budget, the tolerance or a zero gradient; raise on blow-up."""
        history = _History(mse, n_iters)
        path = [theta.copy()] if record_path else None
        it, reason = 0, "max_iter"
        gnorm, m = start
        for it in range(1, n_iters + 1):
            if m <= stop_below or gnorm == 0.0:
                it -= 1
                reason = "tol" if m <= stop_below else "zero_gradient"
                break
            theta, state = self.step(theta, state, g, it - 1)
            g, mse = self.problem.grad_mse(theta)
            history.append(mse)
            if record_path:
                path.append(theta.copy())
            if not math.isfinite(mse) or mse > self.loss_cap:
                parts = divergence_parts(self.lr0, self.stable_lr, self.optimizer.name, it)
                raise DivergenceError(parts, self.lr0, self.stable_lr, it)
            self.schedule.observe(mse)
            gnorm, m = self.optimality(theta, g, self.schedule(self.t_update))
            if callback is not None:
                callback(it, mse)
        else:
            if m <= stop_below:
                reason = "tol"
        path_arr = np.stack(path) if record_path else None
        end = _End(theta, state, it, reason, history.array(), gnorm, path_arr, m)
        end.scaled = self.stop is not None
        return end
