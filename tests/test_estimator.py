"""The faithful core: the tutorial's iterates, its API, and never a silent NaN."""

import numpy as np
import pytest
from conftest import textbook_gd

from lingrad import DivergenceError, DivergenceWarning, LinearRegression
from lingrad.datasets import make_tutorial_data


@pytest.mark.parametrize("engine", ["auto", "stats", "direct"])
def test_matches_textbook_loop_on_tutorial_data(engine):
    X, y = make_tutorial_data()
    np.random.seed(42)
    w, b, history = textbook_gd(X, y)
    np.random.seed(42)
    model = LinearRegression(engine=engine).fit(X, y)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-12)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-12)
    np.testing.assert_allclose(model.loss_history_, history, rtol=1e-12)
    assert model.n_iter_ == 1000
    assert model.loss_history_.shape == (1001,)


@pytest.mark.parametrize("engine", ["auto", "stats", "direct"])
def test_matches_textbook_loop_on_multifeature_data(engine, rng):
    X = rng.normal(size=(400, 6)) + rng.normal(size=6)
    y = X @ rng.normal(size=6) + 3.0 + rng.normal(size=400)
    np.random.seed(7)
    w, b, history = textbook_gd(X, y, lr=0.05, n_iters=1000)
    np.random.seed(7)
    model = LinearRegression(lr=0.05, engine=engine).fit(X, y)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-12)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-12)
    np.testing.assert_allclose(model.loss_history_, history, rtol=1e-10)


def test_random_state_none_uses_global_rng_like_the_tutorial():
    X, y = make_tutorial_data()
    np.random.seed(3)
    expected = np.random.rand(1)
    np.random.seed(3)
    model = LinearRegression(n_iters=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_, expected)
    assert model.intercept_ == 0.0
    assert model.loss_history_.shape == (1,)


def test_int_and_randomstate_seeds_are_reproducible():
    X, y = make_tutorial_data()
    a = LinearRegression(random_state=5).fit(X, y)
    b = LinearRegression(random_state=np.random.RandomState(5)).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.coef_init_, np.random.RandomState(5).rand(1))


def test_tutorial_aliases_are_read_only():
    X, y = make_tutorial_data()
    model = LinearRegression(random_state=0).fit(X, y)
    assert model.weights is model.coef_
    assert model.bias == model.intercept_
    with pytest.raises(AttributeError):
        model.weights = np.zeros(1)
    with pytest.raises(AttributeError):
        LinearRegression().bias  # noqa: B018 - not fitted


def test_fit_intercept_false_keeps_bias_zero(rng):
    X = rng.normal(size=(100, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 5.0
    np.random.seed(0)
    w0 = np.random.rand(3)
    w = w0.copy()
    for _ in range(1000):
        w -= 0.01 * X.T @ (X @ w - y) / len(y)
    model = LinearRegression(fit_intercept=False, random_state=0).fit(X, y)
    assert model.intercept_ == 0.0
    np.testing.assert_allclose(model.coef_, w, rtol=1e-12)


def test_predict_and_score(rng):
    X = rng.normal(size=(200, 2))
    y = X @ np.array([3.0, -1.0]) + 2.0
    model = LinearRegression(lr=0.1, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_)
    assert model.score(X, y) > 0.9999
    assert model.fit(X, y) is model


def test_tutorial_gap_to_least_squares_is_about_6e_3():
    X, y = make_tutorial_data()
    model = LinearRegression(random_state=0).fit(X, y)
    A = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    d = model.diagnostics_
    np.testing.assert_allclose(d.exact_coef, exact[:1], rtol=1e-10)
    np.testing.assert_allclose(d.exact_intercept, exact[1], rtol=1e-8)
    gap = max(abs(model.coef_[0] - exact[0]), abs(model.intercept_ - exact[1]))
    assert 1e-3 < gap < 2e-2
    assert d.max_coef_gap == pytest.approx(gap, rel=1e-6)


# -- divergence ----------------------------------------------------------------
def _offset_data():
    rng = np.random.default_rng(1)
    X = rng.normal(loc=100.0, size=(50, 2))
    return X, X @ np.array([1.0, 2.0]) + rng.normal(size=50)


def test_textbook_loop_really_diverges_here():
    X, y = _offset_data()
    np.random.seed(0)
    with np.errstate(all="ignore"):
        w, _, _ = textbook_gd(X, y)
    assert not np.all(np.isfinite(w))


def test_divergence_raises_before_iterating_with_limit_and_remedies():
    X, y = _offset_data()
    A = np.column_stack([X, np.ones(len(X))])
    limit = 2.0 / np.linalg.eigvalsh(A.T @ A / len(X))[-1]
    with pytest.raises(DivergenceError) as info:
        LinearRegression(on_divergence="raise", random_state=0).fit(X, y)
    err = info.value
    assert err.lr == 0.01
    assert err.stable_lr == pytest.approx(limit, rel=1e-10)
    assert err.iteration == 0
    msg = str(err)
    assert "lr=0.01" in msg and f"{limit:.6g}" in msg
    assert "smaller lr" in msg and "standardise" in msg


def test_divergence_recovers_by_default_with_a_warning():
    X, y = _offset_data()
    with pytest.warns(DivergenceWarning, match=r"lr=0\.01.*largest stable.*Recovered"):
        model = LinearRegression(random_state=0, n_iters=200).fit(X, y)
    assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.intercept_)
    assert model.lr_ == pytest.approx(1.0 / model.diagnostics_.lipschitz)
    assert model.lr_ < model.diagnostics_.stable_lr
    assert np.all(np.diff(model.loss_history_) <= 1e-9 * model.loss_history_[0])


def test_stable_lr_just_below_limit_is_untouched():
    X, y = make_tutorial_data()
    probe = LinearRegression(random_state=0, n_iters=0).fit(X, y)
    lr = 0.99 * probe.diagnostics_.stable_lr
    np.random.seed(0)
    w, _, _ = textbook_gd(X, y, lr=lr, n_iters=300)
    model = LinearRegression(lr=lr, n_iters=300, on_divergence="raise", random_state=0).fit(X, y)
    assert model.lr_ == lr
    np.testing.assert_allclose(model.coef_, w, rtol=1e-9)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_divergence_detected_while_iterating(optimizer):
    X, y = make_tutorial_data()
    with pytest.raises(DivergenceError, match="loss blew up") as info:
        LinearRegression(
            lr=5.0, optimizer=optimizer, momentum=0.5, on_divergence="raise", random_state=0
        ).fit(X, y)
    assert info.value.iteration > 0
    assert np.isfinite(info.value.stable_lr)


def test_direct_engine_detects_divergence_too():
    X, y = _offset_data()
    with pytest.raises(DivergenceError, match="largest stable"):
        LinearRegression(engine="direct", on_divergence="raise").fit(X, y)


# -- errors at the boundary ----------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"lr": 0}, r"'lr' parameter.*positive"),
        ({"lr": -0.1}, r"'lr' parameter"),
        ({"lr": float("nan")}, r"'lr' parameter"),
        ({"lr": "fast"}, r"'lr' parameter.*'auto'"),
        ({"n_iters": -1}, r"'n_iters' parameter.*integer >= 0"),
        ({"n_iters": 10.5}, r"'n_iters' parameter.*whole number"),
        ({"n_iters": True}, r"'n_iters' parameter"),
        ({"tol": 0.0}, r"'tol' parameter"),
        ({"engine": "gpu"}, r"'engine' parameter.*'stats'"),
        ({"optimizer": "lbfgs"}, r"'optimizer' parameter.*'nesterov'"),
        ({"momentum": 1.0}, r"'momentum' parameter"),
        ({"batch_size": 0}, r"'batch_size' parameter"),
        ({"learning_rate": "optimal"}, r"'learning_rate' parameter"),
        ({"alpha": -1.0}, r"'alpha' parameter"),
        ({"l1_ratio": 1.5}, r"'l1_ratio' parameter"),
        ({"on_divergence": "ignore"}, r"'on_divergence' parameter"),
        ({"fit_intercept": "yes"}, r"'fit_intercept' parameter"),
    ],
)
def test_bad_parameters_name_the_parameter(params, match):
    X, y = make_tutorial_data()
    with pytest.raises(ValueError, match=match):
        LinearRegression(**params).fit(X, y)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.array([[1.0], [np.nan]]), np.array([1.0, 2.0]), r"NaN.*impute"),
        (np.array([[1.0], [2.0]]), np.array([1.0, np.inf]), r"infinity.*Remove"),
        (np.array([[1.0], [np.inf]]), np.array([1.0, 2.0]), r"infinity"),
        (np.ones((3, 1)), np.ones(4), r"inconsistent numbers of samples.*same length"),
        (np.ones((0, 1)), np.ones(0), r"0 sample.*at least one sample"),
        (np.ones(5), np.ones(5), r"(?s)2D array.*reshape"),
        (np.array([["a"], ["b"]]), np.ones(2), r"numeric|convert"),
        (np.ones((3, 1)), None, r"requires y to be passed"),
    ],
)
def test_bad_data_gets_clear_errors(X, y, match):
    with pytest.raises(ValueError, match=match):
        LinearRegression().fit(X, y)


def test_bad_sample_weights():
    X, y = make_tutorial_data()
    with pytest.raises(ValueError, match="non-negative"):
        LinearRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        LinearRegression().fit(X, y, sample_weight=np.zeros(len(y)))


def test_predict_checks_feature_count():
    X, y = make_tutorial_data()
    model = LinearRegression(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 1 features"):
        model.predict(np.ones((3, 2)))


def test_verbose_prints_progress(capsys):
    X, y = make_tutorial_data()
    LinearRegression(n_iters=20, verbose=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("[lingrad] iteration") == 10
    assert "mse=" in out
