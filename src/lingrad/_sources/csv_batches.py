"""CSV at parser speed: polars' streaming engine parses a large file on every core.

For a large plain ``.csv`` file (at least :data:`MIN_BYTES`) and polars
installed, ``polars.scan_csv(...).collect_batches()`` parses the rows after
the header on polars' own threads (the GIL released) while the caller's
statistics run, and hands the batches on in file order. Memory does not grow
with the file: polars' engine holds its own buffers (measured: peak RSS about
285 MB above the imports for its own scan of a 0.5-2 GB file) and lingrad a
few batches in flight (about 115 MB more at 21 columns). The chunks are
gathered from the batches to exactly ``chunk_rows`` rows, so the chunks (and
the fit) are the same at every run whatever the batches' sizes.

Only clean batches are taken from polars: a batch that polars refuses, or
that holds an empty cell, a missing-value marker or a non-finite value, ends
the fast path (and stops the engine). The reader then reads the rest with
pyarrow's streaming reader (:mod:`~lingrad._sources.csv`), which words the
error with its row and column exactly as for a small file, or reads on if
pyarrow accepts the rows.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
>>> with open(path, "w") as fh:
...     _ = fh.write("a,s,y\\n" + "".join(f"{i},t,{2 * i}\\n" for i in range(1000)))
>>> if polars() is not None:
...     batches = list(parsed_batches(path, ["a", "s", "y"], ["y", "a"]))
...     print(sum(b.shape[1] for b in batches), batches[0][:, 3])
1000 [6. 3.]
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["BATCH_ROWS", "MAX_BATCH_BYTES", "MIN_BYTES", "parsed_batches", "polars"]

#: Files under this size are read by pyarrow's streaming reader alone.
MIN_BYTES = 8 << 20
#: Bytes of float64 per polars batch at most (a long ``chunk_rows`` of a wide file).
MAX_BATCH_BYTES = 16 << 20
#: Rows per polars batch, when set (tests set a few); None: the dataset's ``chunk_rows``.
#: (Measured on 2 cores, 1.2M x 21: batches of 65,536 rows parse with 15-20% less
#: CPU than polars' own batches of a few thousand rows.)
BATCH_ROWS: int | None = None

_POLARS: list[Any] = []  # the module or None, looked up once


def polars() -> Any:
    """The polars module, or None when it is not installed (imported lazily, once)."""
    if not _POLARS:
        try:
            _POLARS.append(importlib.import_module("polars"))
        except ImportError:
            _POLARS.append(None)
    return _POLARS[0]


def _clean(df: Any) -> np.ndarray | None:
    """A batch's columns as rows of one float64 array, or None unless every cell is finite
    (seen in each morsel's sum, which any NaN or inf poisons: one read, no mask).

    A batch is polars' morsels of a few thousand rows, concatenated lazily:
    each morsel's columns are copied into its rows of one C-ordered array of
    shape (n_rows, n_cols) and checked while they are in the cache; the array is
    returned transposed.
    """
    series = df.get_columns()
    float64 = polars().Float64
    if any(s.null_count() or s.dtype != float64 for s in series):
        return None
    lengths = series[0].chunk_lengths()
    if any(s.chunk_lengths() != lengths for s in series):  # morsels not aligned
        series, lengths = df.rechunk().get_columns(), [len(df)]
    parts = [s.get_chunks() for s in series]
    out = np.empty((len(df), len(series)))
    a = 0
    for i, n in enumerate(lengths):
        block = out[a : a + n]
        for j, p in enumerate(parts):  # one copy: the morsel's rows stay in the cache
            block[:, j] = p[i].to_numpy()
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum: pyarrow's
            if not np.isfinite(np.add.reduce(block, axis=None)):  # a NaN or inf: in the sum
                return None
        a += n
    return out.T


def _batches(pl: Any, path: str, schema: dict, cols: list[str], rows: int) -> Iterator[Any]:
    """polars' streaming engine on the file: frames of ``rows`` rows of ``cols``, in file order."""
    lazy = pl.scan_csv(path, schema=schema).select(cols)
    return iter(lazy.collect_batches(chunk_size=rows, maintain_order=True))


def parsed_batches(
    path: str, names: list[str], cols: list[str], rows: int = 1 << 16
) -> Iterator[np.ndarray | None]:
    """Every batch of ``rows`` rows after the header, parsed, or None (then stop).

    ``names`` are the header's names (as pyarrow reads them), ``cols`` those
    wanted; :data:`BATCH_ROWS`, when set, replaces ``rows``, and batches hold
    at most :data:`MAX_BATCH_BYTES`.

    Yields
    ------
    ndarray of shape (len(cols), n_batch_rows) or None
        float64, row ``i`` the column ``cols[i]``; None for the first batch
        that is not clean, after which nothing more is parsed.
    """
    pl = polars()
    wanted = set(cols)
    schema = {n: pl.Float64 if n in wanted else pl.String for n in names}
    if len(schema) != len(names):  # repeated names: pyarrow reads the file
        yield None
        return
    batches = None
    try:
        rows = BATCH_ROWS or min(rows, max(1024, MAX_BATCH_BYTES // (8 * len(cols))))
        batches = _batches(pl, path, schema, cols, rows)
        for df in batches:
            out = _clean(df)
            yield out
            if out is None:
                return
    except Exception:  # any refusal: pyarrow reads on from here and words it
        yield None
    finally:
        batches = None  # the engine stops when its batches are dropped
