"""What a Dask source accepts: collection kinds, real dtypes, Dask arrays with aligned rows.

These checks read only metadata (dtypes, shapes, partition lengths), never the
data itself; the values (NaN, infinity, negative weights) are checked on the
cluster, block by block, by :mod:`lingrad._sources.dask`.
"""

from __future__ import annotations

from typing import Any

import dask
import dask.array as da
import numpy as np

from .nonnumeric import non_numeric_kind

__all__ = [
    "align_rows",
    "as_float",
    "check_collection",
    "check_numeric",
    "collection_kind",
    "drop_missing_rows",
    "known_rows",
    "partition_lengths",
    "to_dask_array",
]


def collection_kind(obj: Any) -> str:
    """'array', 'frame', 'series', 'dask-other' or 'memory'."""
    if isinstance(obj, da.Array):
        return "array"
    if type(obj).__module__.split(".")[0] == "dask":
        if hasattr(obj, "to_dask_array"):
            return "frame" if obj.ndim == 2 else "series"
        return "dask-other"
    return "memory"


def is_real(dtype: Any) -> bool:
    """Bool, integer or float: NumPy's, or pandas' nullable and Arrow-backed ones."""
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:  # pandas extension dtypes: Int64, Float64, boolean, float64[pyarrow], ...
        import pandas.api.types as pdt

        numeric = pdt.is_numeric_dtype(dtype) or pdt.is_bool_dtype(dtype)
        return bool(numeric and not pdt.is_complex_dtype(dtype))


def check_numeric(
    name: str, dtype: np.dtype, columns: list[str] | None = None, kinds: list[str] | None = None
) -> None:
    if dtype.kind in "biuf":
        return
    what = f"dtype {dtype}"
    if columns:
        what = f"non-numeric columns {columns}"
        if kinds:
            what += (
                " (" + "; ".join(f"{c!r}: {k}" for c, k in zip(columns, kinds, strict=True)) + ")"
            )
    raise ValueError(
        f"{name} must hold real numbers (bool, integer or float); got {what} in the Dask "
        "collection. Convert or one-hot encode text/categorical columns first "
        "(e.g. dask_ml.preprocessing.Categorizer and DummyEncoder)."
    )


def check_collection(name: str, obj: Any) -> None:
    """Reject other Dask collections, and DataFrames with non-numeric columns (no compute)."""
    kind = collection_kind(obj)
    if kind == "dask-other":
        raise ValueError(
            f"{name} must be a Dask array, DataFrame or Series (or an in-memory array); got a "
            f"{type(obj).__name__}. Convert it first, e.g. with dask.array.from_delayed or "
            "dask.dataframe.from_delayed."
        )
    if kind == "frame":
        bad = [str(c) for c, t in obj.dtypes.items() if not is_real(t)]
        kinds = [f"{non_numeric_kind(t)}, {t}" for t in obj.dtypes if not is_real(t)]
        if bad:
            check_numeric(name, np.dtype(object), bad, kinds)


def partition_lengths(*objs: Any) -> list[tuple[int, ...] | None]:
    """Rows per partition of each Dask DataFrame/Series among ``objs`` (None for the
    others), counted in one computation: columns of one DataFrame are read once."""
    frames = [i for i, o in enumerate(objs) if collection_kind(o) in ("frame", "series")]
    counts = dask.compute(*[objs[i].map_partitions(len) for i in frames])
    out: list[tuple[int, ...] | None] = [None] * len(objs)
    for i, c in zip(frames, counts, strict=True):
        out[i] = tuple(int(v) for v in c)
    return out


def to_dask_array(
    name: str, obj: Any, lengths: tuple[int, ...] | None
) -> tuple[da.Array | np.ndarray, list[str] | None]:
    """A Dask array (or, when ``obj`` lives in memory, a NumPy array) and column names.

    ``lengths`` are the rows per partition of a Dask DataFrame or Series.
    """
    kind = collection_kind(obj)
    names = None
    if kind == "frame":
        columns = list(obj.columns)
        if all(isinstance(c, str) for c in columns):
            names = columns
        if len({str(t) for t in obj.dtypes}) > 1 or not all(
            str(t) in ("float32", "float64") for t in obj.dtypes
        ):  # bool beside floats, nullable or Arrow dtypes: one float64 array (NA -> NaN)
            obj = obj.astype(np.float64)
        obj = obj.to_dask_array(lengths=lengths)
    elif kind == "series":
        obj = obj.to_dask_array(lengths=lengths)
    elif kind == "memory":
        if hasattr(obj, "columns"):
            columns = list(obj.columns)
            if all(isinstance(c, str) for c in columns):
                names = columns
        obj = np.asarray(obj)
    check_numeric(name, np.dtype(obj.dtype))
    return obj, names


def as_float(a: da.Array) -> da.Array:
    """float32/float64 kept; bool, integers and float16 cast to float64 block by block."""
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def known_rows(a: da.Array) -> da.Array:
    return a.compute_chunk_sizes() if any(np.isnan(c) for c in a.chunks[0]) else a


def align_rows(name: str, a: Any, rows: tuple[int, ...], n: int, x_desc: str) -> da.Array:
    """``a`` as a Dask array with the row chunks ``rows`` (rechunked or wrapped if needed)."""
    if not isinstance(a, np.ndarray):
        a = known_rows(a)
    m = a.shape[0]
    if m != n:
        raise ValueError(
            f"X and {name} must have the same number of rows (one per sample); X has {n:,} "
            f"rows{x_desc} but {name} has {m:,}. Pass collections of the same length, e.g. "
            f"columns of one Dask DataFrame."
        )
    if isinstance(a, np.ndarray):
        return da.from_array(a, chunks=(rows, *a.shape[1:]))
    if a.chunks[0] != rows:
        a = a.rechunk({0: rows})
    return a


def drop_missing_rows(
    X: da.Array, Y: da.Array, w: da.Array | None
) -> tuple[da.Array, da.Array, da.Array | None, int]:
    """The rows without a NaN in X, Y or w (``missing="drop"``), and how many remain.

    One pass counts the rows kept per block, so the result keeps known row
    chunks (aligned across X, Y and w); the filtering itself stays lazy.
    """
    bad = da.isnan(X).any(axis=1) | da.isnan(Y).any(axis=1)
    if w is not None:
        bad = bad | da.isnan(w)
    keep = ~bad
    counts = dask.compute(*[dask.delayed(np.count_nonzero)(b) for b in keep.to_delayed()])
    rows = tuple(int(c) for c in counts)
    n = sum(rows)
    if n == 0:
        raise ValueError(
            f"Every row ({X.shape[0]:,}) of the Dask collection has a missing value in X, y "
            "or sample_weight, so missing='drop' leaves no row to fit. Fill the missing "
            "values, or select the columns that have data."
        )

    def take(a: da.Array) -> da.Array:
        out = a[keep]
        out._chunks = (rows, *a.chunks[1:])  # what compute_chunk_sizes would find
        return out

    return take(X), take(Y), None if w is None else take(w), n
