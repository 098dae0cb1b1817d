"""Missing values: ``missing="raise"`` (an error) or ``"drop"`` (listwise deletion).

``LinearRegression(missing="drop")`` follows statsmodels' ``missing="drop"``:
a row with a missing value in any column the model uses (a feature, a target,
the sample weight) is left out of the fit, and ``n_dropped_`` counts such
rows. What counts as missing:

- NumPy arrays: NaN (and None in object arrays); infinity is not missing, it
  stays an error;
- pandas: NaN, None, ``pd.NA`` and ``NaT`` (``DataFrame.isna``), nullable
  dtypes included;
- polars: null, and NaN in float columns;
- SciPy sparse matrices: a stored NaN;
- files (:func:`lingrad.open_dataset`): empty CSV cells and pyarrow's
  default null markers (``NA``, ``N/A``, ``n/a``, ``NULL``, ``null``,
  ``NaN``, ``nan``, ``-NaN``, ``-nan``, ``#N/A``, ``#N/A N/A``, ``#NA``,
  ``1.#IND``, ``-1.#IND``, ``1.#QNAN``, ``-1.#QNAN``; not ``None`` or ``?``,
  which stay errors), Parquet and Arrow nulls, and NaN values;
- Dask arrays and DataFrames: NaN, checked block by block on the cluster.

Predictions of a ``missing="drop"`` model keep one row per input row: a row
with a missing feature predicts NaN (statsmodels' ``predict`` does the same),
so predictions stay aligned with the input.

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 4.0]])
>>> y = np.array([1.0, 2.0, np.nan])
>>> missing_rows(X) | missing_rows(y)
array([False,  True,  True])
>>> Xk, yk, w, n = drop_missing(X, y, None, "drop")
>>> Xk.tolist(), yk.tolist(), n
([[1.0, 2.0]], [1.0], 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._params import PARAMETERS
from . import DataSource, _is_dask, as_source
from .chunks import nan_rows

__all__ = [
    "MISSING",
    "as_source",
    "drop_batch",
    "drop_missing",
    "intake",
    "missing_rows",
    "nan_rows",
    "record_dropped",
    "summary_data",
    "with_missing",
]

#: The options of ``missing`` (from the constraints table).
MISSING: tuple[str, ...] = PARAMETERS["missing"].options


def _polars_rows(obj: Any) -> np.ndarray:
    import polars as pl

    cols = obj.get_columns() if isinstance(obj, pl.DataFrame) else [obj]
    mask = np.zeros(len(obj), dtype=bool)
    for c in cols:
        m = c.is_null()
        if c.dtype.is_float():
            m = m | c.is_nan().fill_null(True)
        mask |= m.to_numpy()
    return mask


def _object_rows(a: np.ndarray) -> np.ndarray:
    try:
        import pandas as pd

        m = np.asarray(pd.isna(a), dtype=bool)
    except ImportError:  # pragma: no cover - pandas comes with scikit-learn's usual installs
        m = np.frompyfunc(lambda v: v is None or v != v, 1, 1)(a).astype(bool)
    return m


def missing_rows(obj: Any) -> np.ndarray | None:
    """Which rows of ``obj`` hold a missing value (see the module's list).

    Parameters
    ----------
    obj : array-like, DataFrame, Series, sparse matrix or None

    Returns
    -------
    mask : ndarray of bool of shape (n_rows,), or None
        None for ``obj`` None, or when its rows cannot be told (a scalar).
    """
    if obj is None:
        return None
    module = type(obj).__module__.split(".")[0]
    if module == "polars":
        return _polars_rows(obj)
    if hasattr(obj, "isna") and hasattr(obj, "shape"):  # pandas
        m = np.asarray(obj.isna(), dtype=bool)
    elif hasattr(obj, "tocoo") and hasattr(obj, "nnz"):  # SciPy sparse
        coo = obj.tocoo()
        out = np.zeros(coo.shape[0], dtype=bool)
        out[coo.row[np.isnan(coo.data)]] = True
        return out
    else:
        try:
            a = np.asarray(obj)
        except (ValueError, TypeError):  # ragged input: validation explains it
            return None
        if a.dtype.kind in "fc":
            m = np.isnan(a)
        elif a.dtype.kind == "O":
            m = _object_rows(a)
        else:
            m = np.zeros(a.shape, dtype=bool)
    if m.ndim == 0:
        return None
    return m.reshape(len(m), -1).any(axis=1)


def _take(obj: Any, rows: np.ndarray) -> Any:
    from sklearn.utils import _safe_indexing

    if isinstance(obj, list | tuple):
        return [obj[i] for i in rows]
    return _safe_indexing(obj, rows)


def drop_missing(X: Any, y: Any, sample_weight: Any, missing: str) -> tuple[Any, Any, Any, int]:
    """The rows of ``(X, y, sample_weight)`` without a missing value, and how many were dropped.

    ``missing="raise"`` returns the inputs unchanged (validation then refuses
    NaN with its usual message). Containers keep their kind: a DataFrame stays
    a DataFrame with its column names.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets), or None
    sample_weight : array-like of shape (n_samples,) or None
    missing : {"raise", "drop"}

    Returns
    -------
    X, y, sample_weight
        Of ``n_samples - n_dropped`` rows.
    n_dropped : int
    """
    if missing != "drop":
        return X, y, sample_weight, 0
    masks = [
        m for m in (missing_rows(X), missing_rows(y), missing_rows(sample_weight)) if m is not None
    ]
    if not masks or len({len(m) for m in masks}) > 1:  # lengths differ: validation explains it
        return X, y, sample_weight, 0
    mask = np.logical_or.reduce(masks)
    n = int(mask.sum())
    if n == 0:
        return X, y, sample_weight, 0
    if n == len(mask):
        raise ValueError(
            f"Every row ({n}) has a missing value in X, y or sample_weight, so missing='drop' "
            "leaves no row to fit. Fill the missing values, or select the columns that have data."
        )
    keep = np.flatnonzero(~mask)
    return (
        _take(X, keep),
        None if y is None else _take(y, keep),
        None if sample_weight is None else _take(sample_weight, keep),
        n,
    )


def with_missing(X: Any, y: Any, sample_weight: Any, missing: str) -> tuple[Any, Any, Any, int]:
    """What ``fit`` learns from, with ``missing`` applied (the estimator's one call).

    A lingrad data source (a dataset from :func:`lingrad.open_dataset`) is
    returned in ``missing`` mode (it drops rows as it streams them and counts
    them in its ``n_dropped``); Dask collections become a
    :class:`~lingrad._sources.dask.DaskSource` in that mode; in-memory data
    goes through :func:`drop_missing`.

    Returns
    -------
    X, y, sample_weight, n_dropped
        ``n_dropped`` is 0 for sources: they count while streaming.
    """
    from .stream_input import table_source
    from .tables import is_table

    if is_table(X):  # fit(stream, "y"): the stream's columns
        X, y, sample_weight = table_source(X, y, sample_weight), None, None
    if getattr(X, "__lingrad_source__", False):
        mode = getattr(X, "missing_mode", None)
        return (X if mode is None else mode(missing)), y, sample_weight, 0
    if _is_dask(X) or _is_dask(y) or _is_dask(sample_weight):
        from .dask import DaskSource

        return DaskSource(X, y, sample_weight, missing=missing), None, None, 0
    return drop_missing(X, y, sample_weight, missing)


def intake(
    X: Any, y: Any, sample_weight: Any, missing: str
) -> tuple[DataSource | None, tuple[Any, Any, Any], int]:
    """``fit``'s data with ``missing`` applied: ``(source or None, (X, y, w), n_dropped)``.

    A source (file, Dask) counts the rows it drops while streaming (its
    ``n_dropped``); in-memory data is returned without its dropped rows.
    """
    X, y, sample_weight, n_dropped = with_missing(X, y, sample_weight, missing)
    return as_source(X, y, sample_weight), (X, y, sample_weight), n_dropped


def record_dropped(model: Any, source: DataSource | None, n_dropped: int) -> Any:
    """Set ``model.n_dropped_`` after a fit (``source``: what it learnt from); return ``model``."""
    counted = None if source is None else getattr(source, "n_dropped", 0)
    model.n_dropped_ = int(n_dropped if counted is None else counted)
    return model


def drop_batch(model: Any, X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
    """A ``partial_fit`` batch with ``model.missing`` applied; ``n_dropped_`` adds its count.

    ``n_dropped_`` counts from 0 when the model is neither fitted nor started.
    """
    if getattr(model, "missing", "raise") != "drop":
        return X, y, sample_weight
    X, y, sample_weight, n = drop_missing(X, y, sample_weight, "drop")
    d = model.__dict__
    started = "_online" in d or "coef_" in d
    if n or started:
        d["n_dropped_"] = (d.get("n_dropped_", 0) if started else 0) + n
    return X, y, sample_weight


def predict_rows(model: Any, X: Any, predict_valid: Any) -> np.ndarray:
    """Predictions of a ``missing="drop"`` model for in-memory ``X`` (NaN: a missing feature).

    ``predict_valid(X)`` predicts rows without a missing value (validated as
    usual); the result has one row per row of ``X``.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
    """
    mask = missing_rows(X)
    if mask is None or not mask.any():
        return predict_valid(X)
    shape = (len(mask),) if np.ndim(model.coef_) == 1 else (len(mask), model.coef_.shape[0])
    out = np.full(shape, np.nan)
    keep = np.flatnonzero(~mask)
    if len(keep):
        part = predict_valid(_take(X, keep))
        out = out.astype(np.result_type(part.dtype, np.float32), copy=False)
        out[keep] = part
    return out


def summary_data(model: Any, X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
    """The data given to ``summary`` (robust errors, a second pass) with the model's ``missing``.

    A ``missing="drop"`` model drops the same rows as its fit did; an Arrow
    stream is opened on the model's features with ``y`` (and the weight) naming
    its columns.
    """
    from .stream_input import table_source
    from .tables import is_table

    if X is None:
        return X, y, sample_weight
    if is_table(X):
        names = getattr(model, "feature_names_in_", None)
        X = table_source(X, y, sample_weight, None if names is None else list(names))
        y = sample_weight = None
    missing = getattr(model, "missing", "raise")
    if hasattr(X, "missing_mode"):
        return X.missing_mode(missing), y, sample_weight
    if getattr(X, "__lingrad_source__", False):
        return X, y, sample_weight
    return drop_missing(X, y, sample_weight, missing)[:3]
