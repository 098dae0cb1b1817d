"""The work a Spark job does on the executors, for :mod:`lingrad._sources.spark`.

Everything here is pickled (cloudpickle) into a job and runs in the executors'
Python workers, on the Arrow record batches of one partition: converting the
selected columns to float64 blocks (:class:`Layout`), summarising a partition
into one pickled value (:class:`PartitionRun`), merging two of them in
``treeReduce`` (:class:`MergeBlobs`), handing batches to the driver
(:class:`Collect`) and appending predictions (:class:`Predict`). Bad values
travel as data, ``("error", column, what, partition, row)``, so the driver
raises one clear error instead of a JVM stack trace.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._objective import _sums

__all__ = [
    "Collect",
    "Layout",
    "Listed",
    "MergeBlobs",
    "PartitionRun",
    "Predict",
    "add_sums",
    "batch_sums",
    "blob",
    "centred_sq",
    "joined",
    "records",
    "weight_total",
]

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class Layout:
    """Which Arrow columns are X, Y and w (the selected frame's order), and each one's width.

    A feature column of numbers has width 1; an array column (``array<double>``,
    what ``VectorAssembler`` users keep) has the length of its arrays.
    """

    def __init__(
        self, features: list[str], widths: list[int], targets: list[str], weight: str | None
    ) -> None:
        self.features, self.widths, self.targets, self.weight = features, widths, targets, weight

    @property
    def names(self) -> list[str]:
        return self.features + self.targets + ([self.weight] if self.weight else [])

    def arrays(self, batch: Any, partition: int, row0: int) -> Chunk | tuple:
        """One batch as float64 (X, Y, w), or an error record ``("error", ...)``."""
        widths = self.widths + [1] * (len(self.names) - len(self.features))
        cols = []
        for j, (name, width) in enumerate(zip(self.names, widths, strict=True)):
            col, bad = _column(batch.column(j), width)
            if bad is not None:
                return ("error", name, bad[0], partition, row0 + bad[1])
            cols.append(col)
        A = np.column_stack(cols) if cols else np.empty((batch.num_rows, 0))
        bad = ~np.isfinite(A)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            name = self.names[int(np.searchsorted(np.cumsum(widths), j, side="right"))]
            return ("error", name, repr(float(A[i, j])), partition, row0 + int(i))
        f, k = sum(self.widths), len(self.targets)
        w = A[:, f + k] if self.weight else None
        if w is not None and (w < 0).any():
            i = int(np.argmax(w < 0))
            return ("error", self.weight, f"a negative weight ({w[i]})", partition, row0 + i)
        return np.ascontiguousarray(A[:, :f]), np.ascontiguousarray(A[:, f : f + k]), w


def _column(col: Any, width: int) -> tuple[np.ndarray, tuple | None]:
    """One Arrow column as a float64 block of ``width`` columns, or (None, (what, row))."""
    if col.null_count:
        return None, ("null", int(np.flatnonzero(np.asarray(col.is_null()))[0]))
    if width == 1 and not hasattr(col, "flatten"):
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64), None
    import pyarrow.compute as pc

    lengths = np.asarray(pc.list_value_length(col))
    if (lengths != width).any():
        i = int(np.argmax(lengths != width))
        return None, (f"an array of {lengths[i]} values where the first row has {width}", i)
    values = col.flatten()
    if values.null_count:
        i = int(np.flatnonzero(np.asarray(values.is_null()))[0]) // width
        return None, ("a null inside its array", i)
    flat = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return flat.reshape(len(col), width), None


class PartitionRun:
    """The function ``mapInArrow`` runs on each partition: one pickled summary out."""

    def __init__(self, kernel: Callable, combine: Callable, layout: Layout) -> None:
        self.kernel, self.combine, self.layout = kernel, combine, layout

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        partition = ctx.partitionId() if ctx is not None else 0
        acc: Any = None
        row0, held, cells = 0, [], 0
        width = sum(self.layout.widths) + len(self.layout.targets) + 1
        for batch in batches:
            if batch.num_rows == 0:
                continue
            parts = self.layout.arrays(batch, partition, row0)
            row0 += batch.num_rows
            if isinstance(parts[0], str):  # ("error", column, what, partition, row)
                yield from records(parts)
                return
            held.append(parts)
            cells += batch.num_rows * width
            if cells >= BLOCK_CELLS:  # a few large kernel calls, not one per Arrow batch
                acc, held, cells = self._add(acc, held), [], 0
        if held:
            acc = self._add(acc, held)
        yield from records(("ok", acc))

    def _add(self, acc: Any, held: list[Chunk]) -> Any:
        X, Y = (np.concatenate([p[j] for p in held]) for j in (0, 1))
        w = None if held[0][2] is None else np.concatenate([p[2] for p in held])
        out = self.kernel(X, Y, w)
        return out if acc is None else self.combine(acc, out)


#: Cells (rows x columns) a kernel call gets at least: 32 MB of float64.
BLOCK_CELLS = 4 << 20

#: Bytes per row of a pickled value: large summaries (a 5,000-feature Gram matrix is
#: 200 MB) cross the JVM as many small binary cells, never as one huge row.
PIECE = 4 << 20


def records(value: Any) -> Iterator[Any]:
    """``value`` pickled, as Arrow batches of pieces; the first byte of each says "last piece"."""
    import pyarrow as pa

    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    starts = range(0, max(len(data), 1), PIECE)
    pieces = [
        (b"\x01" if a + PIECE >= len(data) else b"\x00") + data[a : a + PIECE] for a in starts
    ]
    for a in range(0, len(pieces), 16):  # 64 MB per batch at most
        yield pa.RecordBatch.from_pydict({"blob": pieces[a : a + 16]})


def joined(pieces: Iterator[bytes]) -> Iterator[Any]:
    """The values :func:`records` cut into pieces, unpickled, in order."""
    buf: list[bytes] = []
    for piece in pieces:
        buf.append(piece[1:])
        if piece[:1] == b"\x01":
            yield pickle.loads(b"".join(buf))
            buf = []


class MergeBlobs:
    """``treeReduce``'s function: two partitions' summaries in one (errors win)."""

    def __init__(self, combine: Callable) -> None:
        self.combine = combine

    def __call__(self, ra: tuple, rb: tuple) -> tuple:
        if ra[0] == "error" or rb[0] == "error":
            errors = [r for r in (ra, rb) if r[0] == "error"]
            return min(errors, key=lambda r: (r[3], r[4]))
        va, vb = ra[1], rb[1]
        if va is None or vb is None:
            return ("ok", vb if va is None else va)
        return ("ok", self.combine(va, vb))


def blob(row: Any) -> bytes:
    return bytes(row[0])


class Collect:
    """``mapInArrow`` for a driver-side pass: each batch's float64 arrays, pickled."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        partition = ctx.partitionId() if ctx is not None else 0
        row0 = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            parts = self.layout.arrays(batch, partition, row0)
            row0 += batch.num_rows
            yield from records(parts)
            if isinstance(parts[0], str):
                return


def batch_sums(theta: np.ndarray, fit_intercept: bool, targets: bool) -> Callable:
    def kernel(X: np.ndarray, Y: np.ndarray, w: np.ndarray | None):
        return _sums(theta, X, Y if targets else np.zeros((1, 1)), w, fit_intercept)

    return kernel


class Listed:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> list[Any]:
        return [self.fn(X, Y, w)]


def weight_total(X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> float:
    return float(len(X) if w is None else w.sum())


def add_sums(a: tuple, b: tuple) -> tuple:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def centred_sq(shift: np.ndarray) -> Callable:
    def kernel(X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        B = X - shift
        return (B * B).sum(axis=0) if w is None else w @ (B * B)

    return kernel


class Predict:
    """``mapInArrow`` for predictions: every input column kept, predictions appended."""

    def __init__(
        self, layout: Layout, coef: np.ndarray, intercept: np.ndarray, names: list[str]
    ) -> None:
        self.layout, self.coef, self.intercept, self.names = layout, coef, intercept, names

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        layout = self.layout
        for batch in batches:
            n = batch.num_rows
            blocks, missing = [], np.zeros(n, bool)
            for name, width in zip(layout.features, layout.widths, strict=True):
                col = batch.column(batch.schema.get_field_index(name))
                if col.null_count:
                    missing |= np.asarray(col.is_null())
                    col = pc.fill_null(col, 0) if width == 1 else col
                if width == 1 and not hasattr(col, "flatten"):
                    col = pc.cast(col, pa.float64())
                    blocks.append(np.asarray(col.to_numpy(zero_copy_only=False)).reshape(n, 1))
                    continue
                lengths = np.asarray(pc.fill_null(pc.list_value_length(col), 0))
                ok = lengths == width
                missing |= ~ok
                block = np.full((n, width), np.nan)
                if ok.any():
                    values = pc.cast(col.filter(pa.array(ok)).flatten(), pa.float64())
                    block[ok] = np.asarray(values.to_numpy(zero_copy_only=False)).reshape(-1, width)
                blocks.append(block)
            P = np.hstack(blocks) @ self.coef + self.intercept
            missing |= ~np.isfinite(P).all(axis=1)
            out = [*batch.columns, *(pa.array(P[:, j], mask=missing) for j in range(P.shape[1]))]
            yield pa.RecordBatch.from_arrays(out, names=[*batch.schema.names, *self.names])
