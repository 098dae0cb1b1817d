"""A Spark DataFrame as raw rows for a formula: levels and design built on the executors.

``lingrad.ols("y ~ x + C(city)", spark_df)`` makes one Spark job for its fit:
every Arrow batch of a partition becomes a pandas frame of the formula's
columns on the executor, its levels are found and its design coded with the
placeholder first level there (:func:`lingrad._design.stream._chunk_stats`,
the same function files and Dask use), and only each batch's levels, column
names and statistics travel to the driver, where they are merged by column
name as for Dask. So the fit equals the in-memory formula fit of the
collected rows. Later passes that need rows on the driver (robust summaries
of a formula model, predictions from the spec) stream them one partition at
a time (:meth:`SparkInput.frames`).
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
        with large_batches(frame):
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
