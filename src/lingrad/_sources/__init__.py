"""Data sources: what ``fit`` learns from besides in-memory arrays.

A source knows its shape and feature names, computes the sufficient
statistics in one pass, streams its rows for the "direct" engine, and yields
row chunks for second passes (robust standard errors, predictions). Files
(:mod:`lingrad._sources.files`) and Dask collections
(:mod:`lingrad._sources.dask`) are sources; in-memory arrays are not (they
take the faster path in the estimator itself).

The modules, each importing only those listed before it:

- ``errors``: :class:`~.errors.DataFileError` and the wording of data-file errors;
- ``arrow`` (pyarrow, lazily), ``csv``, ``parquet``, ``npy``: one reader per format;
- ``columns``: which columns are the features, target(s) and weight;
- ``stream``: the read-ahead thread for large files;
- ``files``: :func:`~.files.open_dataset` and the :class:`~.files.Dataset` it returns;
- ``dask_input`` and ``dask``: Dask collections checked, then summarised on the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._objective import Penalty, StreamedLeastSquares
from .._stats import SufficientStats

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]

__all__ = ["ChunkedSource", "DataSource", "as_source"]


@runtime_checkable
class DataSource(Protocol):
    """What the estimator needs from data it cannot hold as one array."""

    n_features: int
    n_targets: int
    one_d: bool
    feature_names: list[str] | None

    def sufficient_stats(self) -> SufficientStats: ...

    def direct_problem(self, fit_intercept: bool, penalty: Penalty) -> Any: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...


class ChunkedSource:
    """A source that produces its rows as ``(X, Y, w)`` chunks, any number of times.

    Parameters
    ----------
    chunks : callable
        ``chunks()`` returns a fresh iterator of ``(X, Y, w)``: X of shape
        (n_rows, n_features), Y of shape (n_rows, n_targets), w None or (n_rows,).
    n_features, n_targets : int
    feature_names : list of str or None
    one_d : bool
        True when there is one target and predictions are 1-D.
    description : str
        How to name the data in messages (e.g. the file path).
    """

    __lingrad_source__ = True

    def __init__(
        self,
        chunks: Callable[[], Iterator[Chunk]],
        n_features: int,
        n_targets: int = 1,
        *,
        feature_names: list[str] | None = None,
        one_d: bool = True,
        description: str = "data",
    ) -> None:
        self._chunks = chunks
        self.n_features = n_features
        self.n_targets = n_targets
        self.feature_names = feature_names
        self.one_d = one_d
        self.description = description

    def iter_chunks(self) -> Iterator[Chunk]:
        """A fresh pass over the rows, chunk by chunk."""
        return self._chunks()

    def sufficient_stats(self) -> SufficientStats:
        """One pass: the statistics of every chunk, merged (exact)."""
        total = SufficientStats.empty(self.n_features, self.n_targets)
        for X, Y, w in self.iter_chunks():
            total = total.merge(SufficientStats.from_arrays(X, Y, w))
        return total

    def direct_problem(self, fit_intercept: bool, penalty: Penalty) -> StreamedLeastSquares:
        """The squared loss evaluated by one streamed pass per iteration."""
        return StreamedLeastSquares(
            self.iter_chunks, self.n_features, self.n_targets, fit_intercept, penalty
        )


def _is_dask(obj: Any) -> bool:
    """A Dask collection (array, DataFrame, Series, dask-expr included), without importing dask."""
    return hasattr(obj, "__dask_graph__") and not isinstance(obj, type)


def as_source(X: Any, y: Any = None, sample_weight: Any = None) -> DataSource | None:
    """Wrap what ``fit`` received as a data source, or None for in-memory arrays."""
    if getattr(X, "__lingrad_source__", False):
        if y is not None or sample_weight is not None:
            raise ValueError(
                f"{getattr(X, 'description', 'The data source')} already holds the target "
                "(and weights): call fit(dataset) without y and sample_weight, or pick the "
                "columns with open_dataset(..., target=..., weight=...)."
            )
        return X
    if _is_dask(X) or _is_dask(y) or _is_dask(sample_weight):
        from .dask import DaskSource

        return DaskSource(X, y, sample_weight)
    return None
