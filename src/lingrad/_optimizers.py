"""Update rules as ``init``/``update`` pairs with explicit, typed state.

Every optimizer maps ``(state, params, lr)`` plus a gradient to new parameters
and a new state; none holds hidden mutable state, so a fit can be paused and
resumed (``partial_fit``) by keeping the state. ``prox`` applies the
non-smooth part of the objective (L1) after the gradient step, which turns GD
into ISTA and Nesterov into FISTA.

Learning rates are schedules ``t -> lr`` (see :func:`make_schedule`); a float
is a constant schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Prox = Callable[[np.ndarray, float], np.ndarray]
GradFn = Callable[[np.ndarray], np.ndarray]


def _identity_prox(theta: np.ndarray, step: float) -> np.ndarray:
    return theta


class Optimizer(Protocol):
    """What the solve loop needs from an update rule."""

    name: str

    def init(self, params: np.ndarray) -> Any: ...

    def update(
        self,
        state: Any,
        params: np.ndarray,
        lr: float,
        *,
        grad: np.ndarray | None = None,
        grad_fn: GradFn | None = None,
        prox: Prox = _identity_prox,
    ) -> tuple[np.ndarray, Any]: ...


# -- plain gradient descent ---------------------------------------------------
@dataclass(frozen=True)
class GDState:
    count: int = 0


@dataclass(frozen=True)
class GD:
    """The tutorial's rule: ``theta <- theta - lr * grad`` (then prox)."""

    name: str = "gd"

    def init(self, params: np.ndarray) -> GDState:
        return GDState()

    def update(self, state, params, lr, *, grad=None, grad_fn=None, prox=_identity_prox):
        g = grad if grad is not None else grad_fn(params)
        new = params - lr * g
        return prox(new, lr), GDState(state.count + 1)

    def stable_lr(self, L: float) -> float:
        """Largest stable learning rate for a quadratic with curvature at most L."""
        return 2.0 / L


# -- heavy-ball momentum -------------------------------------------------------
@dataclass(frozen=True)
class MomentumState:
    velocity: np.ndarray
    count: int = 0


@dataclass(frozen=True)
class Momentum:
    """Polyak's heavy ball: ``v <- beta v - lr grad``, ``theta <- theta + v``."""

    beta: float = 0.9
    name: str = "momentum"

    def init(self, params):
        return MomentumState(np.zeros_like(params))

    def update(self, state, params, lr, *, grad=None, grad_fn=None, prox=_identity_prox):
        g = grad if grad is not None else grad_fn(params)
        v = self.beta * state.velocity - lr * g
        new = prox(params + v, lr)
        return new, MomentumState(new - params, state.count + 1)

    def stable_lr(self, L: float) -> float:
        return 2.0 * (1.0 + self.beta) / L


# -- Nesterov / FISTA ------------------------------------------------------------
@dataclass(frozen=True)
class NesterovState:
    prev: np.ndarray
    prev_grad: np.ndarray | None = None
    t: float = 1.0
    count: int = 0


@dataclass(frozen=True)
class Nesterov:
    """Nesterov's accelerated gradient; FISTA when a prox is given.

    ``y = theta + beta (theta - theta_prev)``, ``theta <- prox(y - lr grad(y))``.
    With ``beta=None`` the momentum follows FISTA's sequence
    ``t+ = (1 + sqrt(1 + 4 t^2)) / 2``, ``beta = (t - 1) / t+``, restarted
    whenever it points uphill (O'Donoghue & Candes' gradient restart). With a
    float ``beta`` (``(sqrt(kappa) - 1)/(sqrt(kappa) + 1)`` is optimal for a
    strongly convex quadratic) it is constant.

    Full-batch squared loss has an affine gradient, so ``grad(y)`` equals
    ``(1 + beta) grad(theta) - beta grad(theta_prev)`` exactly: one gradient
    per iteration, at the iterate itself. Mini-batches pass ``grad_fn``
    instead and the gradient is taken at ``y``.
    """

    beta: float | None = None
    restart: bool = True
    name: str = "nesterov"

    def init(self, params):
        return NesterovState(params.copy())

    def update(self, state, params, lr, *, grad=None, grad_fn=None, prox=_identity_prox):
        if self.beta is None:
            t_next = (1.0 + math.sqrt(1.0 + 4.0 * state.t * state.t)) / 2.0
            beta = (state.t - 1.0) / t_next
        else:
            t_next, beta = state.t, self.beta
        step = params - state.prev
        if self.restart and self.beta is None and grad is not None and np.vdot(grad, step) > 0:
            t_next, beta = 1.0, 0.0  # momentum points uphill: restart it
        y = params + beta * step
        if grad_fn is not None:
            g_y = grad_fn(y)
        elif state.prev_grad is None or beta == 0.0:
            g_y = grad
        else:
            g_y = (1.0 + beta) * grad - beta * state.prev_grad
        new = prox(y - lr * g_y, lr)
        return new, NesterovState(params, grad, t_next, state.count + 1)

    def stable_lr(self, L: float) -> float:
        if self.beta is None:
            return 1.0 / L
        return (2.0 + 2.0 * self.beta) / ((1.0 + 2.0 * self.beta) * L)


# -- Adam -------------------------------------------------------------------------
@dataclass(frozen=True)
class AdamState:
    mu: np.ndarray
    nu: np.ndarray
    count: int = 0


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction; prox applied after the step."""

    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    name: str = "adam"

    def init(self, params):
        return AdamState(np.zeros_like(params), np.zeros_like(params))

    def update(self, state, params, lr, *, grad=None, grad_fn=None, prox=_identity_prox):
        g = grad if grad is not None else grad_fn(params)
        count = state.count + 1
        mu = self.b1 * state.mu + (1 - self.b1) * g
        nu = self.b2 * state.nu + (1 - self.b2) * g * g
        mhat = mu / (1 - self.b1**count)
        vhat = nu / (1 - self.b2**count)
        new = prox(params - lr * mhat / (np.sqrt(vhat) + self.eps), lr)
        return new, AdamState(mu, nu, count)

    def stable_lr(self, L: float) -> float:
        return math.inf  # Adam's steps are bounded by lr per coordinate


OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
"""The step rules (``init``/``update`` pairs) the solve loop runs."""


@dataclass(frozen=True)
class CG:
    """Conjugate gradients on the normal equations (CGLS): a Krylov method, not a step rule.

    Its step lengths come from exact line searches, so it takes no learning rate; it is
    run by :mod:`lingrad._krylov` on in-memory rows (engine "direct"), one pass over X
    per iteration, never by the step loop.
    """

    name: str = "cg"

    def init(self, params: np.ndarray) -> None:
        raise ValueError(CG_IS_BATCH)

    def update(self, state, params, lr, *, grad=None, grad_fn=None, prox=_identity_prox):
        raise ValueError(CG_IS_BATCH)

    def stable_lr(self, L: float) -> float:
        return math.inf  # exact line searches: no learning rate to be unstable


CG_IS_BATCH = (
    "optimizer='cg' (conjugate gradients) fits all rows at once on the direct engine; it "
    "has no per-batch update. Use optimizer='gd', 'momentum', 'nesterov' or 'adam' for "
    "mini-batch SGD."
)

#: Every ``optimizer`` name: the step rules, then the Krylov method of :mod:`lingrad._krylov`.
OPTIMIZER_NAMES = (*OPTIMIZERS, "cg")


def choose_optimizer(params: Any, engine: str) -> str:
    """The optimizer a fit of in-memory arrays runs, for hyperparameters ``params``
    (:class:`lingrad._params.Params`) on ``engine``: ``params.optimizer``, except that
    ``lr="auto"`` with the default ``"gd"`` takes ``"cg"`` when ``engine="auto"`` chose
    the direct engine (sparse or wide data: conjugate gradients converge in tens of
    passes where gradient descent needs thousands) unless an L1 penalty (proximal
    steps), mini-batches or ``precondition="none"`` ask for gradient steps. An explicit
    ``engine="direct"`` keeps gradient steps, as a file or Dask source does (their fits
    equal the in-memory one); ``optimizer="cg"`` asks for conjugate gradients.

    >>> from types import SimpleNamespace as P
    >>> auto = P(optimizer="gd", lr="auto", alpha=0.0, l1_ratio=0.0, batch_size=None,
    ...          precondition="auto", engine="auto")
    >>> choose_optimizer(auto, "direct"), choose_optimizer(auto, "stats")
    ('cg', 'gd')
    """
    p = params
    if p.optimizer != "gd" or p.lr != "auto" or engine != "direct" or p.engine != "auto":
        return p.optimizer
    if p.alpha * p.l1_ratio > 0 or p.batch_size is not None or p.precondition == "none":
        return p.optimizer
    if getattr(p, "positive", False) or getattr(p, "bounds", None) is not None:
        return p.optimizer  # a box needs projected steps
    return "cg"


def make_optimizer(name: str, momentum: float | None, kappa: float | None) -> Optimizer:
    """Build an optimizer; ``momentum=None`` picks the best known default.

    With the condition number ``kappa`` known (from the statistics), heavy ball
    and Nesterov use their optimal constant momentum for quadratics.
    """
    if name == "gd":
        return GD()
    if name == "cg":
        return CG()
    if name == "adam":
        return Adam()
    rk = math.sqrt(kappa) if kappa is not None and math.isfinite(kappa) and kappa >= 1 else None
    if name == "momentum":
        if momentum is None:
            momentum = ((rk - 1) / (rk + 1)) ** 2 if rk is not None else 0.9
        return Momentum(beta=momentum)
    if momentum is None and rk is not None:
        return Nesterov(beta=(rk - 1) / (rk + 1))
    return Nesterov(beta=momentum)


def auto_lr(name: str, L: float, mu: float | None) -> float:
    """The learning rate ``lr="auto"`` means for each optimizer, given curvature bounds."""
    if name == "adam":
        return 1e-3
    if name == "momentum" and mu is not None and math.isfinite(mu) and mu > 0:
        return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    return 1.0 / L


# -- learning-rate schedules ---------------------------------------------------------
@dataclass
class Schedule:
    """A learning rate as a function of the step count ``t`` (0-based).

    ``constant``: ``lr``. ``invscaling``: ``lr / (t + 1) ** power_t``.
    ``adaptive``: ``lr`` divided by 5 each time the loss fails to improve by
    ``tol`` for ``patience`` consecutive observations (scikit-learn's rule).
    ``start`` offsets ``t`` (a schedule resumed by ``partial_fit``).
    """

    lr: float
    kind: str = "constant"
    power_t: float = 0.25
    patience: int = 5
    tol: float = 1e-4
    start: int = 0
    _scale: float = field(default=1.0, repr=False)
    _best: float = field(default=math.inf, repr=False)
    _bad: int = field(default=0, repr=False)

    def __call__(self, t: int) -> float:
        if self.kind == "invscaling":
            return self.lr / (t + self.start + 1) ** self.power_t
        return self.lr * self._scale

    def observe(self, loss: float) -> None:
        """Feed the loss after an epoch (only ``adaptive`` uses it)."""
        if self.kind != "adaptive":
            return
        if loss > self._best - self.tol * max(abs(self._best), 1e-300):
            self._bad += 1
            if self._bad >= self.patience:
                self._scale /= 5.0
                self._bad = 0
        else:
            self._bad = 0
        self._best = min(self._best, loss)


SCHEDULES = ("constant", "invscaling", "adaptive")
