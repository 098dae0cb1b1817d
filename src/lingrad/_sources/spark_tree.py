"""Per-partition summaries merged on the cluster, as Arrow binary cells through a shuffle.

For :meth:`lingrad._sources.spark.SparkSource.reduce_chunks`. Each partition's
kernel leaves one pickled summary, cut into pieces of binary cells keyed by
the partition (:func:`keyed_records`). When there are more than two partitions,
one shuffle sends the pieces of about ``sqrt(n)`` partitions to each merge task,
whose Python worker (:class:`MergeRun`) merges them into one; the driver then
collects those few summaries as Arrow (never as pickled rows) and merges them
last. Pieces travel as Arrow binary both ways: no RDD of rows, no row pickling
on the JVM, and the JVM's shuffle only copies bytes.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["SCHEMA", "MergeRun", "keyed_records", "tree_reduce"]

#: The columns of a summary's pieces: its key, a piece's index, their count, the bytes.
SCHEMA = "part int, seq int, pieces int, blob binary"

#: Bytes of a pickled summary per binary cell (a 5,000-feature Gram is 200 MB: 50 cells).
PIECE = 4 << 20


def keyed_records(value: Any, part: int) -> Iterator[Any]:
    """``value`` pickled, as Arrow batches of pieces of :data:`SCHEMA` keyed by ``part``."""
    import pyarrow as pa

    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pieces = [data[a : a + PIECE] for a in range(0, max(len(data), 1), PIECE)]
    for a in range(0, len(pieces), 16):  # 64 MB per batch at most
        chunk = pieces[a : a + 16]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array([part] * len(chunk), pa.int32()),
                pa.array(range(a, a + len(chunk)), pa.int32()),
                pa.array([len(pieces)] * len(chunk), pa.int32()),
                pa.array(chunk, pa.binary()),
            ],
            names=["part", "seq", "pieces", "blob"],
        )


def _values(batches: Any) -> Iterator[Any]:
    """The values whose pieces are in ``batches`` (in any order), unpickled when complete."""
    pending: dict[int, dict[int, bytes]] = {}
    for batch in batches:
        cols = [batch.column(j).to_pylist() for j in range(3)]
        blobs = batch.column(3)
        for i, (part, seq, count) in enumerate(zip(*cols, strict=True)):
            got = pending.setdefault(part, {})
            got[seq] = blobs[i].as_py()
            if len(got) == count:
                del pending[part]
                yield pickle.loads(b"".join(got[s] for s in range(count)))


class MergeRun:
    """``mapInArrow`` of a merge task: every summary that reached it merged into one."""

    def __init__(self, merge: Callable[[Any, Any], Any]) -> None:
        self.merge = merge

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        acc = _merged(_values(batches), self.merge)
        if acc is not None:
            yield from keyed_records(acc, ctx.partitionId() if ctx is not None else 0)


def _merged(values: Iterator[Any], merge: Callable[[Any, Any], Any]) -> Any:
    acc = None
    for v in values:
        acc = v if acc is None else merge(acc, v)
    return acc


def tree_reduce(pieces: Any, n_partitions: int, merge: Callable[[Any, Any], Any]) -> Any:
    """Merge the summaries of a DataFrame of :data:`SCHEMA` (one per partition of ``n_partitions``).

    Returns
    -------
    The merged value, or None when there is none (no partitions).
    """
    if n_partitions > 2:
        fan = max(2, math.ceil(math.sqrt(n_partitions)))
        tasks = math.ceil(n_partitions / fan)
        pieces = pieces.repartition(tasks, "part").mapInArrow(MergeRun(merge), SCHEMA)
    if hasattr(pieces, "toArrow"):
        batches = pieces.toArrow().to_batches()
    else:  # pragma: no cover - pyspark 3.5 (no toArrow)
        batches = pieces._collect_as_arrow()
    return _merged(_values(batches), merge)
