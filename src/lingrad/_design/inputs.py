"""Raw rows for designs: pandas, polars and Dask frames, and CSV, Parquet or .npy files.

A design is built from raw columns (text, categories, numbers), which the
numeric readers of :mod:`lingrad._sources` refuse; so each input here yields
pandas DataFrames of the columns a formula reads, ``chunk_rows`` rows at a
time (a Dask DataFrame: one partition at a time, or every partition on the
cluster). Files are read through pyarrow in record batches: a file of any size
is streamed, never loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import FormulaError, one_line
from .streams import ManyInput, TableInput

__all__ = ["as_raw_input"]


class FrameInput:
    """A pandas DataFrame, in slices of ``chunk_rows`` rows."""

    def __init__(self, df: Any, chunk_rows: int, description: str = "the DataFrame") -> None:
        self.df, self.chunk_rows = df, chunk_rows
        self.columns = [str(c) for c in df.columns]
        self.description = self.path = description
        self.head = df.iloc[:256]

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        n = len(self.df)
        for a in range(0, max(n, 1), self.chunk_rows):
            yield a, self.df.iloc[a : a + self.chunk_rows][cols]


class PolarsInput(FrameInput):
    """A polars DataFrame, each slice converted to pandas."""

    def __init__(self, df: Any, chunk_rows: int) -> None:
        self.df, self.chunk_rows = df, chunk_rows
        self.columns = list(df.columns)
        self.description = self.path = "the polars DataFrame"
        self.head = df.head(256).to_pandas()

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        n = self.df.height
        for a in range(0, max(n, 1), self.chunk_rows):
            yield a, self.df.slice(a, self.chunk_rows).select(cols).to_pandas()


class DaskInput:
    """A Dask DataFrame: its partitions, computed one at a time or all on the cluster."""

    def __init__(self, ddf: Any) -> None:
        self.ddf = ddf
        self.columns = [str(c) for c in ddf.columns]
        self.description = self.path = "the Dask DataFrame"
        self.head = ddf._meta

    def parts(self, cols: list[str]) -> list:
        return list(self.ddf[cols].to_delayed())

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        row0 = 0
        for part in self.parts(cols):
            frame = part.compute()
            yield row0, frame
            row0 += len(frame)


class FileInput:
    """A CSV, Parquet or .npy file (a path, or a Dataset of ``open_dataset``), streamed."""

    def __init__(self, path: str, fmt: str, columns: list[str], chunk_rows: int) -> None:
        self.path = self.description = path
        self.format, self.columns, self.chunk_rows = fmt, list(columns), chunk_rows
        self.head = next(self._batches(self.columns, frozenset(), probe=True))[1]

    def frames(self, cols: list[str], wrapped: frozenset[str]) -> Iterator[tuple[int, Any]]:
        return self._batches(cols, wrapped)

    def _batches(self, cols: list[str], wrapped: frozenset[str], probe: bool = False):
        import pyarrow as pa

        try:
            if self.format == "npy":
                yield from self._npy(cols)
                return
            reader = (
                self._csv(cols, wrapped, probe) if self.format == "csv" else self._parquet(cols)
            )
            row0 = 0
            for batch in reader:
                yield row0, batch.to_pandas()
                row0 += batch.num_rows
        except pa.ArrowInvalid as exc:
            raise FormulaError(
                (
                    f"{self.path}: {one_line(exc)}. A column whose first rows hold numbers must "
                    "hold numbers in every row: clean it, or code it as a category with "
                    "C(column).",
                ),
            ) from None

    def _csv(self, cols: list[str], wrapped: frozenset[str], probe: bool) -> Any:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        read = pacsv.ReadOptions(block_size=1 << 20, use_threads=False)
        conv = pacsv.ConvertOptions(include_columns=cols, strings_can_be_null=True)
        if not probe:
            types = {
                f.name: f.type for f in pacsv.open_csv(self.path, read, convert_options=conv).schema
            }
            conv.column_types = {c: _csv_type(pa, types[c], c in wrapped) for c in cols}
        reader = pacsv.open_csv(self.path, read_options=read, convert_options=conv)
        try:
            while True:
                try:
                    yield reader.read_next_batch()
                except StopIteration:
                    return
        finally:
            reader.close()

    def _parquet(self, cols: list[str]) -> Any:
        from .._sources.parquet import open_parquet

        with open_parquet(self.path) as pf:
            yield from pf.iter_batches(batch_size=self.chunk_rows, columns=cols)

    def _npy(self, cols: list[str]) -> Iterator[tuple[int, Any]]:
        import pandas as pd

        a = np.load(self.path, mmap_mode="r")
        index = [self.columns.index(c) for c in cols]
        for s in range(0, len(a), self.chunk_rows):
            block = np.asarray(a[s : s + self.chunk_rows][:, index], dtype=np.float64)
            yield s, pd.DataFrame(block, columns=cols)


def _csv_type(pa: Any, inferred: Any, wrapped: bool) -> Any:
    """How a CSV column is read: text as strings, C() integers as integers, else float64."""
    t = pa.types
    if t.is_string(inferred) or t.is_large_string(inferred):
        return pa.string()
    if t.is_boolean(inferred):
        return pa.bool_()
    if wrapped and t.is_integer(inferred):
        return pa.int64()
    return pa.float64()


def _is_dask_frame(obj: Any) -> bool:
    return (
        hasattr(obj, "__dask_graph__") and hasattr(obj, "npartitions") and hasattr(obj, "columns")
    )


def _dataset_input(ds: Any, chunk_rows: int) -> Any:
    """A dataset of ``open_dataset``: one file, many files, or an Arrow stream."""
    from .._sources.multi import MultiReader
    from .._sources.tables import StreamReader

    inner = getattr(ds, "_reader", None)
    if isinstance(inner, MultiReader):
        raw: Any = ManyInput(ds, chunk_rows, FileInput)
    elif isinstance(inner, StreamReader):
        raw = TableInput(inner._obj, chunk_rows)
    else:
        raw = FileInput(ds.path, ds.format, ds.columns, chunk_rows)
    if inner is not None and hasattr(ds, "_passes"):  # passes reported as the dataset's
        raw.meter_dataset = ds
    return raw


def as_raw_input(data: Any, chunk_rows: int | None) -> Any:
    """The raw input for ``data`` (``chunk_rows`` None: 65,536), or a FormulaError
    saying what a formula takes."""
    from .._sources.chunks import DEFAULT_ROWS
    from .._sources.tables import is_table

    chunk_rows = chunk_rows or DEFAULT_ROWS

    if getattr(data, "__lingrad_source__", False) and hasattr(data, "path"):
        return _dataset_input(data, data.chunk_rows)
    if is_table(data):
        return TableInput(data, chunk_rows)
    if isinstance(data, str | os.PathLike | list | tuple):
        from .._sources.files import open_dataset

        ds = open_dataset(data, target=None, chunk_rows=chunk_rows)
        return _dataset_input(ds, chunk_rows)
    if _is_dask_frame(data):
        return DaskInput(data)
    if type(data).__name__ == "DataFrame" and type(data).__module__.startswith("pyspark.sql"):
        from .spark import SparkInput

        return SparkInput(data)
    module = type(data).__module__.split(".")[0]
    if module == "polars" and hasattr(data, "slice"):
        return PolarsInput(data, chunk_rows)
    if module == "pandas" and hasattr(data, "iloc") and hasattr(data, "columns"):
        return FrameInput(data, chunk_rows)
    if isinstance(data, dict):
        import pandas as pd

        return FrameInput(pd.DataFrame(data), chunk_rows, "the data")
    raise FormulaError(
        (
            "A formula needs named columns: a pandas, polars or Dask DataFrame, a dict of "
            "columns, a file path, folder, glob or list of files, a dataset of open_dataset, "
            "a pyarrow RecordBatchReader or Dataset, a polars LazyFrame or a DuckDB "
            "relation; got "
            f"{type(data).__name__}.",
        ),
    )
