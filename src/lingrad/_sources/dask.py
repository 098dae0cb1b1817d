"""Dask arrays and DataFrames as a data source: exact statistics computed on the cluster.

Every row block is summarised where it lives (one :class:`SufficientStats`
per block, or one gradient sum per block for the "direct" engine) and the
summaries are added up by a pairwise tree of depth ``ceil(log2(n_blocks))``.
Only these small summaries, of size O((n_features + n_targets)^2), travel to
the client. The reduction runs on whichever scheduler is active (a
``distributed.Client`` included), and since the graph is plain Dask, a lost
worker's blocks are recomputed by Dask. The result is exact: it equals the
statistics of the whole array up to floating-point rounding.

This module imports Dask at the top: it is itself only imported when ``fit``
receives a Dask collection (:func:`lingrad._sources.as_source`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import dask
import dask.array as da
import numpy as np
from dask.delayed import Delayed

from .._objective import Penalty
from .._reduced import BlockSums, ReducedLeastSquares, add_sums
from .._stats import SufficientStats, weight_exponent
from .dask_input import (
    align_rows,
    as_float,
    check_collection,
    drop_missing_rows,
    known_rows,
    partition_lengths,
    to_dask_array,
)

__all__ = ["DaskLeastSquares", "DaskSource"]

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]

_NAN_FIX = (
    "Remove or impute the missing values (e.g. DataFrame.fillna or dask_ml.impute), or "
    "leave such rows out with missing='drop', and clip infinite values before fitting."
)


# -- work done on the cluster, one row block at a time ---------------------------------------
class _Summary(NamedTuple):
    """What one row block (or a merged run of blocks) reports to the client."""

    stats: SufficientStats | None
    n_rows: int
    sum_weights: float
    bad_values: tuple[int, ...]
    bad_weights: tuple[int, ...]
    max_weight: float = 1.0


def _summarise_block(
    index: int, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, with_stats: bool
) -> _Summary:
    """Finiteness and weight checks of one block, and its statistics when asked.

    ``X`` is of shape (n_rows, n_features), ``Y`` of shape (n_rows, n_targets)
    and ``w`` None or of shape (n_rows,).
    """
    bad_values = not (np.isfinite(X).all() and np.isfinite(Y).all())
    bad_weights = w is not None and not (np.isfinite(w).all() and (w >= 0).all())
    with np.errstate(over="ignore"):  # weights near 1e308: rescaled once their largest is known
        sw = float(len(Y) if w is None else w.sum())
    top = 1.0 if w is None or not len(w) or bad_weights else float(np.max(w))
    stats = None
    if with_stats and not (bad_values or bad_weights):
        stats = SufficientStats.from_arrays(X, Y, w)
    return _Summary(
        stats,
        len(Y),
        sw,
        (index,) if bad_values else (),
        (index,) if bad_weights else (),
        top,
    )


def _merge_summaries(a: _Summary, b: _Summary) -> _Summary:
    stats = a.stats.merge(b.stats) if a.stats is not None and b.stats is not None else None
    return _Summary(
        stats,
        a.n_rows + b.n_rows,
        a.sum_weights + b.sum_weights,
        a.bad_values + b.bad_values,
        a.bad_weights + b.bad_weights,
        max(a.max_weight, b.max_weight),
    )


def _block_sums(
    theta: np.ndarray, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, fit_intercept: bool
) -> tuple[np.ndarray, float, float]:
    """:class:`~lingrad._reduced.BlockSums` of one block; ``Y`` None means targets of 0."""
    return BlockSums(theta, fit_intercept, Y is not None)(X, Y, w)


def _tree_reduce(leaves: Sequence[Delayed], combine: Callable[[Any, Any], Any]) -> Delayed:
    """Combine ``leaves`` pairwise, level by level: depth ``ceil(log2(len(leaves)))``."""
    level = list(leaves)
    while len(level) > 1:
        merged = [
            dask.delayed(combine)(a, b) for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0]


# -- the "direct" engine on a cluster ----------------------------------------------------------
class DaskLeastSquares(ReducedLeastSquares):
    """Squared loss evaluated on the cluster: one distributed pass per evaluation.

    Each ``grad_mse(theta)`` sends ``theta`` (once per worker) to the persisted
    row blocks, computes :func:`lingrad._objective._sums` on every block where
    it lives and returns the tree-summed result, of shape (n_params,
    n_targets); the rest is :class:`~lingrad._reduced.ReducedLeastSquares`'.

    Parameters
    ----------
    parts : list of (Delayed, Delayed, Delayed or None)
        Per row block: X of shape (n_rows, n_features), Y of shape (n_rows,
        n_targets) and w None or of shape (n_rows,), already persisted.
    n_features, n_targets : int
    sum_weights : float
    fit_intercept : bool
    penalty : Penalty
    keep : tuple
        The persisted collections, held so that their blocks stay in memory.
    """

    def __init__(
        self,
        parts: list[tuple[Delayed, Delayed, Delayed | None]],
        n_features: int,
        n_targets: int,
        sum_weights: float,
        fit_intercept: bool,
        penalty: Penalty,
        keep: tuple = (),
    ) -> None:
        super().__init__(n_features, n_targets, sum_weights, fit_intercept, penalty)
        self._parts = parts
        self._keep = keep

    def _reduce(self, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
        leaves = [dask.delayed(kernel)(X, Y, w) for X, Y, w in self._parts]
        (total,) = dask.compute(_tree_reduce(leaves, combine))
        return total

    def _cluster_sums(self, theta: np.ndarray, targets: bool) -> tuple[np.ndarray, float, float]:
        th = dask.delayed(theta)  # one key: shipped once to each worker, not once per block
        leaves = [
            dask.delayed(_block_sums)(th, X, Y if targets else None, w, self.fit_intercept)
            for X, Y, w in self._parts
        ]
        (total,) = dask.compute(_tree_reduce(leaves, add_sums))
        return total


# -- the source ----------------------------------------------------------------------------------
class DaskSource:
    """A Dask array or DataFrame (with its target and weights) as a data source.

    The "stats" engine computes the sufficient statistics block by block on
    the cluster and merges them by a pairwise tree (exact: equal to the
    in-memory statistics up to rounding). The "direct" engine persists the
    data once, then every iteration is one distributed pass
    (:class:`DaskLeastSquares`).

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
        Numeric; bool and integer blocks are cast to float64 as they are read.
        DataFrame column names become ``feature_names`` when they are strings.
        May be an in-memory array when ``y`` is a Dask collection.
    y : Dask array, Series or DataFrame of shape (n_samples,) or (n_samples, n_targets)
        Or an in-memory array of the same length as X.
    sample_weight : Dask array or Series, or ndarray, of shape (n_samples,), default=None
        Non-negative, finite weights.

    Attributes
    ----------
    n_samples, n_features, n_targets : int
    one_d : bool
        True when y is 1-D (predictions are then 1-D).
    feature_names : list of str or None
    n_blocks : int
        Number of row blocks (the unit of work on the cluster).

    Raises
    ------
    ValueError
        For a missing ``y``, X that is not 2-D, non-numeric data or lengths that
        differ; for NaN, infinity or negative weights when the blocks are read.
    """

    __lingrad_source__ = True
    description = "The Dask collection"

    def __init__(
        self, X: Any, y: Any = None, sample_weight: Any = None, *, missing: str = "raise"
    ) -> None:
        if y is None:
            raise ValueError(
                "LinearRegression requires y to be passed, but the target y is None. Pass the "
                "targets as a Dask array or Series with one row per row of X."
            )
        for name, obj in (("X", X), ("y", y), ("sample_weight", sample_weight)):
            check_collection(name, obj)
        lengths = partition_lengths(X, y, sample_weight)
        X, names = to_dask_array("X", X, lengths[0])
        if X.ndim != 2:
            raise ValueError(
                f"Expected 2D array for X, got a {X.ndim}-D collection of shape {X.shape}. "
                "lingrad needs X as a 2-D array of shape (n_samples, n_features): reshape a "
                "single feature with X.reshape(-1, 1) (or series.to_frame())."
            )
        y, _ = to_dask_array("y", y, lengths[1])
        if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
            raise ValueError(
                f"y must be of shape (n_samples,) or (n_samples, n_targets) with n_targets >= 1; "
                f"got shape {y.shape}. Pass one target column (or several)."
            )
        w = None
        if sample_weight is not None:
            w, _ = to_dask_array("sample_weight", sample_weight, lengths[2])
            if w.ndim != 1:
                raise ValueError(
                    f"sample_weight must be of shape (n_samples,); got shape {w.shape}. "
                    "Pass one non-negative, finite weight per sample."
                )
        if isinstance(X, np.ndarray):  # only y (or w) is Dask: follow its row blocks
            ref = known_rows(y if isinstance(y, da.Array) else w)
            X = da.from_array(X, chunks=(ref.chunks[0], X.shape[1]))
        X = known_rows(X)
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        n, f = X.shape
        desc = f" in {X.numblocks[0]} blocks"
        rows = X.chunks[0]
        Y = align_rows("y", y, rows, n, desc)
        self.one_d = Y.ndim == 1
        Y = Y[:, None] if self.one_d else Y
        if len(Y.chunks[1]) > 1:
            Y = Y.rechunk({1: -1})
        if w is not None:
            w = as_float(align_rows("sample_weight", w, rows, n, desc))
        if n == 0 or f == 0:
            raise ValueError(
                f"Found a Dask collection X of shape {X.shape}: a minimum of 1 sample and 1 "
                "feature is required. Pass at least one sample (row) and one feature (column)."
            )
        self._X = as_float(X)
        self._Y = as_float(Y)
        self._w = w
        self.n_dropped: int | None = None
        if missing == "drop":
            self._X, self._Y, self._w, n = drop_missing_rows(self._X, self._Y, self._w)
            self.n_dropped = int(X.shape[0]) - n
        self.n_samples = int(n)
        self.n_features = int(f)
        self.n_targets = int(Y.shape[1])
        self.feature_names = names
        self.n_blocks = int(X.numblocks[0])

    # -- the protocol ---------------------------------------------------------------
    def _delayed_parts(
        self, X: da.Array, Y: da.Array, w: da.Array | None
    ) -> list[tuple[Delayed, Delayed, Delayed | None]]:
        xs = X.to_delayed(optimize_graph=False).ravel().tolist()
        ys = Y.to_delayed(optimize_graph=False).ravel().tolist()
        ws = [None] * len(xs) if w is None else w.to_delayed(optimize_graph=False).ravel().tolist()
        return list(zip(xs, ys, ws, strict=True))

    def _summarise(self, parts, with_stats: bool) -> _Summary:
        leaves = [
            dask.delayed(_summarise_block)(i, X, Y, w, with_stats)
            for i, (X, Y, w) in enumerate(parts)
        ]
        (summary,) = dask.compute(_tree_reduce(leaves, _merge_summaries))
        if summary.bad_values:
            raise ValueError(
                "X or y contains NaN or infinity in the Dask collection (row "
                f"{_blocks_text(summary.bad_values, self.n_blocks)}). {_NAN_FIX}"
            )
        if summary.bad_weights:
            raise ValueError(
                "sample_weight contains negative, NaN or infinite values in the Dask collection "
                f"(row {_blocks_text(summary.bad_weights, self.n_blocks)}). Pass one "
                "non-negative, finite weight per sample."
            )
        return summary

    def sufficient_stats(self) -> SufficientStats:
        """One distributed pass: per-block statistics, merged by a pairwise tree (exact).

        Returns
        -------
        SufficientStats
            Of n_features + n_targets columns.

        Raises
        ------
        ValueError
            If a block holds NaN or infinity, or a negative or non-finite weight.
        """
        parts = self._delayed_parts(self._X, self._Y, self._w)
        return self._summarise(parts, with_stats=True).stats

    def direct_problem(self, fit_intercept: bool, penalty: Penalty) -> DaskLeastSquares:
        """Persist the data on the cluster (checked once), then one pass per evaluation.

        Parameters
        ----------
        fit_intercept : bool
        penalty : Penalty

        Returns
        -------
        DaskLeastSquares
        """
        X, Y, w = dask.persist(self._X, self._Y, self._w)
        parts = self._delayed_parts(X, Y, w)
        summary = self._summarise(parts, with_stats=False)
        sum_weights = summary.sum_weights
        k = weight_exponent(np.array([summary.max_weight]))
        if w is not None and k:  # extreme scale: w / 2**k (exact), as the statistics do
            (w,) = dask.persist(w.map_blocks(np.ldexp, -k, dtype=np.float64))
            parts = self._delayed_parts(X, Y, w)
            sum_weights = float(w.sum().compute())
        return DaskLeastSquares(
            parts,
            self.n_features,
            self.n_targets,
            sum_weights,
            fit_intercept,
            penalty,
            keep=(X, Y, w),
        )

    def reduce_chunks(self, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
        """``kernel(X, Y, w)`` on every row block where it lives, merged by a pairwise tree.

        A second pass for the reference optimum (:mod:`lingrad._tsqr`): only
        the kernels' small results travel to the client.

        Parameters
        ----------
        kernel : callable
            ``kernel(X, Y, w)`` on one block: X of shape (n_rows, n_features),
            Y (n_rows, n_targets), w None or (n_rows,).
        combine : callable
            ``combine(a, b)`` of two kernels' results (associative).

        Returns
        -------
        The combined result.
        """
        leaves = [
            dask.delayed(kernel)(X, Y, w)
            for X, Y, w in self._delayed_parts(self._X, self._Y, self._w)
        ]
        (total,) = dask.compute(_tree_reduce(leaves, combine))
        return total

    def iter_chunks(self) -> Iterator[Chunk]:
        """The row blocks, computed one at a time.

        Yields
        ------
        X : ndarray of shape (n_rows, n_features)
        Y : ndarray of shape (n_rows, n_targets)
        w : ndarray of shape (n_rows,) or None
        """
        for X, Y, w in self._delayed_parts(self._X, self._Y, self._w):
            yield dask.compute(X, Y, w)


def _blocks_text(indices: tuple[int, ...], n_blocks: int) -> str:
    shown = ", ".join(str(i) for i in sorted(indices)[:10])
    more = f" and {len(indices) - 10} more" if len(indices) > 10 else ""
    word = "block" if len(indices) == 1 else "blocks"
    return f"{word} {shown}{more} of {n_blocks}"
