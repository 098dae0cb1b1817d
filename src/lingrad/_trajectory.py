"""Descent trajectories at constant cost per iterate, in the eigenbasis of the Hessian.

On squared loss from sufficient statistics the gradient is affine,
``g(theta) = g0 + H (theta - theta0)``, so gradient descent, heavy ball and
Nesterov with a constant learning rate and constant momentum follow a linear
recurrence. In the eigenbasis ``H = V diag(lam) V^T`` every mode evolves on
its own: with ``u_t = V^T (theta_t - theta0)`` and ``b = V^T g0``,

``u_{t+1} = a1 u_t + a2 u_{t-1} - lr b``, ``u_0 = u_{-1} = 0``

where ``(a1, a2)`` is ``(1 - lr lam, 0)`` for GD, ``(1 + beta - lr lam,
-beta)`` for heavy ball and ``((1 - lr lam)(1 + beta), -(1 - lr lam) beta)``
for Nesterov. The input is constant, so one scalar response per mode
(``u = -lr b r``) serves every target: an O(f^3) decomposition once, then a
C-level filter (:func:`scipy.signal.lfilter`) per mode and O(f) work per
iterate for the loss and the gradient norm, instead of a Python-level step.

This module computes the numbers; :func:`lingrad._solve.solve` decides when
the recurrence applies and builds its result.

Examples
--------
>>> import numpy as np
>>> lam, b = np.array([1.0]), np.array([[2.0]])
>>> R = responses(step_coefficients(lam, 0.5, 0.0, "gd"), 3)
>>> print(-0.5 * b[0, 0] * R[:, 0])  # u_1..u_3 of GD on g = 2 + u, from 0
[-1.   -1.5  -1.75]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ._geometric import first_below, geometric_history, one_minus_power, powers
from ._optimizers import GD, GDState, Momentum, MomentumState, Nesterov, NesterovState

__all__ = ["LinearRun", "linear_rule", "run_linear", "step_coefficients", "trajectory_blocks"]

#: Iterates computed per block, at most: bounds memory for any ``n_iters`` and lets a
#: run that meets its tolerance stop early. Blocks start at ``FIRST_BLOCK`` rows and
#: double (a fit that stops in a few hundred iterations computes about that many),
#: and hold at most ``BLOCK_ELEMENTS`` numbers per array (wide problems: fewer rows).
BLOCK = 16384
FIRST_BLOCK = 256
BLOCK_ELEMENTS = 1 << 19


def block_rows(n_modes: int) -> int:
    """The largest block for ``n_modes`` modes: at most BLOCK rows and BLOCK_ELEMENTS numbers."""
    return max(FIRST_BLOCK, min(BLOCK, BLOCK_ELEMENTS // max(n_modes, 1)))


def step_coefficients(
    lam: np.ndarray, lr: float, beta: float, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(a1, a2)`` of the per-mode recurrence, each of shape (n_modes,)."""
    shrink = 1.0 - lr * lam
    if rule == "gd":
        return shrink, np.zeros_like(lam)
    if rule == "momentum":
        return 1.0 + beta - lr * lam, np.full_like(lam, -beta)
    return shrink * (1.0 + beta), -shrink * beta


def responses(
    coef: tuple[np.ndarray, np.ndarray], n: int, state: np.ndarray | None = None
) -> np.ndarray:
    """Unit responses ``r_i(t)``, t = 0..n-1, of every mode (shape (n, n_modes)).

    ``r(t) = 1 + a1 r(t-1) + a2 r(t-2)``; ``state`` (shape (2, n_modes), the
    filter's memory) continues a previous block and is updated in place.
    """
    a1, a2 = coef
    ones = np.ones(n)
    out = np.empty((n, a1.size))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(a1.size):
            den = (1.0, -a1[i], -a2[i])
            if state is None:
                out[:, i] = lfilter((1.0,), den, ones)
            else:
                out[:, i], state[:, i] = lfilter((1.0,), den, ones, zi=state[:, i])
    return out


@dataclass
class Trajectory:
    """One block of iterates ``t0 + 1 .. t0 + len(mse)`` in the eigenbasis.

    Attributes
    ----------
    t0 : int
        Iterations before the block.
    r : ndarray of shape (n_block, n_modes)
        Unit responses: ``u_t = -lr * b * r[t - t0 - 1]``.
    mse : ndarray of shape (n_block,)
        Training MSE after each iteration of the block.
    grad_norm : ndarray of shape (n_block,)
        Gradient norm after each iteration of the block.
    """

    t0: int
    r: np.ndarray
    mse: np.ndarray
    grad_norm: np.ndarray


def trajectory_blocks(
    lam: np.ndarray,
    b: np.ndarray,
    mse0: float,
    n_targets: int,
    lr: float,
    beta: float,
    rule: str,
    n_iters: int,
) -> Iterator[Trajectory]:
    """Blocks of the trajectory, up to ``n_iters`` iterations (unpenalised smooth loss).

    Parameters
    ----------
    lam : ndarray of shape (n_params,)
        Eigenvalues of the Hessian.
    b : ndarray of shape (n_params, n_targets)
        The starting gradient in the eigenbasis.
    mse0 : float
        Training MSE at the start.
    """
    coef = step_coefficients(lam, lr, beta, rule)
    B = np.einsum("ik,ik->i", b, b)  # squared gradient per mode, summed over targets
    state = np.zeros((2, lam.size))
    t0, size, cap = 0, FIRST_BLOCK, block_rows(lam.size)
    with np.errstate(over="ignore", invalid="ignore"):
        while t0 < n_iters:
            n = min(size, n_iters - t0)
            size = min(2 * size, cap)
            r = responses(coef, n, state)
            # mse(theta0 + V u) = mse0 + (2 b.u + lam u.u) / n_targets, u = -lr b r
            mse = mse0 + (lr / n_targets) * ((r * (lr * lam * r - 2.0)) @ B)
            grad = (1.0 - lr * lam * r) ** 2 @ B  # |b + lam u|^2
            yield Trajectory(t0, r, np.maximum(mse, 0.0), np.sqrt(grad))
            t0 += n


@dataclass
class LinearRun:
    """What a closed-form run produced (``solve`` turns it into a ``FitResult``).

    ``diverged_at`` is the first iteration whose loss blew up (0: none);
    ``stop`` the iterations run when no divergence came first; ``measure`` the
    stopping measure at ``theta``.
    """

    stop: int
    reason: str
    history: np.ndarray
    theta: np.ndarray
    grad_norm: float
    state: object
    path: np.ndarray | None
    diverged_at: int = 0
    measure: float = np.nan


def linear_rule(optimizer: object) -> tuple[str, float] | None:
    """``(rule, beta)`` when the optimizer's update is linear with constant momentum."""
    if isinstance(optimizer, GD):
        return "gd", 0.0
    if isinstance(optimizer, Momentum):
        return "momentum", float(optimizer.beta)
    if isinstance(optimizer, Nesterov) and optimizer.beta is not None:
        return "nesterov", float(optimizer.beta)
    return None


def _root(e: np.ndarray) -> np.ndarray:
    """``sqrt(e)``, 0 where ``e <= 0`` and inf where it is not a number."""
    out = np.sqrt(np.where(e > 0, e, 0.0))
    out[np.isnan(e)] = np.inf
    return out


def _first(mask: np.ndarray) -> int:
    """Index of the first True, or -1."""
    return int(np.argmax(mask)) if mask.any() else -1


class _Modes:
    """``theta0 + V u`` for the iterates the result needs, from the unit responses,
    and the stopping measure of every iterate.

    With the optimum ``theta*`` known (``reference = (theta*, scale)``), the
    measure is that of :class:`lingrad._stopping.Stopping`: ``(theta_t -
    theta*) . g_t = sum_i (1 - lr lam_i r_i) (D_i - lr r_i B_i)`` with ``B_i =
    |b_i|^2``, ``D_i = c_i . b_i``, ``c = V^T (theta0 - theta*)``: O(f) per
    iterate. Without it, the gradient norm relative to ``grad_ref``.
    """

    def __init__(
        self, eig: tuple[np.ndarray, np.ndarray], theta0, g0, lr: float, reference, grad_ref
    ) -> None:
        self.lam, self.V = eig
        self.theta0 = theta0
        self.lr = lr
        self.b = self.V.T @ g0  # (n_params, n_targets)
        self.scale = -lr * self.b
        self.B = np.einsum("ik,ik->i", self.b, self.b)
        self.grad_ref = grad_ref if grad_ref else 1.0
        self.D = None
        if reference is not None:
            theta_star, scale = reference
            c = self.V.T @ (theta0 - theta_star)
            self.D = np.einsum("ik,ik->i", c, self.b)
            self.norm = theta0.shape[1] * scale

    def measures(self, r: np.ndarray, grad_norm: np.ndarray) -> np.ndarray:
        """The stopping measure after each iterate of a block (r: (n_block, n_modes))."""
        if self.D is None:
            return grad_norm / self.grad_ref
        with np.errstate(over="ignore", invalid="ignore"):
            lr, lam = self.lr, self.lam
            e = ((1.0 - lr * lam * r) * (self.D - lr * r * self.B)).sum(axis=1) / self.norm
        return _root(e)

    def u(self, r_row: np.ndarray) -> np.ndarray:
        return self.scale * r_row[:, None]

    def theta(self, r_row: np.ndarray) -> np.ndarray:
        return self.theta0 + self.V @ self.u(r_row)

    def grad(self, r_row: np.ndarray) -> np.ndarray:
        return self.V @ (self.b + self.lam[:, None] * self.u(r_row))

    def path(self, R: np.ndarray) -> np.ndarray:
        U = self.scale[None] * R[:, :, None]
        return self.theta0[None] + np.einsum("ij,tjk->tik", self.V, U)


def _state(kind: str, modes: _Modes, last: np.ndarray, before: np.ndarray, n: int) -> object:
    """The optimizer's state after ``n`` iterations (``last``/``before``: r rows of n, n-1)."""
    if kind == "gd":
        return GDState(n)
    if kind == "momentum":
        velocity = modes.V @ (modes.u(last) - modes.u(before))
        return MomentumState(velocity, n)
    if n == 0:
        return NesterovState(modes.theta0.copy())
    return NesterovState(modes.theta(before), modes.grad(before), 1.0, n)


def _gd_run(
    modes: _Modes,
    mse0: float,
    k: int,
    lr: float,
    n_iters: int,
    start: tuple[float, float],
    stop_below: float,
    record_path: bool,
) -> LinearRun | None:
    """Plain GD in closed form: ``g_t = rho^t b`` and ``mse_t = mse* + sum w rho^(2t)``.

    The stopping measure falls monotonically, so the stopping iteration is
    the first below the tolerance (all measures at once, or coarse to fine for
    long budgets) and only the iterations run cost anything (the loss history:
    one matrix product); :mod:`lingrad._geometric` has both. None when a
    mode is flat or unstable (the general recurrence handles those).
    """
    lam = modes.lam
    step = lr * lam
    rho = 1.0 - step
    if not (lam.size and lam.min() > lam.max() * 1e-12 and np.abs(rho).max() < 1.0):
        return None
    B = modes.B
    gnorm0, m0 = start
    with np.errstate(divide="ignore"):
        log_r2 = 2.0 * np.log(np.abs(rho))  # -inf for a mode that one step solves

    def measures(t: np.ndarray) -> np.ndarray:  # the stopping measure at each t (1-D)
        if modes.D is None:
            return np.sqrt(powers(log_r2, t) @ B) / modes.grad_ref
        shrunk = one_minus_power(step, t[:, None])  # 1 - rho^t, shape (len(t), n_modes)
        e = ((1.0 - shrunk) * (modes.D - B * shrunk / lam)).sum(axis=1) / modes.norm
        return _root(e)

    def measure(t: int) -> float:
        return m0 if t == 0 else float(measures(np.array([t]))[0])

    lo = first_below(measures, n_iters, lam.size, stop_below, m0)
    stop = min(lo, n_iters)
    reason = "tol" if lo <= n_iters else "max_iter"
    w = B / (k * lam)
    history = geometric_history(log_r2, w, mse0 - w.sum(), stop + 1)
    history[0] = mse0
    shrunk = one_minus_power(step, stop)  # 1 - rho^n per mode
    theta = modes.theta0 + modes.V @ (-modes.b * (shrunk / lam)[:, None])
    path = None
    if record_path:
        path = modes.path(one_minus_power(step, np.arange(stop + 1)[:, None]) / step)
    gnorm = gnorm0 if stop == 0 else float(np.sqrt(np.exp(stop * log_r2) @ B))
    state = GDState(stop)
    return LinearRun(stop, reason, history, theta, gnorm, state, path, 0, measure(stop))


def run_linear(
    eig: tuple[np.ndarray, np.ndarray],
    theta0: np.ndarray,
    g0: np.ndarray,
    mse0: float,
    rule: tuple[str, float],
    lr: float,
    n_iters: int,
    *,
    start: tuple[float, float],
    stop_below: float,
    loss_cap: float,
    record_path: bool,
    reference: tuple[np.ndarray, float] | None = None,
    grad_ref: float = 1.0,
) -> LinearRun:
    """``n_iters`` iterations of a linear rule from ``theta0``, in closed form.

    Stops as the iteration loop does: before the first iteration whose
    starting stopping measure is at most ``stop_below`` (reason "tol") or
    whose gradient is exactly zero ("zero_gradient"); reports the first loss
    above ``loss_cap`` or not finite (``diverged_at``). ``start`` is the
    gradient norm and the measure at ``theta0``; ``reference`` ``(theta*,
    scale)`` of :class:`lingrad._stopping.Stopping`, or None for the gradient
    norm relative to ``grad_ref``. Shapes: theta0 and g0 (n_params, n_targets).
    """
    kind, beta = rule
    modes = _Modes(eig, theta0, g0, lr, reference, grad_ref)
    k = theta0.shape[1]
    if kind == "gd":
        run = _gd_run(modes, mse0, k, lr, n_iters, start, stop_below, record_path)
        if run is not None:
            return run
    tail = np.zeros((2, modes.lam.size))  # r rows of u_{t0-1}, u_{t0}
    history, blocks = [np.array([mse0])], []
    (prev_gnorm, prev_m), stop, reason, diverged = start, n_iters, "", 0
    gnorm, m = start
    for blk in trajectory_blocks(modes.lam, modes.b, mse0, k, lr, beta, kind, n_iters):
        ms = modes.measures(blk.r, blk.grad_norm)
        before = np.concatenate([[prev_gnorm], blk.grad_norm[:-1]])
        before_m = np.concatenate([[prev_m], ms[:-1]])
        j_s = _first((before_m <= stop_below) | (before == 0.0))
        j_d = _first(~np.isfinite(blk.mse) | (blk.mse > loss_cap))
        if j_d >= 0 and (j_s < 0 or j_d < j_s):
            diverged = blk.t0 + 1 + j_d
            break
        rows = np.vstack([tail, blk.r])  # rows[t - t0 + 1] is the r row of u_t
        if j_s >= 0:
            stop = blk.t0 + j_s
            reason = "tol" if before_m[j_s] <= stop_below else "zero_gradient"
            history.append(blk.mse[:j_s])
            blocks.append(blk.r[:j_s])
            tail = rows[j_s : j_s + 2]
            gnorm, m = float(before[j_s]), float(before_m[j_s])
            break
        history.append(blk.mse)
        blocks.append(blk.r)
        tail = rows[-2:]
        prev_gnorm = gnorm = float(blk.grad_norm[-1])
        prev_m = m = float(ms[-1])
    else:
        reason = "tol" if m <= stop_below else "max_iter"
    if diverged:
        return LinearRun(0, "diverged", np.empty(0), theta0, np.nan, None, None, diverged)
    path = None
    if record_path:
        R = np.vstack([np.zeros((1, modes.lam.size)), *blocks])
        path = modes.path(R)
    return LinearRun(
        stop,
        reason,
        np.concatenate(history),
        modes.theta(tail[1]),
        gnorm,
        _state(kind, modes, tail[1], tail[0], stop),
        path,
        0,
        m,
    )
