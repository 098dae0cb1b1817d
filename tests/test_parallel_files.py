"""Large CSVs parsed by polars' streaming engine: the same values, rows and errors as pyarrow's.

The fast path is forced on small files (``MIN_BYTES = 0``) with tiny batches,
so that a file of a few hundred rows spans many batches; every outcome is
compared with pyarrow's streaming reader (``MIN_BYTES`` out of reach) on the
same file: bit-for-bit equal chunks, or the same error with the same row and
column.
"""

from __future__ import annotations

import tracemalloc
import weakref

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._sources import csv_batches, stream
from lingrad._sources.chunks import gather
from lingrad._sources.errors import DataFileError
from lingrad._sources.files import open_dataset

pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
pytest.importorskip("polars", reason="the parallel CSV path parses with polars")

SLOW = 1 << 62


@pytest.fixture
def tiny_batches(monkeypatch):
    """Batches of 7 rows: a few hundred rows span tens of batches."""
    monkeypatch.setattr(csv_batches, "BATCH_ROWS", 7)
    return monkeypatch


def _outcome(path, fast, monkeypatch, **kw):
    """Every chunk of a pass (as bytes), or the error's type, text and fields."""
    monkeypatch.setattr(csv_batches, "MIN_BYTES", 0 if fast else SLOW)
    ds = open_dataset(path, **{"target": "y", "chunk_rows": 64, **kw})
    readers = getattr(ds._reader, "_readers", [ds._reader])  # the files of a folder
    assert all(r.fast() is fast for r in readers)
    try:
        chunks = list(ds.iter_chunks())
    except DataFileError as err:
        return ("error", str(err), err.fields)
    return ("ok", [tuple(None if a is None else a.tobytes() for a in c) for c in chunks])


def _same(path, monkeypatch, **kw):
    fast = _outcome(path, True, monkeypatch, **kw)
    slow = _outcome(path, False, monkeypatch, **kw)
    assert fast == slow
    return fast


def _lines(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0
    return [f"{a!r},{b!r},{c!r},{t!r}" for (a, b, c), t in zip(X.tolist(), y.tolist(), strict=True)]


def _write(tmp_path, lines, header="a,b,c,y", newline="\n", name="d.csv"):
    path = tmp_path / name
    path.write_bytes((newline.join([header, *lines]) + newline).encode())
    return path


def test_batches_are_parsed_in_order(tmp_path, tiny_batches):
    path = _write(tmp_path, _lines())
    sizes = []
    clean = csv_batches._clean

    def spy(df):
        sizes.append(len(df))
        return clean(df)

    tiny_batches.setattr(csv_batches, "_clean", spy)
    out = _same(path, tiny_batches)
    assert out[0] == "ok"
    assert len(sizes) > 20 and sum(sizes) == 400  # every row, in batches of BATCH_ROWS
    assert len(out[1]) == 400 // 64 + 1  # chunks of chunk_rows, whatever the batches


def test_batches_of_chunk_rows_by_default(tmp_path, tiny_batches):
    path = _write(tmp_path, _lines())
    tiny_batches.setattr(csv_batches, "BATCH_ROWS", None)
    sizes = []
    clean = csv_batches._clean
    tiny_batches.setattr(csv_batches, "_clean", lambda df: sizes.append(len(df)) or clean(df))
    out = _same(path, tiny_batches)
    assert out[0] == "ok" and sizes == [64] * 6 + [400 - 6 * 64]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_values_bit_for_bit(tmp_path, tiny_batches, newline):
    lines = [f'{ln},"txt {i}"' for i, ln in enumerate(_lines())]  # a text column, never read
    path = _write(tmp_path, lines, header='"a","b",c,y,name', newline=newline)
    out = _same(path, tiny_batches, features=["c", "a"])
    assert out[0] == "ok"
    X = np.concatenate([np.frombuffer(c[0]).reshape(-1, 2) for c in out[1]])
    want = np.array([[float(v) for v in ln.split(",")[2::-2]] for ln in _lines()])
    np.testing.assert_array_equal(X, want)


def test_fit_is_deterministic_and_equals_in_memory(tmp_path, tiny_batches):
    path = _write(tmp_path, _lines(3000))
    tiny_batches.setattr(csv_batches, "MIN_BYTES", 0)
    params = dict(lr="auto", tol=1e-12, n_iters=5000, random_state=0)
    fits = [LinearRegression(**params).fit(open_dataset(path, "y", chunk_rows=100)) for _ in "ab"]
    assert fits[0].coef_.tobytes() == fits[1].coef_.tobytes()
    assert fits[0].intercept_ == fits[1].intercept_
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    mem = LinearRegression(**params).fit(data[:, :3], data[:, 3])
    np.testing.assert_allclose(fits[0].coef_, mem.coef_, rtol=1e-10)
    np.testing.assert_allclose(fits[0].intercept_, mem.intercept_, rtol=1e-10)


def test_a_folder_of_large_csvs_with_a_partition_column(tmp_path, tiny_batches):
    for part, seed in (("p=1", 0), ("p=2", 1)):
        (tmp_path / part).mkdir()
        _write(tmp_path / part, _lines(150, seed))
    out = _same(tmp_path, tiny_batches, chunk_rows=40)
    assert out[0] == "ok" and len(out[1]) == 300 // 40 + 1
    X = np.concatenate([np.frombuffer(c[0]).reshape(-1, 4) for c in out[1]])
    np.testing.assert_array_equal(X[:, 3], [1.0] * 150 + [2.0] * 150)  # p, the last feature


@pytest.mark.parametrize("weighted", [False, True])
def test_gather_of_2d_pieces_equals_gather_of_columns(weighted):
    rng = np.random.default_rng(3)
    m, f, k = 6 if weighted else 5, 3, 2
    pieces = [rng.standard_normal((n, m)) for n in (5, 17, 1, 40, 9)]
    cols = [list(p.T.copy()) for p in pieces]
    for layout in (lambda p: p.T, lambda p: np.ascontiguousarray(p.T)):  # views, C arrays
        got = list(gather(iter(layout(p) for p in pieces), f, k, weighted, 16))
        want = list(gather(iter(cols), f, k, weighted, 16))
        assert [len(c[0]) for c in got] == [16, 16, 16, 16, 8]
        for a, b in zip(got, want, strict=True):
            assert a[0].flags.c_contiguous and a[1].flags.c_contiguous
            assert all(x is y or x.tobytes() == y.tobytes() for x, y in zip(a, b, strict=True))


# Cells polars and pyarrow might read differently: every one gives pyarrow's outcome.
ODD_CELLS = [
    " 1.5", "1.5 ", "+1", ".5", "5.", "1E+05", '"2.5"', "\t2", "-0", "1e-400",  # numbers
    "0x10", "1_0", "1d5", "١", "true", '"1,5"', "1.5e", "--1", "1.5f",  # not numbers
    "infinity", "-Inf", "1e400", "inf",  # not finite
    "NaN", "nan", "-nan", "NA", "null", "#N/A", "N/A", '""', "",  # missing
]  # fmt: skip


@pytest.mark.parametrize("cell", ODD_CELLS)
@pytest.mark.parametrize("row", [1, 250, 400])
def test_odd_cells_give_pyarrows_outcome(tmp_path, tiny_batches, cell, row):
    lines = _lines()
    a, _, c, y = lines[row - 1].split(",")
    lines[row - 1] = ",".join([a, cell, c, y])
    out = _same(_write(tmp_path, lines), tiny_batches)
    if out[0] == "error":
        assert out[2]["row"] == row and out[2]["column"] == "b", out


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda ln: ln + ",7", "has 5 fields but the header has 4"),
        (lambda ln: ln.rsplit(",", 1)[0], "has 3 fields but the header has 4"),
        (lambda ln: "", None),  # an empty line is skipped
        (lambda ln: ln + "\n\n", None),
    ],
)
def test_ragged_and_empty_lines(tmp_path, tiny_batches, edit, match):
    lines = _lines()
    lines[299] = edit(lines[299])
    out = _same(_write(tmp_path, lines), tiny_batches)
    if match is None:
        assert out[0] == "ok"
    else:
        assert out[0] == "error" and match in out[1] and out[2]["row"] == 300


def test_negative_weight_row(tmp_path, tiny_batches):
    lines = [ln + ("," + ("-1" if i == 333 else "1")) for i, ln in enumerate(_lines())]
    path = _write(tmp_path, lines, header="a,b,c,y,w")
    out = _same(path, tiny_batches, weight="w")
    assert out[0] == "error" and out[2]["row"] == 334 and out[2]["column"] == "w"


def test_repeated_column_names_leave_the_file_to_pyarrow(tmp_path):
    path = _write(tmp_path, [ln + ",0" for ln in _lines()], header="a,b,c,y,a")
    names = ["a", "b", "c", "y", "a"]
    assert list(csv_batches.parsed_batches(str(path), names, ["b", "c"])) == [None]


def test_without_polars_pyarrow_reads(tmp_path, tiny_batches):
    path = _write(tmp_path, _lines())
    want = _outcome(path, True, tiny_batches)
    tiny_batches.setattr(csv_batches, "polars", lambda: None)
    tiny_batches.setattr(csv_batches, "MIN_BYTES", 0)
    ds = open_dataset(path, "y", chunk_rows=64)
    assert not ds._reader.fast()
    assert [(*(a.tobytes() for a in c[:2]), None) for c in ds.iter_chunks()] == want[1]


def test_long_lines_and_quoted_text_cells(tmp_path, tiny_batches):
    lines = [f'{ln},"{"x" * (900 if i == 200 else 3)}, {i}"' for i, ln in enumerate(_lines())]
    out = _same(_write(tmp_path, lines, header="a,b,c,y,t"), tiny_batches, features=["a", "b", "c"])
    assert out[0] == "ok" and len(out[1]) == 400 // 64 + 1, out


def test_closing_early_stops_the_engine(tmp_path, tiny_batches):
    """Closing a pass drops polars' batch iterator (which ends polars' query)."""
    path = _write(tmp_path, _lines(3000))
    tiny_batches.setattr(csv_batches, "MIN_BYTES", 0)
    made, batches = [], csv_batches._batches

    def spy(*args):
        it = batches(*args)
        gen = (df for df in it)
        made.append(weakref.finalize(gen, lambda: None))
        return gen

    tiny_batches.setattr(csv_batches, "_batches", spy)
    chunks = open_dataset(path, "y", chunk_rows=10).iter_chunks()
    next(chunks)
    assert len(made) == 1 and made[0].alive
    chunks.close()
    assert not made[0].alive


def test_memory_is_flat_in_the_number_of_rows(tmp_path, tiny_batches):
    """Peak traced memory of a pass does not grow with the file (8x the rows)."""
    tiny_batches.setattr(csv_batches, "MIN_BYTES", 0)
    tiny_batches.setattr(csv_batches, "BATCH_ROWS", 1000)
    tiny_batches.setattr(stream, "PREFETCH_BYTES", 0)  # both files read ahead alike
    peaks = []
    for n in (20_000, 160_000):
        path = _write(tmp_path, _lines(n), name=f"m{n}.csv")
        ds = open_dataset(path, "y", chunk_rows=2048)
        tracemalloc.start()
        rows = sum(len(X) for X, _, _ in ds.iter_chunks())
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert rows == n
    assert path.stat().st_size > 8 * peaks[1]  # far less than the file
    assert peaks[1] < 1.5 * peaks[0]
