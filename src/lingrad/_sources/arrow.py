"""What the CSV and Parquet readers share: pyarrow, imported lazily, and Arrow nulls.

pyarrow (``pip install -e ".[files]"`` in lingrad's clone) is imported only when a CSV or
Parquet file is opened; ``.npy`` files need NumPy alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._messages import Set
from .errors import DataFileError, data_error, non_numeric, unreadable

__all__ = ["cast_float64", "null_error", "numbered_batches", "pyarrow"]


def pyarrow(module: str = "pyarrow") -> Any:
    """Import ``pyarrow`` (or one of its modules) lazily, with a one-line install hint."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"Reading CSV and Parquet files needs pyarrow: pip install pyarrow (or, in "
            f'lingrad\'s clone, pip install -e ".[files]") ({exc}).'
        ) from exc


def null_error(path: str, col: Any, name: str, row0: int) -> DataFileError:
    """The first null of the Arrow column ``col`` (read after row ``row0``), located."""
    i = int(np.argmax(col.is_null().to_numpy(zero_copy_only=False)))
    row = row0 + i + 1
    return data_error(
        path,
        f"column {name!r} is empty or a missing-value marker (NA, nan, ...) at row {row}. "
        "lingrad needs a number in every cell: fill or drop that row. Or leave such rows out "
        "with ",
        Set("missing", "'drop'"),
        ".",
        row=row,
        column=name,
    )


def numbered_batches(
    read_next: Callable[[], Any],
    path: str,
    invalid: Callable[[Exception, int], DataFileError] | None = None,
) -> Iterator[tuple[int, Any]]:
    """``(row0, batch)`` for every non-empty record batch of ``read_next()``.

    ``row0`` counts the rows read before the batch. A read error becomes a
    DataFileError: ``invalid(exc, row0)`` for pyarrow's ArrowInvalid when
    given, "cannot be read after row ..." otherwise.
    """
    pa = pyarrow()
    row0 = 0
    while True:
        try:
            batch = read_next()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            if invalid is None:
                raise unreadable(path, exc, after_row=row0) from None
            raise invalid(exc, row0) from None
        except (OSError, pa.ArrowException) as exc:
            raise unreadable(path, exc, after_row=row0) from None
        if batch.num_rows:
            yield row0, batch
        row0 += batch.num_rows


def cast_float64(col: Any, path: str, name: str, row0: int) -> np.ndarray:
    """An Arrow column as float64 (shape (n_rows,)); a cell that is not a number raises
    :class:`DataFileError` naming ``path``, the column and its row (rows from ``row0 + 1``)."""
    pa = pyarrow()
    try:
        return col.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        for i, v in enumerate(col.to_pylist()):
            try:
                pa.array([v]).cast(pa.float64())
            except pa.ArrowInvalid:
                row = row0 + i + 1
                raise non_numeric(path, name, v, f"row {row}", row=row) from None
        raise
