"""Plain GD's geometric sums (lingrad._geometric) against direct evaluation.

The loss history as one blocked matrix product equals ``floor + sum_i w_i
rho_i^(2t)`` evaluated term by term for every length (square, prime, one
block, a partial last block, the one-BLAS-thread size); the coarse-to-fine
search finds the same first iteration below a tolerance as a linear scan.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from lingrad._geometric import (
    ALL_AT_ONCE,
    ONE_THREAD,
    first_below,
    geometric_history,
    one_minus_power,
    powers,
)


def _direct(rho, w, floor, n):
    t = np.arange(n)[:, None]
    return np.maximum(floor + (w * rho[None, :] ** (2 * t)).sum(axis=1), 0.0)


@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 10_007, ONE_THREAD // 5 + 3])
def test_history_equals_the_direct_sum(n, rng):
    rho = np.r_[0.0, -0.5, rng.uniform(0.9, 1.0 - 1e-6, 3)]  # one mode solved in one step
    w = rng.uniform(0.1, 2.0, rho.size)
    with np.errstate(divide="ignore"):
        log_r2 = 2.0 * np.log(np.abs(rho))
    h = geometric_history(log_r2, w, 0.125, n)
    assert h.shape == (n,) and h.flags.owndata
    np.testing.assert_allclose(h, _direct(rho, w, 0.125, n), rtol=1e-12)


def test_history_clips_rounding_below_zero():
    rho, w = np.array([0.5]), np.array([1.0])
    h = geometric_history(2.0 * np.log(rho), w, -1.0, 5)  # floor + 1 * rho^0 = 0 exactly
    assert h[0] == 0.0 and (h[1:] == 0.0).all()


def test_powers_and_one_minus_power(rng):
    q = rng.uniform(0.1, 0.99, 4)
    t = np.array([0, 1, 7, 1000])
    np.testing.assert_allclose(powers(np.log(q), t), q[None, :] ** t[:, None], rtol=1e-12)
    step = np.array([1e-12, 1e-3, 0.5, 1.5])
    exact = [[float(1 - (1 - Fraction(s)) ** int(n)) for s in step] for n in t]  # no cancellation
    np.testing.assert_allclose(one_minus_power(step, t[:, None]), exact, rtol=1e-12, atol=0)


def _scan(m, m0, n_iters, stop_below):
    values = [m0] + [m(t) for t in range(1, n_iters + 1)]
    return next((t for t, v in enumerate(values) if v <= stop_below), n_iters + 1)


@pytest.mark.parametrize("n_iters", [10, ALL_AT_ONCE // 3, 3 * ALL_AT_ONCE + 11])
def test_first_below_equals_a_linear_scan(n_iters, rng):
    """At once (a short budget) and coarse to fine (a long one), for a hit at the first
    iteration, the last, in between, none, and at the start."""
    rate = 20.0 / n_iters

    def measures(t):
        return np.exp(-rate * np.asarray(t, np.float64))

    m = lambda t: float(measures(np.array([t]))[0])  # noqa: E731
    seen = {}
    for stop_below in (m(1), m(n_iters), m(n_iters // 3) * 1.0000001, m(n_iters) / 2, 1.5):
        got = first_below(measures, n_iters, 3, stop_below, 1.0 if stop_below < 1 else 1.5)
        want = _scan(m, 1.0 if stop_below < 1 else 1.5, n_iters, stop_below)
        assert got == want
        seen[got] = stop_below
    assert {0, 1, n_iters, n_iters + 1} <= set(seen)
    assert first_below(measures, n_iters, 3, -math.inf, 1.0) == n_iters + 1  # no tol


def test_first_below_measures_few_iterations_on_a_long_budget():
    calls = []

    def measures(t):
        calls.append(len(t))
        return 1.0 / (1.0 + np.asarray(t, np.float64))

    n_iters = 10**12
    assert first_below(measures, n_iters, 20, 1.0 / (1.0 + 123_456_789), 1.0) == 123_456_789
    assert sum(calls) < 64 * 8 and len(calls) <= 8
    calls.clear()  # a budget beyond float64's integers, never met: exact to the last one

    def never(t):
        calls.append(len(t))
        assert (np.diff(t) > 0).all() and t.dtype == np.int64
        return np.ones(len(t))

    assert first_below(never, 2**62, 20, 0.5, 1.0) == 2**62 + 1
    assert len(calls) <= 12
    hit = 2**62 - 12_345  # and a hit there
    assert first_below(lambda t: np.where(t >= hit, 0.0, 1.0), 2**62, 20, 0.5, 1.0) == hit
