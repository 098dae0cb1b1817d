"""predict on data that is not an in-memory array: files stream, Dask stays lazy."""

import numpy as np
import pytest

from lingrad import LinearRegression, open_dataset

pa = pytest.importorskip("pyarrow")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(700, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 3.0


def test_predict_streams_a_dataset(tmp_path, data):
    import pyarrow.csv as pacsv

    X, y = data
    path = tmp_path / "d.csv"
    pacsv.write_csv(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}), path)
    model = LinearRegression(random_state=0).fit(open_dataset(path, target="y"))
    pred = model.predict(open_dataset(path, target="y", chunk_rows=100))
    np.testing.assert_allclose(pred, model.predict(pd.DataFrame(X, columns=list("abc"))))
    with pytest.raises(ValueError, match="fitted on"):
        model.predict(open_dataset(path, target="y", features=["c", "b", "a"]))
    with pytest.raises(ValueError, match="feature columns"):
        model.predict(open_dataset(path, target="y", features=["a", "b"]))


@pytest.mark.parametrize("k", [1, 2])
def test_predict_on_dask_is_lazy_and_equal(k, data):
    X, y = data
    Y = y if k == 1 else np.column_stack([y, -y])
    model = LinearRegression(random_state=0).fit(X, Y)
    lazy = model.predict(da.from_array(X, chunks=(200, 2)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), model.predict(X), rtol=1e-14)
    with pytest.raises(ValueError, match="expecting 3 features"):
        model.predict(da.from_array(X[:, :2], chunks=100))


def test_predict_on_dask_dataframe_checks_columns(data):
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = LinearRegression(random_state=0).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    expected = model.predict(frame)
    # relative to the largest prediction (docs/guarantees.md): BLAS may round a row's
    # dot product differently inside a partition, by an ulp of its terms
    scale = 1e-14 * np.abs(expected).max()
    np.testing.assert_allclose(model.predict(ddf).compute(), expected, rtol=0, atol=scale)
    with pytest.raises(ValueError, match="Select them in that order"):
        model.predict(ddf[["c", "b", "a"]])
