"""Dask inputs that are not plain float blocks: empty blocks, mixed and extension dtypes,
and predictions on data that cannot be predicted (complex, NaN, text)."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from lingrad import LinearRegression  # noqa: E402

KW = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=20_000, random_state=0)


@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("emptied", [slice(0, 100), slice(100, 200)])
def test_blocks_emptied_by_a_mask_fit_like_the_remaining_rows(engine, emptied, rng):
    X = rng.standard_normal((300, 3))
    y = X @ [1.0, -2.0, 0.5] + 1.0 + 0.1 * rng.standard_normal(300)
    keep = np.ones(300, dtype=bool)
    keep[emptied] = False
    mask = da.from_array(keep, chunks=100)
    Xd, yd = da.from_array(X, chunks=100)[mask], da.from_array(y, chunks=100)[mask]
    got = LinearRegression(engine=engine, **KW).fit(Xd, yd)
    ref = LinearRegression(engine=engine, **KW).fit(X[keep], y[keep])
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-10)


def test_bool_nullable_and_arrow_columns_are_numbers(rng):
    n = 240
    frame = pd.DataFrame(
        {
            "a": rng.standard_normal(n),
            "flag": rng.random(n) > 0.5,
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "share": pd.array(rng.random(n), dtype="Float64"),
            "arrow": pd.Series(rng.standard_normal(n)).astype("float64[pyarrow]"),
        }
    )
    y = pd.Series(frame["a"] * 2 + frame["flag"] + frame["count"].astype(float))
    y = y + 0.1 * rng.standard_normal(n)
    ref = LinearRegression(**KW).fit(frame.astype(float), y)
    got = LinearRegression(**KW).fit(dd.from_pandas(frame, npartitions=3), dd.from_pandas(y, 3))
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10)
    assert list(got.feature_names_in_) == list(frame.columns)


@pytest.fixture
def model(rng):
    X = rng.standard_normal((100, 2))
    return LinearRegression().fit(X, X.sum(axis=1)), X


def test_dask_predictions_refuse_complex_and_text(model):
    m, X = model
    with pytest.raises(ValueError, match=r"real numbers .* complex128"):
        m.predict(da.from_array(X.astype(complex), chunks=50))
    text = pd.DataFrame({"x0": ["a"] * 100, "x1": X[:, 1]})
    with pytest.raises(ValueError, match=r"non-numeric columns \['x0'\]"):
        m.predict(dd.from_pandas(text, npartitions=2))


def test_dask_predictions_refuse_nan_when_computed(model):
    m, X = model
    lazy = m.predict(da.from_array(np.where(X > 1.5, np.nan, X), chunks=50))
    with pytest.raises(ValueError, match="NaN or infinity in a Dask block"):
        lazy.compute()
