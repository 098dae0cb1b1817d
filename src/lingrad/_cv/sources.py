"""Per-fold statistics of data that is not in memory: files and Dask, read once.

A dataset from :func:`lingrad.open_dataset` is streamed once (its group column,
if named, read in the same pass as one more column); a Dask collection is
summarised block by block where it lives, each block reporting K sets of
statistics, merged by a pairwise tree. Rows go to folds by the hash of their
global position (or of their group), so the folds equal the in-memory ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._messages import Set
from . import collect
from .errors import cv_error
from .folds import HashFolds

__all__ = ["source_fold_stats"]


def source_fold_stats(
    source: Any, folds: HashFolds, groups: Any
) -> tuple[collect.FoldStats, list[str] | None]:
    """``(FoldStats, feature names)`` of a data source, in one pass."""
    if getattr(source, "labelled_blocks", False):  # Spark: on the executors
        from .distributed import from_spark

        return from_spark(source, folds, groups)
    if hasattr(source, "_delayed_parts"):  # Dask (its blocks as delayed parts)
        if isinstance(groups, str):
            raise cv_error(
                f"groups={groups!r} names a column, but a Dask collection's groups are passed "
                "as data. ",
                ("Pass the column itself, e.g. groups=ddf[", repr(groups), "] (or an array)."),
            )
        if groups is not None and not hasattr(groups, "__dask_graph__"):
            _check_length(groups, source.n_samples)
        return collect.from_dask(source, folds, groups), source.feature_names
    if isinstance(groups, str):
        return _with_group_column(source, folds, groups)
    f, k = source.n_features, source.n_targets
    g = None if groups is None else np.asarray(groups).ravel()
    seen = [0]

    def chunks() -> Iterator[tuple[Any, np.ndarray, Any, Any]]:
        for X, Y, w in source.iter_chunks():
            a = seen[0]
            seen[0] += len(X)
            if g is not None and seen[0] > len(g):
                raise cv_error(
                    f"groups has {len(g)} labels but {source.description} has more rows. ",
                    ("Pass one group label per row.",),
                )
            yield X, Y, w, None if g is None else g[a : seen[0]]

    stats = collect.from_chunks(chunks(), folds, f, k)
    if g is not None:
        _check_length(g, seen[0])
    return stats, source.feature_names


def _check_length(groups: Any, n: int) -> None:
    m = len(np.asarray(groups).ravel())
    if m != n:
        raise cv_error(
            f"groups has {m} labels but the data has {n} rows. ",
            ("Pass one group label per row.",),
        )


def _with_group_column(
    ds: Any, folds: HashFolds, name: str
) -> tuple[collect.FoldStats, list[str] | None]:
    """The dataset re-opened with the group column last (never a feature), read once."""
    from .._sources.files import Dataset
    from .._sources.grouplabels import labelled_chunks

    if not isinstance(ds, Dataset):
        raise cv_error(
            f"groups={name!r} names a column, but {ds.description} is not a dataset. ",
            ("Pass one group label per row, or open the file with lingrad.open_dataset.",),
        )
    if name not in ds.columns or name in ds.target_names or name == ds.weight_name:
        what = "no column" if name not in ds.columns else "the target or the weight"
        raise cv_error(
            "",
            (
                Set("groups", repr(name)),
                f" names {what} of {ds.path}. Name another of its columns {ds.columns[:10]!r}.",
            ),
        )
    features = [c for c in ds._features if c != name]
    if not features:
        raise cv_error(f"{ds.path} has no feature left besides groups={name!r}. ", ("",))
    base = Dataset(ds._reader, features, ds.target_names, ds.weight_name, ds.chunk_rows, ds.one_d)
    base.missing = ds.missing
    f, k = len(features), ds.n_targets

    def chunks() -> Iterator[tuple[Any, np.ndarray, Any, Any]]:
        for X, Y, w, labels in labelled_chunks(base, [name]):  # numbers or text
            yield X, Y, w, labels[:, 0]

    names = None if ds.feature_names is None else features
    return collect.from_chunks(chunks(), folds, f, k), names
