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

import contextlib
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._objective import Penalty, _PassesOverData
from .._stats import SufficientStats
from .errors import data_error, listed
from .spark_tasks import (
    Collect,
    Layout,
    Listed,
    MergeBlobs,
    PartitionRun,
    Predict,
    add_sums,
    batch_sums,
    blob,
    centred_sq,
    joined,
    weight_total,
)

__all__ = ["SparkLeastSquares", "SparkSource", "feature_columns", "is_spark_frame"]

Chunk = tuple[np.ndarray, np.ndarray, np.ndarray | None]

_NUMERIC = frozenset(
    {
        "ByteType",
        "ShortType",
        "IntegerType",
        "LongType",
        "FloatType",
        "DoubleType",
        "DecimalType",
        "BooleanType",
    }
)
_DESCRIPTION = "The Spark DataFrame"


def is_spark_frame(obj: Any) -> bool:
    """True for a ``pyspark.sql`` DataFrame (classic or Spark Connect); pyspark is not imported."""
    t = type(obj)
    return t.__name__ == "DataFrame" and t.__module__.startswith("pyspark.sql")


def _quoted(name: str) -> str:
    """A column reference that survives dots and spaces in the name."""
    return "`" + name.replace("`", "``") + "`"


# -- the "direct" engine on the cluster -----------------------------------------------------
class SparkLeastSquares(_PassesOverData):
    """Squared loss evaluated by the executors: one Spark job per evaluation.

    Each ``grad_mse(theta)`` ships ``theta`` in the job's closure, computes
    :func:`lingrad._objective._sums` on every Arrow batch where it lives and
    tree-reduces the sums (shape (n_params, n_targets)); the curvature for
    ``lr="auto"`` comes from the same Lanczos iteration as every streamed
    engine. The selected columns are cached on the cluster for the fit.

    Parameters
    ----------
    source : SparkSource
    fit_intercept : bool
    penalty : Penalty
    """

    def __init__(
        self, source: SparkSource, sum_weights: float, fit_intercept: bool, penalty: Penalty
    ) -> None:
        self._source = source
        self.sum_weights = float(sum_weights)
        self.n_features = source.n_features
        self.n_targets = source.n_targets
        self.fit_intercept = fit_intercept
        self.penalty = penalty

    def _cluster_sums(self, theta: np.ndarray, targets: bool) -> tuple:
        kernel = batch_sums(np.asarray(theta, dtype=np.float64), self.fit_intercept, targets)
        return self._source.reduce_chunks(kernel, add_sums)

    def grad_mse(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Gradient of the smooth objective and the MSE (averaged over targets).

        Parameters
        ----------
        theta : ndarray of shape (n_params, n_targets)

        Returns
        -------
        grad : ndarray of shape (n_params, n_targets)
        mse : float
        """
        G, sse, sw = self._cluster_sums(theta, targets=True)
        return self._finish(theta, G, sse, sw)

    def map_blocks(self, fn: Callable[..., Any]) -> list[Any]:
        """``fn(X, Y, w)`` of every Arrow batch, computed by the executors, as a list."""
        return self._source.reduce_chunks(Listed(fn), operator.add) or []

    def centred_moments(self, shift: np.ndarray) -> np.ndarray:
        """``sum_i w_i (x_i - shift)^2`` per column, tree-summed (for preconditioning)."""
        total = self._source.reduce_chunks(centred_sq(np.asarray(shift, float)), np.add)
        return np.asarray(total, dtype=np.float64)

    def _hessian_matvec(self, v: np.ndarray) -> np.ndarray:
        theta = np.asarray(v, dtype=np.float64).reshape(-1, 1)
        G, _, sw = self._cluster_sums(theta, targets=False)
        return self._finish(theta, G, 0.0, sw)[0][:, 0]


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
    description = _DESCRIPTION

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
            _check_column(name, types, vectors=False)
        for name in features or []:
            _check_column(name, types, vectors=True)
        taken = set(targets) | ({weight} if weight else set())
        if features is None:
            features = [c for c, t in types.items() if _kind(t) != "other" and c not in taken]
            if not features:
                raise data_error(
                    _DESCRIPTION,
                    "no numeric column besides the target and weight; pass features=[...] "
                    f"(its columns are {listed(list(types))}).",
                )
        features = list(features)
        F = _spark_functions()
        cast = {"number": "double", "vector": "array<double>"}
        cols = [F.col(_quoted(c)).cast(cast[_kind(types[c])]).alias(c) for c in features]
        rest = [*targets, *([weight] if weight else [])]
        cols += [F.col(_quoted(c)).cast("double").alias(c) for c in rest]
        self._input = frame
        self._frame = frame.select(*cols)
        widths = _widths(self._frame, features, types)
        self._layout = Layout(features, widths, targets, weight)
        self.n_features, self.n_targets = sum(widths), len(targets)
        self.feature_names = [
            name if _kind(types[name]) == "number" else f"{name}[{j}]"
            for name, width in zip(features, widths, strict=True)
            for j in range(width)
        ]
        self.target_names = targets
        self.weight_name = weight

    def __repr__(self) -> str:
        target = self.target_names[0] if self.one_d and self.target_names else self.target_names
        return f"SparkSource(target={target!r}, features={self.feature_names!r})"

    # -- passes ---------------------------------------------------------------------------
    def reduce_chunks(self, kernel: Callable[..., Any], combine: Callable[[Any, Any], Any]) -> Any:
        """``kernel(X, Y, w)`` on every Arrow batch where it lives, merged on the executors.

        Parameters
        ----------
        kernel : callable
            ``kernel(X, Y, w)`` on one batch: X of shape (n_rows, n_features),
            Y (n_rows, n_targets), w None or (n_rows,); picklable (cloudpickle).
        combine : callable
            ``combine(a, b)`` of two kernels' results (associative).

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
        run = PartitionRun(kernel, combine, self._layout)
        with _large_batches(self._frame):
            blobs = self._frame.mapInArrow(run, "blob binary").rdd.map(blob)
            blobs = blobs.mapPartitions(joined)
            return self._tree(blobs, combine)

    def _tree(self, blobs: Any, combine: Callable[[Any, Any], Any]) -> Any:
        n = blobs.getNumPartitions()
        if n == 0:
            return None
        depth = max(2, int(np.ceil(np.log2(max(n, 2)) / 2)))
        status, *rest = blobs.treeReduce(MergeBlobs(combine), depth=depth)
        if status == "error":
            raise _bad_value(*rest)
        return rest[0]

    def sufficient_stats(self) -> SufficientStats:
        """One Spark job: per-partition statistics, tree-reduced on the executors (exact).

        Returns
        -------
        SufficientStats
            Of n_features + n_targets columns.
        """
        stats = self.reduce_chunks(SufficientStats.from_arrays, SufficientStats.merge)
        if stats is None:
            raise data_error(_DESCRIPTION, "no rows: lingrad needs at least one row to fit.")
        return stats

    def direct_problem(self, fit_intercept: bool, penalty: Penalty) -> SparkLeastSquares:
        """Cache the selected columns, then one Spark job per evaluation."""
        self._frame = self._frame.cache()
        sw = self.reduce_chunks(weight_total, np.add)  # checks every value, once
        if sw is None:
            raise data_error(_DESCRIPTION, "no rows: lingrad needs at least one row to fit.")
        return SparkLeastSquares(self, float(sw), fit_intercept, penalty)

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
                    raise _bad_value(*parts[1:])
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
                _DESCRIPTION,
                "was opened without a target: pass target=... to open_dataset to fit or "
                "summarise it (features only are for predict).",
            )


def feature_columns(frame: Any, names: Sequence[str]) -> list[str]:
    """A model's ``feature_names_in_`` as the frame's columns (``c[j]``: array column ``c``)."""
    have = {f.name: f.dataType for f in frame.schema.fields}
    out: list[str] = []
    for name in names:
        base = name.rsplit("[", 1)[0] if name.endswith("]") and name not in have else name
        if base in have and _kind(have[base]) == "vector" and out[-1:] == [base]:
            continue
        out.append(base)
    return out


@contextlib.contextmanager
def _large_batches(frame: Any, rows: int = 65536) -> Iterator[None]:
    """Arrow batches of ``rows`` rows to the Python workers during a lingrad job (Spark's
    default, 10,000, costs a hand-off per batch); the session's setting is restored after."""
    conf = frame.sparkSession.conf
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    old = conf.get(key, None)
    conf.set(key, str(rows))
    try:
        yield
    finally:
        if old is None:
            conf.unset(key)
        else:
            conf.set(key, old)


def _spark_functions() -> Any:
    from pyspark.sql import functions

    return functions


def _kind(dtype: Any) -> str:
    """ "number", "vector" (an array of numbers) or "other", from a Spark SQL type."""
    name = type(dtype).__name__
    if name in _NUMERIC:
        return "number"
    if name == "ArrayType" and type(dtype.elementType).__name__ in _NUMERIC:
        return "vector"
    return "other"


def _widths(frame: Any, features: list[str], types: dict[str, Any]) -> list[int]:
    """Each feature column's width: 1, or (one small job) the length of an array column's rows."""
    vectors = [c for c in features if _kind(types[c]) == "vector"]
    if not vectors:
        return [1] * len(features)
    F = _spark_functions()
    first = frame.select(*[F.size(F.col(_quoted(c))).alias(c) for c in vectors]).first()
    sizes = {c: (int(first[c]) if first is not None else 0) for c in vectors}
    for c, n in sizes.items():
        if n < 1:
            raise data_error(
                _DESCRIPTION,
                f"column {c!r} holds empty arrays (or no rows): an array column's rows must "
                "all have the same, non-zero length.",
                column=c,
            )
    return [sizes.get(c, 1) for c in features]


def _check_column(name: Any, types: dict[str, Any], *, vectors: bool) -> None:
    if not isinstance(name, str):
        raise data_error(
            _DESCRIPTION, f"columns are named by strings; got {name!r}. Pass the column's name."
        )
    if name not in types:
        raise data_error(
            _DESCRIPTION,
            f"no column {name!r}; its columns are {listed(list(types))}.",
            column=name,
        )
    kind = _kind(types[name])
    if kind == "other" or (kind == "vector" and not vectors):
        what = "an array" if kind == "vector" else "not numeric"
        raise data_error(
            _DESCRIPTION,
            f"column {name!r} is {what} ({types[name].simpleString()}). Cast it "
            f"(df.withColumn({name!r}, F.col({name!r}).cast('double'))) or leave it out of the "
            "features.",
            column=name,
        )


def _bad_value(column: str, what: str, partition: int, row: int) -> Exception:
    fix = f"drop or fill those rows first (df.na.drop(subset=[{column!r}]) or df.na.fill(...))"
    if what == "null":
        text = (
            f"column {column!r} holds a null (partition {partition}, row {row + 1} of it): {fix}."
        )
    elif what.startswith("a negative"):
        text = (
            f"column {column!r} (the weight) holds {what} (partition {partition}, row {row + 1} "
            "of it). Sample weights must be >= 0."
        )
    else:
        text = (
            f"column {column!r} holds {what} (partition {partition}, row {row + 1} of it). "
            f"lingrad needs finite numbers: {fix}."
        )
    return data_error(_DESCRIPTION, text, column=column)
