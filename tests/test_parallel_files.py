"""Large CSVs parsed by polars on byte ranges: the same values, rows and errors as pyarrow's reader.

The fast path is forced on small files (``MIN_BYTES = 0``) with tiny ranges,
so that a file of a few hundred rows spans many ranges; every outcome is
compared with pyarrow's streaming reader (``MIN_BYTES`` out of reach) on the
same file: bit-for-bit equal chunks, or the same error with the same row and
column.
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._sources import csv_ranges
from lingrad._sources.errors import DataFileError
from lingrad._sources.files import open_dataset

pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
pytest.importorskip("polars", reason="the parallel CSV path parses with polars")

SLOW = 1 << 62


@pytest.fixture
def tiny_ranges(monkeypatch):
    """Ranges of about 300 bytes: a few hundred rows span tens of ranges."""
    monkeypatch.setattr(csv_ranges, "RANGE_BYTES", 300)
    return monkeypatch


def _outcome(path, fast, monkeypatch, **kw):
    """Every chunk of a pass (as bytes), or the error's type, text and fields."""
    monkeypatch.setattr(csv_ranges, "MIN_BYTES", 0 if fast else SLOW)
    ds = open_dataset(path, **{"target": "y", "chunk_rows": 64, **kw})
    assert ds._reader.fast() is fast
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


def test_ranges_are_parsed_in_parallel_and_in_order(tmp_path, tiny_ranges):
    path = _write(tmp_path, _lines())
    calls = []
    parse = csv_ranges._parse

    def spy(*args):
        calls.append(threading.current_thread().name)
        return parse(*args)

    tiny_ranges.setattr(csv_ranges, "_parse", spy)
    out = _same(path, tiny_ranges)
    assert out[0] == "ok"
    assert len(calls) > 20 and all(name.startswith("lingrad-csv") for name in calls)
    assert len(out[1]) == 400 // 64 + 1  # chunks of chunk_rows, whatever the ranges


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_values_bit_for_bit(tmp_path, tiny_ranges, newline):
    lines = [f'{ln},"txt {i}"' for i, ln in enumerate(_lines())]  # a text column, never read
    path = _write(tmp_path, lines, header='"a","b",c,y,name', newline=newline)
    out = _same(path, tiny_ranges, features=["c", "a"])
    assert out[0] == "ok"
    X = np.concatenate([np.frombuffer(c[0]).reshape(-1, 2) for c in out[1]])
    want = np.array([[float(v) for v in ln.split(",")[2::-2]] for ln in _lines()])
    np.testing.assert_array_equal(X, want)


def test_fit_is_deterministic_and_equals_in_memory(tmp_path, tiny_ranges):
    path = _write(tmp_path, _lines(3000))
    tiny_ranges.setattr(csv_ranges, "MIN_BYTES", 0)
    params = dict(lr="auto", tol=1e-12, n_iters=5000, random_state=0)
    fits = [LinearRegression(**params).fit(open_dataset(path, "y", chunk_rows=100)) for _ in "ab"]
    assert fits[0].coef_.tobytes() == fits[1].coef_.tobytes()
    assert fits[0].intercept_ == fits[1].intercept_
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    mem = LinearRegression(**params).fit(data[:, :3], data[:, 3])
    np.testing.assert_allclose(fits[0].coef_, mem.coef_, rtol=1e-10)
    np.testing.assert_allclose(fits[0].intercept_, mem.intercept_, rtol=1e-10)


# Cells polars and pyarrow might read differently: every one gives pyarrow's outcome.
ODD_CELLS = [
    " 1.5", "1.5 ", "+1", ".5", "5.", "1E+05", '"2.5"', "\t2", "-0", "1e-400",  # numbers
    "0x10", "1_0", "1d5", "١", "true", '"1,5"', "1.5e", "--1", "1.5f",  # not numbers
    "infinity", "-Inf", "1e400", "inf",  # not finite
    "NaN", "nan", "-nan", "NA", "null", "#N/A", "N/A", '""', "",  # missing
]  # fmt: skip


@pytest.mark.parametrize("cell", ODD_CELLS)
@pytest.mark.parametrize("row", [1, 250, 400])
def test_odd_cells_give_pyarrows_outcome(tmp_path, tiny_ranges, cell, row):
    lines = _lines()
    a, _, c, y = lines[row - 1].split(",")
    lines[row - 1] = ",".join([a, cell, c, y])
    out = _same(_write(tmp_path, lines), tiny_ranges)
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
def test_ragged_and_empty_lines(tmp_path, tiny_ranges, edit, match):
    lines = _lines()
    lines[299] = edit(lines[299])
    out = _same(_write(tmp_path, lines), tiny_ranges)
    if match is None:
        assert out[0] == "ok"
    else:
        assert out[0] == "error" and match in out[1] and out[2]["row"] == 300


def test_negative_weight_row(tmp_path, tiny_ranges):
    lines = [ln + ("," + ("-1" if i == 333 else "1")) for i, ln in enumerate(_lines())]
    path = _write(tmp_path, lines, header="a,b,c,y,w")
    out = _same(path, tiny_ranges, weight="w")
    assert out[0] == "error" and out[2]["row"] == 334 and out[2]["column"] == "w"


def test_repeated_column_names_leave_the_file_to_pyarrow(tmp_path):
    path = _write(tmp_path, [ln + ",0" for ln in _lines()], header="a,b,c,y,a")
    names = ["a", "b", "c", "y", "a"]
    assert list(csv_ranges.parsed_ranges(str(path), 10, names, ["b", "c"])) == [None]


def test_without_polars_pyarrow_reads(tmp_path, tiny_ranges):
    path = _write(tmp_path, _lines())
    want = _outcome(path, True, tiny_ranges)
    tiny_ranges.setattr(csv_ranges, "polars", lambda: None)
    tiny_ranges.setattr(csv_ranges, "MIN_BYTES", 0)
    ds = open_dataset(path, "y", chunk_rows=64)
    assert not ds._reader.fast()
    assert [(*(a.tobytes() for a in c[:2]), None) for c in ds.iter_chunks()] == want[1]


def test_line_ranges_cut_at_newlines(tmp_path):
    path = tmp_path / "r.csv"
    body = b"h\n" + b"".join(b"%d\n" % i for i in range(5000)) + b"x" * 900 + b"\n1"
    path.write_bytes(body)
    parts = list(csv_ranges.line_ranges(str(path), 2, 256))
    assert b"".join(parts) == body[2:]
    assert all(p.endswith(b"\n") for p in parts[:-1]) and parts[-1].endswith(b"1")
    assert max(len(p) for p in parts) >= 900  # a long line makes its range longer


def test_closing_early_stops_the_parsers(tmp_path, tiny_ranges):
    path = _write(tmp_path, _lines(3000))
    tiny_ranges.setattr(csv_ranges, "MIN_BYTES", 0)
    chunks = open_dataset(path, "y", chunk_rows=10).iter_chunks()
    next(chunks)
    chunks.close()
    alive = [t.name for t in threading.enumerate() if t.name.startswith("lingrad-csv")]
    assert alive == []


def test_memory_is_flat_in_the_number_of_rows(tmp_path, tiny_ranges):
    """Peak traced memory of a pass does not grow with the file (8x the rows)."""
    tiny_ranges.setattr(csv_ranges, "MIN_BYTES", 0)
    tiny_ranges.setattr(csv_ranges, "RANGE_BYTES", 64 << 10)
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
