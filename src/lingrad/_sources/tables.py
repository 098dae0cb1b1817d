"""Arrow streams as datasets: RecordBatchReader, pyarrow Dataset, polars LazyFrame, DuckDB.

``open_dataset(obj, target=...)`` accepts, besides paths:

- a ``pyarrow.dataset.Dataset`` (re-openable: every pass scans it again,
  reading only the columns the model uses);
- a polars ``LazyFrame`` (re-openable: every pass runs
  ``lf.select(columns).collect_batches(chunk_size=...)`` on the streaming
  engine; the frame is never collected whole);
- a DuckDB relation (re-openable: every pass runs the projected query and
  reads its Arrow record-batch reader);
- a ``pyarrow.RecordBatchReader`` (one-shot: it can be read once).

A fit from statistics needs one pass; a one-shot reader then suffices. What
needs a second pass refuses the consumed reader with a :class:`OneShotError`
naming the cause and the fix (a re-openable source): ``engine="direct"``
(one pass per iteration), the rows' QR for ill-conditioned data (the
reference optimum), robust summaries (``cov_type="HC*"``), and predicting on
the reader that was fitted. Nulls are missing values (see ``missing``);
numbers, booleans, decimals and numbers stored as text are read; other types
(dates, text, categories, nested) are refused naming the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .arrow import cast_float64, null_error, pyarrow
from .errors import DataFileError, data_error

__all__ = ["OneShotError", "StreamReader", "is_table"]


class OneShotError(DataFileError):
    """A one-shot stream (a ``pyarrow.RecordBatchReader``) asked for a second pass."""


def _kind(obj: Any) -> str | None:
    t = type(obj)
    module, name = t.__module__.split(".")[0], t.__name__
    if module == "pyarrow" and name == "RecordBatchReader":
        return "reader"
    if module == "pyarrow" and name.endswith("Dataset") and hasattr(obj, "to_batches"):
        return "dataset"
    if module == "polars" and name == "LazyFrame":
        return "lazyframe"
    if module == "duckdb" and "Relation" in name:
        return "duckdb"
    return None


def is_table(obj: Any) -> bool:
    """A RecordBatchReader, pyarrow Dataset, polars LazyFrame or DuckDB relation."""
    return _kind(obj) is not None


_NAMES = {
    "reader": "the pyarrow.RecordBatchReader",
    "dataset": "the pyarrow Dataset",
    "lazyframe": "the polars LazyFrame",
    "duckdb": "the DuckDB relation",
}


def _arrow_numeric(typ: Any) -> bool:
    t = pyarrow().types
    if t.is_dictionary(typ):
        return False
    return t.is_integer(typ) or t.is_floating(typ) or t.is_boolean(typ) or t.is_decimal(typ)


_DUCKDB_NUMBERS = set(
    "BOOLEAN TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER UBIGINT "
    "UHUGEINT FLOAT DOUBLE DECIMAL".split()
)


def _duckdb_numeric(name: str) -> bool:
    return name.split("(")[0].upper() in _DUCKDB_NUMBERS


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StreamReader:
    """An Arrow stream's columns, batch by batch, as float64 arrays.

    Parameters
    ----------
    obj : RecordBatchReader, pyarrow Dataset, polars LazyFrame or DuckDB relation
    chunk_rows : int
        Rows per batch asked of the stream.

    Attributes
    ----------
    path : str
        How messages name the stream ("the polars LazyFrame").
    format : "arrow"
    columns : list of str
    n_rows : None
    one_shot : bool
        True for a RecordBatchReader.
    """

    format = "arrow"

    def __init__(self, obj: Any, chunk_rows: int) -> None:
        self.kind = _kind(obj)
        self._obj, self.batch_rows = obj, chunk_rows
        self.path = _NAMES[self.kind]
        self.n_rows: int | None = None
        self.one_shot = self.kind == "reader"
        self._read = False
        if self.kind == "lazyframe":
            schema = obj.collect_schema()
            self.columns = list(schema.names())
            numeric = [t.is_numeric() or str(t) == "Boolean" for t in schema.dtypes()]
        elif self.kind == "duckdb":
            self.columns = list(obj.columns)
            numeric = [_duckdb_numeric(str(t)) for t in obj.types]
        else:
            self.columns = list(obj.schema.names)
            numeric = [_arrow_numeric(f.type) for f in obj.schema]
        #: The default features: the numeric columns (but the target and weight).
        self.numeric_columns = [c for c, ok in zip(self.columns, numeric, strict=True) if ok]

    def _batches(self, cols: list[str]) -> Iterator[Any]:
        obj, rows = self._obj, self.batch_rows
        if self.kind == "reader":
            if self._read:
                raise OneShotError(
                    (
                        f"{self.path} was read already and cannot be read again, but this "
                        "needs another pass over the rows (engine='direct', the rows' QR for "
                        "ill-conditioned data, a robust summary, or predictions on the data "
                        "fitted). Pass a re-openable source instead: a pyarrow.dataset.Dataset, "
                        "a folder or glob of files, a polars LazyFrame or a DuckDB relation.",
                    ),
                    path=self.path,
                )
            self._read = True
            for batch in obj:
                yield batch.select(cols) if hasattr(batch, "select") else batch
        elif self.kind == "dataset":
            yield from obj.to_batches(columns=list(dict.fromkeys(cols)), batch_size=rows)
        elif self.kind == "lazyframe":
            frames = obj.select(list(dict.fromkeys(cols))).collect_batches(chunk_size=rows)
            for frame in frames:
                yield frame.to_arrow()
        else:
            rel = obj.project(", ".join(_quote(c) for c in dict.fromkeys(cols)))
            reader = (
                rel.to_arrow_reader(rows)
                if hasattr(rel, "to_arrow_reader")
                else rel.fetch_record_batch(rows)
            )
            yield from reader

    def _to_float(self, col: Any, name: str, row0: int, nulls: str) -> np.ndarray:
        pa = pyarrow()
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if col.null_count and nulls == "raise":
            raise null_error(self.path, col, name, row0)
        typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        t = pa.types
        if not (t.is_integer(typ) or t.is_floating(typ) or t.is_boolean(typ) or t.is_decimal(typ)
                or t.is_string(typ) or t.is_large_string(typ) or t.is_null(typ)):  # fmt: skip
            raise data_error(
                self.path,
                f"column {name!r} holds {typ} values; lingrad needs numbers: convert it, or "
                "pick numeric columns with features=[...].",
                column=name,
            )
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        return cast_float64(col, self.path, name, row0)

    def pieces(self, cols: list[str], nulls: str = "raise") -> Iterator[list[np.ndarray]]:
        """The chosen columns, batch by batch (one float64 array per name of ``cols``)."""
        row0 = 0
        for batch in self._batches(cols):
            if batch.num_rows == 0:
                continue
            yield [self._to_float(batch.column(c), c, row0, nulls) for c in cols]
            row0 += batch.num_rows
