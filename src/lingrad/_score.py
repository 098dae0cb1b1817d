"""R² where the data lives: ``score`` on datasets, Arrow streams and Dask collections.

scikit-learn's ``RegressorMixin.score(X, y)`` is ``r2_score(y, predict(X))`` on
arrays in memory. ``LinearRegression.score`` takes what ``fit`` and ``predict``
take: a dataset from :func:`lingrad.open_dataset` (its target and weight
columns; ``model.score(ds)``), an Arrow stream, polars LazyFrame or DuckDB
relation with the target named (``model.score(stream, "y")``), Dask arrays or
DataFrames (blocks reduced where they live) and Spark datasets (each block's
moments computed by the executors). Each chunk or block adds its
weighted moments, ``sum w``, the mean and centred sum of squares of y (Chan et
al.'s merge) and ``sum w (y - y_hat)^2``, so R² is computed in one pass and
equals ``sklearn.metrics.r2_score(y, y_hat, sample_weight=w)`` on the loaded
data (one value per target, averaged uniformly; 1 for a constant target
predicted exactly, else 0).

Examples
--------
>>> import numpy as np, os, tempfile
>>> from lingrad import LinearRegression, open_dataset
>>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
>>> x = np.arange(8.0)
>>> np.savetxt(path, np.column_stack([x, 2 * x + (x % 2)]), delimiter=",", header="x,y",
...            comments="")
>>> ds = open_dataset(path, target="y", chunk_rows=3)
>>> model = LinearRegression(lr="auto", tol=1e-12, n_iters=1000).fit(ds)
>>> round(model.score(ds), 6)
0.989299
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from ._predict import check_source_columns, predict_linear
from ._sources import _is_dask

__all__ = ["BlockMoments", "ScoreMixin", "r2_from_moments", "score"]


class ScoreMixin:
    """``score`` for every input ``fit`` takes (mixed in before scikit-learn's RegressorMixin)."""

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R² of the predictions: scikit-learn's ``r2_score``, also on data that streams.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), dataset, stream or Dask collection
            A dataset (:func:`lingrad.open_dataset`) holds its target and
            weights: pass neither ``y`` nor ``sample_weight``. An Arrow stream,
            LazyFrame or DuckDB relation names them by column, as in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), column name or None
        sample_weight : array-like of shape (n_samples,), column name or None

        Returns
        -------
        score : float
            R² (uniform average over targets).
        """
        return score(self, X, y, sample_weight, super().score)  # type: ignore[misc]


def r2_from_moments(moments: list[tuple[np.ndarray, ...]]) -> float:
    """R² from per-chunk ``(sum_w, mean, m2, ssr, n)`` of shape (n_targets,) each, merged."""
    sw = mean = m2 = ssr = None
    n = 0
    for bw, bmean, bm2, bssr, bn in moments:
        n += int(bn)
        if sw is None:
            sw, mean, m2, ssr = bw.copy(), bmean.copy(), bm2.copy(), bssr.copy()
            continue
        total = sw + bw
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = bmean - mean
            share = np.where(total > 0, bw / total, 0.0)
            m2 = m2 + bm2 + delta * delta * sw * share
            mean = mean + delta * share
        sw, ssr = total, ssr + bssr
    if sw is None or n < 2:
        from sklearn.exceptions import UndefinedMetricWarning

        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(m2 > 0, 1.0 - ssr / m2, np.where(ssr == 0, 1.0, 0.0))
    return float(np.mean(r2))


def _moments(P: Any, Y: Any, w: Any) -> tuple[np.ndarray, ...]:
    """One block's ``(sum_w, mean, m2, ssr, n)`` per target; ``P`` the predictions."""
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y.reshape(len(Y), -1)
    P = np.asarray(P, dtype=np.float64).reshape(Y.shape)
    wv = np.ones(len(Y)) if w is None else np.asarray(w, dtype=np.float64).ravel()
    bw = np.full(Y.shape[1], wv.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(bw > 0, wv @ Y / bw, 0.0)
    m2 = wv @ np.square(Y - mean)
    ssr = wv @ np.square(Y - P)
    return bw, mean, m2, ssr, len(Y)


def _source_score(model: Any, X: Any, y: Any, sample_weight: Any) -> float:
    """R² over a dataset's chunks (its target and weight columns)."""
    from ._design.apply import design_input

    if y is not None or sample_weight is not None:
        raise ValueError(
            "A dataset holds its target and weights: call model.score(ds) without y or "
            "sample_weight (open it with open_dataset(path, target=..., weight=...))."
        )
    if X.n_targets == 0:
        raise ValueError(
            f"{X.description} was opened without a target, so there is nothing to score "
            "against: open it with open_dataset(path, target=...)."
        )
    src = design_input(model, X, targets=True)
    if getattr(model, "missing", "raise") == "drop" and hasattr(src, "missing_mode"):
        src = src.missing_mode("drop")  # the rows a drop model would have used
    check_source_columns(model, src)
    k = 1 if np.ndim(model.coef_) == 1 else model.coef_.shape[0]
    if src.n_targets != k:
        raise ValueError(
            f"{src.description} has {src.n_targets} target column(s), but the model predicts "
            f"{k}. Open it with the targets the model was fitted on."
        )
    kernel = BlockMoments(model.coef_, model.intercept_)
    if hasattr(src, "reduce_chunks"):  # Spark: each block's moments where it lives
        return r2_from_moments(src.reduce_chunks(kernel, operator.add) or [])
    return r2_from_moments([kernel(Xc, Y, w)[0] for Xc, Y, w in src.iter_chunks()])


class BlockMoments:
    """A block's R² moments as a one-item list (picklable: Spark executors run it, and
    ``operator.add`` lists every block's; only those few numbers reach the driver).

    Parameters
    ----------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept : float or ndarray of shape (n_targets,)
    """

    def __init__(self, coef: Any, intercept: Any) -> None:
        self.coef, self.intercept = np.asarray(coef), np.asarray(intercept)

    def __call__(self, X: Any, Y: Any, w: Any) -> list[tuple[np.ndarray, ...]]:
        return [_moments(predict_linear(self.coef, self.intercept, np.asarray(X)), Y, w)]


def _dask_score(model: Any, X: Any, y: Any, sample_weight: Any) -> float:
    """R² of Dask predictions, one block at a time where the blocks live."""
    import dask
    import dask.array as da

    from ._sources.dask_input import to_dask_array

    if y is None:
        raise ValueError("score needs y: pass the target as a Dask array or Series.")
    pred = model.predict(X)
    rows = pred.chunks[0]

    def aligned(name: str, v: Any) -> Any:
        v = to_dask_array(name, v, True)[0] if _is_dask(v) else np.asarray(v, dtype=np.float64)
        if v.shape[0] != pred.shape[0]:
            raise ValueError(
                f"{name} has {v.shape[0]} rows, but X has {pred.shape[0]}: pass one row per "
                "sample, the same length."
            )
        v = da.asarray(v)
        return v.rechunk({0: rows, **({1: -1} if v.ndim == 2 else {})})

    Y = aligned("y", y)
    W = None if sample_weight is None else aligned("sample_weight", sample_weight).ravel()
    P, Yb = pred.to_delayed().ravel(), Y.to_delayed().ravel()
    Wb = [None] * len(P) if W is None else W.rechunk({0: rows}).to_delayed().ravel()
    parts = [dask.delayed(_moments)(p, t, w) for p, t, w in zip(P, Yb, Wb, strict=True)]
    return r2_from_moments(list(dask.compute(*parts)))


def score(model: Any, X: Any, y: Any, sample_weight: Any, in_memory: Any) -> float:
    """``model.score``: datasets and streams chunk by chunk, Dask by blocks, else ``in_memory``."""
    from sklearn.utils.validation import check_is_fitted

    from ._sources.stream_input import table_source
    from ._sources.tables import is_table

    check_is_fitted(model)
    formula = model.__dict__.get("design_") is not None
    if formula and y is None and sample_weight is None and not getattr(X, "__lingrad_source__", 0):
        from ._design.apply import design_input

        X = design_input(model, X, targets=True)  # raw rows: the formula names the target
    if is_table(X):
        names = getattr(model, "feature_names_in_", None)
        features = None if names is None else list(names)
        X, y, sample_weight = table_source(X, y, sample_weight, features), None, None
    if getattr(X, "__lingrad_source__", False) and hasattr(X, "iter_chunks"):
        return _source_score(model, X, y, sample_weight)
    if _is_dask(X):
        return _dask_score(model, X, y, sample_weight)
    return in_memory(X, y, sample_weight=sample_weight)
