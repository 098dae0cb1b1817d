"""Rank-deficient and underdetermined designs: ``lr="auto"`` ends at the minimum-norm
least-squares solution (numpy lstsq's, scikit-learn's), whatever the random start."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression as SkLinearRegression

from lingrad import LinearRegression
from lingrad._diagnostics import IllConditionedWarning

CONVERGE = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=100_000)
SEEDS = (0, 1, 2)


def _fit(X, y, seed, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        return LinearRegression(**{**CONVERGE, **kw}, random_state=seed).fit(X, y)


def _centred_lstsq(X, y, w=None):
    """Minimum-norm coefficients and intercept, as scikit-learn computes them."""
    w = np.ones(len(y)) if w is None else w
    mx, my = w @ X / w.sum(), w @ y / w.sum()
    s = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(s[:, None] * (X - mx), s * (y - my), rcond=None)
    return coef, my - mx @ coef


def _duplicated(seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((40, 3))
    X = np.column_stack([A, A[:, 0]])  # column 3 duplicates column 0
    return X, A @ [1.0, -2.0, 0.5] + 4.0 + 0.1 * rng.standard_normal(40)


def _collinear(seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((50, 3)) * [1.0, 10.0, 0.1]
    X = np.column_stack([A, 2 * A[:, 1] - 30 * A[:, 2]])  # a linear combination
    return X, A @ [0.3, 0.2, -5.0] + 1.0 + 0.1 * rng.standard_normal(50)


@pytest.mark.parametrize("make", [_duplicated, _collinear])
@pytest.mark.parametrize("seed", SEEDS)
def test_rank_deficient_design_gives_lstsq_minimum_norm_answer(make, seed):
    X, y = make()
    model = _fit(X, y, seed)
    coef, intercept = _centred_lstsq(X, y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-8, atol=1e-10)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-9)
    assert model.converged_ and model.diagnostics_.coef_unique is False
    sk = SkLinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_make_regression_default_is_interpolated_by_every_start(engine):
    X, y = make_regression(random_state=0)  # 100 x 100: with the intercept, underdetermined
    scale = np.abs(y).max()
    fits = [_fit(X, y, seed, engine=engine) for seed in (0, 1)]
    for model in fits:
        np.testing.assert_allclose(model.predict(X), y, rtol=0, atol=1e-8 * scale)
        assert model.diagnostics_.coef_unique is False
    sk = SkLinearRegression().fit(X, y)
    size = np.abs(sk.coef_).max()
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=0, atol=1e-8 * size)
    np.testing.assert_allclose(fits[0].coef_, sk.coef_, rtol=0, atol=1e-8 * size)


@pytest.mark.parametrize("engine", ["auto", "stats", "direct"])
def test_one_sample_has_coefficients_zero(engine):
    X, y = np.array([[1.0, 2.0, -3.0]]), np.array([5.0])
    for seed in SEEDS:
        model = _fit(X, y, seed, engine=engine)
        np.testing.assert_allclose(model.coef_, 0.0, atol=1e-12)
        assert model.intercept_ == pytest.approx(5.0, rel=1e-10)
    np.testing.assert_array_equal(SkLinearRegression().fit(X, y).coef_, 0.0)


def test_more_parameters_than_rows_without_intercept_matches_numpy():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((8, 20)), rng.standard_normal(8)
    expected, *_ = np.linalg.lstsq(X, y, rcond=None)
    for seed in SEEDS:
        model = _fit(X, y, seed, fit_intercept=False)
        np.testing.assert_allclose(model.coef_, expected, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(model.predict(X), y, atol=1e-10)


def test_sparse_underdetermined_design_is_interpolated_with_minimum_norm():
    X = sp.random(10, 40, density=0.3, random_state=3, format="csr")
    y = np.random.default_rng(3).standard_normal(10)
    model = _fit(X, y, 0, engine="direct")
    coef, intercept = _centred_lstsq(X.toarray(), y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-9)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-8)


def test_weighted_rank_deficient_design_matches_scikit_learn():
    X, y = _duplicated(1)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        model = LinearRegression(**CONVERGE, random_state=0).fit(X, y, sample_weight=w)
    sk = SkLinearRegression().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-7, atol=1e-9)
    assert model.intercept_ == pytest.approx(sk.intercept_, rel=1e-8)


def test_multi_target_minimum_norm():
    X, y = _collinear(2)
    Y = np.column_stack([y, -2 * y + 1])
    model = _fit(X, Y, 0)
    for j in range(2):
        coef, intercept = _centred_lstsq(X, Y[:, j])
        np.testing.assert_allclose(model.coef_[j], coef, rtol=1e-8, atol=1e-10)
        assert model.intercept_[j] == pytest.approx(intercept, rel=1e-9)


def test_numeric_lr_keeps_the_tutorial_and_says_coefficients_are_not_unique():
    X, y = _duplicated()
    with pytest.warns(IllConditionedWarning, match="unique"):
        model = LinearRegression(lr=0.05, n_iters=500, random_state=0).fit(X, y)
    assert model.diagnostics_.precondition == "none"
    assert model.diagnostics_.coef_unique is False
    # The duplicated pair keeps the start's difference: the tutorial's loop never moves it.
    start = model.coef_init_
    assert model.coef_[0] - model.coef_[3] == pytest.approx(start[0] - start[3], abs=1e-12)


def test_full_rank_design_says_coefficients_are_unique():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    model = _fit(X, X @ [1.0, 2.0, 3.0], 0)
    assert model.diagnostics_.coef_unique is True
