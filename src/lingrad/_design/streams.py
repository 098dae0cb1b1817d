"""Raw rows of many files and of Arrow streams, for designs: streamed, never collected.

- :class:`ManyInput`: a folder, a glob or a list of CSV/Parquet files (one
  :func:`~lingrad._sources.files.open_dataset` of many files checks that every
  file has the same columns, naming a file that differs). The files are read
  one after another in record batches; ``key=value`` folder names (hive
  partitioning) are columns holding ``value`` on every row below them:
  integers if every value of the key is an integer, numbers if every value is
  a number, else text (a category: ``C(month)`` or ``--categorical city``).
  ``__HIVE_DEFAULT_PARTITION__`` is a missing value. Errors in a file name the
  file and the row counted in that file.
- :class:`TableInput`: a pyarrow ``RecordBatchReader`` (one-shot), a pyarrow
  ``Dataset``, a polars ``LazyFrame`` or a DuckDB relation, read batch by
  batch (only the columns the design reads) by
  :class:`~lingrad._sources.tables.StreamReader`.

Either yields pandas DataFrames of ``chunk_rows`` rows at most, so levels are
discovered in the one pass that gathers the statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["ManyInput", "TableInput"]


def _partition_value(values: list[str | None]) -> Any:
    """How a partition key's values are read: int, float, or kept as text."""
    given = [v for v in values if v is not None]
    for kind in (int, float):
        try:
            for v in given:
                kind(v)
        except ValueError:
            continue
        return float if kind is int and len(given) < len(values) else kind
    return str


class ManyInput:
    """Many CSV/Parquet files (a folder, glob or list), one after another, with partitions.

    Parameters
    ----------
    ds : Dataset
        An :func:`~lingrad._sources.files.open_dataset` of many files (its
        reader a :class:`~lingrad._sources.multi.MultiReader`).
    chunk_rows : int
    file_input : callable
        ``file_input(path, format, columns, chunk_rows)``: the raw rows of one file
        (:class:`~lingrad._design.inputs.FileInput`).
    """

    def __init__(self, ds: Any, chunk_rows: int, file_input: Any) -> None:
        self._file_input = file_input
        reader = ds._reader
        self.description = self.path = self.where = reader.path
        self.columns, self.chunk_rows = list(reader.columns), chunk_rows
        self._files = [(r.path, r.format, list(r.columns)) for r in reader._readers]
        self._parts = reader._parts
        keys = reader.partition_names
        self._kinds = {k: _partition_value([p[k] for p in self._parts]) for k in keys}
        self.head = self._with_parts(self._file(0).head, 0)

    def _file(self, i: int) -> Any:
        path, fmt, columns = self._files[i]
        return self._file_input(path, fmt, columns, self.chunk_rows)

    def _with_parts(self, frame: Any, i: int, cols: list[str] | None = None) -> Any:
        import pandas as pd

        frame = frame.copy()
        for key, value in self._parts[i].items():
            if cols is not None and key not in cols:
                continue
            kind = self._kinds[key]
            v = None if value is None else kind(value)
            dtype = {int: "int64", float: "float64", str: object}[kind]
            frame[key] = pd.Series([v] * len(frame), index=frame.index, dtype=dtype)
        return frame if cols is None else frame[cols]

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        """``(row in its file, frame)`` file after file; ``where`` names the file being read."""
        in_file = [c for c in cols if c not in self._kinds]
        for i in range(len(self._files)):
            reader = self._file(i)
            self.where = reader.path
            read = in_file or reader.columns[:1]
            for row0, frame in reader.frames(read, wrapped):
                yield row0, self._with_parts(frame, i, cols)
        self.where = self.path


class TableInput:
    """An Arrow stream (RecordBatchReader, pyarrow Dataset, polars LazyFrame, DuckDB relation)."""

    def __init__(self, obj: Any, chunk_rows: int) -> None:
        from .._sources.tables import StreamReader

        self._reader = StreamReader(obj, chunk_rows)
        self.description = self.path = self._reader.path
        self.columns = list(self._reader.columns)
        self.head = _head(self._reader.kind, obj)

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        """``(first row, frame)`` batch by batch; only ``cols`` are read."""
        row0 = 0
        for batch in self._reader._batches(cols):
            if batch.num_rows == 0:
                continue
            frame = batch.to_pandas()
            yield row0, frame[cols]
            row0 += len(frame)


def _head(kind: str, obj: Any) -> Any:
    """A few first rows (a one-shot reader: none, its schema only) to learn the column types."""
    if kind == "reader":
        return obj.schema.empty_table().to_pandas()
    if kind == "dataset":
        return obj.head(256).to_pandas()
    if kind == "lazyframe":
        return obj.head(256).collect().to_pandas()
    return obj.limit(256).to_arrow_table().to_pandas()
