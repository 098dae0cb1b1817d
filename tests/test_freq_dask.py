"""Frequency weights on Dask: arrays, Series and a DataFrame's column, on the cluster.

Oracles: the in-memory fit with the same counts and the fit on the rows repeated f
times (coefficients, standard errors, nobs, df, log-likelihood: 1e-10 relative,
measured ~1e-15); robust covariances against statsmodels OLS/WLS on the repeated rows
(1e-8, measured ~1e-15).
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._freq import FreqWeightError

da = pytest.importorskip("dask.array", reason="Dask collections")
dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
pd = pytest.importorskip("pandas", reason="DataFrames")
sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

RTOL = 1e-10
SCALARS = ("nobs", "df_resid", "df_model", "llf", "aic", "bic", "rsquared", "ssr")


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) + 3.0
    y = X @ rng.normal(size=3) + 1.5 + rng.normal(size=n) * (1 + np.abs(X[:, 0] - 3))
    fw = rng.integers(0, 4, n).astype(float)
    aw = rng.uniform(0.5, 2.0, n)
    return X, y, fw, aw


def _model(**kw):
    return LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, **kw)


def _same(got, want, rtol=RTOL):
    np.testing.assert_allclose(got.params, want.params, rtol=rtol)
    np.testing.assert_allclose(got.bse, want.bse, rtol=rtol)
    for name in SCALARS:
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=rtol)


def _collections(kind, X, y, fw, aw):
    """``(X, y, sample_weight, freq_weights)`` as Dask arrays, Series or a column name."""
    if kind == "array":
        return (
            da.from_array(X, chunks=(40, 3)),
            da.from_array(y, chunks=40),
            da.from_array(aw, chunks=40),
            da.from_array(fw, chunks=55),  # other row blocks than X's: aligned
        )
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "count": fw, "w": aw})
    ddf = dd.from_pandas(frame, npartitions=4)
    dy = dd.from_pandas(pd.Series(y), npartitions=4)
    if kind == "series":
        return ddf[["a", "b", "c"]], dy, ddf["w"], ddf["count"]
    return ddf[["a", "b", "c", "count"]], dy, ddf["w"], "count"  # the column of X


@pytest.mark.parametrize("kind", ["array", "series", "column"])
@pytest.mark.parametrize("analytic", [False, True])
def test_dask_equals_in_memory_and_repeated_rows(kind, analytic):
    X, y, fw, aw = _data()
    dX, dy, dw, dfw = _collections(kind, X, y, fw, aw)
    dw, sw = (dw, aw) if analytic else (None, None)
    m = _model().fit(dX, dy, dw, freq_weights=dfw)
    mem = _model().fit(X, y, sw, freq_weights=fw)
    np.testing.assert_allclose(m.coef_, mem.coef_, rtol=RTOL)
    assert m.stats_.nobs == fw.sum() and m.n_features_in_ == 3
    k = fw.astype(int)
    rep = _model().fit(
        np.repeat(X, k, 0), np.repeat(y, k), None if sw is None else np.repeat(sw, k)
    )
    _same(m.summary(), rep.summary())
    _same(m.summary(dX, dy, sample_weight=dw, freq_weights=dfw), mem.summary())
    if kind == "column":
        assert list(m.feature_names_in_) == ["a", "b", "c"]


def test_direct_engine_and_missing_drop():
    X, y, fw, aw = _data(seed=1)
    dX, dy, _, dfw = _collections("array", X, y, fw, aw)
    mem = _model().fit(X, y, freq_weights=fw)
    direct = _model(engine="direct").fit(dX, dy, freq_weights=dfw)
    np.testing.assert_allclose(direct.coef_, mem.coef_, rtol=1e-8)
    assert direct.summary(dX, dy, freq_weights=dfw).nobs == fw.sum()
    X2, f2 = X.copy(), fw.copy()
    X2[5, 1], f2[9] = np.nan, np.nan
    dX2, f2d = da.from_array(X2, chunks=(40, 3)), da.from_array(f2, chunks=40)
    m = _model(missing="drop").fit(dX2, dy, freq_weights=f2d)
    keep = ~np.isin(np.arange(len(y)), [5, 9])
    ref = _model().fit(X[keep], y[keep], freq_weights=fw[keep])
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=RTOL)
    assert m.n_dropped_ == 2 and m.stats_.nobs == fw[keep].sum()


@pytest.mark.parametrize(("bad", "match"), [(np.nan, "missing='drop'"), (-1.0, "non-negative")])
def test_bad_counts_are_one_line_errors(bad, match):
    X, y, fw, aw = _data(seed=2)
    fw[7] = bad
    dX, dy, _, dfw = _collections("array", X, y, fw, aw)
    with pytest.raises(FreqWeightError, match=match) as err:
        _model().fit(dX, dy, freq_weights=dfw)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("cov_type", ["HC1", "HC3", "cluster"])
def test_dask_robust_covariances_equal_repeated_rows(cov_type):
    X, y, fw, aw = _data(seed=3)
    g = np.random.default_rng(3).integers(0, 9, len(y))
    dX, dy, dw, dfw = _collections("series", X, y, fw, aw)
    m = _model().fit(dX, dy, dw, freq_weights=dfw)
    k = fw.astype(int)
    ols = sm.WLS(np.repeat(y, k), sm.add_constant(np.repeat(X, k, 0)), weights=np.repeat(aw, k))
    kw = {}
    if cov_type == "cluster":
        kw = {"groups": da.from_array(g, chunks=30)}
        ref = ols.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(g, k)})
    else:
        ref = ols.fit(cov_type=cov_type)
    s = m.summary(dX, dy, sample_weight=dw, freq_weights=dfw, cov_type=cov_type, **kw)
    np.testing.assert_allclose(s.bse, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(s.pvalues, ref.pvalues, rtol=1e-8)


def test_pandas_column_name_as_freq_weights():
    X, y, fw, _ = _data(seed=4)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "count": fw})
    m = _model().fit(frame, y, freq_weights="count")
    ref = _model().fit(X, y, freq_weights=fw)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=RTOL)
    assert list(m.feature_names_in_) == ["a", "b", "c"] and m.stats_.nobs == fw.sum()
