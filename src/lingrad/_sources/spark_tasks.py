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

import contextlib
import math
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .spark_tree import keyed_records

__all__ = [
    "Collect",
    "Layout",
    "Listed",
    "MergeBlobs",
    "PartitionRun",
    "Predict",
    "blob",
    "joined",
    "merge_weight_scales",
    "records",
    "weight_scale",
]

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class Layout:
    """Which Arrow columns are X, Y, w and the extra (label) columns, and each one's width.

    A feature column of numbers has width 1; an array column (``array<double>``,
    what ``VectorAssembler`` users keep) has the length of its arrays. Extra
    columns (cluster or fold groups) are read as they are (numbers or text).
    """

    def __init__(
        self,
        features: list[str],
        widths: list[int],
        targets: list[str],
        weight: str | None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.features, self.widths, self.targets, self.weight = features, widths, targets, weight
        self.extra = tuple(extra)
        self.weight_shift = 0  # weights are divided by 2**weight_shift (extreme scales)

    @property
    def width(self) -> int:
        """Cells per row: the features' widths, the targets, the weight, the extra columns."""
        return sum(self.widths) + len(self.names) - len(self.features) + len(self.extra)

    @property
    def names(self) -> list[str]:
        return self.features + self.targets + ([self.weight] if self.weight else [])

    def with_extra(self, extra: tuple[str, ...], weight_shift: int | None = None) -> Layout:
        """This layout with other extra columns (and another weight scale)."""
        out = Layout(self.features, self.widths, self.targets, self.weight, extra)
        out.weight_shift = self.weight_shift if weight_shift is None else weight_shift
        return out

    def columns(self, batch: Any, partition: int, row0: int) -> list | tuple:
        """One batch's numeric columns as float64 views (width-1: (n,); arrays: (n, width))
        followed by its extra columns, or an error record ``("error", ...)``."""
        widths = self.widths + [1] * (len(self.names) - len(self.features))
        cols: list[Any] = []
        for j, (name, width) in enumerate(zip(self.names, widths, strict=True)):
            col, bad = _column(batch.column(j), width)
            if bad is not None:
                return ("error", name, bad[0], partition, row0 + bad[1])
            cols.append(col)
        for j, name in enumerate(self.extra, start=len(self.names)):
            col = batch.column(j)
            if col.null_count:
                i = int(np.flatnonzero(np.asarray(col.is_null()))[0])
                return ("error", name, "null", partition, row0 + i)
            cols.append(np.asarray(col.to_numpy(zero_copy_only=False)))
        return cols

    def arrays(self, batch: Any, partition: int, row0: int) -> Chunk | tuple:
        """One batch as float64 (X, Y, w), or an error record ``("error", ...)``."""
        cols = self.columns(batch, partition, row0)
        if isinstance(cols, tuple):
            return cols
        blocks = Blocks(self, batch.num_rows, row0)
        blocks.put(cols, 0, batch.num_rows)
        out = blocks.take(partition)
        return out if isinstance(out[0], str) else out[:3]


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
    """The function ``mapInArrow`` runs on each partition: one pickled summary out, in
    pieces keyed by the partition (:func:`lingrad._sources.spark_tree.keyed_records`).

    The batches' columns are copied once, straight into float64 blocks of
    about :data:`BLOCK_CELLS` cells (:class:`Blocks`), and the kernel runs once
    per block. With ``labels`` (extra columns) or ``offsets`` (each
    partition's first global row), the kernel is called
    ``kernel(X, Y, w, labels, start)``: ``labels`` of shape (n_rows, n_extra)
    or None, ``start`` the global position of the block's first row or None.
    """

    def __init__(
        self, kernel: Callable, combine: Callable, layout: Layout, offsets: dict | None = None
    ) -> None:
        self.kernel, self.combine, self.layout, self.offsets = kernel, combine, layout, offsets

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        partition = ctx.partitionId() if ctx is not None else 0
        acc: Any = None
        # A kernel that can accumulate (StatsKernel) sums a partition's blocks itself.
        stream = None if self.layout.extra or self.offsets is not None else self._stream()
        with task_threads(ctx):
            for out in _partition_blocks(batches, self.layout, partition):
                if isinstance(out[0], str):  # ("error", column, what, partition, row)
                    yield from keyed_records(out, partition)
                    return
                if stream is not None:
                    stream.add(*out[:3])
                else:
                    acc = self._add(acc, out, partition)
        if stream is not None:
            acc = stream.result()
        yield from keyed_records(("ok", acc), partition)

    def _stream(self) -> Any:
        make = getattr(self.kernel, "accumulator", None)
        return make() if make is not None else None

    def _add(self, acc: Any, block: Any, partition: int) -> Any:
        X, Y, w, labels, row0 = block
        if self.layout.extra or self.offsets is not None:
            start = None if self.offsets is None else self.offsets.get(partition, 0) + row0
            out = self.kernel(X, Y, w, labels, start)
        else:
            out = self.kernel(X, Y, w)
        return out if acc is None else self.combine(acc, out)


def task_threads(ctx: Any) -> Any:
    """BLAS limited to the task's cores (``spark.task.cpus``, 1 by default) while it runs:
    every task slot runs its own Python worker, and a threaded BLAS per worker on the same
    cores spends most of its time synchronising (30x slower measured on a busy machine)."""
    from threadpoolctl import threadpool_limits

    cpus = 1
    with contextlib.suppress(Exception):
        cpus = max(1, int(ctx.cpus())) if ctx is not None else 1
    return threadpool_limits(limits=cpus, user_api="blas")


def _partition_blocks(batches: Iterator[Any], layout: Layout, partition: int) -> Iterator[Any]:
    """Each block ``(X, Y, w, labels, row0)`` of one partition's
    batches (row0: the block's first row in the partition), or one error record."""
    width = sum(layout.widths) + len(layout.targets) + 1 + len(layout.extra)
    rows = max(1, BLOCK_CELLS // width)
    blocks, seen = Blocks(layout, rows), 0
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        cols = layout.columns(batch, partition, seen)
        if isinstance(cols, tuple):
            yield cols
            return
        if blocks.fill == 0 and len(layout.features) == 1 and not layout.extra:
            # one feature column (an array column, say): its rows are X already, as views
            for a in range(0, n, rows):
                out = _view(layout, cols, a, min(n, a + rows), partition, blocks.row0 + a)
                yield out
                if isinstance(out[0], str):
                    return
            blocks.row0 += n
            seen += n
            continue
        a = 0
        while a < n:
            m = min(n - a, blocks.capacity - blocks.fill)
            blocks.put(cols, a, a + m)
            a += m
            if blocks.fill == blocks.capacity:
                yield blocks.take(partition)
                blocks = Blocks(layout, rows, blocks.row0 + blocks.fill)
        seen += n
    if blocks.fill:
        yield blocks.take(partition)


class Blocks:
    """Rows gathered into float64 blocks X (rows, f), Y (rows, k), w (rows,): every Arrow
    column copied once, straight into place (no column_stack, no concatenation)."""

    def __init__(self, layout: Layout, rows: int, row0: int = 0) -> None:
        f, k = sum(layout.widths), len(layout.targets)
        self.layout, self.capacity, self.fill, self.row0 = layout, rows, 0, row0
        self.X, self.Y = np.empty((rows, f)), np.empty((rows, k))
        self.w = np.empty(rows) if layout.weight else None
        self.labels: list[np.ndarray] = []

    def put(self, cols: list[np.ndarray], a: int, b: int) -> None:
        """Rows ``a .. b - 1`` of one batch's columns (from :meth:`Layout.columns`)."""
        lay, s = self.layout, slice(self.fill, self.fill + b - a)
        j = 0
        for col, width in zip(cols, lay.widths, strict=False):
            if width == 1:
                self.X[s, j] = col[a:b]
            else:
                self.X[s, j : j + width] = col[a:b]
            j += width
        nf, k = len(lay.features), len(lay.targets)
        for t in range(k):
            self.Y[s, t] = cols[nf + t][a:b]
        if self.w is not None:
            self.w[s] = cols[nf + k][a:b]
        if lay.extra:
            extra = cols[len(lay.names) :]
            self.labels.append(
                extra[0][a:b, None] if len(extra) == 1 else np.column_stack([c[a:b] for c in extra])
            )
        self.fill += b - a

    def take(self, partition: int) -> tuple:
        """``(X, Y, w, labels, row0)`` of the rows put, or an error record (non-finite, w < 0)."""
        n = self.fill
        w = None if self.w is None else self.w[:n]
        labels = None
        if self.labels:
            labels = self.labels[0] if len(self.labels) == 1 else np.concatenate(self.labels)
        return _checked(self.layout, (self.X[:n], self.Y[:n], w, labels), partition, self.row0)


def _view(layout: Layout, cols: list, a: int, b: int, partition: int, row0: int) -> tuple:
    """Rows ``a .. b - 1`` of a batch whose features are one column, as a checked block
    of views of the batch's buffers (Y copied only for several targets)."""
    k = len(layout.targets)
    X = cols[0][a:b] if cols[0].ndim == 2 else cols[0][a:b, None]
    Y = cols[1][a:b, None] if k == 1 else np.column_stack([c[a:b] for c in cols[1 : 1 + k]])
    w = cols[1 + k][a:b] if layout.weight else None
    return _checked(layout, (X, Y, w, None), partition, row0)


def _checked(lay: Layout, block: tuple, partition: int, row0: int) -> tuple:
    """``(X, Y, w, labels, row0)`` (weights rescaled), or an error record for the first
    non-finite value or negative weight."""
    X, Y, w, labels = block
    for A, names, widths in ((X, lay.features, lay.widths), (Y, lay.targets, None)):
        if not np.isfinite(A).all():
            i, j = np.argwhere(~np.isfinite(A))[0]
            c = j if widths is None else int(np.searchsorted(np.cumsum(widths), j, "right"))
            return ("error", names[c], repr(float(A[i, j])), partition, row0 + int(i))
    if w is not None and not (np.isfinite(w).all() and (w >= 0).all()):
        i = int(np.argmax(~(np.isfinite(w) & (w >= 0))))
        what = repr(float(w[i])) if not np.isfinite(w[i]) else f"a negative weight ({w[i]})"
        return ("error", lay.weight, what, partition, row0 + i)
    if w is not None and lay.weight_shift:
        w = np.ldexp(w, -lay.weight_shift)
    return X, Y, w, labels, row0


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


class Listed:
    """A kernel's result as a one-item list (``operator.add`` then lists every block's)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> list[Any]:
        return [self.fn(X, Y, w)]


def weight_scale(X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> tuple[float, float, int]:
    """``(max w, sum w / 2**e, e)`` of one block, ``e`` its largest weight's exponent:
    no overflow or underflow whatever the weights' scale (1e-300 .. 1e308)."""
    if w is None:
        return 1.0, float(len(X)), 0
    top = float(w.max()) if len(w) else 0.0
    e = math.frexp(top)[1] if top > 0 else 0
    return top, float(np.ldexp(w, -e).sum()), e


def merge_weight_scales(a: tuple, b: tuple) -> tuple[float, float, int]:
    """Two blocks' :func:`weight_scale` at the larger exponent (exact or negligible shrinks)."""
    e = max(a[2], b[2])
    return max(a[0], b[0]), math.ldexp(a[1], a[2] - e) + math.ldexp(b[1], b[2] - e), e


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
