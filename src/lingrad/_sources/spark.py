"""Spark DataFrames as a data source: statistics on the executors, tree-reduced.

``open_dataset(spark_df, target="y")`` returns a :class:`SparkSource`. Every
pass is one Spark job: each partition's rows reach a Python worker as Arrow
record batches (``mapInArrow``), a kernel summarises them there (the
sufficient statistics, a gradient sum, a second-pass sum), the partition's
summary is pickled into one binary cell, and the summaries are merged by
``RDD.treeReduce`` on the executors. Only the merged summary reaches the
driver: for the statistics, ``8 (f + k + 1)^2`` bytes or so, whatever the
number of rows. The solve then runs on the driver, as for any source.

Bad values (nulls, NaN, infinity, negative weights) are found on the
executors and reported to the driver as data, so the error is one
:class:`~lingrad._sources.errors.DataFileError` naming the column and the
partition, not a JVM stack trace.

pyspark is never imported by lingrad itself: a DataFrame is recognised by its
type's module (:func:`is_spark_frame`), and its methods do the rest. The
executors import this module (and NumPy, pyarrow) in their Python workers, so
those must run an interpreter with lingrad installed (``PYSPARK_PYTHON``).
"""

from __future__ import annotations

import copy
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._blockstats import StatsKernel
from .._objective import Penalty
from .._reduced import ReducedLeastSquares
from .._stats import SufficientStats, weight_exponent
from .errors import data_error, listed
from .spark_input import (
    DESCRIPTION,
    bad_value,
    check_column,
    feature_columns,
    kind,
    large_batches,
    quoted,
    spark_functions,
    widths,
)
from .spark_tasks import (
    Collect,
    Layout,
    Listed,
    MergeBlobs,
    PartitionRun,
    Predict,
    blob,
    joined,
    merge_weight_scales,
    weight_scale,
)
from .spark_tree import SCHEMA, tree_reduce

__all__ = ["SparkLeastSquares", "SparkSource", "feature_columns", "is_spark_frame"]

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def is_spark_frame(obj: Any) -> bool:
    """True for a ``pyspark.sql`` DataFrame (classic or Spark Connect); pyspark is not imported."""
    t = type(obj)
    return t.__name__ == "DataFrame" and t.__module__.startswith("pyspark.sql")


# -- the "direct" engine on the cluster -----------------------------------------------------
class SparkLeastSquares(ReducedLeastSquares):
    """Squared loss evaluated by the executors: one Spark job per evaluation.

    Each evaluation ships its kernel (``theta`` in it) in the job's closure
    and tree-reduces the per-block sums on the executors
    (:class:`~lingrad._reduced.ReducedLeastSquares` does the rest). The
    selected columns are cached on the cluster for the fit.

    Parameters
    ----------
    source : SparkSource
        With its weights at their working scale (:meth:`SparkSource.direct_problem`).
    sum_weights : float
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(
        self, source: SparkSource, sum_weights: float, fit_intercept: bool, penalty: Penalty
    ) -> None:
        super().__init__(source.n_features, source.n_targets, sum_weights, fit_intercept, penalty)
        self._source = source

    def _reduce(self, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
        return self._source.reduce_chunks(kernel, combine)

    def map_blocks(self, fn: Callable[..., Any]) -> list[Any]:
        """``fn(X, Y, w)`` of every block of rows, computed by the executors, as a list."""
        return self._source.reduce_chunks(Listed(fn), operator.add) or []


# -- the source -------------------------------------------------------------------------------
class SparkSource:
    """A Spark DataFrame's columns as a data source: what ``fit`` takes instead of X, y.

    Built by :func:`lingrad.open_dataset` when given a Spark DataFrame. The
    statistics engine makes one Spark job over the data (per-partition
    statistics, tree-reduced on the executors); the "direct" engine caches the
    selected columns and makes one job per iteration; second passes
    (the reference optimum's QR pass) run on the executors too.

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
    target : str, list of str, or None
        The target column(s); None opens the features only (for ``predict``).
    features : list of str, default=None
        None takes every numeric column but the target and the weight.
    weight : str, default=None
        A column of non-negative sample weights.

    Attributes
    ----------
    n_features, n_targets : int
    feature_names : list of str
    target_names : list of str
    weight_name : str or None
    one_d : bool
        True when ``target`` was one name (predictions are then 1-D).
    description : str
        How messages name the data.
    """

    __lingrad_source__ = True
    description = DESCRIPTION
    labelled_blocks = True  # reduce_chunks takes columns= and positions= (CV folds, clusters)

    def __init__(
        self,
        frame: Any,
        target: str | Sequence[str] | None,
        features: Sequence[str] | None = None,
        weight: str | None = None,
    ) -> None:
        types = {f.name: f.dataType for f in frame.schema.fields}
        self.one_d = not isinstance(target, list | tuple)
        targets = [] if target is None else [target] if self.one_d else list(target)
        for name in [*targets, *([weight] if weight else [])]:
            check_column(name, types, vectors=False)
        for name in features or []:
            check_column(name, types, vectors=True)
        taken = set(targets) | ({weight} if weight else set())
        if features is None:
            features = [c for c, t in types.items() if kind(t) != "other" and c not in taken]
            if not features:
                raise data_error(
                    DESCRIPTION,
                    "no numeric column besides the target and weight; pass features=[...] "
                    f"(its columns are {listed(list(types))}).",
                )
        features = list(features)
        F = spark_functions()
        cast = {"number": "double", "vector": "array<double>"}
        cols = [F.col(quoted(c)).cast(cast[kind(types[c])]).alias(c) for c in features]
        rest = [*targets, *([weight] if weight else [])]
        cols += [F.col(quoted(c)).cast("double").alias(c) for c in rest]
        self._input, self._types, self._cols = frame, types, cols
        self._frame = frame.select(*cols)
        sizes = widths(self._frame, features, types)
        self._layout = Layout(features, sizes, targets, weight)
        self.n_features, self.n_targets = sum(sizes), len(targets)
        self.feature_names = [
            name if kind(types[name]) == "number" else f"{name}[{j}]"
            for name, width in zip(features, sizes, strict=True)
            for j in range(width)
        ]
        self.target_names = targets
        self.weight_name = weight

    def __repr__(self) -> str:
        target = self.target_names[0] if self.one_d and self.target_names else self.target_names
        return f"SparkSource(target={target!r}, features={self.feature_names!r})"

    def without_feature(self, name: str) -> SparkSource:
        """The same columns but feature ``name`` (a group column is not a feature)."""
        features = [c for c in self._layout.features if c != name]
        if not features:
            raise data_error(
                DESCRIPTION, f"has no feature left besides the group column {name!r}.", column=name
            )
        target = self.target_names[0] if self.one_d else self.target_names
        return SparkSource(self._input, target, features, self.weight_name)

    def label_columns(self, names: Sequence[str]) -> list[str]:
        """``names`` (one or two) checked as group columns (numbers or text) of the frame."""
        for name in names:
            check_column(name, self._types, vectors=False, labels=True)
        return list(names)

    # -- passes ---------------------------------------------------------------------------
    def reduce_chunks(
        self,
        kernel: Callable[..., Any],
        combine: Callable[[Any, Any], Any],
        *,
        columns: Sequence[str] = (),
        positions: bool = False,
    ) -> Any:
        """``kernel(X, Y, w)`` on every block of rows where it lives, merged on the executors.

        Parameters
        ----------
        kernel : callable
            ``kernel(X, Y, w)`` on one block: X of shape (n_rows, n_features),
            Y (n_rows, n_targets), w None or (n_rows,); picklable (cloudpickle).
            With ``columns`` or ``positions``: ``kernel(X, Y, w, labels, start)``.
        combine : callable
            ``combine(a, b)`` of two kernels' results (associative).
        columns : sequence of str, default=()
            Other columns of the frame (cluster or fold groups: numbers or
            text), given to the kernel as ``labels`` of shape (n_rows, len(columns)).
        positions : bool, default=False
            Give the kernel ``start``, the global position (0-based, in the
            frame's order) of the block's first row; costs one count of the
            rows per partition (in the JVM, no Python hand-off) first.

        Returns
        -------
        The combined result (None for a DataFrame without rows).

        Raises
        ------
        DataFileError
            For a null, NaN or infinite value or a negative weight, naming the
            column and the partition.
        """
        self._require_target()
        layout, frame = self._layout, self._frame
        if columns:
            for name in columns:
                check_column(name, self._types, vectors=False, labels=True)
            layout = layout.with_extra(tuple(columns))
            F = spark_functions()
            extra = [F.col(quoted(c)).alias(f"__lingrad_label{j}") for j, c in enumerate(columns)]
            frame = self._input.select(*self._cols, *extra)
        run = PartitionRun(kernel, combine, layout, self._offsets(frame) if positions else None)
        with large_batches(frame, layout.width):
            pieces = frame.mapInArrow(run, SCHEMA)
            out = tree_reduce(pieces, frame.rdd.getNumPartitions(), MergeBlobs(combine))
        if out is None:
            return None
        status, *rest = out
        if status == "error":
            raise bad_value(*rest)
        return rest[0]

    def _offsets(self, frame: Any) -> dict[int, int]:
        """Each partition's first row in the frame's order (one count per partition, JVM only)."""
        F = spark_functions()
        counts = frame.groupBy(F.spark_partition_id().alias("p")).count().collect()
        sizes = dict(sorted((int(r["p"]), int(r["count"])) for r in counts))
        starts = np.concatenate([[0], np.cumsum(list(sizes.values()))[:-1]]).astype(int)
        return dict(zip(sizes, starts.tolist(), strict=True))

    def sufficient_stats(self) -> SufficientStats:
        """One Spark job: per-partition statistics, merged on the cluster (exact).

        Returns
        -------
        SufficientStats
            Of n_features + n_targets columns.
        """
        stats = self.reduce_chunks(StatsKernel(), SufficientStats.merge)
        if stats is None:
            raise data_error(DESCRIPTION, "no rows: lingrad needs at least one row to fit.")
        return stats

    def direct_problem(self, fit_intercept: bool, penalty: Penalty) -> SparkLeastSquares:
        """Cache the selected columns, then one Spark job per evaluation.

        A first job checks every value and finds the weights' scale: weights
        beyond 2^±64 are divided by an exact power of two on the executors
        (as the statistics do, :func:`lingrad._stats.weight_exponent`), so
        weights of 1e-300 or 1e300 give the fit of the same weights rescaled.
        """
        self._frame = self._frame.cache()
        scale = self.reduce_chunks(weight_scale, merge_weight_scales)  # checks every value
        if scale is None:
            raise data_error(DESCRIPTION, "no rows: lingrad needs at least one row to fit.")
        top, total, e = scale
        k = weight_exponent(np.array([top])) if self.weight_name else 0
        source = self
        if k:
            source = copy.copy(self)
            source._layout = self._layout.with_extra((), k)
        return SparkLeastSquares(source, math.ldexp(total, e - k), fit_intercept, penalty)

    def iter_chunks(self) -> Iterator[Chunk]:
        """The rows on the driver, one Arrow batch at a time (a partition's worth at most).

        Yields
        ------
        X : ndarray of shape (n_rows, n_features)
        Y : ndarray of shape (n_rows, n_targets)
        w : ndarray of shape (n_rows,) or None
        """
        rdd = self._frame.mapInArrow(Collect(self._layout), "blob binary").rdd.map(blob)
        sc = rdd.context
        for p in range(rdd.getNumPartitions()):
            for parts in joined(iter(sc.runJob(rdd, lambda it: list(it), [p]))):
                if isinstance(parts[0], str):
                    raise bad_value(*parts[1:])
                yield parts

    def predict_frame(self, coef: np.ndarray, intercept: np.ndarray, names: list[str]) -> Any:
        """The input DataFrame with prediction column(s), computed lazily by the executors.

        Parameters
        ----------
        coef : ndarray of shape (n_features, n_targets)
        intercept : ndarray of shape (n_targets,)
        names : list of str
            The prediction columns' names, one per target.

        Returns
        -------
        pyspark.sql.DataFrame
            Every input column, then the predictions (double; null on a row
            whose features hold a null).
        """
        from pyspark.sql.types import DoubleType, StructField, StructType

        schema = StructType(
            [*self._input.schema.fields, *(StructField(n, DoubleType(), True) for n in names)]
        )
        run = Predict(self._layout, np.asarray(coef, float), np.asarray(intercept, float), names)
        return self._input.mapInArrow(run, schema, barrier=False)

    def _require_target(self) -> None:
        if not self.target_names:
            raise data_error(
                DESCRIPTION,
                "was opened without a target: pass target=... to open_dataset to fit or "
                "summarise it (features only are for predict).",
            )
