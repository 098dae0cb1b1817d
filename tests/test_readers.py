"""The pieces of the file sources, each on its own: readers, column rules, stream, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lingrad import ParameterError
from lingrad._sources import columns, stream
from lingrad._sources.errors import (
    DataFileError,
    MissingDataFileError,
    ParameterTypeError,
    listed,
    non_numeric,
    one_line,
    open_dataset_error,
)
from lingrad._sources.files import _gather
from lingrad._sources.npy import NpyReader

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from lingrad._sources.csv import CsvReader  # noqa: E402
from lingrad._sources.parquet import ParquetReader  # noqa: E402


# -- readers -------------------------------------------------------------------
def test_csv_reader_pieces(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(3000)))
    reader = CsvReader(str(path), chunk_rows=50)
    assert reader.format == "csv" and reader.columns == ["a", "b", "y"] and reader.n_rows is None
    assert 4096 <= reader.block_size <= 1 << 20
    pieces = list(reader.pieces(["y", "a"]))
    assert len(pieces) > 1  # streamed in blocks
    y, a = (np.concatenate(p) for p in zip(*pieces, strict=True))
    np.testing.assert_array_equal(a, np.arange(3000.0))
    np.testing.assert_array_equal(y, np.arange(3000) % 3)
    assert all(c.dtype == np.float64 for p in pieces for c in p)


def test_csv_reader_errors(tmp_path):
    with pytest.raises(MissingDataFileError, match="no such file"):
        CsvReader(str(tmp_path / "nope.csv"), 10)
    path = tmp_path / "bad.csv"
    path.write_text("a,y\n1,2\n3,x\n")
    reader = CsvReader(str(path), 10)
    with pytest.raises(DataFileError, match=r"column 'y' has the non-numeric value 'x' at row 2\b"):
        list(reader.pieces(["a", "y"]))
    path.write_text("a,y\n1,2\n,4\n")
    with pytest.raises(DataFileError, match=r"column 'a' is empty .* at row 2\b") as info:
        list(CsvReader(str(path), 10).pieces(["a", "y"]))
    assert info.value.fields == {"path": str(path), "row": 2, "column": "a"}


def test_parquet_reader_pieces_and_types(tmp_path):
    path = tmp_path / "d.parquet"
    table = pa.table({"i": pa.array(range(100), pa.int16()), "s": [str(v) for v in range(100)]})
    pq.write_table(table, path, row_group_size=30)
    reader = ParquetReader(str(path), chunk_rows=25)
    assert reader.format == "parquet" and reader.n_rows == 100 and reader.columns == ["i", "s"]
    pieces = list(reader.pieces(["s", "i", "i"]))  # a column may be asked twice
    assert all(len(p) == 3 and len(p[0]) <= 30 for p in pieces)
    s, i, i2 = (np.concatenate(p) for p in zip(*pieces, strict=True))
    np.testing.assert_array_equal(s, np.arange(100.0))
    np.testing.assert_array_equal(i, i2)
    pq.write_table(pa.table({"t": pa.array(np.arange(3).astype("datetime64[s]"))}), path)
    with pytest.raises(DataFileError, match=r"'t' holds timestamp\[\w+\] values") as info:
        ParquetReader(str(path), 10).check_types(["t"])
    assert info.value.render("cli").endswith("pick numeric columns with --features.")


_POOL_PEAK = """
import sys, pyarrow as pa
from lingrad._sources.parquet import ParquetReader
r = ParquetReader(sys.argv[1], 4096)
base = pa.default_memory_pool().max_memory()
rows = sum(len(p[0]) for p in r.pieces(r.columns))
print(rows, pa.default_memory_pool().max_memory() - base)
"""


def test_parquet_reader_memory_flat_in_row_group_size(tmp_path):
    """Column chunks are read through a buffer: a pass's peak Arrow memory does not grow
    with the row group (read whole, it grows by as much as the row group: 48 MB here).
    Each pass runs in a fresh process: the pool's peak is a high-water mark."""
    import subprocess
    import sys

    peaks = []
    for rows in (150_000, 750_000):
        path = tmp_path / f"one_group_{rows}.parquet"
        X = np.random.default_rng(0).standard_normal((rows, 10))
        pq.write_table(pa.table({f"c{j}": X[:, j] for j in range(10)}), path, row_group_size=rows)
        out = subprocess.run(
            [sys.executable, "-c", _POOL_PEAK, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        got_rows, peak = map(int, out.stdout.split())
        assert got_rows == rows
        peaks.append(peak)
    grown, group_grown = peaks[1] - peaks[0], 8 * 10 * (750_000 - 150_000)
    assert grown < 0.2 * group_grown, (peaks, group_grown)


def test_npy_reader(tmp_path):
    path = tmp_path / "a.npy"
    a = np.arange(24, dtype=np.int32).reshape(8, 3)
    np.save(path, a)
    reader = NpyReader(str(path))
    assert reader.format == "npy" and reader.n_rows == 8
    assert [reader.key(k, "feature") for k in (0, -1, "x1", np.int64(1))] == [
        "x0",
        "x2",
        "x1",
        "x1",
    ]
    with pytest.raises(DataFileError, match=r"no column 3 \(weight\); the array has 3 columns"):
        reader.key(3, "weight")
    chunks = list(reader.chunks(["x2", "x0"], ["x1"], "x0", rows=3))
    assert [len(X) for X, _, _ in chunks] == [3, 3, 2]
    X = np.vstack([c[0] for c in chunks])
    np.testing.assert_array_equal(X, a[:, [2, 0]])
    assert X.dtype == np.float64 and chunks[0][0].flags.c_contiguous
    np.testing.assert_array_equal(np.concatenate([c[2] for c in chunks]), a[:, 0])


# -- column rules --------------------------------------------------------------
def test_select_defaults_and_order():
    cols = ["w", "b", "y", "a"]
    assert columns.select("f", cols, "y", None, "w") == (["b", "a"], ["y"])
    assert columns.select("f", cols, ["a", "y"], ["b"], None) == (["b"], ["a", "y"])
    assert columns.select("f", cols, None, None, None) == (cols, [])


@pytest.mark.parametrize(
    ("target", "features", "weight", "cls", "cli"),
    [
        ([], None, None, ParameterError, "--target must name a column. Got []."),
        (["y", "y"], None, None, ParameterError, "--target must name distinct columns."),
        ("y", [], None, ParameterError, "--features must not be empty. Got []."),
        ("y", ["a", "a"], None, ParameterError, "--features names 'a' more than once."),
        ("y", ["q"], None, DataFileError, "f: no column 'q' (feature). The columns are:"),
        ("y", None, "y", ValueError, "Column 'y' cannot be both the target and the weight."),
    ],
)
def test_select_errors(target, features, weight, cls, cli):
    with pytest.raises(cls) as info:
        columns.select("f", ["a", "y"], target, features, weight)
    text = info.value.render("cli") if hasattr(info.value, "render") else str(info.value)
    assert text.startswith(cli)


def test_column_keys_types(tmp_path):
    class Header:
        format = "csv"

    assert columns.column_keys(Header(), ("y", "z"), ("a",), None) == (["y", "z"], ["a"], None)
    with pytest.raises(ParameterTypeError, match=r"'target' parameter.*column name") as info:
        columns.column_keys(Header(), 3, None, None)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert info.value.fields["param"] == "target" and info.value.fields["value"] == 3
    assert info.value.render("cli").startswith("--target must be a column name (str)")
    with pytest.raises(TypeError, match="not one string"):
        columns.column_keys(Header(), "y", "a", None)
    np.save(tmp_path / "a.npy", np.ones((2, 3)))
    keys = columns.column_keys(NpyReader(str(tmp_path / "a.npy")), [-1], [0, "x1"], 1)
    assert keys == (["x2"], ["x0", "x1"], "x1")


# -- chunk assembly and the read-ahead stream ------------------------------------
def test_gather_regroups_pieces():
    a = np.arange(10.0)
    pieces = [[a[:3], -a[:3], a[:3] / 2], [a[3:], -a[3:], a[3:] / 2]]
    chunks = list(_gather(iter(pieces), 1, 1, True, rows=4))
    assert [len(X) for X, _, _ in chunks] == [4, 4, 2]
    np.testing.assert_array_equal(np.vstack([c[0] for c in chunks])[:, 0], a)
    np.testing.assert_array_equal(np.vstack([c[1] for c in chunks])[:, 0], -a)
    np.testing.assert_array_equal(np.concatenate([c[2] for c in chunks]), a / 2)
    assert all(w is None for _, _, w in _gather(iter(p[:2] for p in pieces), 1, 1, False, 4))


@pytest.mark.parametrize("depth", [0, 2])
def test_prefetch_reraises_in_order(depth):
    def make():
        yield 1
        yield 2
        raise DataFileError("f: bad row 3.")

    got = []
    with pytest.raises(DataFileError, match="bad row 3"):
        for item in stream.prefetch(make, depth):
            got.append(item)
    assert got == [1, 2]


def test_prefetch_close_stops_the_thread():
    closed = threading.Event()

    def make():
        try:
            yield from range(1000)
        finally:
            closed.set()

    before = threading.active_count()
    items = stream.prefetch(make, 2)
    assert next(items) == 0
    items.close()
    assert closed.is_set() and threading.active_count() == before


def test_read_ahead_only_for_large_files(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_text("a\n1\n")
    items, limits = stream.read_ahead(lambda: iter([1, 2]), str(path))
    with limits:
        assert list(items) == [1, 2]
    monkeypatch.setattr(stream, "PREFETCH_BYTES", 0)
    items, limits = stream.read_ahead(lambda: iter([1, 2]), str(path))
    with limits:
        assert list(items) == [1, 2]


# -- errors ----------------------------------------------------------------------
def test_error_classes_and_wording():
    err = non_numeric("d.csv", "x", "a  b\nc", "row 4", row=4)
    assert isinstance(err, ValueError) and err.fields["row"] == 4
    assert str(err) == (
        "d.csv: column 'x' has the non-numeric value 'a b c' at row 4. lingrad needs numbers: "
        "clean the file, one-hot encode a text column with categorical=['x'] (lingrad.ols), "
        "or pick numeric columns with features=[...]."
    )
    assert "one-hot encode a text column with --categorical x, or" in err.render("cli")
    assert err.render("cli").endswith("or pick numeric columns with --features.")
    assert issubclass(MissingDataFileError, FileNotFoundError)
    assert issubclass(MissingDataFileError, DataFileError)
    perr = open_dataset_error("chunk_rows", " must be an int >= 1. Got 0.", 0, "an int >= 1")
    assert str(perr) == "The 'chunk_rows' parameter of open_dataset must be an int >= 1. Got 0."
    assert perr.render("cli") == "--chunk-rows must be an int >= 1. Got 0."
    assert perr.fields["owner"] == "open_dataset" and perr.fields["param"] == "chunk_rows"
    assert listed([f"c{i}" for i in range(32)]).endswith("'c29', ... (2 more)")
    assert one_line("x" * 100, 10) == "xxxxxxx..."
