"""Streamed and Dask cross-validation equal the in-memory one, in one pass.

Files: the CSV (and .npy) reader's passes are counted by instrumenting the
reader; the fold statistics come from exactly one pass. Dask: the same
folds by global position (or group), whatever the block sizes.
"""

import numpy as np
import pytest

from lingrad import LinearRegressionCV, open_dataset
from lingrad._cv.errors import CVError
from lingrad._sources import csv as csv_reader
from lingrad.cv import path

pytest.importorskip("pyarrow", reason="CSV files need pyarrow")

NAMES = ["a", "b", "c", "d"]


def _data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = X @ [1.0, 0.0, -0.5, 0.0] + 2.0 + rng.standard_normal(n)
    g = rng.integers(0, 30, n).astype(float)
    w = rng.uniform(0.5, 2.0, n)
    return X, y, g, w


def _csv(tmp_path, X, y, g, w):
    cols = {"site": g, **{n: X[:, j] for j, n in enumerate(NAMES)}, "w": w, "y": y}
    lines = [",".join(cols)]
    lines += [",".join(repr(float(cols[c][i])) for c in cols) for i in range(len(y))]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def count_passes(monkeypatch):
    calls = []
    original = csv_reader.CsvReader.pieces

    def counted(self, cols, *args, **kwargs):
        calls.append(cols)
        return original(self, cols, *args, **kwargs)

    monkeypatch.setattr(csv_reader.CsvReader, "pieces", counted)
    return calls


def _equal(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=rtol)
    np.testing.assert_allclose(a.alphas_, b.alphas_, rtol=rtol)
    assert a.alpha_ == pytest.approx(b.alpha_, rel=rtol)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=1e-12)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=rtol)


@pytest.mark.parametrize("grouped", [False, True])
def test_csv_equals_memory_in_one_pass(tmp_path, count_passes, grouped):
    X, y, g, w = _data()
    path_ = _csv(tmp_path, X, y, g, w)
    ds = open_dataset(path_, "y", weight="w", chunk_rows=64)  # features: site, a..d
    kw = {"alphas": 20, "l1_ratio": [0.5, 1.0], "cv": 5}
    count_passes.clear()
    if grouped:
        streamed = LinearRegressionCV(**kw).fit(ds, groups="site")  # site is then no feature
        memory = LinearRegressionCV(**kw).fit(X, y, sample_weight=w, groups=g)
        assert list(streamed.feature_names_in_) == NAMES
    else:
        streamed = LinearRegressionCV(**kw).fit(ds)
        Xs = np.column_stack([g, X])
        memory = LinearRegressionCV(**kw).fit(Xs, y, sample_weight=w)
    assert len(count_passes) == 1
    _equal(streamed, memory)
    # the group column is no feature: predict on a dataset of the features only
    ds_pred = open_dataset(path_, "y", NAMES) if grouped else ds
    np.testing.assert_allclose(streamed.predict(ds_pred), memory.predict(X if grouped else Xs))


def test_chunking_does_not_change_the_folds(tmp_path):
    X, y, _, _ = _data(n=300)
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    fits = [
        LinearRegressionCV(alphas=10, l1_ratio=1.0).fit(
            open_dataset(tmp_path / "d.npy", -1, chunk_rows=c)
        )
        for c in (7, 300)
    ]
    _equal(*fits)
    _equal(fits[0], LinearRegressionCV(alphas=10, l1_ratio=1.0).fit(X, y))


def test_file_group_array_and_errors(tmp_path):
    X, y, g, w = _data(n=200)
    path_ = _csv(tmp_path, X, y, g, w)
    ds = open_dataset(path_, "y", NAMES)
    a = LinearRegressionCV(alphas=8, l1_ratio=1.0).fit(ds, groups=g)
    _equal(a, LinearRegressionCV(alphas=8, l1_ratio=1.0).fit(X, y, groups=g))
    with pytest.raises(CVError, match="groups has 10 labels"):
        LinearRegressionCV().fit(ds, groups=g[:10])
    with pytest.raises(CVError, match="groups='nope' names no column"):
        LinearRegressionCV().fit(ds, groups="nope")
    with pytest.raises(CVError, match="names the target or the weight"):
        LinearRegressionCV().fit(ds, groups="y")
    from sklearn.model_selection import KFold

    with pytest.raises(CVError, match="needs the rows in memory") as err:
        LinearRegressionCV(cv=KFold(3)).fit(ds)
    assert "--cv 5" in err.value.render("cli")


def test_path_function_on_a_dataset(tmp_path):
    X, y, g, w = _data(n=200)
    path_ = _csv(tmp_path, X, y, g, w)
    got = path(open_dataset(path_, "y", NAMES), l1_ratio=1.0, alphas=6)
    want = path(X, y, l1_ratio=1.0, alphas=6)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_dask_equals_memory():
    da = pytest.importorskip("dask.array", reason="Dask CV needs dask")
    X, y, g, w = _data(n=400)
    kw = {"alphas": 15, "l1_ratio": 0.5, "cv": 4}
    Xd, yd, wd = da.from_array(X, chunks=(57, 4)), da.from_array(y, chunks=57), da.from_array(w, 57)
    memory = LinearRegressionCV(**kw).fit(X, y, sample_weight=w)
    _equal(LinearRegressionCV(**kw).fit(Xd, yd, sample_weight=wd), memory)
    grouped = LinearRegressionCV(**kw).fit(X, y, groups=g)
    _equal(LinearRegressionCV(**kw).fit(Xd, yd, groups=g), grouped)
    _equal(LinearRegressionCV(**kw).fit(Xd, yd, groups=da.from_array(g, chunks=100)), grouped)
    with pytest.raises(CVError, match="groups has 3 labels"):
        LinearRegressionCV(**kw).fit(Xd, yd, groups=g[:3])
    with pytest.raises(CVError, match="Pass the column itself"):
        LinearRegressionCV(**kw).fit(Xd, yd, groups="site")
