"""Per-fold statistics of a Spark DataFrame: one pass on the executors, K sets per partition.

Each block of rows reaches a kernel with the global position of its first
row (Spark: counted per partition in the JVM first) or with its group
column's values; its rows go to folds by :class:`~lingrad._cv.folds.HashFolds`,
the same rule as arrays, files and Dask, and the per-fold statistics are
merged by a tree on the executors. So the folds, and every number of the
cross-validation, equal those of the in-memory data collected in the frame's
order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._stats import SufficientStats
from . import collect
from .errors import cv_error
from .folds import HashFolds

__all__ = ["FoldKernel", "from_spark"]


class FoldKernel:
    """One block's statistics per fold (picklable: shipped to the executors).

    Called ``kernel(X, Y, w, labels, start)``: X (n_rows, n_features), Y
    (n_rows, n_targets), w None or (n_rows,), labels None or (n_rows, 1) group
    ids, start the global position of the block's first row (without groups).
    """

    def __init__(self, folds: HashFolds, n_features: int, n_targets: int) -> None:
        self.folds, self.f, self.k = folds, n_features, n_targets

    def __call__(
        self, X: np.ndarray, Y: np.ndarray, w: Any, labels: Any, start: Any
    ) -> list[SufficientStats]:
        acc = [SufficientStats.empty(self.f, self.k) for _ in range(self.folds.n_splits)]
        g = None if labels is None else labels[:, 0]
        collect._add_chunk(acc, X, Y, w, self.folds.assign(len(X), g, int(start or 0)))
        return acc


def _merge_lists(a: list[SufficientStats], b: list[SufficientStats]) -> list[SufficientStats]:
    return [x.merge(y) for x, y in zip(a, b, strict=True)]


def from_spark(source: Any, folds: HashFolds, groups: Any) -> tuple[collect.FoldStats, list[str]]:
    """``(FoldStats, feature names)`` of a :class:`~lingrad._sources.spark.SparkSource`.

    ``groups``: None (rows hashed by position) or the name of a column of the
    frame (rows hashed by its value; never split across folds), which is then
    not a feature (as for files).
    """
    if groups is not None and not isinstance(groups, str):
        raise cv_error(
            "a Spark DataFrame's groups are one of its columns. ",
            ("Pass the column's name, e.g. groups='store'.",),
        )
    f, k = source.n_features, source.n_targets
    kernel = FoldKernel(folds, f, k)
    if groups is None:
        test = source.reduce_chunks(kernel, _merge_lists, positions=True)
    else:
        if groups in source.target_names or groups == source.weight_name:
            raise cv_error(
                f"groups={groups!r} names the target or the weight. ",
                ("Name another column of the Spark DataFrame.",),
            )
        if groups in source.feature_names:
            source = source.without_feature(groups)
            kernel = FoldKernel(folds, source.n_features, k)
        test = source.reduce_chunks(kernel, _merge_lists, columns=[groups])
    if test is None:
        raise cv_error("the Spark DataFrame has no rows. ", ("Pass a DataFrame with rows.",))
    return collect._partitioned(list(test), source.n_features, k), source.feature_names
