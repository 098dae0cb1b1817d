"""Closed-form trajectories (eigenbasis recurrences) equal the iteration loop.

``solve`` takes the closed form whenever the run is a linear recurrence; the
loop is forced here by hiding the problem's eigenbasis, so each pair of runs
differs only in how the iterates are computed.
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad._convergence import stopping_for
from lingrad._geometric import ALL_AT_ONCE
from lingrad._objective import Penalty, StatsLeastSquares
from lingrad._optimizers import GD, Momentum, Nesterov, Schedule
from lingrad._optimum import optimum_theta
from lingrad._solve import DivergenceError, _closed_form, solve
from lingrad._stats import SufficientStats
from lingrad._trajectory import BLOCK


class _LoopOnly:
    """The same problem without its eigenbasis: ``solve`` must iterate."""

    def __init__(self, problem):
        self._p = problem

    def grad_mse(self, theta):
        return self._p.grad_mse(theta)


def _problem(rng, n=200, f=4, k=1, kappa=50.0):
    X = rng.standard_normal((n, f)) * np.geomspace(1, np.sqrt(kappa), f) + 3.0
    Y = X @ rng.standard_normal((f, k)) + 0.5 + rng.standard_normal((n, k))
    stats = SufficientStats.from_arrays(X, Y)
    return StatsLeastSquares(stats, True, Penalty())


OPTIMIZERS = {"gd": GD(), "momentum": Momentum(0.8), "nesterov": Nesterov(beta=0.7)}


def _both(problem, optimizer, n_iters, lr, **kw):
    theta0 = np.random.default_rng(1).random((problem.n_params, problem.n_targets))
    a = solve(problem, theta0, optimizer, Schedule(lr), n_iters, **kw)
    b = solve(_LoopOnly(problem), theta0, optimizer, Schedule(lr), n_iters, **kw)
    return a, b


def _assert_same(a, b, rtol=1e-10):
    assert a.n_iter == b.n_iter and a.stop_reason == b.stop_reason
    assert a.converged == b.converged
    np.testing.assert_allclose(a.theta, b.theta, rtol=rtol, atol=1e-12 * np.abs(b.theta).max())
    np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=rtol)
    np.testing.assert_allclose(a.grad_norm, b.grad_norm, rtol=1e-6, atol=1e-12 * b.grad_norm_init)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("k", [1, 3])
def test_closed_form_equals_the_loop(name, k, rng):
    problem = _problem(rng, k=k)
    L, _ = problem.spectrum()
    a, b = _both(problem, OPTIMIZERS[name], 700, 0.5 / L, record_path=True)
    _assert_same(a, b)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-10, atol=1e-12)
    assert type(a.state) is type(b.state) and a.state.count == b.state.count == 700
    for field in ("velocity", "prev", "prev_grad"):
        if hasattr(b.state, field):
            np.testing.assert_allclose(getattr(a.state, field), getattr(b.state, field), atol=1e-9)


@pytest.mark.parametrize("rule", ["optimum", "relative gradient"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_closed_form_stops_at_the_same_iteration(name, rule, rng):
    """Both stopping rules: the scale-invariant one every fit uses (the distance to the
    optimum, issue 10) and the relative gradient kept for refining an optimum."""
    problem = _problem(rng)
    L, _ = problem.spectrum()
    stop = stopping_for(problem, problem.stats) if rule == "optimum" else None
    a, b = _both(problem, OPTIMIZERS[name], 50_000, 1.0 / L, tol=1e-9, stop=stop)
    _assert_same(a, b)
    assert a.stop_reason == "tol" and 0 < a.n_iter < 50_000
    np.testing.assert_allclose(a.measure, b.measure, rtol=1e-5)
    assert a.measure <= 1e-9 < a.measure_init


@pytest.mark.parametrize("rule", ["optimum", "relative gradient"])
@pytest.mark.parametrize("n_iters", [ALL_AT_ONCE // 5 - 1, 50 * ALL_AT_ONCE])
def test_gd_stops_where_the_loop_does_measured_at_once_or_by_bisection(n_iters, rule, rng):
    """Plain GD's stopping iteration: all measures in one table for a short budget (5
    modes: (n_iters + 1) * 5 numbers), by bisection for a long one; both as the loop."""
    problem = _problem(rng)
    L, _ = problem.spectrum()
    stop = stopping_for(problem, problem.stats) if rule == "optimum" else None
    for tol in (1e-2, 1e-4):
        a, b = _both(problem, GD(), n_iters, 1.0 / L, tol=tol, stop=stop)
        _assert_same(a, b)
        assert a.stop_reason == "tol" and 0 < a.n_iter < n_iters
        np.testing.assert_allclose(a.measure, b.measure, rtol=1e-6)
    a, b = _both(problem, GD(), 3, 1.0 / L, tol=1e-12, stop=stop)  # budget first
    _assert_same(a, b)
    assert a.stop_reason == b.stop_reason == "max_iter"


@pytest.mark.parametrize("optimizer", [GD(), Momentum(0.8)])
def test_a_huge_budget_with_tol_allocates_only_what_it_runs(optimizer, rng):
    problem = _problem(rng)
    L, _ = problem.spectrum()
    theta0 = np.zeros((problem.n_params, 1))
    for stop in (None, stopping_for(problem, problem.stats)):
        res = solve(problem, theta0, optimizer, Schedule(1.0 / L), 10**12, tol=1e-8, stop=stop)
        assert res.stop_reason == "tol" and len(res.loss_history) == res.n_iter + 1
        assert res.n_iter < 10 * BLOCK


def test_runs_longer_than_a_block_continue_exactly(rng):
    problem = _problem(rng, kappa=1e4)
    L, _ = problem.spectrum()
    a, b = _both(problem, Nesterov(beta=0.95), BLOCK + 123, 1.0 / L)
    _assert_same(a, b, rtol=1e-9)


def test_long_gd_runs_equal_the_loop_across_blocks(rng):
    problem = _problem(rng, kappa=1e4)
    L, _ = problem.spectrum()
    a, b = _both(problem, GD(), 2 * BLOCK + 77, 1.0 / L, record_path=True)
    _assert_same(a, b, rtol=1e-9)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-9, atol=1e-12)


def test_divergence_is_reported_at_the_same_iteration(rng):
    problem = _problem(rng)
    L, _ = problem.spectrum()
    theta0 = np.zeros((problem.n_params, 1))
    errors = []
    for p in (problem, _LoopOnly(problem)):
        with pytest.raises(DivergenceError) as info:
            solve(p, theta0, GD(), Schedule(2.5 / L), 1000, stable_lr=2 / L)
        errors.append(info.value)
    assert errors[0].iteration == errors[1].iteration > 0
    assert str(errors[0]) == str(errors[1])


def test_zero_budget_and_exact_start(rng):
    problem = _problem(rng)
    L, _ = problem.spectrum()
    a, b = _both(problem, GD(), 0, 1.0 / L, tol=1e-6)
    _assert_same(a, b)
    a, b = _both(problem, GD(), 0, 1.0 / L, tol=1e-6, stop=stopping_for(problem, problem.stats))
    _assert_same(a, b)
    theta_star = optimum_theta(problem.stats, True)
    for p in (problem, _LoopOnly(problem)):
        res = solve(p, theta_star, Momentum(0.5), Schedule(1.0 / L), 100)
        np.testing.assert_allclose(res.theta, theta_star, atol=1e-12)


def test_callback_sees_every_iteration(rng):
    problem = _problem(rng)
    L, _ = problem.spectrum()
    seen = []
    res = solve(
        problem,
        np.zeros((problem.n_params, 1)),
        GD(),
        Schedule(1 / L),
        30,
        callback=lambda it, mse: seen.append((it, mse)),
    )
    assert [it for it, _ in seen] == list(range(1, 31))
    np.testing.assert_array_equal([m for _, m in seen], res.loss_history[1:])


def test_penalised_and_scheduled_runs_keep_the_loop(rng):
    """Ridge changes the loss formula and schedules change the recurrence: no closed form."""
    problem = _problem(rng)
    assert problem.linear_modes() is not None
    ridge = StatsLeastSquares(problem.stats, True, Penalty(alpha=0.1))
    assert ridge.linear_modes() is None
    assert _closed_form(problem, GD(), Schedule(0.1, "invscaling"), None, None, None) is None
    assert _closed_form(problem, Nesterov(), Schedule(0.1), None, None, None) is None  # FISTA
    assert _closed_form(problem, GD(), Schedule(0.1), None, None, None) is not None


def _textbook_gd(A, y, theta0, lr, n_iters):
    """The textbook recurrence ``theta -= lr * A^T (A theta - y) / n`` in Python floats on
    the Gram matrix of ``A = [X, 1]``, recording the MSE before each step and every iterate."""
    n, p = A.shape
    H, h, yy = (A.T @ A / n).tolist(), (A.T @ y / n).tolist(), float(y @ y / n)
    theta, P = [float(v) for v in theta0], range(p)
    history, iterates = [], [theta]
    for _ in range(n_iters):
        Ht = [sum(H[i][j] * theta[j] for j in P) for i in P]
        history.append(sum(theta[i] * (Ht[i] - 2.0 * h[i]) for i in P) + yy)
        theta = [theta[i] - lr * (Ht[i] - h[i]) for i in P]
        iterates.append(theta)
    Ht = [sum(H[i][j] * theta[j] for j in P) for i in P]
    history.append(sum(theta[i] * (Ht[i] - 2.0 * h[i]) for i in P) + yy)
    return np.array(history), np.array(iterates)


def test_gd_at_condition_number_1e5_equals_the_textbook_recurrence():
    """A long GD run at kappa = 1e5 (the conditioning benchmark's, on a small design): the
    closed form's loss history, final iterate and stopping iteration (found coarse to fine
    over a budget far beyond ALL_AT_ONCE) are the textbook loop's to 1e-10."""
    from lingrad.datasets import make_conditioned

    X, y, _ = make_conditioned(40, 2, 1e5, random_state=3)
    problem = StatsLeastSquares(SufficientStats.from_arrays(X, y), True, Penalty())
    L, mu = problem.spectrum()
    assert 0.9e5 < L / mu < 1.1e5
    n_iters = 150_000
    assert (n_iters + 1) * problem.n_params > ALL_AT_ONCE
    theta0 = np.random.default_rng(1).random((problem.n_params, 1))
    history, iterates = _textbook_gd(np.c_[X, np.ones(len(X))], y, theta0[:, 0], 1 / L, n_iters)
    stop = stopping_for(problem, problem.stats)
    res = solve(problem, theta0, GD(), Schedule(1 / L), n_iters, stop=stop)
    assert res.stop_reason == "max_iter" and len(res.loss_history) == n_iters + 1
    np.testing.assert_allclose(res.loss_history, history, rtol=1e-10)
    np.testing.assert_allclose(res.theta[:, 0], iterates[-1], rtol=1e-10)

    tol = 1.5 * res.measure  # met about 40,000 iterations before the budget ends
    res = solve(problem, theta0, GD(), Schedule(1 / L), n_iters, tol=tol, stop=stop)
    t = res.n_iter
    assert res.stop_reason == "tol" and n_iters // 2 < t < n_iters
    np.testing.assert_allclose(res.loss_history, history[: t + 1], rtol=1e-10)
    np.testing.assert_allclose(res.theta[:, 0], iterates[t], rtol=1e-10)

    def measure(theta):  # the loop's own stopping measure at a textbook iterate
        theta = theta[:, None]
        return stop.measure(theta, problem.grad_mse(theta)[0], None)

    assert measure(iterates[t - 1]) > tol >= measure(iterates[t])
