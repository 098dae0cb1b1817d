"""A Spark DataFrame as raw rows for a formula: levels and design built on the executors.

``lingrad.ols("y ~ x + C(city)", spark_df)`` makes one Spark job for its fit:
every Arrow batch of a partition becomes a pandas frame of the formula's
columns on the executor, its levels are found and its design coded with the
placeholder first level there (:func:`lingrad._design.stream._chunk_stats`,
the same function files and Dask use), and only each batch's levels, column
names and statistics travel to the driver, where they are merged by column
name as for Dask. So the fit equals the in-memory formula fit of the
collected rows. Second passes of a fitted formula model (robust summaries,
``score``) build each batch's design with the frozen spec on the executors
too (:meth:`SparkInput.reduce_frames`, merged by the same tree as the
statistics); a pass that needs the rows themselves streams them one
partition at a time (:meth:`SparkInput.frames`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["SparkInput"]

_DESCRIPTION = "the Spark DataFrame"


class SparkInput:
    """A Spark DataFrame's columns for a design: a head for the column kinds, per-partition work.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    """

    def __init__(self, df: Any) -> None:
        self.df = df
        self.columns = [f.name for f in df.schema.fields]
        self.description = self.path = _DESCRIPTION
        self.head = df.limit(256).toPandas()

    def chunk_results(self, p: Any, cols: list[str], categorical, na, weight) -> list[tuple]:
        """``_chunk_stats`` of every Arrow batch, computed by the executors, in order."""
        from .._sources.spark_input import large_batches, quoted
        from .._sources.spark_tasks import blob, joined

        frame = self.df.select(*[self.df[quoted(c)] for c in cols])
        run = _Batches(p, cols, categorical, na, weight)
        with large_batches(frame, len(cols)):
            parts = frame.mapInArrow(run, "blob binary").rdd.map(blob).mapPartitions(joined)
            out = []
            for status, value in parts.collect():  # small: levels, names, statistics per batch
                if status == "raise":
                    raise value
                out.extend(value)
        return out

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        """The rows on the driver as pandas frames, one Arrow batch at a time, in order."""
        from .._sources.spark_input import quoted
        from .._sources.spark_tasks import blob, joined

        frame = self.df.select(*[self.df[quoted(c)] for c in cols])
        rdd = frame.mapInArrow(_pickled_batches, "blob binary").rdd.map(blob)
        row0 = 0
        for p in range(rdd.getNumPartitions()):
            for batch in joined(iter(rdd.context.runJob(rdd, list, [p]))):
                pdf = batch.to_pandas()
                pdf.columns = cols
                yield row0, pdf
                row0 += len(pdf)

    def reduce_frames(self, cols: list[str], design: Any, kernel: Any, combine: Any) -> tuple:
        """``kernel(X, Y, w)`` of every batch's design, on the executors, merged by a tree.

        Parameters
        ----------
        cols : list of str
            The raw columns the design reads.
        design : callable
            ``design(frame, row0, description)``: a batch's
            :class:`~lingrad._design.build.Built` (picklable, the frozen spec's).
        kernel, combine : callable
            As for :meth:`lingrad._sources.spark.SparkSource.reduce_chunks`.

        Returns
        -------
        tuple
            ``(combined value or None, rows read, rows dropped)``.
        """
        from .._sources.spark_input import large_batches, quoted
        from .._sources.spark_tree import SCHEMA, tree_reduce

        frame = self.df.select(*[self.df[quoted(c)] for c in cols])
        with large_batches(frame, len(cols)):
            pieces = frame.mapInArrow(_DesignRun(cols, design, kernel, combine), SCHEMA)
            out = tree_reduce(pieces, frame.rdd.getNumPartitions(), _MergeRuns(combine))
        if out is None:
            return None, 0, 0
        if out[0] == "raise":
            raise out[2]
        return out[1:]


def _pickled_batches(batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInArrow``: each batch pickled, for the driver."""
    from .._sources.spark_tasks import records

    for batch in batches:
        if batch.num_rows:
            yield from records(batch)


class _Batches:
    """``mapInArrow``: each batch's ``_chunk_stats`` (a partition's list, pickled).

    An error raised by the design (a missing value, a bad column) travels as
    ``("raise", error)`` and is raised again on the driver.
    """

    def __init__(self, p, cols, categorical, na, weight) -> None:
        self.args = (p, cols, categorical, na, weight)

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        from .._sources.spark_tasks import records, task_threads

        try:
            with task_threads(TaskContext.get()):
                results = self._each(batches, *self.args)
        except Exception as exc:  # reported on the driver, as a lingrad error
            yield from records(("raise", exc))
            return
        yield from records(("ok", results))

    def _each(self, batches, p, cols, categorical, na, weight):
        from .stream import _chunk_stats

        results, row0 = [], 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            frame = batch.to_pandas()
            frame.columns = cols
            results.append(_chunk_stats(p, frame, categorical, na, row0, _DESCRIPTION, weight))
            row0 += batch.num_rows
        return results


class _DesignRun:
    """``mapInArrow``: one partition's ``kernel`` on each batch's design, combined there.

    An error of the design (a missing value, an unseen level) travels as
    ``("raise", partition, error)`` and is raised again on the driver.
    """

    def __init__(self, cols: list[str], design: Any, kernel: Any, combine: Any) -> None:
        self.cols, self.design, self.kernel, self.combine = cols, design, kernel, combine

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        from .._sources.spark_tasks import task_threads
        from .._sources.spark_tree import keyed_records

        ctx = TaskContext.get()
        part = ctx.partitionId() if ctx is not None else 0
        acc, rows, dropped = None, 0, 0
        try:
            with task_threads(ctx):
                for batch in batches:
                    if batch.num_rows == 0:
                        continue
                    frame = batch.to_pandas()
                    frame.columns = self.cols
                    b = self.design(frame, rows, _DESCRIPTION)
                    out = self.kernel(b.X, b.Y, b.w)
                    acc = out if acc is None else self.combine(acc, out)
                    rows, dropped = rows + batch.num_rows, dropped + b.n_dropped
        except Exception as exc:  # reported on the driver, as a lingrad error
            yield from keyed_records(("raise", part, exc), part)
            return
        yield from keyed_records(("ok", acc, rows, dropped), part)


class _MergeRuns:
    """Two partitions' ``("ok", value, rows, dropped)`` as one; the first partition's error wins."""

    def __init__(self, combine: Any) -> None:
        self.combine = combine

    def __call__(self, a: tuple, b: tuple) -> tuple:
        if a[0] == "raise" or b[0] == "raise":
            return min((r for r in (a, b) if r[0] == "raise"), key=lambda r: r[1])
        if a[1] is None or b[1] is None:
            value = b[1] if a[1] is None else a[1]
        else:
            value = self.combine(a[1], b[1])
        return ("ok", value, a[2] + b[2], a[3] + b[3])
