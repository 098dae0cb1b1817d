"""The CSV reader: polars' streaming engine for large files, else pyarrow's streaming reader.

A header row names the columns; rows are numbered from 1 in messages, the
first data row being row 1. Parse and conversion errors of pyarrow become
:class:`~lingrad._sources.errors.DataFileError`\\ s naming the row and the
column. A large plain ``.csv`` file is parsed in parallel by polars when it is
installed (:mod:`~lingrad._sources.csv_batches`); at the first batch polars
does not parse cleanly, pyarrow reads on from that row, so the values and
every error are those of pyarrow's reader.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import csv_batches
from .arrow import null_error, numbered_batches, pyarrow
from .errors import (
    NO_ROWS_HINT,
    DataFileError,
    data_error,
    listed,
    no_such_file,
    non_numeric,
    one_line,
    unreadable,
)
from .stamp import FileStamp

__all__ = ["SUFFIXES", "CsvReader"]

SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
# CSV blocks larger than about 1 MiB parse more slowly (measured: 4 MiB blocks
# take 30% longer than 1 MiB, 32 MiB blocks 2.4x): pyarrow reads blocks of at
# most this size and the rows are gathered into chunks of ``chunk_rows``.
_MAX_BLOCK = 1 << 20
_MIN_BLOCK = 1 << 12

_ROW_RE = re.compile(r"Row #(-?\d+)")
_COL_RE = re.compile(r"column #(\d+)")
_RAGGED_RE = re.compile(r"Expected (\d+) columns, got (\d+)(?:: ?(.*))?", re.S)
_VALUE_RE = re.compile(r"invalid value '(.*)'", re.S)


class CsvReader:
    """CSV through pyarrow's streaming reader: blocks of at most 1 MiB.

    Parameters
    ----------
    path : str
    chunk_rows : int
        Rows per chunk wanted: the read block holds about as many (<= 1 MiB).

    Attributes
    ----------
    columns : list of str
        The header's names, in file order.
    block_size : int
        Bytes per read block.
    n_rows : None
        Unknown until the file is read.

    Raises
    ------
    DataFileError
        A missing, unreadable or empty file, or a header without rows.
    """

    format = "csv"

    def __init__(self, path: str, chunk_rows: int) -> None:
        self.path = path
        self.n_rows: int | None = None
        self.stamp = FileStamp(path)
        self.chunk_rows = chunk_rows
        self.plain_lines = False  # lines end with \n (or \r\n): polars may parse the file
        self.block_size, self.columns = self._probe(chunk_rows)

    def _sample(self) -> bytes:
        pa = pyarrow()
        try:
            with pa.input_stream(self.path) as stream:
                return stream.read(_MAX_BLOCK)
        except FileNotFoundError:
            raise no_such_file(self.path) from None
        except (OSError, pa.ArrowException) as exc:
            raise unreadable(self.path, exc) from None

    def _block(self, sample: bytes, lines: list[bytes], chunk_rows: int) -> int:
        """A block size of about ``chunk_rows`` rows of the sample (<= 1 MiB)."""
        longest = max(len(ln) + 1 for ln in lines)
        body = lines[1:-1] if len(sample) == _MAX_BLOCK else lines[1:]
        per_row = sum(len(ln) + 1 for ln in body) / len(body) if body else longest
        block = int(min(chunk_rows * per_row * 1.05, _MAX_BLOCK))
        return max(block, 4 * longest, _MIN_BLOCK)

    def _probe(self, chunk_rows: int) -> tuple[int, list[str]]:
        """Header names and a block size of about ``chunk_rows`` rows (<= 1 MiB)."""
        sample = self._sample()
        lines = [ln for ln in sample.split(b"\n") if ln.strip()]
        if not lines:
            raise data_error(self.path, "the file is empty (no header, no rows).")
        block = self._block(sample, lines, chunk_rows)
        if sample.count(b"\r") == sample.count(b"\r\n") and b"\n" in sample:
            self.plain_lines = True
        pa, csv = pyarrow(), pyarrow("pyarrow.csv")
        try:
            reader = csv.open_csv(
                self.path, read_options=csv.ReadOptions(block_size=block, use_threads=False)
            )
            names = list(reader.schema.names)
            rows = 0
            while rows == 0:
                rows = reader.read_next_batch().num_rows
        except StopIteration:
            raise data_error(
                self.path,
                f"the header names columns {listed(names)} but there are no data rows.",
                NO_ROWS_HINT,
            ) from None
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc) and len(lines) <= 1:
                raise data_error(
                    self.path,
                    f"the header ({one_line(lines[0].decode(errors='replace'))}) "
                    "is followed by no data rows.",
                    NO_ROWS_HINT,
                ) from None
            raise self._translate(exc, None, 0) from None
        except UnicodeDecodeError as exc:
            header = one_line(lines[0].decode(errors="replace"))
            raise data_error(
                self.path,
                f"the header ({header}) is not valid UTF-8 text (byte {exc.object[exc.start]:#x} "
                "in a column name). Save the file as UTF-8 (e.g. iconv -t UTF-8), or rename "
                "the columns with plain text.",
            ) from None
        except (OSError, pa.ArrowException) as exc:
            raise unreadable(self.path, exc) from None
        return block, names

    def _translate(self, exc: Exception, names: list[str] | None, row0: int) -> DataFileError:
        """A pyarrow parse or conversion error as a DataFileError with row and column."""
        msg = str(exc)
        m_row = _ROW_RE.search(msg)
        line = int(m_row.group(1)) if m_row else -1
        # pyarrow counts the header as row 1: data row = line - 1.
        where = f"row {line - 1}" if line > 1 else f"a row after row {row0}"
        row = {"row": line - 1} if line > 1 else {}
        m_col = _COL_RE.search(msg)
        header = names if names is not None else getattr(self, "columns", [])
        col = None
        if m_col and int(m_col.group(1)) < len(header):
            col = header[int(m_col.group(1))]
        m_rag = _RAGGED_RE.search(msg)
        if m_rag:
            want, got, text = m_rag.groups()
            shown = f": {one_line(text)!r}" if text else ""
            return data_error(
                self.path,
                f"{where} has {got} fields but the header has {want} columns"
                f"{shown}. Every row must have one value per column.",
                **row,
            )
        m_val = _VALUE_RE.search(msg)
        if m_val:
            return non_numeric(self.path, col, m_val.group(1), where, **row)
        if "straddling" in msg or "straddles" in msg:
            return data_error(
                self.path,
                f"{where} is longer than the read block ({self.block_size} bytes); "
                "quoted newlines in cells are not supported, or pass a larger chunk_rows.",
                **row,
            )
        col_part = f" in column {col!r}" if col else ""
        return data_error(
            self.path,
            f"cannot be parsed as CSV at {where}{col_part} ({one_line(msg, 200)}).",
            column=col,
            **row,
        )

    def _open(self, cols: list[str]) -> Any:
        pa, csv = pyarrow(), pyarrow("pyarrow.csv")
        ropts = csv.ReadOptions(block_size=self.block_size, use_threads=False)
        copts = csv.ConvertOptions(
            column_types={c: pa.float64() for c in cols}, include_columns=cols
        )
        try:
            return csv.open_csv(self.path, read_options=ropts, convert_options=copts)
        except FileNotFoundError:
            raise no_such_file(self.path) from None
        except pa.ArrowInvalid as exc:
            raise self._translate(exc, None, 0) from None
        except (OSError, pa.ArrowException) as exc:
            raise unreadable(self.path, exc) from None

    def fast(self) -> bool:
        """Whether polars' streaming engine parses the file (large, plain, polars installed)."""
        if not self.plain_lines or not self.path.lower().endswith(".csv"):
            return False
        try:
            big = os.path.getsize(self.path) >= csv_batches.MIN_BYTES
        except OSError:
            return False
        return big and csv_batches.polars() is not None

    def pieces(self, cols: list[str], nulls: str = "raise") -> Iterator[list[np.ndarray]]:
        """The chosen columns, block by block; the file is checked not to change between passes.

        ``nulls="nan"`` reads missing cells as NaN (``missing="drop"``).

        Yields
        ------
        list of ndarray of shape (n_block_rows,), or ndarray of shape (len(cols), n_block_rows)
            One float64 array per name in ``cols``, in that order (the rows
            of one 2-D array for the blocks polars parses).

        Raises
        ------
        DataFileError
            At the first empty, missing-value or non-numeric cell, or ragged
            row; or when the file changed since the first pass.
        """
        return self.stamp.watch(self._pieces(cols, nulls))

    def _pieces(self, cols: list[str], nulls: str) -> Iterator[list[np.ndarray]]:
        row0 = 0
        if self.fast():
            for out in csv_batches.parsed_batches(self.path, self.columns, cols, self.chunk_rows):
                if out is None:
                    break  # pyarrow reads on from row0 (and words any error)
                if out.shape[1]:
                    yield out
                row0 += out.shape[1]
            else:
                return
        yield from _skip(self._arrow_pieces(cols, nulls), row0)

    def _arrow_pieces(self, cols: list[str], nulls: str) -> Iterator[list[np.ndarray]]:
        """The chosen columns, block by block, by pyarrow's streaming reader."""
        reader = self._open(cols)
        try:
            translate = lambda exc, row0: self._translate(exc, None, row0)  # noqa: E731
            for row0, batch in numbered_batches(reader.read_next_batch, self.path, translate):
                for name, col in zip(cols, batch.columns, strict=True):
                    if col.null_count and nulls == "raise":
                        raise null_error(self.path, col, name, row0)
                yield [col.to_numpy(zero_copy_only=False) for col in batch.columns]
        finally:
            reader.close()


def _skip(pieces: Iterator[list[np.ndarray]], rows: int) -> Iterator[list[np.ndarray]]:
    """``pieces`` without their first ``rows`` rows."""
    for cols in pieces:
        n = len(cols[0])
        if rows >= n:
            rows -= n
            continue
        yield [c[rows:] for c in cols] if rows else cols
        rows = 0
