"""Files as sources: CSV, Parquet and .npy fits equal in-memory fits; bad files fail clearly."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from lingrad import LinearRegression
from lingrad._sources import ChunkedSource, stream
from lingrad._sources.files import DataFileError, Dataset, MissingDataFileError, open_dataset

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

N, F = 203, 4
NAMES = [f"x{j}" for j in range(F)]
RTOL = 1e-10


@pytest.fixture(autouse=True)
def read_ahead(monkeypatch):
    """Big files are read by a read-ahead thread: test files are small, force it on."""
    monkeypatch.setattr(stream, "PREFETCH_BYTES", 0)


# -- data and writers ------------------------------------------------------
@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    X = rng.standard_normal((N, F)) * [1.0, 2.0, 0.5, 1.5] + [3.0, -1.0, 0.0, 10.0]
    coef = np.array([[1.5, -2.0], [0.5, 1.0], [-1.0, 0.25], [2.0, 3.0]])
    Y = X @ coef + [4.0, -1.0] + 0.1 * rng.standard_normal((N, 2))
    w = rng.uniform(0.5, 2.0, N)
    return X, Y, w


def _table(X, Y, w):
    cols = {"w": w, "y2": Y[:, 1]}
    cols.update({n: X[:, j] for j, n in enumerate(NAMES)})
    cols["y"] = Y[:, 0]
    return cols  # file order: w, y2, x0..x3, y (targets and weight not last on purpose)


def write_csv(path, cols, *, compress=False):
    names = list(cols)
    body = "\n".join(
        ",".join(repr(float(cols[c][i])) for c in names) for i in range(len(cols[names[0]]))
    )
    text = ",".join(names) + "\n" + body + "\n"
    if compress:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def write_parquet(path, cols, row_group_size=64):
    pq.write_table(pa.table(cols), path, row_group_size=row_group_size)
    return path


@pytest.fixture(params=["csv", "csv.gz", "parquet", "npy"])
def fmt(request):
    return request.param


def make_file(tmp_path, fmt, data):
    """The fixture data in one file; returns (path, column key function)."""
    X, Y, w = data
    cols = _table(X, Y, w)
    if fmt == "npy":
        path = tmp_path / "data.npy"
        np.save(path, np.column_stack(list(cols.values())))
        order = list(cols)
        return path, lambda name: order.index(name)
    if fmt == "parquet":
        return write_parquet(tmp_path / "data.parquet", cols), str
    path = tmp_path / f"data.{fmt}"
    return write_csv(path, cols, compress=fmt.endswith("gz")), str


def _close(a, b, rtol=RTOL):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(np.abs(b).max(), 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


# -- exactness: file fit == in-memory fit -------------------------------------
@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_file_fit_equals_in_memory(tmp_path, fmt, data, engine, multi, weighted):
    X, Y, w = data
    path, key = make_file(tmp_path, fmt, data)
    target = [key("y"), key("y2")] if multi else key("y")
    feats = [key(c) for c in NAMES]
    weight = key("w") if weighted else None
    ds = open_dataset(path, target, feats, weight=weight, chunk_rows=37)  # 6 chunks
    params = dict(lr=0.01, n_iters=300, random_state=0, engine=engine, on_divergence="raise")
    y = Y[:, [0, 1]] if multi else Y[:, 0]
    mem = LinearRegression(**params).fit(X, y, sample_weight=w if weighted else None)
    got = LinearRegression(**params).fit(ds)
    _close(got.coef_, mem.coef_)
    _close(got.intercept_, mem.intercept_)
    assert got.coef_.shape == mem.coef_.shape
    if fmt == "npy":
        assert not hasattr(got, "feature_names_in_")
    else:
        assert list(got.feature_names_in_) == NAMES
    Xp = X if fmt == "npy" else pd.DataFrame(X, columns=NAMES)
    _close(got.predict(Xp), mem.predict(X))


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_converged_file_fit_equals_lstsq(tmp_path, fmt, data, engine):
    X, Y, w = data
    path, key = make_file(tmp_path, fmt, data)
    ds = open_dataset(path, key("y"), [key(c) for c in NAMES], weight=key("w"), chunk_rows=50)
    model = LinearRegression(
        lr="auto", optimizer="nesterov", tol=1e-12, n_iters=3000, engine=engine, random_state=0
    )
    model.fit(ds)
    sw = np.sqrt(w)
    A = np.column_stack([X, np.ones(N)]) * sw[:, None]
    sol = np.linalg.lstsq(A, Y[:, 0] * sw, rcond=None)[0]
    _close(model.coef_, sol[:F], 1e-8)
    _close(model.intercept_, sol[F], 1e-8)


def test_features_select_and_reorder(tmp_path, fmt, data):
    X, Y, _ = data
    path, key = make_file(tmp_path, fmt, data)
    ds = open_dataset(path, key("y"), [key("x2"), key("x0")], chunk_rows=64)
    assert ds.n_features == 2
    if fmt != "npy":
        assert ds.feature_names == ["x2", "x0"]
    params = dict(lr=0.01, n_iters=200, random_state=0, on_divergence="raise")
    mem = LinearRegression(**params).fit(X[:, [2, 0]], Y[:, 0])
    got = LinearRegression(**params).fit(ds)
    _close(got.coef_, mem.coef_)
    _close(got.intercept_, mem.intercept_)
    if fmt != "npy":
        assert list(got.feature_names_in_) == ["x2", "x0"]


@pytest.mark.parametrize("ahead", [True, False])
def test_chunks(tmp_path, fmt, data, monkeypatch, ahead):
    if not ahead:
        monkeypatch.setattr(stream, "PREFETCH_BYTES", 1 << 40)
    X, Y, w = data
    path, key = make_file(tmp_path, fmt, data)
    feats = [key(c) for c in NAMES]
    ds = open_dataset(path, [key("y"), key("y2")], feats, weight=key("w"), chunk_rows=50)
    assert isinstance(ds, Dataset) and isinstance(ds, ChunkedSource)
    passes = [list(ds.iter_chunks()) for _ in range(2)]  # re-iterable
    for chunks in passes:
        assert [len(c[0]) for c in chunks] == [50, 50, 50, 50, 3]
        for Xc, Yc, wc in chunks:
            assert Xc.dtype == np.float64 and Xc.flags.c_contiguous
            assert Yc.shape == (len(Xc), 2) and wc.shape == (len(Xc),)
        np.testing.assert_array_equal(np.vstack([c[0] for c in chunks]), X)
        np.testing.assert_array_equal(np.vstack([c[1] for c in chunks]), Y)
        np.testing.assert_array_equal(np.concatenate([c[2] for c in chunks]), w)
    assert ds.n_targets == 2 and not ds.one_d
    assert ds.target_names == ["y", "y2"] if fmt != "npy" else ["x6", "x1"]
    assert ds.description == str(path) == ds.path
    assert ds.format == fmt.split(".")[0]
    text = repr(ds)
    assert str(path) in text and ds.format in text and "features=" in text


def test_unweighted_chunks_have_no_weights(tmp_path, data):
    path, _ = make_file(tmp_path, "csv", data)
    ds = open_dataset(path, "y", NAMES)
    (_, Yc, wc), *rest = list(ds.iter_chunks())
    assert not rest and wc is None and Yc.shape == (N, 1) and ds.one_d
    assert ds.columns == ["w", "y2", *NAMES, "y"]


def test_default_features_skip_target_and_weight(tmp_path, data):
    path, _ = make_file(tmp_path, "parquet", data)
    ds = open_dataset(path, "y", weight="w")
    assert ds.feature_names == ["y2", *NAMES]


def test_csv_bz2_and_int_columns(tmp_path):
    import bz2

    path = tmp_path / "ints.csv.bz2"
    path.write_bytes(bz2.compress(b"a,b,y\n1,2,3\n2,1,5\n3,5,2\n4,4,4\n"))
    X, _, _ = next(open_dataset(path, "y").iter_chunks())
    np.testing.assert_array_equal(X, [[1, 2], [2, 1], [3, 5], [4, 4]])


def test_csv_crlf_quoted_header_and_other_columns(tmp_path):
    path = tmp_path / "win.csv"
    path.write_bytes(b'"id","a, b",y,name\r\n1,2.5,3,foo\r\n2,3.5,5,bar\r\n')
    ds = open_dataset(path, "y", ["a, b", "id"])  # text columns are never read
    X, Y, _ = next(ds.iter_chunks())
    np.testing.assert_array_equal(X, [[2.5, 1], [3.5, 2]])
    np.testing.assert_array_equal(Y[:, 0], [3, 5])


def test_parquet_numeric_types(tmp_path):
    t = pa.table(
        {
            "i": pa.array([1, 2, 3], pa.int32()),
            "b": [True, False, True],
            "s": ["1.5", "2", "-3"],
            "y": pa.array([1.0, 2.0, 3.0], pa.float32()),
        }
    )
    pq.write_table(t, tmp_path / "t.parquet")
    X, Y, _ = next(open_dataset(tmp_path / "t.parquet", "y").iter_chunks())
    np.testing.assert_array_equal(X, [[1, 1, 1.5], [2, 0, 2], [3, 1, -3]])
    np.testing.assert_array_equal(Y[:, 0], [1, 2, 3])


def test_npy_keys(tmp_path):
    a = np.arange(20.0).reshape(5, 4)
    np.save(tmp_path / "a.npy", a)
    ds = open_dataset(tmp_path / "a.npy", "x3", ["x2", 0], weight=1)
    X, Y, w = next(ds.iter_chunks())
    np.testing.assert_array_equal(X, a[:, [2, 0]])
    np.testing.assert_array_equal(Y[:, 0], a[:, 3])
    np.testing.assert_array_equal(w, a[:, 1])
    assert ds.feature_names is None and ds.target_names == ["x3"]
    with pytest.raises(DataFileError, match=r"a\.npy: no column 7 \(target\).*4 columns"):
        open_dataset(tmp_path / "a.npy", 7)


# -- bad files ------------------------------------------------------------------
def _csv(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _rows(n=40, bad_row=None, cell="abc", ncol=3):
    """CSV with header x0,x1,y; data row ``bad_row`` (1-based) gets ``cell`` in x1."""
    lines = ["x0,x1,y"]
    for i in range(1, n + 1):
        vals = [str(i), str(2.5 * i), str((-1) ** i * i)]
        if i == bad_row:
            vals[1] = cell
        lines.append(",".join(vals[:ncol] if i == bad_row else vals))
    return "\n".join(lines) + "\n"


def _raises(path, match, *, target="y", **kw):
    with pytest.raises(DataFileError, match=match) as info:
        ds = open_dataset(path, target, **kw)
        LinearRegression().fit(ds)
    assert str(path) in str(info.value)
    return info.value


def test_missing_file(tmp_path):
    for name in ["nope.csv", "nope.parquet", "nope.npy"]:
        err = _raises(tmp_path / name, "no such file")
        assert isinstance(err, FileNotFoundError) and isinstance(err, MissingDataFileError)
        assert "\n" not in str(err)


def test_unknown_extension(tmp_path):
    _raises(_csv(tmp_path, "a,y\n1,2\n", "data.txt"), r"unknown file type.*\.csv")


def test_unreadable(tmp_path):
    _raises(_csv(tmp_path, "x0,x1,y\n1,2,3\n", "fake.parquet"), "cannot be read as Parquet")
    _raises(_csv(tmp_path, "x0,x1,y\n1,2,3\n", "fake.npy"), "not a readable .npy")
    (tmp_path / "fake.csv.gz").write_bytes(b"not gzip at all")
    _raises(tmp_path / "fake.csv.gz", "cannot be read")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_csv(tmp_path, text):
    _raises(_csv(tmp_path, text), "empty")


def test_empty_parquet_and_npy(tmp_path):
    (tmp_path / "e.parquet").write_bytes(b"")
    _raises(tmp_path / "e.parquet", "empty")
    (tmp_path / "e.npy").write_bytes(b"")
    _raises(tmp_path / "e.npy", "empty")


@pytest.mark.parametrize("text", ["x0,x1,y\n", "x0,x1,y"])
def test_header_only(tmp_path, text):
    _raises(_csv(tmp_path, text), "no data rows")


def test_no_rows_parquet_and_npy(tmp_path):
    write_parquet(tmp_path / "h.parquet", {"x0": np.zeros(0), "y": np.zeros(0)})
    _raises(tmp_path / "h.parquet", r"columns 'x0', 'y' but no rows")
    np.save(tmp_path / "h.npy", np.zeros((0, 3)))
    _raises(tmp_path / "h.npy", "no rows", target=0)


def test_missing_target_lists_columns(tmp_path):
    path = _csv(tmp_path, _rows())
    _raises(
        path, r"no column 'price' \(target\)\. The columns are: 'x0', 'x1', 'y'", target="price"
    )


def test_missing_feature_and_weight(tmp_path):
    path = _csv(tmp_path, _rows())
    _raises(path, r"no column 'x9' \(feature\)", features=["x0", "x9"])
    _raises(path, r"no column 'wt' \(weight\)", weight="wt")


def test_duplicated_columns(tmp_path):
    _raises(_csv(tmp_path, "x0,x1,x1,y\n1,2,3,4\n"), r"'x1' appear more than once")


@pytest.mark.parametrize("chunk_rows", [5, 65536])
def test_non_numeric_cell(tmp_path, chunk_rows):
    path = _csv(tmp_path, _rows(bad_row=17))
    _raises(path, r"column 'x1' has the non-numeric value 'abc' at row 17\b", chunk_rows=chunk_rows)


@pytest.mark.parametrize("cell", ["", "NA", "nan"])
def test_missing_cell(tmp_path, cell):
    path = _csv(tmp_path, _rows(bad_row=17, cell=cell))
    _raises(path, r"column 'x1' is empty or a missing-value marker .* at row 17\b", chunk_rows=5)


def test_infinite_cell(tmp_path):
    path = _csv(tmp_path, _rows(bad_row=17, cell="inf"))
    _raises(path, r"column 'x1' holds inf at row 17\b", chunk_rows=5)


@pytest.mark.parametrize("ncol", [2, 4])
def test_ragged_row(tmp_path, ncol):
    text = _rows(bad_row=17, cell="3.5")
    if ncol == 4:
        text = text.replace("\n17,3.5,-17\n", "\n17,3.5,-17,0\n")
    else:
        text = text.replace("\n17,3.5,-17\n", "\n17,3.5\n")
    _raises(_csv(tmp_path, text), rf"row 17 has {ncol} fields but the header has 3 columns")


def test_negative_weight(tmp_path):
    text = _rows().replace("\n17,42.5,-17\n", "\n17,42.5,-17\n").replace("x0,x1,y", "x0,x1,y")
    path = _csv(tmp_path, text)
    err = _raises(
        path, r"column 'y' \(the weight\) is negative .* at row 1\b", target="x1", weight="y"
    )
    assert "'y'" in str(err)


def test_bad_parquet_cells(tmp_path):
    x1 = pa.array([float(i) for i in range(100)])
    s = pa.array([str(i) for i in range(100)])
    s = pa.array([*s.to_pylist()[:80], "abc", *s.to_pylist()[81:]])
    write_parquet(tmp_path / "s.parquet", {"x0": s, "x1": x1, "y": x1}, row_group_size=30)
    _raises(tmp_path / "s.parquet", r"column 'x0' has the non-numeric value 'abc' at row 81\b")
    nulls = pa.array([*range(90), None, *range(9)], pa.float64())
    write_parquet(tmp_path / "n.parquet", {"x0": x1, "x1": nulls, "y": x1}, row_group_size=30)
    _raises(tmp_path / "n.parquet", r"column 'x1' is empty .* at row 91\b", chunk_rows=16)
    nan = np.arange(100.0)
    nan[55] = np.nan
    write_parquet(tmp_path / "nan.parquet", {"x0": x1, "x1": x1, "y": nan})
    _raises(tmp_path / "nan.parquet", r"column 'y' holds nan at row 56\b")
    ts = pa.array(np.arange(100).astype("datetime64[s]"))
    write_parquet(tmp_path / "ts.parquet", {"x0": ts, "y": x1})
    _raises(tmp_path / "ts.parquet", r"column 'x0' holds timestamp\[\w+\] values")


def test_bad_npy(tmp_path):
    a = np.arange(30.0).reshape(10, 3)
    a[7, 1] = np.nan
    np.save(tmp_path / "nan.npy", a)
    _raises(tmp_path / "nan.npy", r"column 'x1' holds nan at row 8\b", target=2, chunk_rows=3)
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    _raises(tmp_path / "flat.npy", r"2-D array.*\(5,\)", target=0)
    np.save(tmp_path / "str.npy", np.array([["a", "b"]]))
    _raises(tmp_path / "str.npy", "numeric array", target=0)


@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "npy"])
def test_bad_cell_in_last_chunk_raises_before_a_model(tmp_path, engine, fmt):
    n = 500
    X = np.random.default_rng(1).standard_normal((n, 3))
    X[n - 2, 1] = np.nan
    cols = {"x0": X[:, 0], "x1": X[:, 1], "y": X[:, 2]}
    if fmt == "csv":
        path = write_csv(tmp_path / "late.csv", cols)
        where = rf"column 'x1' is empty .* at row {n - 1}\b"  # pyarrow reads "nan" as null
    elif fmt == "parquet":
        path = write_parquet(tmp_path / "late.parquet", cols, row_group_size=100)
        where = rf"column 'x1' holds nan at row {n - 1}\b"
    else:
        path = tmp_path / "late.npy"
        np.save(path, X)
        where = rf"column 'x1' holds nan at row {n - 1}\b"
    target = 2 if fmt == "npy" else "y"
    ds = open_dataset(path, target, chunk_rows=32)
    model = LinearRegression(lr=0.1, n_iters=50, engine=engine)
    with pytest.raises(DataFileError, match=where):
        model.fit(ds)
    assert not hasattr(model, "coef_")
    # The bad row is reported at the same place on every pass.
    with pytest.raises(DataFileError, match=where):
        for _ in ds.iter_chunks():
            pass


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_break_stops_the_reading_thread(tmp_path, data, fmt):
    import threading

    path, _ = make_file(tmp_path, fmt, data)
    ds = open_dataset(path, "y", NAMES, chunk_rows=10)
    before = threading.active_count()
    for _ in ds.iter_chunks():
        break
    assert threading.active_count() == before
    it = ds.iter_chunks()
    next(it)
    it.close()
    assert threading.active_count() == before
    assert sum(len(X) for X, _, _ in ds.iter_chunks()) == N  # and the next pass reads all


def test_parameter_errors(tmp_path):
    path = _csv(tmp_path, _rows())
    with pytest.raises(ValueError, match="'chunk_rows'"):
        open_dataset(path, "y", chunk_rows=0)
    with pytest.raises(TypeError, match=r"'target'.*column name"):
        open_dataset(path, 2)
    with pytest.raises(ValueError, match="both a feature and the target"):
        open_dataset(path, "y", ["x0", "y"])
    with pytest.raises(ValueError, match="more than once"):
        open_dataset(path, "y", ["x0", "x0"])
    with pytest.raises(TypeError, match="not one string"):
        open_dataset(path, "y", "x0")
    with pytest.raises(ValueError, match="fit\\(dataset\\) without y"):
        LinearRegression().fit(open_dataset(path, "y"), np.zeros(40))


def test_pyarrow_missing(tmp_path, monkeypatch):
    path = _csv(tmp_path, _rows())
    for mod in ["pyarrow", "pyarrow.lib", "pyarrow.csv", "pyarrow.parquet"]:
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(ImportError, match=r'pip install pyarrow .*pip install -e "\.\[files\]"'):
        open_dataset(path, "y")
    np.save(tmp_path / "a.npy", np.ones((3, 2)))
    assert open_dataset(tmp_path / "a.npy", 1).n_features == 1  # .npy needs no pyarrow


def test_target_none_opens_the_features_for_predict(tmp_path):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -1.0] + 0.5
    path = tmp_path / "d.csv"
    pacsv.write_csv(pa.table({"a": X[:, 0], "b": X[:, 1], "y": y}), path)
    model = LinearRegression(random_state=0).fit(open_dataset(path, target="y"))
    feats = open_dataset(path, target=None, features=["a", "b"], chunk_rows=16)
    assert feats.n_targets == 0 and feats.feature_names == ["a", "b"]
    np.testing.assert_allclose(
        model.predict(feats), model.predict(pd.DataFrame(X, columns=["a", "b"]))
    )
    assert open_dataset(path, target=None).feature_names == ["a", "b", "y"]
    with pytest.raises(ValueError, match="without a target column"):
        LinearRegression().fit(feats)


def test_a_header_that_is_not_utf8_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,caf\xe9,y\n1,2,3\n2,3,5\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin1\.csv: the header .* is not valid UTF-8"):
        open_dataset(path, target="y")


@pytest.mark.parametrize("compress", [False, True])
def test_a_huge_chunk_rows_allocates_only_what_the_file_holds(tmp_path, compress):
    import tracemalloc

    cols = {"a": np.arange(3.0), "b": np.arange(3.0) ** 2, "y": np.arange(3.0) + 1}
    path = write_csv(tmp_path / ("small.csv.gz" if compress else "small.csv"), cols,
                     compress=compress)  # fmt: skip
    tracemalloc.start()
    chunks = list(open_dataset(path, target="y", chunk_rows=10**12).iter_chunks())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sum(len(c[0]) for c in chunks) == 3
    np.testing.assert_array_equal(chunks[0][1][:, 0], cols["y"])
    assert peak < 50 * 2**20  # not buffers for 10**12 rows


def test_default_chunks_of_a_wide_file_hold_at_most_32_mib(tmp_path, monkeypatch):
    """chunk_rows=None: 65,536 rows, fewer for a wide file (a chunk holds at most
    CHUNK_BYTES); an explicit chunk_rows is kept; the fit equals the in-memory fit.
    (CHUNK_BYTES made small here: the same rule at a test's size.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lingrad._sources import chunks

    rng = np.random.default_rng(7)
    X = rng.standard_normal((3000, 40))
    y = X @ rng.standard_normal(40) + 1.0 + 0.1 * rng.standard_normal(3000)
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({**{f"x{j}": X[:, j] for j in range(40)}, "y": y}), path)
    assert open_dataset(path, "y").chunk_rows == 65536  # narrow: the same chunks as before
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 8 * 41 * 500)  # 500 rows of 41 columns
    ds = open_dataset(path, "y")
    assert ds.chunk_rows == 500
    sizes = [len(Xc) for Xc, _, _ in ds.iter_chunks()]
    assert sizes == [500] * 6 and all(n * 41 * 8 <= chunks.CHUNK_BYTES for n in sizes)
    assert open_dataset(path, "y", chunk_rows=700).chunk_rows == 700
    params = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=5000, random_state=0)
    got = LinearRegression(**params).fit(ds)
    mem = LinearRegression(**params).fit(X, y)
    _close(got.coef_, mem.coef_)
    _close(got.intercept_, mem.intercept_)
    with pytest.raises(ValueError, match="must be an int >= 1 or None"):
        open_dataset(path, "y", chunk_rows=0)
