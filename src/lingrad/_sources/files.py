"""Files as data sources: CSV, Parquet and ``.npy``, streamed in row chunks.

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

pyarrow (``pip install "lingrad[files]"``) reads CSV and Parquet; it is imported
only when such a file is opened. ``.npy`` files need NumPy alone.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import Chunk, ChunkedSource

__all__ = ["DataFileError", "Dataset", "open_dataset"]

# CSV blocks larger than about 1 MiB parse more slowly (measured: 4 MiB blocks
# take 30% longer than 1 MiB, 32 MiB blocks 2.4x): pyarrow reads blocks of at
# most this size and the rows are gathered into chunks of ``chunk_rows``.
_MAX_BLOCK = 1 << 20
_MIN_BLOCK = 1 << 12
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_NPY_SUFFIXES = (".npy",)
_LIST_MAX = 30
# Blocks parsed ahead by the reading thread while the caller converts and
# accumulates statistics (pyarrow and BLAS release the GIL): ~4 MiB of CSV.
# Files under _PREFETCH_BYTES are read without a thread (a pass costs ~1 ms less).
_PREFETCH = 4
_PREFETCH_BYTES = 8 << 20

_ROW_RE = re.compile(r"Row #(-?\d+)")
_COL_RE = re.compile(r"column #(\d+)")
_RAGGED_RE = re.compile(r"Expected (\d+) columns, got (\d+)(?:: ?(.*))?", re.S)
_VALUE_RE = re.compile(r"invalid value '(.*)'", re.S)


class DataFileError(ValueError):
    """A data file that cannot be fitted.

    Raised for a missing, unreadable or empty file, a header without rows, a
    missing or duplicated column, and for a bad cell (empty, non-numeric,
    NaN or infinite), a ragged row or a negative weight. The message names the
    file and, where they apply, the row (counted from 1, the header is not a
    row) and the column.
    """


class MissingDataFileError(DataFileError, FileNotFoundError):
    """A data file that does not exist (also a FileNotFoundError)."""


def _pyarrow(module: str = "pyarrow") -> Any:
    """Import ``pyarrow`` (or one of its modules) lazily, with a one-line install hint."""
    try:
        import importlib

        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'Reading CSV and Parquet files needs pyarrow: pip install "lingrad[files]" ({exc}).'
        ) from exc


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in names[:_LIST_MAX])
    more = len(names) - _LIST_MAX
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _one_line(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- column selection ---------------------------------------------------------
def _select(
    where: str,
    columns: list[str],
    target: str | list[str] | None,
    features: list[str] | None,
    weight: str | None,
) -> tuple[list[str], list[str]]:
    """Check the chosen columns against the file's; return (features, targets)."""
    dups = [c for c, n in Counter(columns).items() if n > 1]
    if dups:
        raise DataFileError(
            f"{where}: the column name(s) {_names(dups)} appear more than once in the "
            "header; give every column a distinct name."
        )
    have = set(columns)
    if target is None:  # features only: data to predict on
        targets: list[str] = []
    else:
        targets = list(target) if isinstance(target, list | tuple) else [target]

    def need(name: str, role: str) -> None:
        if name not in have:
            raise DataFileError(
                f"{where}: no column {name!r} ({role}). The columns are: {_names(columns)}."
            )

    if target is not None and not targets:
        raise ValueError("The 'target' parameter of open_dataset must name a column. Got [].")
    for t in targets:
        need(t, "target")
    if len(set(targets)) < len(targets):
        raise ValueError(
            f"The 'target' parameter of open_dataset must name distinct columns. Got {targets}."
        )
    if weight is not None:
        need(weight, "weight")
        if weight in targets:
            raise ValueError(f"Column {weight!r} cannot be both the target and the weight.")
    if features is None:
        feats = [c for c in columns if c not in targets and c != weight]
        if not feats:
            raise DataFileError(
                f"{where}: no feature columns are left besides the target and weight "
                f"(columns: {_names(columns)})."
            )
        return feats, targets
    feats = list(features)
    if not feats:
        raise ValueError("The 'features' parameter of open_dataset must not be empty. Got [].")
    for c in feats:
        need(c, "feature")
        if c in targets or c == weight:
            role = "target" if c in targets else "weight"
            raise ValueError(f"Column {c!r} cannot be both a feature and the {role}.")
    dup_f = [c for c, n in Counter(feats).items() if n > 1]
    if dup_f:
        raise ValueError(
            f"The 'features' parameter of open_dataset names {_names(dup_f)} more than once."
        )
    return feats, targets


# -- chunk assembly -----------------------------------------------------------
def _gather(
    pieces: Iterator[list[np.ndarray]], f: int, k: int, weighted: bool, rows: int
) -> Iterator[Chunk]:
    """Copy column pieces (as read) into float64 chunks of ``rows`` rows.

    ``pieces`` yields lists of ``f + k (+ 1)`` 1-D arrays of equal length; the
    chunks are fresh C-ordered arrays (callers may keep them).
    """
    pos = 0
    X = Y = w = None
    dest: list[np.ndarray] = []
    for cols in pieces:
        n = len(cols[0])
        a = 0
        while a < n:
            if X is None:
                X = np.empty((rows, f))
                Y = np.empty((rows, k))
                w = np.empty(rows) if weighted else None
                dest = [X[:, j] for j in range(f)] + [Y[:, j] for j in range(k)]
                if w is not None:
                    dest.append(w)
            take = min(n - a, rows - pos)
            for d, c in zip(dest, cols, strict=True):
                d[pos : pos + take] = c[a : a + take]
            pos += take
            a += take
            if pos == rows:
                yield X, Y, w
                X = Y = w = None
                pos = 0
    if pos:
        yield X[:pos], Y[:pos], None if w is None else w[:pos]


def _prefetch(make: Callable[[], Iterator[Any]], depth: int = _PREFETCH) -> Iterator[Any]:
    """Iterate ``make()`` in a background thread, at most ``depth`` items ahead.

    Errors raised while reading re-raise here, in order; closing this generator
    early stops the thread (and closes the reading iterator, hence the file).
    """
    if depth <= 0:
        yield from make()
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        it = make()
        try:
            for item in it:
                if not put((None, item)):
                    return
            put((None, done))
        except BaseException as exc:  # handed to the consumer, raised there
            put((exc, None))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="lingrad-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            exc, item = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


_BLAS: list[Any] = []  # the threadpoolctl controller, made once (a scan of loaded libraries)


def _blas_leaving_a_core() -> contextlib.AbstractContextManager:
    """Limit BLAS to the CPUs the read-ahead thread leaves free.

    The reading thread parses while the caller's BLAS products (statistics,
    gradients) run; with as many BLAS threads as CPUs they oversubscribe the
    machine and OpenBLAS's spinning threads burn CPU (measured on 2 CPUs: the
    statistics pass took twice the CPU time of the parse). scikit-learn's
    KMeans limits BLAS the same way around its own threads.
    """
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - a dependency of scikit-learn
            _BLAS.append(None)
    if _BLAS[0] is None:  # pragma: no cover
        return contextlib.nullcontext()
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return _BLAS[0].limit(limits=max(1, cpus - 1), user_api="blas")


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # reported by the reader


def _first_bad(a: np.ndarray) -> tuple[int, int] | None:
    bad = ~np.isfinite(a)
    if not bad.any():
        return None
    i, *j = np.argwhere(bad)[0]
    return int(i), int(j[0]) if j else 0


# -- readers ------------------------------------------------------------------
class _CsvReader:
    """CSV through pyarrow's streaming reader: blocks of at most 1 MiB."""

    format = "csv"

    def __init__(self, path: str, chunk_rows: int) -> None:
        self.path = path
        self.n_rows: int | None = None
        self.block_size, self.columns = self._probe(chunk_rows)

    def _sample(self) -> bytes:
        pa = _pyarrow()
        try:
            with pa.input_stream(self.path) as stream:
                return stream.read(_MAX_BLOCK)
        except FileNotFoundError:
            raise MissingDataFileError(f"{self.path}: no such file.") from None
        except (OSError, pa.ArrowException) as exc:
            raise DataFileError(f"{self.path}: cannot be read ({_one_line(exc)}).") from None

    def _probe(self, chunk_rows: int) -> tuple[int, list[str]]:
        """Header names and a block size of about ``chunk_rows`` rows (<= 1 MiB)."""
        sample = self._sample()
        lines = [ln for ln in sample.split(b"\n") if ln.strip()]
        if not lines:
            raise DataFileError(f"{self.path}: the file is empty (no header, no rows).")
        longest = max(len(ln) + 1 for ln in lines)
        body = lines[1:-1] if len(sample) == _MAX_BLOCK else lines[1:]
        per_row = sum(len(ln) + 1 for ln in body) / len(body) if body else longest
        block = int(min(chunk_rows * per_row * 1.05, _MAX_BLOCK))
        block = max(block, 4 * longest, _MIN_BLOCK)
        pa, csv = _pyarrow(), _pyarrow("pyarrow.csv")
        try:
            reader = csv.open_csv(
                self.path, read_options=csv.ReadOptions(block_size=block, use_threads=False)
            )
            names = list(reader.schema.names)
            rows = 0
            while rows == 0:
                rows = reader.read_next_batch().num_rows
        except StopIteration:
            raise DataFileError(
                f"{self.path}: the header names columns {_names(names)} but there are no data rows."
            ) from None
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc) and len(lines) <= 1:
                raise DataFileError(
                    f"{self.path}: the header ({_one_line(lines[0].decode(errors='replace'))}) "
                    "is followed by no data rows."
                ) from None
            raise self._translate(exc, None, 0) from None
        except (OSError, pa.ArrowException) as exc:
            raise DataFileError(f"{self.path}: cannot be read ({_one_line(exc)}).") from None
        return block, names

    def _translate(self, exc: Exception, names: list[str] | None, row0: int) -> DataFileError:
        """A pyarrow parse or conversion error as a DataFileError with row and column."""
        msg = str(exc)
        m_row = _ROW_RE.search(msg)
        line = int(m_row.group(1)) if m_row else -1
        # pyarrow counts the header as row 1: data row = line - 1.
        where = f"row {line - 1}" if line > 1 else f"a row after row {row0}"
        m_col = _COL_RE.search(msg)
        header = names if names is not None else getattr(self, "columns", [])
        col = None
        if m_col and int(m_col.group(1)) < len(header):
            col = header[int(m_col.group(1))]
        m_rag = _RAGGED_RE.search(msg)
        if m_rag:
            want, got, text = m_rag.groups()
            shown = f": {_one_line(text)!r}" if text else ""
            return DataFileError(
                f"{self.path}: {where} has {got} fields but the header has {want} columns"
                f"{shown}. Every row must have one value per column."
            )
        m_val = _VALUE_RE.search(msg)
        if m_val:
            return DataFileError(
                f"{self.path}: column {col!r} has the non-numeric value "
                f"{_one_line(m_val.group(1))!r} at {where}. lingrad needs numbers: clean the "
                "file, or pick numeric columns with features=[...]."
            )
        if "straddling" in msg or "straddles" in msg:
            return DataFileError(
                f"{self.path}: {where} is longer than the read block ({self.block_size} bytes); "
                "quoted newlines in cells are not supported, or pass a larger chunk_rows."
            )
        col_part = f" in column {col!r}" if col else ""
        return DataFileError(
            f"{self.path}: cannot be parsed as CSV at {where}{col_part} ({_one_line(msg, 200)})."
        )

    def pieces(self, cols: list[str]) -> Iterator[list[np.ndarray]]:
        """Yield the chosen columns, block by block, as float64 arrays (nulls raise)."""
        pa, csv = _pyarrow(), _pyarrow("pyarrow.csv")
        ropts = csv.ReadOptions(block_size=self.block_size, use_threads=False)
        copts = csv.ConvertOptions(
            column_types={c: pa.float64() for c in cols}, include_columns=cols
        )
        row0 = 0
        try:
            reader = csv.open_csv(self.path, read_options=ropts, convert_options=copts)
        except FileNotFoundError:
            raise MissingDataFileError(f"{self.path}: no such file.") from None
        except pa.ArrowInvalid as exc:
            raise self._translate(exc, None, row0) from None
        except (OSError, pa.ArrowException) as exc:
            raise DataFileError(f"{self.path}: cannot be read ({_one_line(exc)}).") from None
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except pa.ArrowInvalid as exc:
                    raise self._translate(exc, None, row0) from None
                except (OSError, pa.ArrowException) as exc:
                    raise DataFileError(
                        f"{self.path}: cannot be read after row {row0} ({_one_line(exc)})."
                    ) from None
                out = []
                for name, col in zip(cols, batch.columns, strict=True):
                    if col.null_count:
                        _null_error(self.path, col, name, row0)
                    out.append(col.to_numpy())
                if batch.num_rows:
                    yield out
                row0 += batch.num_rows
        finally:
            reader.close()


def _null_error(path: str, col: Any, name: str, row0: int) -> None:
    i = int(np.argmax(col.is_null().to_numpy(zero_copy_only=False)))
    raise DataFileError(
        f"{path}: column {name!r} is empty or a missing-value marker (NA, nan, ...) at "
        f"row {row0 + i + 1}. "
        "lingrad needs a number in every cell: fill or drop that row."
    )


class _ParquetReader:
    """Parquet through ``ParquetFile.iter_batches``: memory of one row group."""

    format = "parquet"

    def __init__(self, path: str, chunk_rows: int) -> None:
        self.path = path
        self.batch_rows = chunk_rows
        pf = self._open()
        try:
            schema = pf.schema_arrow
            self.columns = list(schema.names)
            self.types = {f.name: f.type for f in schema}
            self.n_rows: int | None = pf.metadata.num_rows
        finally:
            pf.close()
        if self.n_rows == 0:
            raise DataFileError(
                f"{self.path}: the file has columns {_names(self.columns)} but no rows."
            )

    def _open(self) -> Any:
        pa, pq = _pyarrow(), _pyarrow("pyarrow.parquet")
        try:
            return pq.ParquetFile(self.path)
        except FileNotFoundError:
            raise MissingDataFileError(f"{self.path}: no such file.") from None
        except (OSError, pa.ArrowException) as exc:
            msg = "the file is empty" if "size is 0" in str(exc) else _one_line(exc)
            raise DataFileError(f"{self.path}: cannot be read as Parquet ({msg}).") from None

    def check_types(self, cols: list[str]) -> None:
        """Numbers, booleans and strings (parsed) only."""
        pa = _pyarrow()
        t = pa.types
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
                raise DataFileError(
                    f"{self.path}: column {c!r} holds {typ} values (every row); lingrad needs "
                    "numbers: pick numeric columns with features=[...]."
                )

    def _to_float(self, col: Any, name: str, row0: int) -> np.ndarray:
        pa = _pyarrow()
        if col.null_count:
            _null_error(self.path, col, name, row0)
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        if pa.types.is_floating(col.type) and col.type.bit_width == 64:
            return col.to_numpy()
        try:
            return col.cast(pa.float64(), safe=False).to_numpy()
        except pa.ArrowInvalid:
            for i, v in enumerate(col.to_pylist()):
                try:
                    pa.array([v]).cast(pa.float64())
                except pa.ArrowInvalid:
                    raise DataFileError(
                        f"{self.path}: column {name!r} has the non-numeric value "
                        f"{_one_line(v)!r} at row {row0 + i + 1}. lingrad needs numbers: clean "
                        "the file, or pick numeric columns with features=[...]."
                    ) from None
            raise

    def pieces(self, cols: list[str]) -> Iterator[list[np.ndarray]]:
        """Yield the chosen columns batch by batch as float64 arrays."""
        pa = _pyarrow()
        self.check_types(cols)
        pf = self._open()
        row0 = 0
        try:
            batches = pf.iter_batches(batch_size=self.batch_rows, columns=list(dict.fromkeys(cols)))
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    return
                except (OSError, pa.ArrowException) as exc:
                    raise DataFileError(
                        f"{self.path}: cannot be read after row {row0} ({_one_line(exc)})."
                    ) from None
                if batch.num_rows:
                    yield [self._to_float(batch.column(c), c, row0) for c in cols]
                row0 += batch.num_rows
        finally:
            pf.close()


class _NpyReader:
    """A 2-D ``.npy`` array, memory-mapped; columns are named ``x0, x1, ...``."""

    format = "npy"

    def __init__(self, path: str) -> None:
        self.path = path
        arr = self.open()
        self.n_rows: int | None = arr.shape[0]
        self.columns = [f"x{j}" for j in range(arr.shape[1])]
        del arr
        if self.n_rows == 0:
            raise DataFileError(
                f"{self.path}: the array has {len(self.columns)} columns but no rows."
            )

    def open(self) -> np.ndarray:
        try:
            arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise MissingDataFileError(f"{self.path}: no such file.") from None
        except EOFError:
            raise DataFileError(f"{self.path}: the file is empty.") from None
        except (OSError, ValueError) as exc:
            raise DataFileError(
                f"{self.path}: is not a readable .npy array ({_one_line(exc)})."
            ) from None
        if not isinstance(arr, np.ndarray) or arr.ndim != 2:
            shape = getattr(arr, "shape", None)
            raise DataFileError(
                f"{self.path}: needs a 2-D array (rows x columns); got shape {shape}."
            )
        if arr.dtype.names is not None or arr.dtype.kind not in "biuf":
            raise DataFileError(
                f"{self.path}: holds {arr.dtype} values; lingrad needs a numeric array."
            )
        return arr

    def key(self, key: int | str, role: str) -> str:
        """Column ``j`` or ``"x{j}"`` (negative ``j`` counts from the end) as its name."""
        p = len(self.columns)
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            j = int(key)
            if not -p <= j < p:
                raise DataFileError(
                    f"{self.path}: no column {j} ({role}); the array has {p} columns "
                    f"(0 to {p - 1}, or 'x0' to 'x{p - 1}')."
                )
            return self.columns[j]
        return key


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

    def __repr__(self) -> str:
        feats = self._features
        shown = repr(feats) if len(feats) <= 8 else f"[{_names(feats[:6])}, ... ({len(feats)})]"
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
        f, k = self.n_features, self.n_targets
        rows = self.chunk_rows
        if self._reader.n_rows is not None:
            rows = max(1, min(rows, self._reader.n_rows))
        limits: contextlib.AbstractContextManager = contextlib.nullcontext()
        if self.format == "npy":
            chunks = self._npy_chunks(rows)
        else:
            cols = self._features + self.target_names
            if self.weight_name is not None:
                cols.append(self.weight_name)
            ahead = _PREFETCH if _file_size(self.path) >= _PREFETCH_BYTES else 0
            pieces = _prefetch(lambda: self._reader.pieces(cols), ahead)
            chunks = _gather(pieces, f, k, self.weight_name is not None, rows)
            if ahead > 0:
                limits = _blas_leaving_a_core()
        row0 = 0
        try:
            with limits:  # in force while the caller works on the chunks, until the pass ends
                for X, Y, w in chunks:
                    self._check(X, Y, w, row0)
                    row0 += len(X)
                    yield X, Y, w
        finally:
            chunks.close()  # stops the reading thread and closes the file, even on a break
        if row0 == 0:
            raise DataFileError(f"{self.path}: no data rows.")

    def _npy_chunks(self, rows: int) -> Iterator[Chunk]:
        arr = self._reader.open()
        index = {c: j for j, c in enumerate(self.columns)}
        fi = [index[c] for c in self._features]
        ti = [index[c] for c in self.target_names]
        wi = None if self.weight_name is None else index[self.weight_name]
        n = arr.shape[0]
        for start in range(0, n, rows):
            block = arr[start : start + rows]
            X = np.ascontiguousarray(block[:, fi], dtype=np.float64)
            Y = np.ascontiguousarray(block[:, ti], dtype=np.float64)
            w = None if wi is None else np.array(block[:, wi], dtype=np.float64)
            yield X, Y, w

    def _check(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, row0: int) -> None:
        """NaN, inf and negative weights, located to the row and column."""
        parts: list[tuple[np.ndarray, list[str]]] = [(X, self._features), (Y, self.target_names)]
        if w is not None:
            parts.append((w, [self.weight_name]))
        for a, names in parts:
            bad = _first_bad(a)
            if bad is not None:
                i, j = bad
                value = a[i, j] if a.ndim == 2 else a[i]
                raise DataFileError(
                    f"{self.path}: column {names[j]!r} holds {value} at "
                    f"row {row0 + i + 1}. lingrad needs finite numbers: fill or drop that row."
                )
        if w is not None and (w < 0).any():
            i = int(np.argmax(w < 0))
            raise DataFileError(
                f"{self.path}: column {self.weight_name!r} (the weight) is negative ({w[i]}) "
                f"at row {row0 + i + 1}. Sample weights must be >= 0."
            )


def _format(path: str) -> str:
    low = path.lower()
    for fmt, suffixes in (
        ("csv", _CSV_SUFFIXES),
        ("parquet", _PARQUET_SUFFIXES),
        ("npy", _NPY_SUFFIXES),
    ):
        if low.endswith(suffixes):
            return fmt
    raise DataFileError(
        f"{path}: unknown file type; open_dataset reads "
        f"{', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES + _NPY_SUFFIXES)} files."
    )


def open_dataset(
    path: str | os.PathLike[str],
    target: str | int | Sequence[str | int] | None,
    features: Sequence[str | int] | None = None,
    *,
    weight: str | int | None = None,
    chunk_rows: int = 65536,
) -> Dataset:
    """Open a CSV, Parquet or ``.npy`` file for fitting without loading it.

    ``LinearRegression().fit(open_dataset(path, target="y"))`` fits from the
    file's sufficient statistics, gathered in one streamed pass (exact: the
    model equals the in-memory fit to rounding); ``engine="direct"`` streams
    the file once per iteration. Memory is that of one chunk (about
    ``chunk_rows * (n_columns + 1) * 8`` bytes) and one read block, whatever
    the file's size.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (also ``.csv.gz``, ``.csv.bz2``) with a header row;
        ``.parquet`` / ``.pq``; or ``.npy`` holding a 2-D numeric array, whose
        columns are addressed by index ``j`` or by the name ``"x{j}"``
        (negative indices count from the end).
    target : str, int, list of them, or None
        The target column. A list of columns fits a multi-output model
        (predictions of shape (n_samples, n_targets)). None opens the features
        only: data to ``predict`` on, which ``fit`` refuses.
    features : list of str or int, default=None
        The feature columns, in the order wanted. None takes every other
        column (but the target and weight), in file order.
    weight : str or int, default=None
        A column of non-negative sample weights.
    chunk_rows : int, default=65536
        Rows per chunk.

    Returns
    -------
    Dataset
        Re-iterable: each pass re-opens the file.

    Raises
    ------
    DataFileError
        (a ValueError) The file is missing (also a FileNotFoundError),
        unreadable, empty or has a header only, or a column is missing or
        duplicated. Bad cells are found while streaming and raise from
        ``fit`` (or ``iter_chunks``), before any model is returned.
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
    where = os.fspath(path)
    if not isinstance(where, str):
        where = os.fsdecode(where)
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer):
        raise TypeError(
            f"The 'chunk_rows' parameter of open_dataset must be an int >= 1. Got {chunk_rows!r}."
        )
    if chunk_rows < 1:
        raise ValueError(
            f"The 'chunk_rows' parameter of open_dataset must be an int >= 1. Got {chunk_rows!r}."
        )
    fmt = _format(where)
    reader: Any
    if fmt == "csv":
        reader = _CsvReader(where, int(chunk_rows))
    elif fmt == "parquet":
        reader = _ParquetReader(where, int(chunk_rows))
    else:
        reader = _NpyReader(where)
    one_d = not isinstance(target, list | tuple)
    if isinstance(features, str):
        raise TypeError(
            "The 'features' parameter of open_dataset must be a list of columns, not one "
            f"string. Got {features!r}; pass [{features!r}] for one feature."
        )
    if isinstance(reader, _NpyReader):
        if target is not None:
            target = (
                reader.key(target, "target") if one_d else [reader.key(t, "target") for t in target]
            )
        features = None if features is None else [reader.key(c, "feature") for c in features]
        weight = None if weight is None else reader.key(weight, "weight")
    else:
        for name, value in (("target", target), ("weight", weight)):
            vals = value if isinstance(value, list | tuple) else [value]
            if any(v is not None and not isinstance(v, str) for v in vals):
                raise TypeError(
                    f"The '{name}' parameter of open_dataset must be a column name (str) for "
                    f"{fmt} files. Got {value!r}."
                )
        if features is not None and any(not isinstance(c, str) for c in features):
            raise TypeError(
                "The 'features' parameter of open_dataset must be a list of column names. "
                f"Got {features!r}."
            )
    feats, targets = _select(
        where,
        reader.columns,
        list(target) if not one_d else target,
        None if features is None else list(features),
        weight,
    )
    return Dataset(reader, feats, targets, weight, int(chunk_rows), one_d)
