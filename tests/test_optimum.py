"""The one exact optimum (lingrad._optimum) against NumPy and scikit-learn.

Digits asserted: least squares and ridge (closed forms) to rtol 1e-10 against
``numpy.linalg.lstsq`` / ``sklearn.linear_model.Ridge``; lasso and elastic net
(proximal iterations to tol 1e-11) to 1e-8 against converged scikit-learn
(coordinate descent, tol 1e-13), and to 1e-9 on their optimality conditions.
"""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from lingrad import exact_optimum
from lingrad._objective import Penalty
from lingrad._optimum import optimum_theta
from lingrad._stats import SufficientStats

N, F = 40, 4


def _data(n_targets=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, F)) * np.array([1.0, 2.0, 0.5, 1.0]) + np.array([0.0, 1.0, -2.0, 5.0])
    shape = (N,) if n_targets is None else (N, n_targets)
    coef = rng.normal(size=(F,) if n_targets is None else (F, n_targets))
    y = X @ coef + 1.5 + rng.normal(size=shape)
    return X, y, rng.uniform(0.2, 3.0, size=N)


def _lstsq(X, y, w=None, fit_intercept=True):
    A = np.c_[X, np.ones(len(X))] if fit_intercept else X
    root = np.ones(len(X)) if w is None else np.sqrt(w)
    rhs = root[:, None] * y.reshape(len(y), -1)
    theta = np.linalg.lstsq(root[:, None] * A, rhs, rcond=None)[0]
    return theta


def _split(theta, y, fit_intercept):
    coef, b = theta[:F], theta[F] if fit_intercept else np.zeros(theta.shape[1])
    return (coef[:, 0], float(b[0])) if y.ndim == 1 else (coef.T, b)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_targets", [None, 3])
def test_least_squares_equals_lstsq(fit_intercept, weighted, n_targets):
    X, y, w = _data(n_targets)
    w = w if weighted else None
    coef, intercept = exact_optimum(X, y, w, fit_intercept=fit_intercept)
    ref_coef, ref_b = _split(_lstsq(X, y, w, fit_intercept), y, fit_intercept)
    assert coef.shape == ref_coef.shape
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-10)
    np.testing.assert_allclose(intercept, ref_b, rtol=1e-10, atol=1e-12)
    if n_targets is None:
        assert isinstance(intercept, float)
    else:
        assert intercept.shape == (n_targets,)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_rank_deficient_gives_the_minimum_norm_solution(fit_intercept):
    X, y, _ = _data()
    X = np.c_[X, 2.0 * X[:, 0] - X[:, 1], X[:, 2]]  # rank 4 of 6
    theta = optimum_theta(SufficientStats.from_arrays(X, y), fit_intercept)
    expected = _lstsq(X, y, None, fit_intercept)  # lstsq's answer is the minimum-norm one
    np.testing.assert_allclose(theta, expected, rtol=1e-9, atol=1e-10)
    assert theta.shape == (6 + int(fit_intercept), 1)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_ridge_equals_sklearn_with_alpha_over_the_weight_sum(fit_intercept, weighted, n_targets):
    X, y, w = _data(n_targets, seed=1)
    w = w if weighted else None
    a = 7.0  # sklearn's alpha: sum_i w_i r_i^2 + a |coef|^2
    total = N if w is None else w.sum()
    coef, intercept = exact_optimum(X, y, w, fit_intercept=fit_intercept, alpha=a / total)
    ridge = Ridge(alpha=a, fit_intercept=fit_intercept, solver="cholesky").fit(X, y, w)
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-10)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-10, atol=1e-12)


def _kkt_violation(X, y, w, coef, intercept, alpha, l1_ratio):
    """Largest violation of the elastic net's optimality conditions (one target)."""
    s = np.ones(len(X)) if w is None else w
    r = X @ coef + intercept - y
    grad = X.T @ (s * r) / s.sum() + alpha * (1 - l1_ratio) * coef
    l1 = alpha * l1_ratio
    zero = coef == 0
    return max(
        np.max(np.abs(grad[~zero] + l1 * np.sign(coef[~zero])), initial=0.0),
        np.max(np.abs(grad[zero]) - l1, initial=0.0),
        abs(s @ r / s.sum()),  # the intercept's gradient
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.3, 1.0), (0.2, 0.5), (1.5, 1.0)])
def test_lasso_and_elastic_net_equal_converged_sklearn(weighted, alpha, l1_ratio):
    X, y, w = _data(seed=2)
    w = w if weighted else None
    coef, intercept = exact_optimum(X, y, w, alpha=alpha, l1_ratio=l1_ratio)
    kw = {"alpha": alpha, "tol": 1e-13, "max_iter": 100_000}
    model = Lasso(**kw) if l1_ratio == 1.0 else ElasticNet(l1_ratio=l1_ratio, **kw)
    model.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(coef, model.coef_, rtol=1e-8, atol=1e-9)
    assert intercept == pytest.approx(model.intercept_, rel=1e-8, abs=1e-9)
    np.testing.assert_array_equal(coef == 0, model.coef_ == 0)  # the same support
    assert _kkt_violation(X, y, w, coef, intercept, alpha, l1_ratio) < 1e-9


def test_strong_lasso_zeroes_every_coefficient():
    X, y, _ = _data(seed=3)
    alpha_max = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / N
    coef, intercept = exact_optimum(X, y, alpha=1.01 * alpha_max, l1_ratio=1.0)
    np.testing.assert_array_equal(coef, 0.0)
    assert intercept == pytest.approx(y.mean(), rel=1e-10)  # the iterations stop at tol 1e-11


def test_multi_target_lasso_is_per_target():
    X, Y, _ = _data(n_targets=2, seed=4)
    coef, intercept = exact_optimum(X, Y, alpha=0.25, l1_ratio=1.0)
    assert coef.shape == (2, F) and intercept.shape == (2,)
    for k in range(2):
        one_coef, one_b = exact_optimum(X, Y[:, k], alpha=0.25, l1_ratio=1.0)
        np.testing.assert_allclose(coef[k], one_coef, rtol=1e-9, atol=1e-10)
        assert intercept[k] == pytest.approx(one_b, rel=1e-9)
    sk = Lasso(alpha=0.25, tol=1e-13, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(coef, sk.coef_, rtol=1e-8, atol=1e-9)


def test_optimum_theta_layout_is_coefficients_then_intercept():
    X, y, w = _data(n_targets=2, seed=5)
    theta = optimum_theta(SufficientStats.from_arrays(X, y, w), True, Penalty(0.1, 0.0))
    coef, intercept = exact_optimum(X, y, w, alpha=0.1)
    assert theta.shape == (F + 1, 2)
    np.testing.assert_array_equal(theta[:F], coef.T)
    np.testing.assert_array_equal(theta[F], intercept)
    # None is no penalty
    stats = SufficientStats.from_arrays(X, y)
    np.testing.assert_array_equal(
        optimum_theta(stats, False), optimum_theta(stats, False, Penalty())
    )


def test_accepts_lists_and_integer_data():
    coef, intercept = exact_optimum([[0], [1], [2], [3]], [1, 3, 5, 7])
    np.testing.assert_allclose(coef, [2.0], rtol=1e-12)
    assert intercept == pytest.approx(1.0, rel=1e-12)


def test_gram_root_solves_by_cholesky_and_falls_back_when_not_definite():
    """A root known by its eigenvalues only is solved by Cholesky (NumPy's LAPACK, two
    triangular solves); a Gram matrix that is not positive definite after all is
    decomposed instead, and the answer is the same solution."""
    from lingrad._normal import Root, _cholesky_solve, min_norm_solve

    rng = np.random.default_rng(3)
    A = rng.standard_normal((50, 6))
    G, rhs = A.T @ A, rng.standard_normal((6, 2))
    np.testing.assert_allclose(_cholesky_solve(G, rhs), np.linalg.solve(G, rhs), rtol=1e-12)
    d = np.linspace(1.0, 3.0, 6)
    got = min_norm_solve(Root(None, d, rhs, (np.ones(6), None), G))
    np.testing.assert_allclose(got, np.linalg.solve(G, rhs / d[:, None]) / d[:, None], rtol=1e-12)
    singular = np.diag([1.0, 1.0, 0.0])  # semi-definite: Cholesky refuses it
    with pytest.raises(np.linalg.LinAlgError):
        _cholesky_solve(singular, np.ones((3, 1)))
    b = min_norm_solve(Root(None, np.ones(3), np.array([[1.0], [2.0], [0.0]]), None, singular))
    np.testing.assert_allclose(b.ravel(), [1.0, 2.0, 0.0], atol=1e-15)
