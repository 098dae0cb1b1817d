"""partial_fit: exact mode equals fit on the concatenation; SGD mode resumes its state."""

import itertools
import pickle

import numpy as np
import pytest

from lingrad import LinearRegression


def _batches(X, y, k, w=None):
    edges = np.linspace(0, len(X), k + 1).astype(int)
    for a, b in itertools.pairwise(edges):
        yield X[a:b], y[a:b], (None if w is None else w[a:b])


def _data(rng, n=1200, f=6, k=None):
    X = rng.normal(size=(n, f)) + rng.normal(size=f) * 3
    coef = rng.normal(size=(f,) if k is None else (f, k))
    y = X @ coef + 1.0 + rng.normal(size=(n,) if k is None else (n, k))
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lr": "auto", "tol": 1e-9, "n_iters": 100_000},
        {"lr": "auto", "optimizer": "nesterov", "n_iters": 300},
        {"lr": 0.01, "alpha": 0.05, "l1_ratio": 0.5},
        {"fit_intercept": False},
    ],
)
@pytest.mark.parametrize("k", [1, 5, 17])
def test_k_partial_fits_equal_one_fit(params, k, rng):
    X, y = _data(rng)
    whole = LinearRegression(random_state=0, **params).fit(X, y)
    online = LinearRegression(random_state=0, **params)
    for Xb, yb, _ in _batches(X, y, k):
        assert online.partial_fit(Xb, yb) is online
    np.testing.assert_allclose(online.coef_, whole.coef_, rtol=1e-10)
    np.testing.assert_allclose(online.intercept_, whole.intercept_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(online.loss_history_, whole.loss_history_, rtol=1e-10)
    assert online.n_iter_ == whole.n_iter_
    np.testing.assert_allclose(online.predict(X), whole.predict(X), rtol=1e-10)


def test_exact_mode_with_weights_and_multi_output(rng):
    X, y = _data(rng, k=3)
    w = rng.uniform(0.1, 2.0, len(X))
    whole = LinearRegression(random_state=1).fit(X, y, sample_weight=w)
    online = LinearRegression(random_state=1)
    for Xb, yb, wb in _batches(X, y, 4, w):
        online.partial_fit(Xb, yb, sample_weight=wb)
    assert online.coef_.shape == (3, 6)
    np.testing.assert_allclose(online.coef_, whole.coef_, rtol=1e-10)
    np.testing.assert_allclose(online.intercept_, whole.intercept_, rtol=1e-10)


def test_partial_fit_after_fit_continues_with_the_fitted_data(rng):
    X, y = _data(rng)
    whole = LinearRegression(random_state=0).fit(X, y)
    model = LinearRegression(random_state=0).fit(X[:500], y[:500])
    model.partial_fit(X[500:900], y[500:900]).partial_fit(X[900:], y[900:])
    np.testing.assert_allclose(model.coef_, whole.coef_, rtol=1e-10)
    refit = model.fit(X[:10], y[:10])  # fit starts over
    assert refit.stats_.n_samples == 10


def test_solve_is_deferred_until_the_model_is_used(rng):
    X, y = _data(rng)
    model = LinearRegression(random_state=0)
    model.partial_fit(X[:600], y[:600])
    assert "coef_" not in vars(model)  # nothing solved yet: ingesting is one pass
    first = model.coef_.copy()  # first use solves
    model.partial_fit(X[600:], y[600:])
    assert "coef_" not in vars(model)
    assert not np.allclose(model.predict(X[:3]), X[:3] @ first + 0)  # new data, new model
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.coef_, model.coef_)


def test_partial_fit_errors(rng):
    X, y = _data(rng)
    model = LinearRegression().partial_fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.partial_fit(X[:10, :5], y[:10])
    with pytest.raises(ValueError, match="different number of targets"):
        model.partial_fit(X[:10], np.column_stack([y[:10], y[:10]]))
    bad = X[:10].copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.partial_fit(bad, y[:10])
    with pytest.raises(ValueError, match="'partial_fit_mode' parameter"):
        LinearRegression(partial_fit_mode="approx").partial_fit(X, y)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam"])
def test_sgd_mode_learns_and_resumes_its_state(optimizer, rng):
    X, y = _data(rng)
    X = X - X.mean(axis=0)
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    lr = 0.02 if optimizer in ("gd", "adam") else 0.01
    kw = dict(partial_fit_mode="sgd", batch_size=50, lr=lr, optimizer=optimizer, random_state=0)
    model = LinearRegression(**kw)
    for _ in range(15):
        for Xb, yb, _ in _batches(X, y, 6):
            model.partial_fit(Xb, yb)
    assert model.n_iter_ == 90 and model.loss_history_.shape == (90,)
    start_mse = np.mean((X @ model.coef_init_ + model.intercept_init_ - y) ** 2)
    best_mse = np.mean((X @ exact[:-1] + exact[-1] - y) ** 2)
    final_mse = np.mean((model.predict(X) - y) ** 2)
    assert final_mse < 1.2 * best_mse < 0.5 * start_mse
    err = np.abs(np.r_[model.coef_, model.intercept_] - exact).max()
    assert err < 0.1 * np.abs(exact).max()
    again = LinearRegression(**kw)
    for _ in range(15):
        for Xb, yb, _ in _batches(X, y, 6):
            again.partial_fit(Xb, yb)
    np.testing.assert_array_equal(again.coef_, model.coef_)  # deterministic


def test_sgd_mode_schedule_continues_across_calls(rng):
    X, y = _data(rng)
    X = X - X.mean(axis=0)
    kw = dict(partial_fit_mode="sgd", lr=0.01, learning_rate="invscaling", random_state=0)
    split = LinearRegression(batch_size=100, **kw)
    split.partial_fit(X[:600], y[:600]).partial_fit(X[600:], y[600:])
    # the same updates with the step count restarting at each call would differ
    restart = LinearRegression(batch_size=100, **kw)
    restart.partial_fit(X[:600], y[:600])
    restart._online.sgd.updates = 0
    restart.partial_fit(X[600:], y[600:])
    assert not np.allclose(split.coef_, restart.coef_)
    assert split._online.sgd.updates == 12


def test_partial_fit_continues_a_loaded_model_with_all_its_rows(tmp_path, rng):
    from lingrad import load_model

    X = rng.standard_normal((80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0 + 0.1 * rng.standard_normal(80)
    kw = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=20_000, random_state=0)
    LinearRegression(**kw).fit(X[:50], y[:50]).save(tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json").partial_fit(X[50:], y[50:])
    full = LinearRegression(**kw).fit(X, y)
    assert loaded.stats_.n_samples == 80
    np.testing.assert_allclose(loaded.coef_, full.coef_, rtol=1e-10)
    np.testing.assert_allclose(loaded.intercept_, full.intercept_, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
def test_exact_partial_fit_after_a_direct_fit_refuses_rather_than_forget_rows(sparse, rng):
    import scipy.sparse as sp

    X = rng.standard_normal((60, 4))
    y = X.sum(axis=1)
    Xf = sp.csr_array(X) if sparse else X
    model = LinearRegression(lr="auto", n_iters=50, engine="direct", random_state=0)
    model.fit(Xf[:30], y[:30])
    with pytest.raises(ValueError, match="engine='stats'"):
        model.partial_fit(Xf[30:], y[30:])
    assert model.coef_.shape == (4,)  # the fitted model is untouched and usable
    sgd = LinearRegression(lr="auto", n_iters=50, engine="direct", partial_fit_mode="sgd")
    before = sgd.fit(Xf[:30], y[:30]).coef_.copy()
    sgd.partial_fit(Xf[30:], y[30:])
    assert not np.array_equal(sgd.coef_, before)  # continued from the fitted coefficients


@pytest.mark.parametrize(("sx", "sy"), [(1e200, 1e200), (1e200, 1.0), (1.0, 1e200)])
@pytest.mark.parametrize("weighted", [False, True])
def test_an_overflowing_batch_is_refused_at_intake_and_the_model_stays_usable(
    sx, sy, weighted, rng
):
    from lingrad._online import BatchOverflowError

    X = rng.standard_normal((50, 2))
    y = X.sum(axis=1)
    w = np.ones(50) if weighted else None
    model = LinearRegression(lr="auto", n_iters=200, random_state=0)
    model.partial_fit(X, y, sample_weight=w)
    before = model.predict(X[:3])
    with pytest.raises(BatchOverflowError, match=r"refused.*still holds the 50 rows"):
        model.partial_fit(X * sx, y * sy, sample_weight=w)
    np.testing.assert_array_equal(model.predict(X[:3]), before)
    model.partial_fit(X, y, sample_weight=w)  # and it keeps learning
    assert model.stats_.n_samples == 100
