"""Properties that must hold on every well-conditioned problem (hypothesis)."""

import itertools
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lingrad import LinearRegression, SufficientStats, load_model
from lingrad._sources import ChunkedSource

CONVERGE = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=200_000, random_state=0)


@st.composite
def problems(draw, max_features=6):
    """A well-conditioned regression problem drawn from a seed, sizes and scales."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(20, 200))
    f = draw(st.integers(1, max_features))
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-2, 2, size=f)
    offset = rng.normal(size=f) * scale * draw(st.sampled_from([0.0, 1.0, 3.0]))
    X = rng.normal(size=(n, f)) * scale + offset
    coef = rng.normal(size=f) / scale
    y = X @ coef + rng.normal() * 5 + 0.1 * rng.normal(size=n)
    # standardised columns keep the problem well conditioned (kappa modest)
    X = (X - X.mean(axis=0)) / X.std(axis=0) * rng.uniform(0.5, 2.0, size=f)
    return X, y, rng


def _lstsq(X, y):
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]


def _params(model):
    return np.r_[np.ravel(model.coef_), np.ravel(model.intercept_)]


def _close(a, b, rtol=1e-7):
    scale = max(np.abs(b).max(), 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


@given(problems())
def test_converged_coefficients_equal_lstsq(problem):
    X, y, _ = problem
    _close(_params(LinearRegression(**CONVERGE).fit(X, y)), _lstsq(X, y))


@given(problems())
def test_permuting_rows_changes_nothing(problem):
    X, y, rng = problem
    order = rng.permutation(len(y))
    a = LinearRegression(random_state=0).fit(X, y)
    b = LinearRegression(random_state=0).fit(X[order], y[order])
    _close(_params(a), _params(b), rtol=1e-10)


@given(problems())
def test_permuting_features_permutes_coefficients(problem):
    X, y, rng = problem
    perm = rng.permutation(X.shape[1])
    a = LinearRegression(**CONVERGE).fit(X, y)
    b = LinearRegression(**CONVERGE).fit(X[:, perm], y)
    _close(b.coef_, a.coef_[perm])
    _close(np.array([b.intercept_]), np.array([a.intercept_]))


@given(problems(), st.floats(-1e3, 1e3).filter(lambda c: abs(c) > 1e-3))
def test_scaling_y_scales_coefficients_and_intercept(problem, c):
    X, y, _ = problem
    a = LinearRegression(**CONVERGE).fit(X, y)
    b = LinearRegression(**CONVERGE).fit(X, c * y)
    _close(_params(b), c * _params(a), rtol=1e-6)


@given(problems(), st.floats(-1e4, 1e4))
def test_adding_a_constant_to_y_moves_only_the_intercept(problem, c):
    X, y, _ = problem
    a = LinearRegression(**CONVERGE).fit(X, y)
    b = LinearRegression(**CONVERGE).fit(X, y + c)
    scale = max(np.abs(_params(a)).max(), abs(c), 1.0)
    np.testing.assert_allclose(b.coef_, a.coef_, atol=1e-7 * scale)
    np.testing.assert_allclose(b.intercept_, a.intercept_ + c, atol=1e-7 * scale)


@given(problems(), st.integers(1, 50))
def test_chunked_equals_in_memory(problem, chunk):
    X, y, _ = problem
    source = ChunkedSource(
        lambda: ((X[i : i + chunk], y[i : i + chunk, None], None) for i in range(0, len(y), chunk)),
        X.shape[1],
    )
    for engine in ("stats", "direct"):
        a = LinearRegression(random_state=0, engine=engine, n_iters=200).fit(source)
        b = LinearRegression(random_state=0, engine=engine, n_iters=200).fit(X, y)
        _close(_params(a), _params(b), rtol=1e-10)
    whole = SufficientStats.from_arrays(X, y)
    merged = source.sufficient_stats()
    np.testing.assert_allclose(merged.scatter, whole.scatter, rtol=1e-9, atol=1e-9)


@given(problems(), st.integers(1, 8))
def test_k_partial_fits_equal_fit(problem, k):
    X, y, _ = problem
    edges = np.linspace(0, len(y), k + 1).astype(int)
    online = LinearRegression(random_state=0)
    for a, b in itertools.pairwise(edges):
        if b > a:
            online.partial_fit(X[a:b], y[a:b])
    whole = LinearRegression(random_state=0).fit(X, y)
    _close(_params(online), _params(whole), rtol=1e-10)


@given(problems())
def test_float32_is_within_documented_tolerance_of_float64(problem):
    X, y, _ = problem
    a = LinearRegression(**CONVERGE).fit(X.astype(np.float32), y.astype(np.float32))
    b = LinearRegression(**CONVERGE).fit(X, y)
    assert a.coef_.dtype == np.float32
    # float32 data carries ~1e-7 relative rounding; the fit amplifies it by at most kappa
    _close(_params(a).astype(float), _params(b), rtol=1e-4)


@given(problems())
def test_saving_and_loading_changes_no_prediction(problem):
    X, y, _ = problem
    model = LinearRegression(random_state=0).fit(X, y)
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_model(model.save(Path(tmp) / "m.json"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@settings(max_examples=40)
@given(problems(), st.integers(7, 80))
def test_dask_equals_numpy(problem, block):
    import dask
    import dask.array as da

    X, y, _ = problem
    with dask.config.set(scheduler="synchronous"):
        Xd = da.from_array(X, chunks=(block, X.shape[1]))
        yd = da.from_array(y, chunks=block)
        a = LinearRegression(random_state=0, n_iters=300).fit(Xd, yd)
    b = LinearRegression(random_state=0, n_iters=300).fit(X, y)
    _close(_params(a), _params(b), rtol=1e-10)
