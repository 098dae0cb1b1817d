"""CSV at parser speed: byte ranges split at line ends, parsed by polars on every core.

For a large plain ``.csv`` file (at least :data:`MIN_BYTES`) and polars
installed, the rows after the header are cut into ranges of about
:data:`RANGE_BYTES` ending at a newline, and :data:`WORKERS` threads parse
them with ``polars.read_csv`` (which releases the GIL), at most
``WORKERS + 1`` ranges in flight: memory is that of a few ranges whatever the
file's size, and the caller's statistics (BLAS, GIL released) overlap the
parsing. Ranges are handed on in file order, so the chunks (and the fit) are
the same at every run.

Only clean ranges are taken from polars: a range that polars refuses, or that
holds an empty cell, a missing-value marker or a non-finite value, ends the
fast path. The reader then reads the rest with pyarrow's streaming reader
(:mod:`~lingrad._sources.csv`), which words the error with its row and column
exactly as for a small file, or reads on if pyarrow accepts the range.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
>>> with open(path, "wb") as fh:
...     _ = fh.write(b"a,y\\n" + b"".join(b"%d,%d\\n" % (i, 2 * i) for i in range(1000)))
>>> parts = list(line_ranges(path, 4, 4000))  # after the 4-byte header, cut at newlines
>>> [len(p) for p in parts], all(p.endswith(b"\\n") for p in parts)
([3997, 3996, 342], True)
>>> b"".join(parts) == open(path, "rb").read()[4:]
True
"""

from __future__ import annotations

import importlib
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["MIN_BYTES", "RANGE_BYTES", "WORKERS", "line_ranges", "parsed_ranges", "polars"]

#: Files under this size are read by pyarrow's streaming reader alone (no threads).
MIN_BYTES = 8 << 20
#: Bytes per parsed range (measured: 4 MiB ranges beat 2 and 16 MiB ones on 2 cores).
RANGE_BYTES = 4 << 20
try:
    WORKERS = max(1, len(os.sched_getaffinity(0)))
except AttributeError:  # pragma: no cover - not on Linux
    WORKERS = max(1, os.cpu_count() or 1)


_POLARS: list[Any] = []  # the module or None, looked up once


def polars() -> Any:
    """The polars module, or None when it is not installed (imported lazily, once)."""
    if not _POLARS:
        try:
            _POLARS.append(importlib.import_module("polars"))
        except ImportError:
            _POLARS.append(None)
    return _POLARS[0]


def line_ranges(path: str, start: int, size: int | None = None) -> Iterator[bytes]:
    """The bytes of ``path`` from ``start``, in pieces of about ``size`` ending at a newline.

    ``size`` defaults to :data:`RANGE_BYTES`.

    A line longer than ``size`` makes its range longer (up to the line's end);
    the last range holds the rest of the file. Bytes appended while reading
    are not read (the pass's end check reports the change).
    """
    size = size or RANGE_BYTES
    fd = os.open(path, os.O_RDONLY)
    try:
        pos, stop = start, os.fstat(fd).st_size
        while True:
            data = os.pread(fd, min(size, max(stop - pos, 0)), pos)
            while len(data) >= size and data.rfind(b"\n") < 0:  # a line longer than size
                more = os.pread(fd, min(size, max(stop - pos - len(data), 0)), pos + len(data))
                if not more:
                    break
                data += more
            if not data:
                return
            end = data.rfind(b"\n") + 1 if len(data) >= size else len(data)
            end = end or len(data)
            yield data if end == len(data) else data[:end]
            pos += end
    finally:
        os.close(fd)


def _parse(pl: Any, data: bytes, schema: dict, cols: list[str]) -> list[np.ndarray] | None:
    """The float64 columns ``cols`` of a range, or None unless every cell is a finite number."""
    try:
        df = pl.scan_csv(data, has_header=False, schema=schema).select(cols).collect()
        out = [df.get_column(c).to_numpy() for c in cols]
    except Exception:  # any refusal: pyarrow reads the range and words it
        return None
    for a in out:
        if a.dtype != np.float64 or not np.isfinite(a).all():
            return None
    return out


def parsed_ranges(
    path: str, header_end: int, names: list[str], cols: list[str]
) -> Iterator[list[np.ndarray] | None]:
    """Every range after the header, parsed: the columns ``cols``, or None (then stop).

    Yields
    ------
    list of ndarray of shape (n_range_rows,) or None
        One float64 array per name of ``cols``; None for the first range that
        is not clean, after which nothing more is parsed.
    """
    pl = polars()
    wanted = set(cols)
    schema = {n: pl.Float64 if n in wanted else pl.String for n in names}
    if len(schema) != len(names):  # repeated names: pyarrow reads the file
        yield None
        return
    pending: deque = deque()
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="lingrad-csv") as pool:
        try:
            for data in line_ranges(path, header_end):
                pending.append(pool.submit(_parse, pl, data, schema, cols))
                if len(pending) > WORKERS:
                    out = pending.popleft().result()
                    yield out
                    if out is None:
                        return
            while pending:
                out = pending.popleft().result()
                yield out
                if out is None:
                    return
        finally:
            for fut in pending:
                fut.cancel()
