"""The objective (lingrad._objective) against direct NumPy formulas and finite differences.

Digits: values, gradients and Hessians agree with NumPy to rtol 1e-12 (they are
the same sums, ordered differently); finite differences (central, step 1e-6)
to rtol 1e-6; the Lanczos bound of the direct engine to 1e-3 above the exact L.
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from lingrad._objective import (
    DirectLeastSquares,
    Penalty,
    StatsLeastSquares,
    StreamedLeastSquares,
)
from lingrad._optimum import optimum_theta
from lingrad._stats import SufficientStats

N, F = 30, 3
CASES = list(
    itertools.product(
        [True, False],  # fit_intercept
        [False, True],  # weighted
        [1, 2],  # targets
        [Penalty(), Penalty(0.3, 0.0), Penalty(0.3, 0.4)],
    )
)
IDS = [f"icpt{int(i)}-w{int(w)}-t{t}-a{p.alpha}-r{p.l1_ratio}" for i, w, t, p in CASES]


def _data(weighted, n_targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, F)) + np.array([0.0, 3.0, -1.0])
    Y = X @ rng.normal(size=(F, n_targets)) + 2.0 + 0.5 * rng.normal(size=(N, n_targets))
    w = rng.uniform(0.5, 2.0, size=N) if weighted else None
    theta = rng.normal(size=(F + 1, n_targets))
    return X, Y, w, theta


class NumpyObjective:
    """The objective written out once in plain NumPy, the test's oracle."""

    def __init__(self, X, Y, w, fit_intercept, penalty):
        self.A = np.c_[X, np.ones(len(X))] if fit_intercept else X
        self.Y, self.penalty = Y, penalty
        self.s = np.ones(len(X)) if w is None else w
        self.mask = np.r_[np.ones(X.shape[1]), np.zeros(int(fit_intercept))][:, None]

    def residual(self, theta):
        return self.A @ theta - self.Y

    def mse(self, theta):
        r = self.residual(theta)
        return float(self.s @ (r * r).sum(axis=1) / (self.s.sum() * self.Y.shape[1]))

    def smooth(self, theta):
        """Half the weighted SSE over the weight total, plus the ridge part."""
        r = self.residual(theta)
        W = theta * self.mask
        return float(
            self.s @ (r * r).sum(axis=1) / (2 * self.s.sum())
        ) + 0.5 * self.penalty.l2 * np.sum(W * W)

    def grad(self, theta):
        return (
            self.A.T @ (self.s[:, None] * self.residual(theta)) / self.s.sum()
            + self.penalty.l2 * self.mask * theta
        )

    def hessian(self):
        H = self.A.T @ (self.s[:, None] * self.A) / self.s.sum()
        return H + self.penalty.l2 * np.diag(self.mask[:, 0])


def _problems(fit_intercept, weighted, n_targets, penalty):
    X, Y, w, theta = _data(weighted, n_targets)
    theta = theta[: F + int(fit_intercept)]
    stats = SufficientStats.from_arrays(X, Y, w)
    fits = {
        "stats": StatsLeastSquares(stats, fit_intercept, penalty),
        "direct": DirectLeastSquares(X, Y, w, fit_intercept, penalty),
        "sparse": DirectLeastSquares(sp.csr_matrix(X), Y, w, fit_intercept, penalty),
    }
    return fits, NumpyObjective(X, Y, w, fit_intercept, penalty), theta


@pytest.mark.parametrize(("fit_intercept", "weighted", "n_targets", "penalty"), CASES, ids=IDS)
def test_value_and_gradient_equal_numpy(fit_intercept, weighted, n_targets, penalty):
    fits, ref, theta = _problems(fit_intercept, weighted, n_targets, penalty)
    for name, fit in fits.items():
        assert fit.n_params == F + int(fit_intercept)
        g, mse = fit.grad_mse(theta)
        assert g.shape == theta.shape, name
        np.testing.assert_allclose(g, ref.grad(theta), rtol=1e-12, atol=1e-12, err_msg=name)
        assert mse == pytest.approx(ref.mse(theta), rel=1e-12), name
        assert fit.mse(theta) == mse


@pytest.mark.parametrize(("fit_intercept", "weighted", "n_targets", "penalty"), CASES, ids=IDS)
def test_gradient_equals_finite_differences(fit_intercept, weighted, n_targets, penalty):
    """The gradient is that of ``n_targets * mse / 2 + l2/2 ||W||^2`` (the smooth objective)."""
    fits, ref, theta = _problems(fit_intercept, weighted, n_targets, penalty)
    fit = fits["stats"]
    l2 = penalty.l2

    def smooth(th):
        return n_targets * fit.mse(th) / 2 + 0.5 * l2 * np.sum(th[:F] ** 2)

    h = 1e-6
    fd = np.empty_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        fd[idx] = (smooth(theta + e) - smooth(theta - e)) / (2 * h)
    np.testing.assert_allclose(fit.grad_mse(theta)[0], fd, rtol=1e-6, atol=1e-7)
    assert smooth(theta) == pytest.approx(ref.smooth(theta), rel=1e-12)


@pytest.mark.parametrize(("fit_intercept", "weighted", "n_targets", "penalty"), CASES, ids=IDS)
def test_hessian_and_spectrum_equal_eigvalsh(fit_intercept, weighted, n_targets, penalty):
    fits, ref, _ = _problems(fit_intercept, weighted, n_targets, penalty)
    H = ref.hessian()
    ev = np.linalg.eigvalsh(H)
    stats = fits["stats"]
    np.testing.assert_allclose(stats.hessian(), H, rtol=1e-12, atol=1e-12)
    L, mu = stats.spectrum()
    assert L == pytest.approx(ev[-1], rel=1e-12)
    assert mu == pytest.approx(ev[0], rel=1e-9)
    for name in ("direct", "sparse"):
        fit = fits[name]
        v = np.arange(1.0, fit.n_params + 1)
        np.testing.assert_allclose(fit._hessian_matvec(v), H @ v, rtol=1e-12)
        L_direct, mu_direct = fit.spectrum()
        assert ev[-1] <= L_direct <= ev[-1] * (1 + 1e-3), name  # an upper bound, and tight
        assert np.isnan(mu_direct)


def test_spectrum_of_one_parameter_is_exact():
    X = np.array([[1.0], [2.0], [3.0]])
    fit = DirectLeastSquares(X, np.ones((3, 1)), None, False, Penalty(0.5))
    L, mu = fit.spectrum()
    assert L == pytest.approx((1 + 4 + 9) / 3 + 0.5, rel=1e-15)
    assert np.isnan(mu)


def _smooth_optimum(fit):
    """The one exact optimum (lingrad._optimum) of the problem's smooth part."""
    return optimum_theta(fit.stats, fit.fit_intercept, Penalty(fit.penalty.l2))


@pytest.mark.parametrize(("fit_intercept", "weighted", "n_targets", "penalty"), CASES, ids=IDS)
def test_solve_exact_is_the_smooth_minimiser(fit_intercept, weighted, n_targets, penalty):
    fits, ref, _ = _problems(fit_intercept, weighted, n_targets, penalty)
    if penalty.l2 == 0:
        root = np.sqrt(ref.s)[:, None]
        expected = np.linalg.lstsq(root * ref.A, root * ref.Y, rcond=None)[0]
    else:
        expected = np.linalg.solve(ref.hessian(), ref.A.T @ (ref.s[:, None] * ref.Y) / ref.s.sum())
    theta = _smooth_optimum(fits["stats"])
    np.testing.assert_allclose(theta, expected, rtol=1e-10, atol=1e-10)
    # the smooth gradient vanishes there (the L1 part is left out)
    np.testing.assert_allclose(ref.grad(theta), 0.0, atol=1e-10)


def test_solve_exact_is_minimum_norm_when_singular():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    X = np.c_[X, X[:, 0] + X[:, 1]]  # rank 2 of 3
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=20)
    fit = StatsLeastSquares(SufficientStats.from_arrays(X, y), False, Penalty())
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(_smooth_optimum(fit)[:, 0], expected, rtol=1e-9, atol=1e-9)
    L, mu = fit.spectrum()
    assert 0.0 <= mu < 1e-14 * L  # singular: 0 up to rounding, never negative


def test_batch_gradient_is_the_gradient_of_those_rows():
    X, Y, w, theta = _data(True, 2, seed=3)
    rows = np.array([4, 0, 17, 9, 22])
    penalty = Penalty(0.2, 0.5)
    full = DirectLeastSquares(X, Y, w, True, penalty)
    part = DirectLeastSquares(X[rows], Y[rows], w[rows], True, penalty)
    np.testing.assert_allclose(full.batch_grad(theta, rows), part.grad_mse(theta)[0], rtol=1e-14)
    sparse = DirectLeastSquares(sp.csr_matrix(X), Y, w, True, penalty)
    np.testing.assert_allclose(sparse.batch_grad(theta, rows), part.grad_mse(theta)[0], rtol=1e-12)


def test_streamed_blocks_equal_one_block():
    X, Y, w, theta = _data(True, 1, seed=4)
    penalty = Penalty(0.1, 0.0)

    def blocks():
        for lo in range(0, N, 7):
            yield X[lo : lo + 7], Y[lo : lo + 7], w[lo : lo + 7]

    streamed = StreamedLeastSquares(blocks, F, 1, True, penalty)
    direct = DirectLeastSquares(X, Y, w, True, penalty)
    g_s, mse_s = streamed.grad_mse(theta)
    g_d, mse_d = direct.grad_mse(theta)
    np.testing.assert_allclose(g_s, g_d, rtol=1e-12)
    assert mse_s == pytest.approx(mse_d, rel=1e-12)
    assert streamed.spectrum()[0] == pytest.approx(direct.spectrum()[0], rel=1e-3)


def test_no_rows_give_zero_gradient_and_loss():
    fit = StreamedLeastSquares(lambda: iter(()), 2, 1, True, Penalty(1.0))
    g, mse = fit.grad_mse(np.ones((3, 1)))
    assert mse == 0.0 and not g.any()


def test_stats_loss_is_never_negative_at_an_exact_fit():
    X = np.arange(12.0).reshape(6, 2) ** 1.5
    y = X @ [0.5, -1.5] + 4.0
    fit = StatsLeastSquares(SufficientStats.from_arrays(X, y), True, Penalty())
    mse = fit.mse(_smooth_optimum(fit))
    assert 0.0 <= mse < 1e-20


# -- the penalty -------------------------------------------------------------------
def test_penalty_parts_and_value():
    p = Penalty(2.0, 0.25)
    assert (p.l1, p.l2) == (0.5, 1.5)
    W = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert p.value(W) == pytest.approx(0.5 * 6.0 + 0.5 * 1.5 * 14.0, rel=1e-15)
    assert Penalty().value(W) == 0.0
    assert Penalty(3.0, 1.0).l2 == 0.0 and Penalty(3.0, 0.0).l1 == 0.0


def test_prox_soft_thresholds_the_coefficients_only():
    p = Penalty(1.0, 0.5)  # l1 = 0.5
    v = np.array([[2.0, -0.1], [-1.0, 0.3], [0.2, -3.0], [5.0, -5.0]])  # last row: intercept
    step = 0.8  # threshold 0.4
    out = p.prox(v.copy(), step, 3)
    expected = np.sign(v) * np.maximum(np.abs(v) - 0.4, 0.0)
    np.testing.assert_array_equal(out[:3], expected[:3])
    np.testing.assert_array_equal(out[3], v[3])  # the intercept is never penalised
    # optimality of argmin_z |z - v|^2 / 2 + t |z|: z - v + t sign(z) = 0, or |v| <= t at z = 0
    z, t = out[:3], step * p.l1
    nonzero = z != 0
    np.testing.assert_allclose((z - v[:3] + t * np.sign(z))[nonzero], 0.0, atol=1e-15)
    assert np.all(np.abs(v[:3][~nonzero]) <= t)


def test_prox_works_in_place_and_prox_for_binds_the_rows():
    p = Penalty(1.0, 1.0)
    theta = np.array([[3.0], [-0.5], [7.0]])
    prox = p.prox_for(2)
    out = prox(theta, 1.0)
    assert out is theta
    np.testing.assert_array_equal(theta, [[2.0], [0.0], [7.0]])
    assert Penalty(1.0, 0.0).prox_for(2) is None  # no L1: nothing to apply
    untouched = np.array([[3.0], [1.0]])
    assert Penalty(1.0, 0.0).prox(untouched, 1.0, 2) is untouched
    np.testing.assert_array_equal(untouched, [[3.0], [1.0]])
