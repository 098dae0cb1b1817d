"""Many files as one dataset: a folder, a glob, a list of paths; hive partitions as columns.

``open_dataset("data/")``, ``open_dataset("data/*.parquet")``,
``open_dataset("logs/2026-*.csv")`` and ``open_dataset([path1, path2])``
read the files one after another, each by its format's reader
(:mod:`~lingrad._sources.csv`, :mod:`~lingrad._sources.parquet`), so that a
bad cell is reported with its file, row (counted in that file) and column,
and only the columns the model uses are read (Parquet reads no other column
chunk). Files are taken in sorted path order; a folder is searched
recursively for ``.csv`` (also ``.csv.gz``, ``.csv.bz2``) and ``.parquet`` /
``.pq`` files, skipping hidden and ``_``-prefixed names (``_SUCCESS``,
``_metadata``).

Every file must have the same columns (in any order): a file with other
columns is refused when the dataset is opened, naming the file and the
difference. Folder names ``key=value`` (hive partitioning, as Spark, Arrow and
polars write them) become columns ``key`` holding ``value`` on every row of
the files below, after the files' own columns: numeric values can be
features; text values (``city=rome``) are named in a clear error when used as
a number (the formula layer encodes them). ``__HIVE_DEFAULT_PARTITION__`` is a
missing value.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._messages import Alt
from .errors import data_error, listed, no_such_file

__all__ = ["MultiReader", "expand", "is_many", "locate"]

_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".parquet", ".pq")
_GLOB = set("*?[")
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def is_many(path: Any) -> bool:
    """A list of paths, a glob pattern or a folder (not one file)."""
    if isinstance(path, list | tuple):
        return True
    if not isinstance(path, str | os.PathLike):
        return False
    text = os.fsdecode(path)
    return (bool(_GLOB & set(text)) and not os.path.exists(text)) or os.path.isdir(text)


def _skipped(name: str) -> bool:
    return name.startswith((".", "_")) and "=" not in name


def _folder(root: str) -> list[str]:
    out = []
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        out += [os.path.join(here, n) for n in names if not _skipped(n) and n.endswith(_SUFFIXES)]
    return sorted(out)


def expand(
    path: str | os.PathLike | Sequence[str | os.PathLike],
) -> tuple[str, str | None, list[str]]:
    """``(description, root, files)``: the files of a folder, glob or list, sorted.

    ``root`` is the folder under which ``key=value`` names are partitions
    (None for a list of paths).

    Raises
    ------
    DataFileError
        No file found: an empty folder, a glob matching nothing, an empty list,
        a listed file that does not exist.
    """
    if isinstance(path, list | tuple):
        files = [os.fsdecode(p) for p in path]
        if not files:
            raise data_error("open_dataset", "got an empty list of files; pass at least one path.")
        for f in files:
            if not os.path.exists(f):
                raise no_such_file(f)
        return f"{len(files)} files ({files[0]}, ...)", None, files
    text = os.fsdecode(path)
    if os.path.isdir(text):
        files = _folder(text)
        if not files:
            raise data_error(
                text,
                "is a directory with no data files (.csv, .csv.gz, .csv.bz2, .parquet, .pq; hidden "
                "and _-prefixed names are skipped). Check the path, or write the files first.",
            )
        return text, text, files
    files = sorted(f for f in glob.glob(text, recursive=True) if os.path.isfile(f))
    if not files:
        raise data_error(
            text,
            "matches no file. Check the pattern (glob syntax: * any name part, ** any "
            "folders with recursive search, ? one character), or list the folder.",
        )
    root = text[: min(text.index(c) for c in _GLOB if c in text)]
    return text, os.path.dirname(root) or ".", files


def _partitions(root: str | None, file: str) -> dict[str, str | None]:
    """``key=value`` folder names between ``root`` and ``file``."""
    if root is None:
        return {}
    rel = os.path.relpath(os.path.dirname(file), root)
    parts = {}
    for part in rel.split(os.sep):
        if "=" in part:
            key, value = part.split("=", 1)
            parts[key] = None if value == _NULL_PARTITION else value
    return parts


def _difference(have: list[str], want: list[str]) -> str:
    missing = [c for c in want if c not in have]
    extra = [c for c in have if c not in want]
    said = []
    if missing:
        said.append(f"lacks {listed(missing)}")
    if extra:
        said.append(f"has {listed(extra)} in addition")
    return " and ".join(said)


class MultiReader:
    """Files read one after another by their own readers, as one table.

    Parameters
    ----------
    path : folder, glob pattern or list of paths
    chunk_rows : int
    open_reader : callable
        ``open_reader(file, chunk_rows)``: the reader of one file.

    Attributes
    ----------
    path : str
        How messages name the dataset (the folder or pattern as given).
    files : list of str
    format : str
        The files' format ("csv", "parquet", or "csv+parquet").
    columns : list of str
        The files' columns (the first file's order), then the partition keys.
    partition_names : list of str
    n_rows : int or None
        Known when every file is Parquet.
    size_path : str
        The largest file (whether to read ahead in a thread).

    Raises
    ------
    DataFileError
        No file, a file that cannot be opened (named), or files whose columns
        or partition keys differ (the file and the difference named).
    """

    def __init__(self, path: Any, chunk_rows: int, open_reader: Callable[[str, int], Any]):
        self.path, root, self.files = expand(path)
        if any(f.lower().endswith(".npy") for f in self.files):
            raise data_error(self.path, "holds .npy files: a dataset of many files reads CSV "
                             "and Parquet files; open a .npy file on its own.")  # fmt: skip
        self._readers = [open_reader(f, chunk_rows) for f in self.files]
        self._parts = [_partitions(root, f) for f in self.files]
        first = self._readers[0]
        for reader, parts in zip(self._readers, self._parts, strict=True):
            if set(reader.columns) != set(first.columns):
                raise data_error(
                    reader.path,
                    f"has the columns {listed(reader.columns)}, unlike {first.path} "
                    f"({listed(first.columns)}): it {_difference(reader.columns, first.columns)}."
                    f" Every file of {self.path} needs the same columns: move the file out, or "
                    "list the files to read.",
                )
            if set(parts) != set(self._parts[0]):
                raise data_error(
                    reader.path,
                    f"has partition folders {listed(list(parts))} but {first.path} has "
                    f"{listed(list(self._parts[0]))}.",
                )
        self.partition_names = list(self._parts[0])
        clash = [k for k in self.partition_names if k in first.columns]
        if clash:
            raise data_error(self.path, f"partition folders {listed(clash)} repeat columns of "
                             "the files; rename the folders or the columns.")  # fmt: skip
        self.columns = list(first.columns) + self.partition_names
        formats = sorted({r.format for r in self._readers})
        self.format = "+".join(formats)
        rows = [r.n_rows for r in self._readers]
        self.n_rows = None if None in rows else sum(rows)
        self.size_path = max(self.files, key=lambda f: os.path.getsize(f))
        self._starts: list[tuple[int, str]] = []

    def locate(self, row: int) -> tuple[str, int]:
        """The file holding the 1-based dataset row ``row``, and the row in that file."""
        path, start = self.path, 0
        for begin, file in self._starts:
            if begin < row:
                path, start = file, begin
        return path, row - start

    def _constant(self, reader: Any, key: str, value: str | None, n: int, nulls: str) -> np.ndarray:
        if value is None:
            if nulls == "raise":
                raise data_error(reader.path, f"partition column {key!r} is missing "
                                 f"({_NULL_PARTITION}). Fill it, or pass missing='drop'.",
                                 column=key)  # fmt: skip
            return np.full(n, np.nan)
        try:
            return np.full(n, float(value))
        except ValueError:
            raise data_error(
                reader.path,
                f"partition column {key!r} holds the text {value!r} (folder {key}={value}); "
                "lingrad needs numbers: one-hot encode it with ",
                Alt(f"categorical=[{key!r}] (lingrad.ols)", f"--categorical {key}"),
                ", or leave it out with ",
                Alt("features=[...]", "--features"),
                ".",
                column=key,
            ) from None

    def pieces(self, cols: list[str], nulls: str = "raise") -> Iterator[list[np.ndarray]]:
        """The chosen columns, file after file (one float64 array per name of ``cols``)."""
        in_file = [c for c in cols if c not in self.partition_names]
        if not in_file:
            raise data_error(self.path, "the model uses partition columns only; include a "
                             "column of the files (the target).")  # fmt: skip
        self._starts = []
        row = 0
        for reader, parts in zip(self._readers, self._parts, strict=True):
            self._starts.append((row, reader.path))
            for piece in reader.pieces(in_file, nulls=nulls):
                n = len(piece[0])
                got = iter(piece)
                yield [
                    self._constant(reader, c, parts[c], n, nulls) if c in parts else next(got)
                    for c in cols
                ]
                row += n


def locate(reader: Any, path: str, row: int) -> tuple[str, int]:
    """(file, row in that file) of a 1-based row of a dataset read by ``reader``."""
    return reader.locate(row) if hasattr(reader, "locate") else (path, row)
