"""``model.score`` takes what ``fit`` and ``predict`` take: R² over the stream, weights respected.

Oracle: scikit-learn's ``r2_score`` on the data loaded into memory (12 digits).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from lingrad import LinearRegression, open_dataset

CONVERGE = dict(lr="auto", tol=1e-12, n_iters=10_000, random_state=0)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    n = 1000
    df = pd.DataFrame(rng.normal(size=(n, 3)) * [1.0, 5.0, 0.2] + [0, 10, -3], columns=list("abc"))
    df["y"] = df.to_numpy() @ [1.5, -0.3, 4.0] + 2 + rng.normal(size=n)
    df["y2"] = df["a"] - df["b"] + rng.normal(size=n) * 3
    df["w"] = rng.uniform(0.1, 3.0, size=n)
    df["count"] = rng.integers(1, 5, size=n).astype(float)
    return df


@pytest.fixture(scope="module")
def csv(frame, tmp_path_factory):
    path = tmp_path_factory.mktemp("score") / "d.csv"
    frame.to_csv(path, index=False)
    return path


def _r2(model, frame, target="y", weight=None):
    X = frame[list("abc")]
    return r2_score(frame[target], model.predict(X), sample_weight=weight)


def test_score_of_a_weighted_csv_dataset_equals_r2_score(frame, csv):
    ds = open_dataset(csv, target="y", features=list("abc"), weight="w", chunk_rows=97)
    model = LinearRegression(**CONVERGE).fit(ds)
    got = model.score(ds)
    assert got == pytest.approx(_r2(model, frame, weight=frame["w"]), abs=1e-12)
    assert got != pytest.approx(_r2(model, frame), abs=1e-6)  # the weights count
    # the same model scored on an unweighted view of the file
    plain = open_dataset(csv, target="y", features=list("abc"), chunk_rows=50)
    assert model.score(plain) == pytest.approx(_r2(model, frame), abs=1e-12)


def test_score_of_multi_output_and_frequency_weights(frame, csv):
    ds = open_dataset(csv, target=["y", "y2"], features=list("abc"), chunk_rows=128)
    model = LinearRegression(**CONVERGE).fit(ds)
    Y = frame[["y", "y2"]].to_numpy()
    expected = r2_score(Y, model.predict(frame[list("abc")]))
    assert model.score(ds) == pytest.approx(expected, abs=1e-12)
    freq = open_dataset(csv, target="y", features=list("abc"), freq_weight="count", chunk_rows=64)
    model = LinearRegression(**CONVERGE).fit(freq)
    expected = _r2(model, frame, weight=frame["count"])
    assert model.score(freq) == pytest.approx(expected, abs=1e-12)


def test_score_of_parquet_and_an_arrow_stream(frame, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="Parquet and Arrow streams need pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=100)
    ds = open_dataset(path, target="y", features=list("abc"), weight="w")
    model = LinearRegression(**CONVERGE).fit(ds)
    expected = _r2(model, frame, weight=frame["w"])
    assert model.score(ds) == pytest.approx(expected, abs=1e-12)
    table = pa.Table.from_pandas(frame[[*"abc", "y", "w"]], preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=64))
    assert model.score(reader, "y", "w") == pytest.approx(expected, abs=1e-12)


def test_score_on_dask_arrays_and_frames(frame):
    pytest.importorskip("dask", reason="Dask collections need dask")
    import dask.array as da
    import dask.dataframe as dd

    X, y, w = frame[list("abc")].to_numpy(), frame["y"].to_numpy(), frame["w"].to_numpy()
    model = LinearRegression(**CONVERGE).fit(X, y, w)
    expected = r2_score(y, model.predict(X), sample_weight=w)
    Xd, yd, wd = da.from_array(X, chunks=(170, 3)), da.from_array(y, chunks=250), da.from_array(w)
    assert model.score(Xd, yd, wd) == pytest.approx(expected, abs=1e-12)
    assert model.score(Xd, yd) == pytest.approx(r2_score(y, model.predict(X)), abs=1e-12)
    ddf = dd.from_pandas(frame, npartitions=4)
    named = LinearRegression(**CONVERGE).fit(frame[list("abc")], y)
    expected = r2_score(y, named.predict(frame[list("abc")]))
    assert named.score(ddf[list("abc")], ddf["y"]) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="y has 999 rows, but X has 1000"):
        model.score(Xd, y[:-1])


def test_score_with_missing_rows_dropped(frame, tmp_path):
    df = frame[[*"abc", "y"]].copy()
    df.loc[[3, 50, 700], "b"] = np.nan
    df.loc[9, "y"] = np.nan
    path = tmp_path / "gaps.csv"
    df.to_csv(path, index=False)
    ds = open_dataset(path, target="y", chunk_rows=100)
    model = LinearRegression(missing="drop", **CONVERGE).fit(ds)
    complete = df.dropna()
    expected = r2_score(complete["y"], model.predict(complete[list("abc")]))
    assert model.score(ds) == pytest.approx(expected, abs=1e-12)


def test_score_errors_name_the_fix(frame, csv):
    ds = open_dataset(csv, target="y", features=list("abc"))
    model = LinearRegression(**CONVERGE).fit(ds)
    with pytest.raises(ValueError, match=r"opened without a target.*target=") as info:
        model.score(open_dataset(csv, features=list("abc")))
    assert str(csv) in str(info.value)
    with pytest.raises(ValueError, match=r"without y or sample_weight"):
        model.score(ds, frame["y"])
    with pytest.raises(ValueError, match="2 target column"):
        model.score(open_dataset(csv, target=["y", "y2"], features=list("abc")))


def test_arrays_keep_scikit_learns_score(frame):
    X, y = frame[list("abc")].to_numpy(), frame["y"].to_numpy()
    model = LinearRegression(**CONVERGE).fit(X, y)
    assert model.score(X, y) == r2_score(y, model.predict(X))
    w = frame["w"].to_numpy()
    assert model.score(X, y, w) == r2_score(y, model.predict(X), sample_weight=w)
    one = np.ones((1, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(model.score(one, [1.0]))
    assert caught  # scikit-learn's UndefinedMetricWarning, as before
