"""The Parquet reader: ``ParquetFile.iter_batches``, the memory of one row group.

Batches are decoded by pyarrow's thread pool (the columns of a batch in
parallel); the read-ahead thread (:mod:`~lingrad._sources.stream`) decodes
the next batches while the caller computes the statistics of the last ones.
Column chunks are not pre-buffered: with ``pre_buffer=True`` the memory of a
pass grows with the number of row groups (measured: 215 MB for 4 row groups
of 131,072 rows, 310 MB for 8; 165 MB for both without it). They are read
through a buffer of :data:`READ_BUFFER` bytes rather than whole: a row group
of 2**20 rows of 21 float64 columns is 176 MB of column chunks, which an
unbuffered read holds at once (measured, fresh process, 1.2M x 21 rows: peak
RSS 359 MB above the imports unbuffered, 207 MB with 1 MiB; the first fit
0.9-1.3 s against 0.3-0.5 s, since new memory is slow to touch on a VM; the
same time from the second fit on).

Numeric, boolean, decimal and string (parsed as numbers) columns are read;
any other type is refused before the first row is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .arrow import cast_float64, null_error, numbered_batches, pyarrow
from .errors import (
    NO_ROWS_HINT,
    PICK_NUMERIC,
    data_error,
    listed,
    no_such_file,
    one_line,
)
from .stamp import FileStamp

__all__ = ["READ_BUFFER", "SUFFIXES", "ParquetReader", "open_parquet"]

SUFFIXES = (".parquet", ".pq")
#: Bytes read at a time from a column chunk.
READ_BUFFER = 1 << 20


def open_parquet(path: str) -> Any:
    """``pyarrow.parquet.ParquetFile`` reading column chunks through a buffer, not whole.

    Raises what pyarrow raises (``FileNotFoundError``, ``OSError``, ``ArrowException``).
    """
    pq = pyarrow("pyarrow.parquet")
    return pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER)


class ParquetReader:
    """Parquet through ``ParquetFile.iter_batches``: memory of one row group.

    Parameters
    ----------
    path : str
    chunk_rows : int
        Rows per read batch.

    Attributes
    ----------
    columns : list of str
        The schema's names, in file order.
    types : dict
        Column name -> Arrow type.
    n_rows : int
        From the file's metadata.

    Raises
    ------
    DataFileError
        A missing, unreadable or empty file, or one without rows.
    """

    format = "parquet"

    def __init__(self, path: str, chunk_rows: int) -> None:
        self.path = path
        self.batch_rows = chunk_rows
        self.stamp = FileStamp(path)
        pf = self._open()
        try:
            schema = pf.schema_arrow
            self.columns = list(schema.names)
            self.types = {f.name: f.type for f in schema}
            self.n_rows: int | None = pf.metadata.num_rows
        finally:
            pf.close()
        if self.n_rows == 0:
            raise data_error(
                self.path, f"the file has columns {listed(self.columns)} but no rows.", NO_ROWS_HINT
            )

    def _open(self) -> Any:
        pa = pyarrow()
        try:
            return open_parquet(self.path)
        except FileNotFoundError:
            raise no_such_file(self.path) from None
        except (OSError, pa.ArrowException) as exc:
            msg = "the file is empty" if "size is 0" in str(exc) else one_line(exc)
            raise data_error(self.path, f"cannot be read as Parquet ({msg}).") from None

    def check_types(self, cols: list[str]) -> None:
        """Numbers, booleans and strings (parsed) only."""
        t = pyarrow().types
        for c in cols:
            typ = self.types[c]
            if t.is_dictionary(typ):
                typ = typ.value_type
            ok = (
                t.is_integer(typ)
                or t.is_floating(typ)
                or t.is_boolean(typ)
                or t.is_decimal(typ)
                or t.is_string(typ)
                or t.is_large_string(typ)
                or t.is_null(typ)
            )
            if not ok:
                raise data_error(
                    self.path,
                    f"column {c!r} holds {typ} values (every row); lingrad needs numbers: ",
                    *PICK_NUMERIC,
                    column=c,
                )

    def _to_float(self, col: Any, name: str, row0: int, nulls: str = "raise") -> np.ndarray:
        pa = pyarrow()
        if col.null_count and nulls == "raise":
            raise null_error(self.path, col, name, row0)
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        if pa.types.is_floating(col.type) and col.type.bit_width == 64:
            return col.to_numpy(zero_copy_only=False)
        return cast_float64(col, self.path, name, row0)

    def pieces(self, cols: list[str], nulls: str = "raise") -> Iterator[list[np.ndarray]]:
        """The chosen columns, one list of float64 arrays (one per name of ``cols``) per batch.

        A column of another type raises :class:`DataFileError` before any row
        is read; a null or non-numeric string raises it at its row; a file
        changed since the first pass raises it before or after the pass.
        """
        return self.stamp.watch(self._pieces(cols, nulls))

    def _pieces(self, cols: list[str], nulls: str) -> Iterator[list[np.ndarray]]:
        self.check_types(cols)
        pf = self._open()
        try:
            batches = pf.iter_batches(
                batch_size=self.batch_rows, columns=list(dict.fromkeys(cols)), use_threads=True
            )
            for row0, batch in numbered_batches(lambda: next(batches), self.path):
                yield [self._to_float(batch.column(c), c, row0, nulls) for c in cols]
        finally:
            pf.close()
