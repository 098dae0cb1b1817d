"""Plain gradient descent in closed form: sums of geometric sequences, one per mode.

With a constant learning rate, GD on squared loss contracts every mode of the
Hessian by ``rho_i = 1 - lr lam_i`` per iteration, so its loss, gradient norm
and stopping measure are sums over modes of powers ``rho_i ** t``.
:mod:`lingrad._trajectory` builds the run from these pieces: the powers
themselves, the loss history of ``n`` iterations as one matrix product
(``rho^(t0 + j) = rho^t0 rho^j``: O(f sqrt(n)) exponentials, no (n, f)
array), and the first iteration whose (monotone) stopping measure is below
a tolerance, found coarse to fine without measuring every iteration.

Examples
--------
>>> import numpy as np
>>> rho = np.array([0.5, 0.9])
>>> h = geometric_history(2 * np.log(rho), np.array([1.0, 2.0]), 0.25, 4)
>>> np.allclose(h, 0.25 + rho[0] ** (2 * np.arange(4)) + 2 * rho[1] ** (2 * np.arange(4)))
True
>>> first_below(lambda t: 0.9**t, 1000, 1, 1e-3, 1.0)  # the first t with 0.9**t <= 1e-3
66
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import numpy as np

from ._rowpar import single_threaded_blas

__all__ = ["first_below", "geometric_history", "one_minus_power", "powers"]

#: Plain GD's stopping iteration: every measure at once up to this many numbers, else
#: coarse to fine, SEARCH_POINTS measures a round (~log(n_iters) / log(SEARCH_POINTS)).
ALL_AT_ONCE = 1 << 15
SEARCH_POINTS = 64
#: GD loss histories of more numbers (iterations x modes) than this: one BLAS thread.
ONE_THREAD = 1 << 18


def powers(log_q: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``q_i ** t`` for every t and mode, shape (len(t), n_modes), from ``log q``."""
    with np.errstate(invalid="ignore"):
        E = np.exp(np.multiply.outer(t.astype(np.float64), log_q))
    E[t == 0] = 1.0
    return E


def first_below(
    measures: Callable[[np.ndarray], np.ndarray],
    n_iters: int,
    n_modes: int,
    stop_below: float,
    m0: float,
) -> int:
    """The first ``t <= n_iters`` whose measure is at most ``stop_below`` (``m0`` the loop's
    own at t = 0), else ``n_iters + 1``: at once for a small table, else coarse to fine (it
    falls monotonically: each round narrows the first hit's interval SEARCH_POINTS-fold)."""
    if stop_below == -math.inf or m0 <= stop_below:  # no tol: the whole budget; met at 0
        return n_iters + 1 if stop_below == -math.inf else 0
    if (n_iters + 1) * n_modes <= ALL_AT_ONCE:
        hits = measures(np.arange(1, n_iters + 1)) <= stop_below
        return 1 + int(np.argmax(hits)) if hits.any() else n_iters + 1
    lo, hi = 0, n_iters + 1  # measure(lo) above stop_below; the first hit is in (lo, hi]
    while hi - lo > 1:
        span = hi - lo  # Python integers: exact for any budget
        t = np.unique([lo + k * span // SEARCH_POINTS for k in range(1, SEARCH_POINTS)] + [hi - 1])
        t = t[t > lo]  # in (lo, hi), at least hi - 1
        hits = measures(t) <= stop_below
        first = int(np.argmax(hits)) if hits.any() else t.size
        lo, hi = (int(t[first - 1]) if first else lo), (int(t[first]) if first < t.size else hi)
    return hi


def _one_blas_thread(size: int) -> contextlib.AbstractContextManager:
    """One BLAS thread for a product of ``size`` numbers above ONE_THREAD (K = n_modes is
    too short to share: a threaded BLAS on a busy machine spends ~10x as long waiting)."""
    return contextlib.nullcontext() if size <= ONE_THREAD else single_threaded_blas()


def geometric_history(log_r2: np.ndarray, w: np.ndarray, floor: float, n: int) -> np.ndarray:
    """``max(floor + sum_i w_i rho_i^(2t), 0)`` for t = 0..n-1 (shape (n,)), as one matrix
    product: with ``t = t0 + j``, ``rho^(2t) = rho^(2 t0) rho^(2j)``, so rows of blocks
    ``[w rho^(2 t0), floor]`` times a table ``[rho^(2j), 1]`` of about ``sqrt(n)`` rows
    give every entry (O(f sqrt(n)) exponentials and one BLAS product, no (n, f) array)."""
    rows = max(1, min(n, math.isqrt(n)))
    full, rest = divmod(n, rows)
    table = np.ones((rows, w.size + 1))
    table[:, :-1] = powers(log_r2, np.arange(rows))
    starts = np.arange(full + (rest > 0)) * rows
    base = np.empty((starts.size, w.size + 1))
    base[:, :-1] = powers(log_r2, starts) * w
    base[:, -1] = floor
    history = np.empty(n)
    with _one_blas_thread(n * w.size):
        np.matmul(base[:full], table.T, out=history[: full * rows].reshape(full, rows))
    if rest:
        history[full * rows :] = table[:rest] @ base[-1]
    return np.maximum(history, 0.0, out=history)


def one_minus_power(step: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """``1 - (1 - step) ** n`` without cancellation for small steps (``step = lr lam``);
    ``n`` an int or an integer array broadcasting with ``step``."""
    below = np.minimum(step, _BELOW_ONE)  # log1p finite; its value is used only below 1
    exact = -np.expm1(n * np.log1p(-below))
    return np.where(step < 1.0, exact, 1.0 - np.power(1.0 - step, n))


_BELOW_ONE = np.nextafter(1.0, 0.0)
