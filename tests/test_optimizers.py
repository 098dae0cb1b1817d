"""Every optimizer (lingrad._optimizers) in one table, in the manner of optax's ``alias_test.py``.

Each entry of ``_OPTIMIZERS_UNDER_TEST`` is run by :func:`lingrad._solve.solve` on
three problems and must reach the exact optimum to the stated number of digits
(``|theta - theta*| <= 10**-digits * max(1, |theta*|)``, every coordinate):

* ``plain``: 40 x 3 Gaussian design with an intercept (kappa about 3); optimum
  from ``numpy.linalg.lstsq``;
* ``ill``: a rotated design whose Hessian has kappa = 1e4; optimum from lstsq;
* ``lasso``: a centred orthogonal design (``X^T X / n`` diagonal) with
  ``alpha = 0.3``, ``l1_ratio = 1``, whose optimum is the soft threshold
  ``w_j = S(x_j^T (y - ybar) / n, alpha) / d_j``, ``b = ybar`` exactly.

Then: purity of ``init``/``update``, stable learning rates from the theory of
quadratics, the data-driven defaults, and the schedules ``t -> lr``.
"""

import dataclasses
import math

import numpy as np
import pytest

from lingrad._objective import Penalty, StatsLeastSquares
from lingrad._optimizers import (
    GD,
    OPTIMIZERS,
    SCHEDULES,
    Adam,
    Momentum,
    Nesterov,
    NesterovState,
    Schedule,
    auto_lr,
    make_optimizer,
)
from lingrad._solve import solve
from lingrad._stats import SufficientStats

N = 40


def _orthogonal(rng, scales):
    """Centred columns with ``X^T X / n = diag(scales ** 2)``."""
    Z = rng.normal(size=(N, len(scales)))
    Q = np.linalg.qr(Z - Z.mean(axis=0))[0]
    return Q * math.sqrt(N) * np.asarray(scales)


def _build_problems():
    rng = np.random.default_rng(0)
    noise = 0.1 * rng.normal(size=N)
    X = rng.normal(size=(N, 3))
    plain = (X, X @ [1.0, -2.0, 0.5] + 3.0 + noise, Penalty())
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    X = _orthogonal(rng, [1.0, 0.1, 0.01]) @ rotation.T
    ill = (X, X @ [1.0, -2.0, 0.5] + 3.0 + noise, Penalty())
    X = _orthogonal(rng, [1.0, 2.0, 3.0])
    lasso = (X, X @ [1.0, -0.05, 0.5] + 3.0 + noise, Penalty(0.3, 1.0))
    return {"plain": plain, "ill": ill, "lasso": lasso}


PROBLEMS = _build_problems()


def _exact(kind):
    X, y, penalty = PROBLEMS[kind]
    if kind != "lasso":
        return np.linalg.lstsq(np.c_[X, np.ones(N)], y, rcond=None)[0]
    c = X.T @ (y - y.mean()) / N
    d = np.diag(X.T @ X) / N
    w = np.sign(c) * np.maximum(np.abs(c) - penalty.l1, 0.0) / d
    return np.r_[w, y.mean()]


def test_the_problems_are_what_they_claim():
    kappa_range = {"plain": (1.0, 10.0), "ill": (0.99e4, 1.01e4), "lasso": (8.99, 9.01)}
    for kind, (X, y, penalty) in PROBLEMS.items():
        fit = StatsLeastSquares(SufficientStats.from_arrays(X, y), True, penalty)
        L, mu = fit.spectrum()
        low, high = kappa_range[kind]
        assert low <= L / mu <= high, kind
    X, y, _ = PROBLEMS["lasso"]
    np.testing.assert_allclose(X.T @ X / N, np.diag([1.0, 4.0, 9.0]), atol=1e-12)
    w = _exact("lasso")[:3]
    assert w[1] == 0.0 and np.all(w[[0, 2]] != 0)  # the threshold is active on one coefficient


@dataclasses.dataclass(frozen=True)
class Entry:
    """How one optimizer is run: its settings, and its budget and digits per problem."""

    id: str
    name: str
    lr: object  # (L, mu) -> lr
    kappa_known: bool = True
    schedule: str = "constant"
    n_iters: tuple = (500, 5000, 500)  # plain, ill, lasso
    digits: tuple = (12, 9, 12)


_OPTIMIZERS_UNDER_TEST = (
    # the optimal constant step 2 / (L + mu): kappa 1e4 costs gradient descent ~1.2e4 steps a digit
    Entry("gd", "gd", lambda L, mu: 2 / (L + mu), n_iters=(500, 65_000, 500), digits=(12, 5, 12)),
    # lr="auto" (1 / L); not run on "ill" (it needs twice the steps of the entry above)
    Entry("gd-auto", "gd", lambda L, mu: auto_lr("gd", L, mu), digits=(12, None, 12)),
    # heavy ball with Polyak's optimal momentum and step
    Entry("momentum", "momentum", lambda L, mu: auto_lr("momentum", L, mu), digits=(12, 11, 12)),
    # Nesterov with the optimal constant momentum for kappa
    Entry("nesterov", "nesterov", lambda L, mu: auto_lr("nesterov", L, mu)),
    # kappa unknown: FISTA's momentum sequence with gradient restarts
    Entry("fista", "nesterov", lambda L, mu: 1 / L, kappa_known=False, n_iters=(500, 5000, 1000)),
    Entry("adam", "adam", lambda L, mu: 0.1, schedule="invscaling", n_iters=(2000, 30_000, 5000)),
)
CASES = [
    pytest.param(
        entry,
        kind,
        id=f"{entry.id}-{kind}",
        marks=pytest.mark.xfail(
            strict=True,
            reason="BUG (reported): Adam followed by the L1 prox does not minimise the lasso "
            "objective (it stalls near the unpenalised fit, error ~0.3)",
        )
        if (entry.name, kind) == ("adam", "lasso")
        else (),
    )
    for entry in _OPTIMIZERS_UNDER_TEST
    for k, kind in enumerate(PROBLEMS)
    if entry.digits[k] is not None
]


def test_the_table_covers_every_optimizer():
    assert {e.name for e in _OPTIMIZERS_UNDER_TEST} == set(OPTIMIZERS)


@pytest.mark.parametrize(("entry", "kind"), CASES)
def test_every_optimizer_reaches_the_exact_optimum(entry, kind):
    X, y, penalty = PROBLEMS[kind]
    k = list(PROBLEMS).index(kind)
    fit = StatsLeastSquares(SufficientStats.from_arrays(X, y), True, penalty)
    L, mu = fit.spectrum()
    opt = make_optimizer(entry.name, None, L / mu if entry.kappa_known else None)
    assert opt.name == entry.name
    schedule = Schedule(entry.lr(L, mu), entry.schedule)
    prox = penalty.prox_for(3)
    res = solve(fit, np.zeros((4, 1)), opt, schedule, entry.n_iters[k], tol=1e-14, prox=prox)
    theta, exact = res.theta[:, 0], _exact(kind)
    tol = 10.0 ** -entry.digits[k]
    np.testing.assert_array_less(np.abs(theta - exact), tol * np.maximum(1.0, np.abs(exact)))
    if kind == "lasso":
        assert theta[1] == 0.0  # the prox gives exact zeros, not small numbers


# -- purity: explicit, immutable, typed state ------------------------------------------
OPTIMIZER_OBJECTS = [GD(), Momentum(0.7), Nesterov(), Nesterov(beta=0.5), Adam()]
IDS = ["gd", "momentum", "fista", "nesterov-const", "adam"]


def _quadratic(rng):
    H = rng.normal(size=(3, 3))
    H = H @ H.T + np.eye(3)
    c = rng.normal(size=(3, 2))
    return lambda th: H @ (th - c)


@pytest.mark.parametrize("opt", OPTIMIZER_OBJECTS, ids=IDS)
def test_state_is_a_frozen_typed_record_with_a_count(opt):
    params = np.arange(6.0).reshape(3, 2)
    state = opt.init(params)
    assert dataclasses.is_dataclass(state) and type(state).__name__.endswith("State")
    assert state.count == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.count = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.name = "other"
    params += 1.0  # the state does not alias the parameters
    again = opt.init(np.arange(6.0).reshape(3, 2))
    for f in dataclasses.fields(state):
        np.testing.assert_array_equal(getattr(state, f.name), getattr(again, f.name))


@pytest.mark.parametrize("opt", OPTIMIZER_OBJECTS, ids=IDS)
def test_update_is_pure(opt):
    rng = np.random.default_rng(1)
    grad_of = _quadratic(rng)
    params = rng.normal(size=(3, 2))
    state = opt.init(params)
    for _ in range(3):  # a state with history (velocity, previous iterate, moments)
        params, state = opt.update(state, params, 0.05, grad=grad_of(params))
    grad = grad_of(params)
    frozen = (params.copy(), grad.copy(), dataclasses.replace(state))
    snapshot = {f.name: np.copy(getattr(state, f.name)) for f in dataclasses.fields(state)}
    new, new_state = opt.update(state, params, 0.05, grad=grad)
    np.testing.assert_array_equal(params, frozen[0])
    np.testing.assert_array_equal(grad, frozen[1])
    for name, value in snapshot.items():
        np.testing.assert_array_equal(getattr(state, name), value)
    assert new is not params and new_state is not state
    assert type(new_state) is type(state) and new_state.count == state.count + 1
    # the same inputs give the same outputs
    twice, twice_state = opt.update(state, params, 0.05, grad=grad)
    np.testing.assert_array_equal(twice, new)
    assert twice_state.count == new_state.count


@pytest.mark.parametrize("opt", OPTIMIZER_OBJECTS, ids=IDS)
def test_prox_gets_the_step_and_its_output_is_the_update(opt):
    params = np.ones((2, 1))
    seen = []

    def prox(theta, step):
        seen.append(step)
        return np.full_like(theta, 7.0)

    new, _ = opt.update(opt.init(params), params, 0.25, grad=np.ones((2, 1)), prox=prox)
    assert seen == [0.25]
    np.testing.assert_array_equal(new, 7.0)


@pytest.mark.parametrize("opt", OPTIMIZER_OBJECTS, ids=IDS)
def test_a_gradient_function_gives_the_same_step_on_a_quadratic(opt):
    """Nesterov takes grad_fn at the look-ahead point; with an affine gradient, passing the
    gradient at the iterate reconstructs it exactly (its docstring's claim)."""
    rng = np.random.default_rng(2)
    grad_of = _quadratic(rng)
    params = rng.normal(size=(3, 2))
    state = opt.init(params)
    for _ in range(4):
        params, state = opt.update(state, params, 0.02, grad=grad_of(params))
    with_grad, _ = opt.update(state, params, 0.02, grad=grad_of(params))
    with_fn, _ = opt.update(state, params, 0.02, grad_fn=grad_of)
    np.testing.assert_allclose(with_fn, with_grad, rtol=1e-13, atol=1e-14)


def test_nesterov_restarts_when_momentum_points_uphill():
    opt = Nesterov()
    prev, params = np.zeros((1, 1)), np.ones((1, 1))
    state = NesterovState(prev, np.full((1, 1), -1.0), t=5.0, count=4)
    # gradient +1 along the last step (+1): uphill, so the step is plain gradient descent
    new, new_state = opt.update(state, params, 0.1, grad=np.ones((1, 1)))
    np.testing.assert_array_equal(new, params - 0.1)
    assert new_state.t == 1.0
    # downhill: momentum (t - 1) / t+ is kept
    new, _ = opt.update(state, params, 0.1, grad=-np.ones((1, 1)))
    assert new[0, 0] > 1.1


def test_adam_first_step_is_lr_times_the_sign():
    params, grad = np.zeros((3, 1)), np.array([[4.0], [-0.001], [30.0]])
    new, state = Adam().update(Adam().init(params), params, 0.01, grad=grad)
    np.testing.assert_allclose(new, -0.01 * np.sign(grad), rtol=1e-5)  # eps / |g| <= 1e-5
    np.testing.assert_allclose(state.mu, 0.1 * grad, rtol=1e-15)
    np.testing.assert_allclose(state.nu, 0.001 * grad**2, rtol=1e-12)


# -- stable learning rates, from the theory of quadratics ------------------------------
def _iteration_matrix(opt, L, lr):
    """The linear map one update applies to (x, memory) on f(x) = L x^2 / 2."""
    cols = []
    for x, m in ((1.0, 0.0), (0.0, 1.0)):
        X = np.array([[x]])
        if isinstance(opt, GD):
            new, _ = opt.update(opt.init(X), X, lr, grad=L * X)
            return np.array([[new[0, 0]]])
        if isinstance(opt, Momentum):
            state = dataclasses.replace(opt.init(X), velocity=np.array([[m]]))
            new, st = opt.update(state, X, lr, grad=L * X)
            cols.append([new[0, 0], st.velocity[0, 0]])
        else:  # Nesterov with constant momentum: memory is the previous iterate
            state = NesterovState(np.array([[m]]), L * np.array([[m]]), count=1)
            new, st = opt.update(state, X, lr, grad=L * X)
            cols.append([new[0, 0], st.prev[0, 0]])
    return np.array(cols).T


def _rate(opt, L, lr):
    return float(np.max(np.abs(np.linalg.eigvals(_iteration_matrix(opt, L, lr)))))


@pytest.mark.parametrize(
    ("opt", "theory"),
    [
        (GD(), lambda L: 2 / L),  # |1 - lr L| < 1
        (Momentum(0.5), lambda L: 2 * 1.5 / L),  # Polyak: lr L < 2 (1 + beta)
        (Momentum(0.9), lambda L: 2 * 1.9 / L),
        (Nesterov(beta=0.3), lambda L: (2 + 0.6) / (1.6 * L)),  # lr L < (2 + 2b) / (1 + 2b)
        (Nesterov(beta=0.8), lambda L: (2 + 1.6) / (2.6 * L)),
    ],
    ids=["gd", "momentum-0.5", "momentum-0.9", "nesterov-0.3", "nesterov-0.8"],
)
def test_stable_lr_is_the_edge_of_stability(opt, theory):
    L = 3.0
    edge = opt.stable_lr(L)
    assert edge == pytest.approx(theory(L), rel=1e-15)
    assert _rate(opt, L, 0.999 * edge) < 1.0 < _rate(opt, L, 1.001 * edge)


def test_stable_lr_of_fista_and_adam():
    assert Nesterov().stable_lr(4.0) == 0.25  # FISTA's step 1/L
    assert Adam().stable_lr(4.0) == math.inf  # steps bounded by lr per coordinate


def test_data_driven_defaults_attain_the_optimal_rates():
    L, mu = 2.0, 2e-3
    kappa = L / mu
    rk = math.sqrt(kappa)
    heavy = make_optimizer("momentum", None, kappa)
    assert heavy.beta == pytest.approx(((rk - 1) / (rk + 1)) ** 2, rel=1e-15)
    lr = auto_lr("momentum", L, mu)
    assert lr == pytest.approx(4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rel=1e-15)
    # Polyak: every curvature in [mu, L] contracts at (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
    for h in np.geomspace(mu, L, 7):
        assert _rate(heavy, h, lr) == pytest.approx((rk - 1) / (rk + 1), rel=1e-6)
    nesterov = make_optimizer("nesterov", None, kappa)
    assert nesterov.beta == pytest.approx((rk - 1) / (rk + 1), rel=1e-15)
    for h in np.geomspace(mu, L, 7):  # Nesterov: at least 1 - 1/sqrt(kappa)
        assert _rate(nesterov, h, auto_lr("nesterov", L, mu)) <= 1 - 1 / rk + 1e-12
    # without kappa: 0.9 heavy ball, FISTA; an explicit momentum wins
    assert make_optimizer("momentum", None, None).beta == 0.9
    assert make_optimizer("nesterov", None, math.inf).beta is None
    assert make_optimizer("nesterov", 0.2, kappa).beta == 0.2
    assert make_optimizer("momentum", 0.0, kappa).beta == 0.0
    assert (auto_lr("gd", L, mu), auto_lr("nesterov", L, None), auto_lr("adam", L, mu)) == (
        1 / L,
        1 / L,
        1e-3,
    )
    assert auto_lr("momentum", L, None) == 1 / L  # no mu known


# -- schedules: t -> lr -----------------------------------------------------------------
def test_schedule_kinds_are_the_registry():
    assert SCHEDULES == ("constant", "invscaling", "adaptive")


def test_constant_schedule():
    s = Schedule(0.3)
    assert [s(t) for t in (0, 1, 10, 10**6)] == [0.3] * 4
    for loss in (5.0, 5.0, 5.0, 5.0, 5.0, 5.0):
        s.observe(loss)  # only "adaptive" listens
    assert s(0) == 0.3


@pytest.mark.parametrize("power_t", [0.25, 0.5, 1.0])
def test_invscaling_schedule(power_t):
    s = Schedule(0.8, "invscaling", power_t=power_t)
    for t in (0, 1, 2, 9, 99):
        assert s(t) == pytest.approx(0.8 / (t + 1) ** power_t, rel=1e-15)
    resumed = Schedule(0.8, "invscaling", power_t=power_t, start=10)
    assert [resumed(t) for t in range(5)] == [s(t + 10) for t in range(5)]


def test_adaptive_divides_by_five_after_patience_stalls():
    s = Schedule(1.0, "adaptive", patience=3, tol=1e-2)
    lrs = []
    losses = [10.0, 9.0, 8.0]  # improving: no change
    losses += [8.0, 7.99, 8.5]  # three stalls (7.99 is within tol of 8): lr / 5
    losses += [8.0, 8.0, 7.0, 7.0, 7.0]  # two stalls, an improvement resets, two stalls
    losses += [7.0]  # third stall in a row: lr / 25
    for loss in losses:
        s.observe(loss)
        lrs.append(s(0))
    assert lrs == [1.0] * 5 + [0.2] * 6 + [0.04]
    assert s(123) == 0.04  # t does not matter
