"""A file that changes under a fit: every pass checks it is the file of the first pass."""

from __future__ import annotations

import gzip
import os
import shutil

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._sources import csv_batches
from lingrad._sources.errors import DataFileError
from lingrad._sources.files import open_dataset

pa = pytest.importorskip("pyarrow", reason="CSV and Parquet files are read with pyarrow")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files are read with pyarrow")

CHANGED = "changed while lingrad was reading it"


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return np.column_stack([X, X @ [2.0, -1.0] + 0.5])


def _write(path, data):
    """``data`` (columns a, b, y) in the format of ``path``'s suffix."""
    name = str(path)
    if name.endswith(".npy"):
        np.save(path, data)
    elif name.endswith(".parquet"):
        pq.write_table(pa.table({"a": data[:, 0], "b": data[:, 1], "y": data[:, 2]}), path)
    else:
        text = "a,b,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in data.tolist())
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "wt") as fh:
            fh.write(text)
    return path


def _open(path, **kw):
    target = 2 if str(path).endswith(".npy") else "y"
    return open_dataset(path, target, chunk_rows=kw.pop("chunk_rows", 16), **kw)


@pytest.fixture(params=["d.csv", "d.csv.gz", "d.parquet", "d.npy"])
def path(request, tmp_path):
    return _write(tmp_path / request.param, _data(100))


def _assert_changed(err, path, before, after):
    assert CHANGED in str(err) and str(path) in str(err)
    assert err.fields["path"] == str(path)
    if before != after:
        assert f"size {before} -> {after} bytes" in str(err)
        assert err.fields["size"] == (before, after)
    assert "stable copy" in str(err) and "\n" not in err.render("cli")


def test_rows_appended_between_passes(path):
    ds = _open(path)
    first = sum(len(X) for X, _, _ in ds.iter_chunks())
    assert first == 100 and sum(len(X) for X, _, _ in ds.iter_chunks()) == 100  # unchanged: fine
    before = path.stat().st_size
    _write(path, _data(130))
    with pytest.raises(DataFileError, match=CHANGED) as info:
        list(ds.iter_chunks())
    _assert_changed(info.value, path, before, path.stat().st_size)


def _after_first_pass(ds, change):
    """Run ``change()`` once the first pass over ``ds`` has ended (a hook on its reader)."""
    reader = ds._reader
    name = "chunks" if ds.format == "npy" else "pieces"
    read = getattr(reader, name)
    passes = []

    def hooked(*args, **kw):
        yield from read(*args, **kw)
        passes.append(1)
        if len(passes) == 1:
            change()

    setattr(reader, name, hooked)
    return passes


@pytest.mark.parametrize("engine", ["direct", "stats"])
def test_a_fit_whose_file_grows_after_its_first_pass(path, engine):
    ds = _open(path)
    before = path.stat().st_size
    passes = _after_first_pass(ds, lambda: _write(path, _data(130)))
    model = LinearRegression(lr="auto", tol=1e-10, n_iters=500, engine=engine, random_state=0)
    with pytest.raises(DataFileError, match=CHANGED) as info:
        model.fit(ds)
        model.predict(ds)  # the stats engine reads the file once: predicting is the next pass
    _assert_changed(info.value, path, before, path.stat().st_size)
    assert len(passes) == 1


def test_rows_appended_during_a_pass(tmp_path, monkeypatch):
    for fast in (False, True):
        monkeypatch.setattr(csv_batches, "MIN_BYTES", 0 if fast else 1 << 62)
        monkeypatch.setattr(csv_batches, "BATCH_ROWS", 5)
        path = _write(tmp_path / f"grow{fast}.csv", _data(400))
        ds = _open(path, chunk_rows=8)
        assert ds._reader.fast() is fast
        before = path.stat().st_size
        chunks = ds.iter_chunks()
        next(chunks)
        with open(path, "a") as fh:
            fh.write("1.0,2.0,3.0\n" * 50)
        with pytest.raises(DataFileError, match=CHANGED) as info:
            list(chunks)
        _assert_changed(info.value, path, before, path.stat().st_size)


def test_a_file_replaced_or_rewritten_in_place(path, tmp_path):
    ds = _open(path)
    list(ds.iter_chunks())
    copy = tmp_path / ("copy" + "".join(path.suffixes))
    shutil.copyfile(path, copy)
    os.replace(copy, path)  # same bytes, another file
    with pytest.raises(DataFileError, match="replaced by another file"):
        list(ds.iter_chunks())

    ds = _open(path)
    list(ds.iter_chunks())
    st = path.stat()
    data = path.read_bytes()
    with open(path, "r+b") as fh:  # same size, same inode, new contents
        fh.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(DataFileError, match=r"same size, modified: mtime") as info:
        list(ds.iter_chunks())
    _assert_changed(info.value, path, st.st_size, st.st_size)


def test_an_unchanged_file_fits_with_many_passes(path):
    ds = _open(path)
    model = LinearRegression(lr="auto", tol=1e-10, n_iters=2000, engine="direct", random_state=0)
    model.fit(ds)
    assert model.n_iter_ > 2
    np.testing.assert_allclose(model.coef_, [2.0, -1.0], atol=1e-6)
    assert model.predict(ds).shape == (100,)
