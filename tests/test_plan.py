"""The plan of a fit: one engine rule for every kind of data, rates from the curvature."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from lingrad import LinearRegression
from lingrad._objective import Penalty, StatsLeastSquares
from lingrad._params import PARAMETERS, check_params
from lingrad._plan import STATS_MAX_PARAMS, choose_engine, curvature, resolve_rates
from lingrad._solve import DataOverflowError
from lingrad._sources import ChunkedSource
from lingrad._stats import SufficientStats


def _source(X, y, chunk=50):
    def chunks():
        for i in range(0, len(X), chunk):
            yield X[i : i + chunk], y[i : i + chunk, None], None

    return ChunkedSource(chunks, X.shape[1])


def _params(**kw):
    return check_params(
        "LinearRegression", {n: kw.get(n, c.default) for n, c in PARAMETERS.items()}
    )


# (requested, n_samples, n_features, n_iters, tol, sparse density) -> engine
ENGINE_CASES = [
    ("auto", 1000, 3, 1000, None, None, "stats"),  # tall and narrow: statistics pay off
    ("auto", 20, 400, 1, None, None, "direct"),  # wide, one pass: iterate on X
    ("auto", 20, 400, 0, 1e-6, None, "direct"),  # tol: at least one pass counted
    ("auto", 500, 200, 1000, None, 0.01, "direct"),  # very sparse: passes are cheap
    ("auto", 2000, 5, 1000, None, 0.9, "stats"),  # dense-ish sparse, narrow
    ("stats", 20, 400, 1, None, None, "stats"),  # an explicit choice is kept
    ("direct", 1000, 3, 1000, None, None, "direct"),
]


@pytest.mark.parametrize(("requested", "n", "f", "n_iters", "tol", "density", "want"), ENGINE_CASES)
def test_engine_rule_table(requested, n, f, n_iters, tol, density, want):
    nnz = None if density is None else int(density * n * f)
    assert choose_engine(requested, f, 1, n_iters, tol, n_samples=n, nnz=nnz) == want


def test_engine_rule_too_many_parameters_is_direct_for_arrays_and_streams():
    f = STATS_MAX_PARAMS
    assert choose_engine("auto", f, 1, 10**6, None, n_samples=10**6) == "direct"
    assert choose_engine("auto", f, 1, 10**6, None) == "direct"
    assert choose_engine("auto", f - 1, 1, 1, None) == "stats"  # a stream is read once


@pytest.mark.filterwarnings("ignore::lingrad.IllConditionedWarning")  # 60 features, 30 rows
@pytest.mark.parametrize("engine", ["auto", "stats", "direct"])
@pytest.mark.parametrize("shape", [(300, 3), (30, 60)])
def test_array_and_source_paths_follow_the_one_rule(engine, shape, rng):
    n, f = shape
    X = rng.standard_normal((n, f))
    y = X @ rng.standard_normal(f) + 1.0
    kw = dict(engine=engine, n_iters=3, random_state=0)
    from_arrays = LinearRegression(**kw).fit(X, y)
    from_source = LinearRegression(**kw).fit(_source(X, y))
    assert from_arrays.engine_ == choose_engine(engine, f, 1, 3, None, n_samples=n)
    assert from_source.engine_ == choose_engine(engine, f, 1, 3, None)
    if from_arrays.engine_ == from_source.engine_:  # same plan: same fit
        np.testing.assert_allclose(from_arrays.coef_, from_source.coef_, rtol=1e-9, atol=1e-12)


def test_sparse_arrays_count_stored_entries(rng):
    X = sp.random(400, 300, density=0.01, format="csr", random_state=0)
    y = rng.standard_normal(400)
    model = LinearRegression(n_iters=50, random_state=0).fit(X, y)
    assert model.engine_ == choose_engine("auto", 300, 1, 50, None, n_samples=400, nnz=X.nnz)


def test_resolve_rates_auto_and_given(rng):
    X = rng.standard_normal((200, 3))
    full = StatsLeastSquares(SufficientStats.from_arrays(X, X[:, :1]), True, Penalty())
    L, mu = curvature(full)
    auto = resolve_rates(_params(lr="auto"), "stats", L, mu)
    assert auto.lr == pytest.approx(1.0 / L) and auto.safe_lr == auto.lr
    assert auto.stable_lr == pytest.approx(2.0 / L)
    given = resolve_rates(_params(lr=0.5, optimizer="nesterov"), "stats", L, mu)
    assert given.lr == 0.5 and given.safe_lr != 0.5
    assert math.isfinite(given.stable_lr) and given.lipschitz == L


def test_curvature_overflow_is_explained():
    class Overflowing:
        def spectrum(self):
            return math.inf, math.inf

    with pytest.raises(DataOverflowError, match="overflows float64"):
        curvature(Overflowing())
