"""The solve loop (lingrad._solve.solve) on its own, with hand-made problems.

The problem below implements only what ``solve`` needs: ``grad_mse(theta)``
and ``batch_grad(theta, rows)``. Iterates are compared with hand-written loops
bit for bit (the same arithmetic in the same order) unless a tolerance is given.
"""

import io
import math
import pickle

import numpy as np
import pytest

from lingrad._optimizers import GD, OPTIMIZERS, Adam, Momentum, Nesterov, Schedule, make_optimizer
from lingrad._solve import OVERFLOW_MESSAGE, DivergenceError, FitResult, solve
from lingrad._stopping import Stopping


class LeastSquares:
    """``mean_i (a_i theta - y_i)^2``; the gradient is that of half of it."""

    def __init__(self, A, Y):
        self.A, self.Y = A, Y
        self.batch_rows = []

    def grad_mse(self, theta):
        r = self.A @ theta - self.Y
        return self.A.T @ r / len(r), float(np.mean(r * r))

    def batch_grad(self, theta, rows):
        self.batch_rows.append(np.array(rows))
        r = self.A[rows] @ theta - self.Y[rows]
        return self.A[rows].T @ r / len(r)

    def norm_grad(self, theta):
        return float(np.linalg.norm(self.grad_mse(theta)[0]))


class RecordingSchedule(Schedule):
    """A schedule that remembers which ``t`` it was asked for and what it observed."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.asked, self.observed = [], []

    def __call__(self, t):
        self.asked.append(t)
        return super().__call__(t)

    def observe(self, loss):
        self.observed.append(loss)
        super().observe(loss)


def _problem(seed=0, n=12, p=3, n_targets=1):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, p))
    Y = A @ rng.normal(size=(p, n_targets)) + 0.1 * rng.normal(size=(n, n_targets))
    return LeastSquares(A, Y), np.zeros((p, n_targets))


def _L(problem):
    return float(np.linalg.eigvalsh(problem.A.T @ problem.A / len(problem.A))[-1])


# -- stopping ---------------------------------------------------------------------------
def test_tol_stops_at_the_first_iterate_below_tol_times_the_start():
    problem, theta0 = _problem()
    lr = 1.0 / _L(problem)
    res = solve(problem, theta0, GD(), Schedule(lr), 10_000, tol=1e-6, record_path=True)
    assert isinstance(res, FitResult)
    assert (res.stop_reason, res.converged) == ("tol", True)
    assert 0 < res.n_iter < 10_000
    start = problem.norm_grad(theta0)
    assert res.grad_norm_init == start
    assert res.grad_norm == pytest.approx(problem.norm_grad(res.theta), rel=1e-12)
    assert res.grad_norm <= 1e-6 * start < problem.norm_grad(res.path[-2])  # the first one
    assert res.message == (
        f"Converged: gradient norm fell below tol relative to its start in {res.n_iter} iterations."
    )
    # met exactly on the last iteration of a budget: still "tol"
    last = solve(problem, theta0, GD(), Schedule(lr), res.n_iter, tol=1e-6)
    assert (last.stop_reason, last.n_iter, last.converged) == ("tol", res.n_iter, True)
    np.testing.assert_array_equal(last.theta, res.theta)


def _stopping(problem):
    theta_star = np.linalg.lstsq(problem.A, problem.Y, rcond=None)[0]
    return Stopping(float(np.mean(problem.Y**2)), theta_star)


def _distance(problem, stop, theta):
    """The documented measure, by hand: RMS distance of the fitted values from the optimum's."""
    d = problem.A @ (theta - stop.theta_star)
    return float(np.sqrt(np.mean(d * d) / stop.scale))


def test_tol_with_a_stopping_measure_stops_at_the_first_iterate_within_tol():
    """The rule every fit uses (issue 10): the distance to the optimum, whatever the start."""
    problem, theta0 = _problem()
    lr = 1.0 / _L(problem)
    stop = _stopping(problem)
    for start in (theta0, theta0 + 1e12):  # a huge start (and gradient) changes nothing
        res = solve(
            problem, start, GD(), Schedule(lr), 10_000, tol=1e-6, stop=stop, record_path=True
        )
        assert (res.stop_reason, res.converged) == ("tol", True)
        assert res.measure == pytest.approx(_distance(problem, stop, res.theta), rel=1e-6)
        assert res.measure <= 1e-6 < _distance(problem, stop, res.path[-2])  # the first one
        assert res.measure_init == pytest.approx(_distance(problem, stop, start), rel=1e-6)
        assert res.message == (
            "Converged: the fitted values are within tol of the optimum's (relative to the "
            f"spread of y) in {res.n_iter} iterations."
        )
    # resuming needs no reference: the measure does not depend on the start
    once = solve(problem, theta0, GD(), Schedule(lr), 10_000, tol=1e-6, stop=stop)
    first = solve(problem, theta0, GD(), Schedule(lr), 5, tol=1e-6, stop=stop)
    args = (problem, first.theta, GD(), Schedule(lr), 10_000)
    second = solve(*args, tol=1e-6, state=first.state, stop=stop)
    assert first.n_iter + second.n_iter == once.n_iter
    np.testing.assert_array_equal(second.theta, once.theta)


def test_the_gradient_estimate_is_jacobi_scaled():
    problem, theta0 = _problem()
    d = np.mean(problem.A**2, axis=0)
    stop = Stopping(2.0, precond=d)
    g, _ = problem.grad_mse(theta0)
    expected = np.sqrt(np.sum(g[:, 0] ** 2 / d) / 2.0)
    assert stop.measure(theta0, g, g) == pytest.approx(expected, rel=1e-12)
    assert Stopping(1.0, precond=d).measure(theta0, g * np.nan, g * np.nan) == math.inf


def test_max_iter_runs_the_whole_budget():
    problem, theta0 = _problem()
    lr = 1.0 / _L(problem)
    for tol in (None, 1e-300):
        res = solve(problem, theta0, GD(), Schedule(lr), 25, tol=tol)
        assert (res.stop_reason, res.converged, res.n_iter) == ("max_iter", False, 25)
        assert len(res.loss_history) == 26
        assert res.message == "Ran the full budget of 25 iterations."


def test_zero_iterations_return_the_start():
    problem, theta0 = _problem()
    theta0 = theta0 + 1.0
    res = solve(problem, theta0, GD(), Schedule(0.1), 0)
    assert (res.n_iter, res.stop_reason) == (0, "max_iter")
    np.testing.assert_array_equal(res.theta, theta0)
    assert res.loss_history.tolist() == [problem.grad_mse(theta0)[1]]
    assert res.state == GD().init(theta0)


def test_zero_gradient_at_the_start_and_after_an_exact_step():
    # A = identity: the optimum is Y, and GD with lr = n (curvature 1/n) lands on it in one step.
    n = 4
    problem = LeastSquares(np.eye(n), np.arange(1.0, n + 1)[:, None])
    at_optimum = solve(problem, problem.Y.copy(), GD(), Schedule(1.0), 50)
    assert (at_optimum.stop_reason, at_optimum.n_iter, at_optimum.converged) == (
        "zero_gradient",
        0,
        True,
    )
    assert at_optimum.message == "Converged: the gradient is exactly zero after 0 iterations."
    one_step = solve(problem, np.zeros((n, 1)), GD(), Schedule(float(n)), 50)
    assert (one_step.stop_reason, one_step.n_iter) == ("zero_gradient", 1)
    np.testing.assert_array_equal(one_step.theta, problem.Y)
    assert one_step.grad_norm == 0.0 and one_step.loss_history[-1] == 0.0


# -- divergence -------------------------------------------------------------------------
def test_divergence_error_names_lr_stable_lr_and_the_iteration():
    # One parameter, curvature L: GD multiplies the error by |1 - lr L| per step and the
    # loss by its square; the loop gives up once the loss is 1e8 times its start.
    problem = LeastSquares(np.array([[2.0], [2.0]]), np.zeros((2, 1)))
    L = 4.0  # a^2, the mean of the squares
    lr = 3.0 / L  # |1 - lr L| = 2: the loss grows 4-fold per step
    expected = math.floor(math.log(1e8) / math.log(4.0)) + 1  # first k with 4^k > 1e8
    with pytest.raises(DivergenceError) as info:
        solve(problem, np.ones((1, 1)), GD(), Schedule(lr), 100, stable_lr=2.0 / L)
    err = info.value
    assert isinstance(err, FloatingPointError) and isinstance(err, ValueError)
    assert (err.lr, err.stable_lr, err.iteration) == (lr, 2.0 / L, expected)
    assert f"diverges with lr={lr:.6g}" in str(err)
    assert f"at iteration {expected}, where the loss blew up" in str(err)
    assert "Use a smaller lr (below 0.5)" in str(err)
    # just below the cap: a run shorter than that does not raise
    solve(problem, np.ones((1, 1)), GD(), Schedule(lr), expected - 1)


def test_a_non_finite_loss_is_divergence():
    class Explodes(LeastSquares):
        def grad_mse(self, theta):
            g, mse = super().grad_mse(theta)
            return g, (math.inf if np.any(theta != 0) else mse)

    problem = Explodes(np.eye(2), np.ones((2, 1)))
    with pytest.raises(DivergenceError) as info:
        solve(problem, np.zeros((2, 1)), GD(), Schedule(0.1), 10)
    assert info.value.iteration == 1
    assert info.value.stable_lr == math.inf  # nothing better known by default


def test_divergence_error_survives_pickling():
    err = DivergenceError("message", 1.0, 0.5, 3)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    pickler.dispatch_table = {}  # the class's own reduction, not tblib's (test_dask installs it)
    pickler.dump(err)
    clone = pickle.loads(buffer.getvalue())
    assert (str(clone), clone.lr, clone.stable_lr, clone.iteration) == ("message", 1.0, 0.5, 3)


def test_overflow_at_the_start_is_not_divergence():
    problem = LeastSquares(np.array([[1e200]]), np.array([[1e200]]))
    with pytest.raises(ValueError) as info, np.errstate(over="ignore", invalid="ignore"):
        solve(problem, np.zeros((1, 1)), GD(), Schedule(0.1), 10)
    assert not isinstance(info.value, DivergenceError)
    assert str(info.value) == OVERFLOW_MESSAGE


# -- what is recorded -------------------------------------------------------------------
def test_history_path_callback_and_state_are_consistent():
    problem, theta0 = _problem(n_targets=2)
    calls = []
    res = solve(
        problem,
        theta0,
        Nesterov(),
        Schedule(0.5 / _L(problem)),
        30,
        record_path=True,
        callback=lambda it, mse: calls.append((it, mse)),
    )
    assert res.path.shape == (31, *theta0.shape)
    np.testing.assert_array_equal(res.path[0], theta0)
    np.testing.assert_array_equal(res.path[-1], res.theta)
    assert res.loss_history.tolist() == [problem.grad_mse(th)[1] for th in res.path]
    assert calls == [(k, res.loss_history[k]) for k in range(1, 31)]
    assert res.state.count == 30
    np.testing.assert_array_equal(res.theta_init, theta0)
    assert solve(problem, theta0, GD(), Schedule(0.1), 3).path is None


def test_inputs_are_not_mutated():
    problem, theta0 = _problem()
    theta0 += 0.5
    before = theta0.copy()
    res = solve(problem, theta0, Momentum(0.5), Schedule(0.1), 5)
    np.testing.assert_array_equal(theta0, before)
    assert res.theta_init is not theta0


def test_each_update_uses_the_schedule_and_the_loss_is_observed():
    problem, theta0 = _problem()
    schedule = RecordingSchedule(0.05, "invscaling")
    res = solve(problem, theta0, GD(), schedule, 6, record_path=True)
    # t = 0 for lr0, then per iteration: the update's t, then the next t for the stopping test
    assert schedule.asked == [0, *[t for k in range(6) for t in (k, k + 1)]]
    assert schedule.observed == res.loss_history[1:].tolist()
    assert res.lr == 0.05
    theta = theta0.copy()
    for k in range(6):
        theta = theta - 0.05 / (k + 1) ** 0.25 * problem.grad_mse(theta)[0]
        np.testing.assert_array_equal(res.path[k + 1], theta)


# -- prox -------------------------------------------------------------------------------
def _soft(theta, step, lam=0.3):
    return np.sign(theta) * np.maximum(np.abs(theta) - step * lam, 0.0)


def test_prox_follows_every_step_and_is_ista():
    problem, theta0 = _problem(seed=2)
    lr = 1.0 / _L(problem)
    res = solve(problem, theta0, GD(), Schedule(lr), 40, prox=_soft, record_path=True)
    theta = theta0.copy()
    for k in range(40):
        theta = _soft(theta - lr * problem.grad_mse(theta)[0], lr)
        np.testing.assert_array_equal(res.path[k + 1], theta)


def test_with_a_prox_optimality_is_the_prox_gradient_not_the_gradient():
    # 1-D lasso: (theta - 3)^2 / 2 + |theta|, optimum 2, reached by one step of lr 1.
    problem = LeastSquares(np.array([[1.0]]), np.array([[3.0]]))
    res = solve(
        problem, np.zeros((1, 1)), GD(), Schedule(1.0), 10, prox=lambda t, s: _soft(t, s, 1.0)
    )
    assert (res.stop_reason, res.n_iter) == ("zero_gradient", 1)
    assert res.theta[0, 0] == 2.0
    assert problem.grad_mse(res.theta)[0][0, 0] == -1.0  # the smooth gradient is not 0 there
    assert res.grad_norm_init == 2.0  # |0 - prox(0 + 3)| / 1


# -- resuming ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("kind", ["constant", "invscaling"])
def test_two_solves_of_k_steps_equal_one_of_2k(name, kind):
    problem, theta0 = _problem(seed=3)
    opt = make_optimizer(name, None, None)
    lr = 0.5 / _L(problem)
    k = 7
    once = solve(problem, theta0, opt, Schedule(lr, kind), 2 * k)
    first = solve(problem, theta0, opt, Schedule(lr, kind), k)
    second = solve(problem, first.theta, opt, Schedule(lr, kind, start=k), k, state=first.state)
    np.testing.assert_allclose(second.theta, once.theta, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(
        np.r_[first.loss_history, second.loss_history[1:]], once.loss_history, rtol=1e-14
    )
    assert second.state.count == once.state.count == 2 * k


def test_a_resumed_solve_keeps_the_original_tol_reference():
    problem, theta0 = _problem(seed=4)
    lr = 1.0 / _L(problem)
    once = solve(problem, theta0, GD(), Schedule(lr), 10_000, tol=1e-5)
    first = solve(problem, theta0, GD(), Schedule(lr), 5, tol=1e-5)
    ref = first.grad_norm_init
    args = (problem, first.theta, GD(), Schedule(lr), 10_000)
    second = solve(*args, tol=1e-5, state=first.state, grad_norm_ref=ref)
    assert first.n_iter + second.n_iter == once.n_iter
    np.testing.assert_array_equal(second.theta, once.theta)
    # without the reference it measures from its own (smaller) start: more iterations
    assert solve(*args, tol=1e-5, state=first.state).n_iter > second.n_iter


# -- mini-batches -----------------------------------------------------------------------
def test_batches_make_one_update_each_and_count_epochs():
    problem, theta0 = _problem(seed=5, n=9)
    order = [np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7]), np.array([8])]
    epochs = []

    def batches(epoch):
        epochs.append(epoch)
        yield from order

    schedule = RecordingSchedule(0.05, "invscaling")
    res = solve(problem, theta0, Adam(), schedule, 4, batches=batches, record_path=True)
    assert epochs == [0, 1, 2, 3]
    assert res.n_iter == 4 and len(res.loss_history) == 5  # history per epoch
    assert res.state.count == 12  # one update per batch
    assert [r.tolist() for r in problem.batch_rows] == [r.tolist() for r in order] * 4
    assert sorted(set(schedule.asked)) == list(range(13))  # t counts updates, not epochs
    # the same updates by hand
    opt, state, theta = Adam(), Adam().init(theta0), theta0.copy()
    t = 0
    for _ in range(4):
        for rows in order:
            g = problem.A[rows].T @ (problem.A[rows] @ theta - problem.Y[rows]) / len(rows)
            theta, state = opt.update(state, theta, 0.05 / (t + 1) ** 0.25, grad=g)
            t += 1
    np.testing.assert_allclose(res.theta, theta, rtol=1e-14)


def test_one_batch_of_every_row_is_full_batch_descent():
    problem, theta0 = _problem(seed=6)
    rows = np.arange(len(problem.A))
    lr = 0.5 / _L(problem)
    full = solve(problem, theta0, GD(), Schedule(lr), 20)
    batched = solve(problem, theta0, GD(), Schedule(lr), 20, batches=lambda epoch: iter([rows]))
    np.testing.assert_allclose(batched.theta, full.theta, rtol=1e-14)
    np.testing.assert_allclose(batched.loss_history, full.loss_history, rtol=1e-14)
