"""Prediction: the one linear map, on arrays, datasets and Dask collections.

:func:`predict_linear` is the one prediction function (``X coef^T +
intercept``); the estimator, the plots and the command line call it.
:func:`predict` dispatches a fitted model's input: a dataset from
:func:`lingrad.open_dataset` is streamed chunk by chunk, a Dask collection
gives a lazy Dask array, anything else is validated as an array.

Examples
--------
>>> import numpy as np
>>> predict_linear(np.array([2.0]), 1.0, np.array([[0.0], [1.0]]))
array([1., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._sources import _is_dask
from ._sources.spark import SparkSource, feature_columns, is_spark_frame
from ._validation import validate_x

__all__ = ["predict", "predict_linear"]


def predict_linear(coef: np.ndarray, intercept: Any, X: Any) -> np.ndarray:
    """``X @ coef.T + intercept`` in X's float type.

    Parameters
    ----------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept : float or ndarray of shape (n_targets,)
    X : ndarray or sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
    """
    coef = np.asarray(coef).astype(X.dtype, copy=False)
    out = X @ (coef if coef.ndim == 1 else coef.T)
    return np.asarray(out) + np.asarray(intercept, dtype=out.dtype)


def _model_linear(model: Any, X: Any) -> np.ndarray:
    return predict_linear(model.coef_, model.intercept_, X)


def check_source_columns(model: Any, source: Any) -> None:
    """Refuse a dataset whose feature columns differ from the model's."""
    names = getattr(model, "feature_names_in_", None)
    got = source.feature_names
    if source.n_features != model.n_features_in_:
        raise ValueError(
            f"{source.description} has {source.n_features} feature columns, but "
            f"{type(model).__name__} was fitted with {model.n_features_in_}. Open it with "
            "the same features=... as at fit time."
        )
    if names is not None and got is not None and list(got) != list(names):
        raise ValueError(
            f"{source.description} has feature columns {list(got)}, but the model was "
            f"fitted on {list(names)}. Pass features={list(names)!r} to open_dataset."
        )


def predict_source(model: Any, source: Any) -> np.ndarray:
    """Predictions for a dataset, one chunk at a time."""
    check_source_columns(model, source)
    parts = [_model_linear(model, np.asarray(Xc)) for Xc, _, _ in source.iter_chunks()]
    if parts:
        return np.concatenate(parts)
    return np.empty((0,) if np.ndim(model.coef_) == 1 else (0, model.coef_.shape[0]))


def dask_features(X: Any) -> Any:
    """A Dask DataFrame or array as a real-valued Dask array (no compute), or a clear error."""
    from ._sources.dask_input import check_collection, check_numeric, to_dask_array

    check_collection("X", X)
    if hasattr(X, "columns"):  # lengths=True: partition sizes known, rows aligned
        return to_dask_array("X", X, True)[0]
    check_numeric("X", np.dtype(X.dtype))
    return X


def predict_dask(model: Any, X: Any, allow_nan: bool = False) -> Any:
    """Lazy predictions for a Dask array or DataFrame, one block at a time (NaN kept if allowed)."""
    if hasattr(X, "columns"):  # a Dask DataFrame: check the names, keep the partitions
        names = getattr(model, "feature_names_in_", None)
        if names is not None and list(X.columns) != list(names):
            raise ValueError(
                f"The Dask DataFrame has columns {list(X.columns)}, but the model was "
                f"fitted on {list(names)}. Select them in that order: X[{list(names)!r}]."
            )
    X = dask_features(X)
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but {type(model).__name__} is expecting "
            f"{model.n_features_in_} features as input. Pass a 2-D Dask array with the "
            "columns used at fit time."
        )
    X = X.rechunk({1: -1})
    dtype = np.result_type(X.dtype, np.float32)
    coef, intercept = model.coef_, model.intercept_

    def block(b: Any) -> np.ndarray:
        b = np.asarray(b, dtype=dtype)
        if not (np.isfinite(b) | (allow_nan & np.isnan(b))).all():  # checked where it lives
            raise ValueError(
                "X contains NaN or infinity in a Dask block: predictions would be NaN. Remove "
                "or impute the missing values (e.g. X.fillna(...)) before predicting."
            )
        return predict_linear(coef, intercept, b)

    if np.ndim(coef) == 1:
        return X.map_blocks(block, drop_axis=1, dtype=dtype)
    return X.map_blocks(block, chunks=(X.chunks[0], (coef.shape[0],)), dtype=dtype)


def stream_features(model: Any, X: Any) -> Any:
    """An Arrow stream (see :mod:`lingrad._sources.tables`) opened on the model's features."""
    from ._sources.stream_input import table_source
    from ._sources.tables import is_table

    if not is_table(X):
        return X
    names = getattr(model, "feature_names_in_", None)
    return table_source(X, features=None if names is None else list(names))


def predict_spark(model: Any, source: Any) -> Any:
    """A Spark DataFrame: the input's columns, then ``prediction`` (one per target).

    With several targets the columns are ``prediction_0``, ``prediction_1``, ...
    """
    check_source_columns(model, source)
    coef = np.atleast_2d(model.coef_).T  # (n_features, n_targets)
    k = coef.shape[1]
    names = ["prediction"] if np.ndim(model.coef_) == 1 else [f"prediction_{j}" for j in range(k)]
    return source.predict_frame(coef, np.atleast_1d(model.intercept_), names)


def predict(model: Any, X: Any) -> Any:
    """A fitted model's predictions for arrays, a dataset or a Dask collection.

    Parameters
    ----------
    model : LinearRegression
        Fitted.
    X : array-like, sparse matrix, dataset or Dask collection of shape (n_samples, n_features)

    Returns
    -------
    y_pred : ndarray (or Dask array) of shape (n_samples,) or (n_samples, n_targets)
    """
    if is_spark_frame(X):  # lazily, on the executors: a DataFrame with the input's columns
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise ValueError(
                "This model was fitted without feature names, so the Spark DataFrame's feature "
                "columns are unknown: pass open_dataset(df, target=None, features=[...])."
            )
        X = SparkSource(X, None, feature_columns(X, names))
    if hasattr(X, "predict_frame"):
        return predict_spark(model, X)
    drop = getattr(model, "missing", "raise") == "drop"  # NaN for rows with a missing feature
    X = stream_features(model, X)  # an Arrow stream, LazyFrame, DuckDB relation: a dataset
    if getattr(X, "__lingrad_source__", False):
        keep = drop and hasattr(X, "missing_mode")
        return predict_source(model, X.missing_mode("keep") if keep else X)
    if _is_dask(X):
        return predict_dask(model, X, allow_nan=drop)
    if drop:
        from ._sources.missing import predict_rows

        return predict_rows(model, X, lambda Z: _model_linear(model, validate_x(model, Z)))
    return _model_linear(model, validate_x(model, X))
