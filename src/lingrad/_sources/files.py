"""Files as data sources: :func:`open_dataset` and the :class:`Dataset` it returns.

``open_dataset(path, target=...)`` returns a :class:`Dataset`: a
:class:`~lingrad._sources.ChunkedSource` that re-opens the file at every pass
and yields ``(X, Y, w)`` float64 chunks of ``chunk_rows`` rows. Fitting from it
is exact (the sufficient statistics of the chunks merge into those of the whole
file) and the memory it needs depends on ``chunk_rows`` and the number of
columns, not on the size of the file.

Every cell is checked while streaming: a missing, non-numeric or non-finite
value, a ragged row or a negative weight raises :class:`DataFileError` naming
the file, the row and the column, from the chunk iterator, so that ``fit``
(which reads every chunk before it solves) never returns a model of a bad file.

Rows are numbered from 1 in messages, the first data row being row 1 (a CSV
header is not a row).

One reader per format reads the columns (:mod:`~lingrad._sources.csv`,
:mod:`~lingrad._sources.parquet`, :mod:`~lingrad._sources.npy`); large CSV and
Parquet files are parsed ahead by a thread (:mod:`~lingrad._sources.stream`);
:mod:`~lingrad._sources.columns` holds the column rules and
:mod:`~lingrad._sources.errors` the errors. pyarrow (``pip install -e
".[files]"`` in a clone) reads CSV and Parquet; it is imported only when such a file
is opened. ``.npy`` files need NumPy alone.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import _progress
from .._messages import Set
from .._params import ParameterError
from . import Chunk, ChunkedSource, csv, npy, parquet, spark, stream
from .chunks import DEFAULT_ROWS, default_rows, nan_rows
from .chunks import gather as _gather
from .columns import column_keys, select
from .errors import (
    SPARK_FREQ_WEIGHT,
    DataFileError,
    MissingDataFileError,
    ParameterTypeError,
    data_error,
    listed,
    open_dataset_error,
)
from .freqcol import FreqColumn, freq_features
from .multi import MultiReader, is_many, locate

__all__ = ["DataFileError", "Dataset", "MissingDataFileError", "open_dataset"]

_READERS = {"csv": csv.SUFFIXES, "parquet": parquet.SUFFIXES, "npy": npy.SUFFIXES}


_ALL_DROPPED = (
    "every row has a missing value in a column the model uses, so missing='drop' leaves no "
    "row to fit. Fill the missing values, or choose columns that have data (features=...).",
)
_DROP_HINT = (" Or leave such rows out with ", Set("missing", "'drop'"), ".")


def _first_bad(a: np.ndarray, nan_ok: bool = False) -> tuple[int, int] | None:
    with np.errstate(over="ignore", invalid="ignore"):  # (a sum may overflow: then look)
        total = np.add.reduce(a, axis=None) if not nan_ok else np.nan
    if np.isfinite(total):
        return None  # any NaN or inf makes the sum NaN or inf: one read, no mask
    bad = ~np.isfinite(a) & ~np.isnan(a) if nan_ok else ~np.isfinite(a)
    if not bad.any():
        return None
    i, *j = np.argwhere(bad)[0]
    return int(i), int(j[0]) if j else 0


# -- the source ---------------------------------------------------------------
class Dataset(ChunkedSource):
    """Rows of a data file, streamed in chunks: what ``fit`` takes instead of X, y.

    Built by :func:`open_dataset`. Every pass (``iter_chunks``) re-opens the
    file, so a dataset can be fitted, refitted and used for predictions any
    number of times; each chunk is checked as it is read.

    Attributes
    ----------
    path : str
        The file, as given.
    format : {"csv", "parquet", "npy"}
    columns : list of str
        Every column of the file, in file order (``x0, x1, ...`` for ``.npy``).
    feature_names : list of str or None
        The feature columns, in the order of ``X``'s columns; None for ``.npy``
        files, which have no header (the model then has no ``feature_names_in_``,
        as when fitted on a plain array).
    target_names : list of str
        The target column(s), in the order of ``Y``'s columns.
    weight_name : str or None
        The column of sample weights.
    chunk_rows : int
        Rows per chunk (the last chunk may be shorter).
    n_features, n_targets : int
    one_d : bool
        True when ``target`` was one name (predictions are then 1-D).
    description : str
        The path: how messages name the data.
    """

    def __init__(
        self,
        reader: Any,
        features: list[str],
        targets: list[str],
        weight: str | None,
        chunk_rows: int,
        one_d: bool,
    ) -> None:
        super().__init__(
            self._read,
            len(features),
            len(targets),
            feature_names=None if reader.format == "npy" else list(features),
            one_d=one_d,
            description=reader.path,
        )
        self._reader = reader
        self._features = list(features)
        self.path: str = reader.path
        self.format: str = reader.format
        self.columns: list[str] = list(reader.columns)
        self.target_names: list[str] = list(targets)
        self.weight_name = weight
        self.chunk_rows = chunk_rows
        self.missing = "raise"
        #: Rows left out by the last complete pass (``missing="drop"``), else None.
        self.n_dropped: int | None = None
        self.progress: Any = None  # progress(done, total, unit, what), or True (lingrad._progress)
        self._passes, self._per_row = 0, None

    def missing_mode(self, missing: str) -> Dataset:
        """This dataset with missing values handled as ``missing`` says (a copy).

        ``"raise"``: an error at the first missing cell; ``"drop"``: rows with
        one in a feature, target or weight are left out (``n_dropped`` counts
        them after each pass); ``"keep"``: missing features read as NaN (for
        predictions, which are NaN there).
        """
        if missing == self.missing:
            return self
        out = copy.copy(self)
        out.missing, out.n_dropped = missing, None
        return out

    def __repr__(self) -> str:
        feats = self._features
        shown = repr(feats) if len(feats) <= 8 else f"[{listed(feats[:6])}, ... ({len(feats)})]"
        target = self.target_names[0] if self.one_d else self.target_names
        weight = f", weight={self.weight_name!r}" if self.weight_name is not None else ""
        return (
            f"Dataset({self.path!r}, format={self.format!r}, target={target!r}, "
            f"features={shown}{weight}, chunk_rows={self.chunk_rows})"
        )

    def iter_chunks(self) -> Iterator[Chunk]:
        """A fresh pass over the file, chunk by chunk.

        Yields
        ------
        X : ndarray of shape (n_rows, n_features)
            float64, C-ordered, a fresh array for every chunk.
        Y : ndarray of shape (n_rows, n_targets)
            float64.
        w : ndarray of shape (n_rows,) or None
            The weight column, or None without one.

        Raises
        ------
        DataFileError
            At the first bad cell or row, naming the file, row and column.
        """
        return self._read()

    def _read(self) -> Iterator[Chunk]:
        rows = self.chunk_rows
        if self._reader.n_rows is not None:
            rows = max(1, min(rows, self._reader.n_rows))
        limits: contextlib.AbstractContextManager = contextlib.nullcontext()
        if self.format == "npy":
            chunks = self._reader.chunks(self._features, self.target_names, self.weight_name, rows)
        else:
            cols = self._features + self.target_names
            if self.weight_name is not None:
                cols.append(self.weight_name)
            nulls = "raise" if self.missing == "raise" else "nan"
            pieces, limits = stream.read_ahead(
                lambda: self._reader.pieces(cols, nulls=nulls),
                getattr(self._reader, "size_path", self.path),
            )
            weighted = self.weight_name is not None
            chunks = _gather(pieces, len(self._features), self.n_targets, weighted, rows)
        row0 = dropped = 0
        meter = self._meter()
        try:
            with limits:  # in force while the caller works on the chunks, until the pass ends
                for X, Y, w in chunks:
                    n = len(X)
                    if meter is not None:
                        meter.advance(n)
                    X, Y, w, keep = self._missing(X, Y, w)
                    self._check(X, Y, w, row0, keep)
                    row0 += n
                    dropped += n - len(X)
                    if len(X):
                        yield X, Y, w
        finally:
            chunks.close()  # stops the reading thread and closes the file, even on a break
        if row0 == 0:
            raise data_error(self.path, "no data rows.")
        if dropped == row0:
            raise data_error(self.path, *_ALL_DROPPED)
        self.n_dropped = dropped if self.missing == "drop" else None
        if meter is not None:
            self._per_row = meter.finish() or self._per_row

    def with_progress(self, progress: Any) -> Dataset:
        """This dataset, reporting its passes to ``progress`` (checked; None: the context's)."""
        self.progress = _progress.resolve(progress) if progress is not None else None
        return self

    def _meter(self) -> _progress.PassMeter | None:
        """The progress reporter of a new pass (None without a callback)."""
        callback = _progress.resolve(self.progress)
        self._passes += 1
        if callback is None:
            return None
        name = os.path.basename(str(self.path)) or str(self.path)
        what = f"reading {name}" + (f" (pass {self._passes})" if self._passes > 1 else "")
        return _progress.PassMeter(self._reader, callback, what, self._per_row)

    def _missing(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> tuple:
        """Drop the rows with a NaN (``"drop"``); ``keep``: the rows kept, for error rows."""
        if self.missing != "drop":
            return X, Y, w, None
        bad = nan_rows(X, Y, w)
        if not bad.any():
            return X, Y, w, None
        keep = np.flatnonzero(~bad)
        return X[keep], Y[keep], None if w is None else w[keep], keep

    def _check(
        self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, row0: int, keep: Any = None
    ) -> None:
        """NaN, inf and negative weights, located to the row and column.

        ``keep`` maps the rows of the chunk to those read (after dropped rows).
        """
        parts: list[tuple[np.ndarray, list[str], bool]] = [
            (X, self._features, self.missing == "keep"),
            (Y, self.target_names, self.missing == "keep"),
        ]
        if w is not None:
            parts.append((w, [self.weight_name], False))
        for a, names, nan_ok in parts:
            bad = _first_bad(a, nan_ok)
            if bad is not None:
                i, j = bad
                value = a[i, j] if a.ndim == 2 else a[i]
                row = row0 + 1 + (i if keep is None else int(keep[i]))
                path, row = locate(self._reader, self.path, row)
                raise data_error(
                    path,
                    f"column {names[j]!r} holds {value} at row {row}. "
                    "lingrad needs finite numbers: fill or drop that row.",
                    *(() if nan_ok or not np.isnan(value) else _DROP_HINT),
                    row=row,
                    column=names[j],
                )
        if w is not None and (w < 0).any():
            i = int(np.argmax(w < 0))
            row = row0 + 1 + (i if keep is None else int(keep[i]))
            path, row = locate(self._reader, self.path, row)
            raise data_error(
                path,
                f"column {self.weight_name!r} (the weight) is negative ({w[i]}) "
                f"at row {row}. Sample weights must be >= 0.",
                row=row,
                column=self.weight_name,
            )


def _format(path: str) -> str:
    low = path.lower()
    for fmt, suffixes in _READERS.items():
        if low.endswith(suffixes):
            return fmt
    known = ", ".join(s for suffixes in _READERS.values() for s in suffixes)
    raise data_error(path, f"unknown file type; open_dataset reads {known} files.")


def _open_reader(path: str, chunk_rows: int) -> Any:
    """The reader of ``path``'s format (it opens the file to read its columns)."""
    fmt = _format(path)
    if fmt == "csv":
        return csv.CsvReader(path, chunk_rows)
    if fmt == "parquet":
        return parquet.ParquetReader(path, chunk_rows)
    return npy.NpyReader(path)


def _reader_of(path: Any, rows: int) -> Any:
    """The reader of a file, of many files (folder, glob, list) or of an Arrow stream."""
    from .tables import StreamReader, is_table

    if is_table(path):
        return StreamReader(path, rows)
    if is_many(path):
        return MultiReader(path, rows, _open_reader)
    return _open_reader(os.fsdecode(path), rows)


def _default_features(reader: Any, target: Any, features: Any, weight: Any) -> tuple:
    """A stream's default features: its numeric columns (but the target and weight)."""
    if features is None and hasattr(reader, "numeric_columns"):
        used = set(target if isinstance(target, list) else [target]) | {weight}
        features = [c for c in reader.numeric_columns if c not in used]
    return target, features, weight


def _chunk_rows(chunk_rows: Any) -> int | None:
    """``chunk_rows`` checked: an int >= 1, or None (rows from the columns' width)."""
    if chunk_rows is None:
        return None
    bad_type = isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer)
    if bad_type or chunk_rows < 1:
        raise open_dataset_error(
            "chunk_rows",
            f" must be an int >= 1 or None. Got {chunk_rows!r}.",
            chunk_rows,
            "an int >= 1 or None",
            cls=ParameterTypeError if bad_type else ParameterError,
            low=1,
        )
    return int(chunk_rows)


def open_dataset(
    path: str | os.PathLike[str],
    target: str | int | Sequence[str | int] | None = None,
    features: Sequence[str | int] | None = None,
    *,
    weight: str | int | None = None,
    chunk_rows: int | None = None, freq_weight: str | int | None = None, progress: Any = None,
) -> Dataset:  # fmt: skip
    """Open a CSV, Parquet or ``.npy`` file for fitting without loading it.

    ``LinearRegression().fit(open_dataset(path, target="y"))`` fits from the
    file's sufficient statistics, gathered in one streamed pass (exact: the
    model equals the in-memory fit to rounding); ``engine="direct"`` streams the file once per
    iteration. Memory: one chunk (``chunk_rows * n_columns * 8`` bytes), one read block.

    Parameters
    ----------
    path : str, path-like, list of them, or an Arrow stream
        ``.csv`` (also ``.csv.gz``, ``.csv.bz2``) with a header row;
        ``.parquet`` / ``.pq``; or ``.npy`` holding a 2-D numeric array, whose
        columns are addressed by index ``j`` or by the name ``"x{j}"``
        (negative indices count from the end). Or many files (a folder, glob,
        list: :mod:`~.multi`), an Arrow stream (:mod:`~.tables`) or a Spark DataFrame.
    target : str, int, list of them, or None, default=None
        The target column. A list of columns fits a multi-output model
        (predictions of shape (n_samples, n_targets)). None opens the features
        only: data to ``predict`` on, which ``fit`` refuses.
    features : list of str or int, default=None
        The feature columns, in order; None: every other column (but the target, weight).
    weight, freq_weight : str or int, default=None
        A column of sample weights; of frequency weights (counts: :mod:`~.freqcol`).
    chunk_rows : int or None, default=None
        Rows per chunk; None: 65,536, or fewer for a wide file, so that a chunk
        holds at most 32 MiB (:func:`~lingrad._sources.chunks.default_rows`).
    progress : bool or callable (``progress(done, total, unit, what)``), default=None

    Returns
    -------
    Dataset
        Re-iterable: each pass re-opens the file.

    Raises
    ------
    DataFileError
        (a ValueError) The file is missing (also a FileNotFoundError), unreadable, empty
        or has a header only, or a column is missing or duplicated. Bad cells raise from
        ``fit`` (or ``iter_chunks``) while streaming, before any model is returned.
    ParameterError
        (a ValueError; also a TypeError for the wrong type) A bad ``chunk_rows``,
        or a ``target``, ``features`` or ``weight`` of the wrong type, empty or repeated.
    ImportError
        For CSV or Parquet without pyarrow.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lingrad import LinearRegression
    >>> from lingrad._sources.files import open_dataset
    >>> X = np.random.default_rng(0).standard_normal((50, 2))
    >>> data = np.column_stack([X, X @ [2.0, -1.0] + 3.0])
    >>> path = os.path.join(tempfile.mkdtemp(), "data.npy")
    >>> np.save(path, data)
    >>> ds = open_dataset(path, target=-1, chunk_rows=16)
    >>> ds  # doctest: +ELLIPSIS
    Dataset('...data.npy', format='npy', target='x2', features=['x0', 'x1'], chunk_rows=16)
    >>> model = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=2000)
    >>> model = model.fit(ds)
    >>> print(np.round(model.coef_, 6), round(float(model.intercept_), 6))
    [ 2. -1.] 3.0
    """
    if spark.is_spark_frame(path):  # statistics on the executors: lingrad._sources.spark
        return _spark_source(path, target, features, weight, freq_weight)
    asked = _chunk_rows(chunk_rows)
    reader = _reader_of(path, asked or DEFAULT_ROWS)
    feats, targets, weight = _columns(reader, target, features, weight, freq_weight)
    rows = asked or default_rows(len(feats) + len(targets) + (weight is not None))
    counted = freq_weight is not None
    cls, cols = (FreqDataset, [feats[:-1], feats[-1]]) if counted else (Dataset, [feats])
    one_d = not isinstance(target, list | tuple)
    return cls(reader, *cols, targets, weight, rows, one_d).with_progress(progress)


def _spark_source(frame: Any, target: Any, features: Any, weight: Any, freq: Any) -> Any:
    """``open_dataset`` of a Spark DataFrame (frequency weights refused: no silent feature)."""
    if freq is not None:
        raise open_dataset_error("freq_weight", SPARK_FREQ_WEIGHT, freq)
    return spark.SparkSource(frame, target, features, weight)


class FreqDataset(FreqColumn, Dataset):
    """A :class:`Dataset` with a column of frequency weights (see :mod:`~.freqcol`)."""


def _columns(reader: Any, target: Any, features: Any, weight: Any, freq: Any) -> tuple:
    """``(features, targets, weight)`` of ``open_dataset``; a count column is the last feature."""
    if freq is not None:
        features, freq = freq_features(reader, target, features, weight, freq)
    target, features, weight = _default_features(
        reader, *column_keys(reader, target, features, weight)
    )
    return (*select(reader.path, reader.columns, target, features, weight), weight)
