"""The ``.npy`` reader: a 2-D numeric array, memory-mapped, read in row slices.

A ``.npy`` file has no header: its columns are named ``x0, x1, ...`` and may
be addressed by index ``j`` (negative ``j`` counts from the end) or by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import Chunk
from .errors import NO_ROWS_HINT, data_error, no_such_file, one_line
from .stamp import FileStamp

__all__ = ["SUFFIXES", "NpyReader"]

SUFFIXES = (".npy",)


class NpyReader:
    """A 2-D ``.npy`` array, memory-mapped; columns are named ``x0, x1, ...``.

    Parameters
    ----------
    path : str

    Attributes
    ----------
    columns : list of str
        ``["x0", ..., "x{p-1}"]``.
    n_rows : int

    Raises
    ------
    DataFileError
        A missing, empty or unreadable file, an array that is not 2-D and
        numeric, or one without rows.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npy")
    >>> np.save(path, np.arange(12.0).reshape(4, 3))
    >>> reader = NpyReader(path)
    >>> reader.columns, reader.key(-1, "target")
    (['x0', 'x1', 'x2'], 'x2')
    >>> [X.shape for X, Y, w in reader.chunks(["x0", "x1"], ["x2"], None, rows=3)]
    [(3, 2), (1, 2)]
    """

    format = "npy"

    def __init__(self, path: str) -> None:
        self.path = path
        self.stamp = FileStamp(path)
        arr = self.open()
        self.n_rows: int | None = arr.shape[0]
        self.columns = [f"x{j}" for j in range(arr.shape[1])]
        del arr
        if self.n_rows == 0:
            raise data_error(
                self.path, f"the array has {len(self.columns)} columns but no rows.", NO_ROWS_HINT
            )

    def open(self) -> np.ndarray:
        """The array, memory-mapped, of shape (n_rows, n_columns)."""
        try:
            arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise no_such_file(self.path) from None
        except EOFError:
            raise data_error(self.path, "the file is empty.") from None
        except (OSError, ValueError) as exc:
            raise data_error(
                self.path, f"is not a readable .npy array ({one_line(exc)})."
            ) from None
        if not isinstance(arr, np.ndarray) or arr.ndim != 2:
            shape = getattr(arr, "shape", None)
            raise data_error(self.path, f"needs a 2-D array (rows x columns); got shape {shape}.")
        if arr.dtype.names is not None or arr.dtype.kind not in "biuf":
            raise data_error(self.path, f"holds {arr.dtype} values; lingrad needs a numeric array.")
        return arr

    def key(self, key: int | str, role: str) -> str:
        """Column ``j`` or ``"x{j}"`` (negative ``j`` counts from the end) as its name."""
        p = len(self.columns)
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            j = int(key)
            if not -p <= j < p:
                raise data_error(
                    self.path,
                    f"no column {j} ({role}); the array has {p} columns "
                    f"(0 to {p - 1}, or 'x0' to 'x{p - 1}').",
                    column=j,
                )
            return self.columns[j]
        return key

    def chunks(
        self, features: list[str], targets: list[str], weight: str | None, rows: int
    ) -> Iterator[Chunk]:
        """The named columns in chunks of ``rows`` rows.

        Yields
        ------
        X : ndarray of shape (n_rows, n_features)
        Y : ndarray of shape (n_rows, n_targets)
        w : ndarray of shape (n_rows,) or None
            float64, fresh C-ordered arrays.

        Raises
        ------
        DataFileError
            When the file changed since the first pass (checked before and after).
        """
        return self.stamp.watch(self._chunks(features, targets, weight, rows))

    def _chunks(
        self, features: list[str], targets: list[str], weight: str | None, rows: int
    ) -> Iterator[Chunk]:
        arr = self.open()
        index = {c: j for j, c in enumerate(self.columns)}
        fi = [index[c] for c in features]
        ti = [index[c] for c in targets]
        wi = None if weight is None else index[weight]
        n = arr.shape[0]
        for start in range(0, n, rows):
            block = arr[start : start + rows]
            X = np.ascontiguousarray(block[:, fi], dtype=np.float64)
            Y = np.ascontiguousarray(block[:, ti], dtype=np.float64)
            w = None if wi is None else np.array(block[:, wi], dtype=np.float64)
            yield X, Y, w
