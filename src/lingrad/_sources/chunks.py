"""Chunk assembly: column pieces, as the readers produce them, copied into float64 chunks.

Used by :class:`~lingrad._sources.files.Dataset`: pieces of any length (a CSV
block, a Parquet batch, a file of a folder) become chunks of exactly
``chunk_rows`` rows (the last one shorter).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import Chunk

__all__ = ["CHUNK_BYTES", "DEFAULT_ROWS", "default_rows", "gather", "nan_rows"]

_FIRST_BYTES = 8 << 20
#: Rows per chunk when none are asked (``open_dataset(chunk_rows=None)``) ...
DEFAULT_ROWS = 1 << 16
#: ... or fewer, so that a chunk of a wide file holds at most this many bytes.
CHUNK_BYTES = 32 << 20


def default_rows(n_columns: int) -> int:
    """Rows per chunk of ``n_columns`` float64 columns when none are asked.

    :data:`DEFAULT_ROWS`, or fewer so that a chunk holds at most
    :data:`CHUNK_BYTES` (at least 16 rows): up to 63 columns the chunks are
    the same. (Measured, 2 cores, a fit from a Parquet file of 100,000 x 501:
    3.5-4.3 s in chunks of 65,536 rows, 263 MB each and new memory every
    chunk; 1.6-1.9 s in chunks of 32 MB, which memory reuses; 0.55 s in memory.)

    Examples
    --------
    >>> default_rows(21), default_rows(501), default_rows(10**6)
    (65536, 8371, 16)
    """
    return int(max(16, min(DEFAULT_ROWS, CHUNK_BYTES // (8 * max(n_columns, 1)))))


def gather(
    pieces: Iterator[list[np.ndarray]], f: int, k: int, weighted: bool, rows: int
) -> Iterator[Chunk]:
    """Copy column pieces (as read) into float64 chunks of ``rows`` rows.

    ``pieces`` yields lists of ``f + k (+ 1)`` 1-D arrays of equal length, or
    2-D arrays of shape (f + k (+ 1), n) (copied block-wise: one copy into X,
    one into Y; a transposed C-ordered array copies row runs); the
    chunks are fresh C-ordered arrays (callers may keep them): X of shape
    (rows, f), Y of shape (rows, k), w of shape (rows,) or None. Buffers grow
    with the rows actually read (doubling, up to ``rows``), so a ``chunk_rows``
    far beyond the file's size allocates only what the file holds.
    """
    buf = _Buffers(f, k, weighted)
    first = max(1, _FIRST_BYTES // (8 * (f + k + 1)))  # no regrowth for usual chunk sizes
    for cols in pieces:
        n = len(cols[0])
        a = 0
        while a < n:
            take = min(n - a, rows - buf.pos)
            buf.reserve(min(rows, max(buf.pos + take, 2 * buf.capacity, first)))
            buf.put(cols, a, take)
            a += take
            if buf.pos == rows:
                yield buf.take()
    if buf.pos:
        yield buf.take()


class _Buffers:
    """The chunk being filled: X, Y (and w) columns, grown on demand."""

    def __init__(self, f: int, k: int, weighted: bool) -> None:
        self.f, self.k, self.weighted = f, k, weighted
        self.pos = self.capacity = 0
        self.X = np.empty((0, f))
        self.Y = np.empty((0, k))
        self.w = np.empty(0) if weighted else None

    def reserve(self, capacity: int) -> None:
        if capacity <= self.capacity:
            return
        X, Y = np.empty((capacity, self.f)), np.empty((capacity, self.k))
        X[: self.pos], Y[: self.pos] = self.X[: self.pos], self.Y[: self.pos]
        self.X, self.Y = X, Y
        if self.w is not None:
            w = np.empty(capacity)
            w[: self.pos] = self.w[: self.pos]
            self.w = w
        self.capacity = capacity

    def put(self, cols: list[np.ndarray] | np.ndarray, a: int, take: int) -> None:
        if isinstance(cols, np.ndarray):  # one transposing copy per block of X and Y
            f, k, rows = self.f, self.k, slice(self.pos, self.pos + take)
            self.X[rows] = cols[:f, a : a + take].T
            self.Y[rows] = cols[f : f + k, a : a + take].T
            if self.w is not None:
                self.w[rows] = cols[f + k, a : a + take]
            self.pos += take
            return
        dest = [self.X[:, j] for j in range(self.f)] + [self.Y[:, j] for j in range(self.k)]
        if self.w is not None:
            dest.append(self.w)
        for d, c in zip(dest, cols, strict=True):
            d[self.pos : self.pos + take] = c[a : a + take]
        self.pos += take

    def take(self) -> Chunk:
        n = self.pos
        out = (self.X[:n], self.Y[:n], None if self.w is None else self.w[:n])
        self.__init__(self.f, self.k, self.weighted)  # fresh arrays: callers may keep chunks
        return out


def nan_rows(*arrays: np.ndarray | None) -> np.ndarray:
    """Rows holding a NaN in any of the float ``arrays`` (1-D or 2-D, same length).

    Returns
    -------
    mask : ndarray of bool of shape (n_rows,)
    """
    mask: np.ndarray | None = None
    for a in arrays:
        if a is None:
            continue
        m = np.isnan(a)
        m = m.any(axis=1) if m.ndim == 2 else m
        mask = m if mask is None else mask | m
    return np.zeros(0, dtype=bool) if mask is None else mask
