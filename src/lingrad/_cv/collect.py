"""Per-fold sufficient statistics: arrays by the splitter's folds, files and Dask in one pass.

With a partition of the rows into K folds (:class:`~lingrad._cv.folds.HashFolds`,
``KFold``, ``GroupKFold``, ...), each fold's held-out statistics are computed
once and each fold's training statistics are the exact merge of the other
folds' (Chan et al.'s pairwise update: no subtraction, so no cancellation).
Splitters whose test sets do not partition the rows (``ShuffleSplit``) get
their training statistics from their own training rows. Memory: K + 1 sets of
statistics, O(K (f + k)^2), plus one chunk of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._stats import SufficientStats
from .errors import cv_error
from .folds import HashFolds

__all__ = ["FoldStats", "from_arrays", "from_chunks", "from_dask"]

_CHUNK_ROWS = 65536


@dataclass(frozen=True)
class FoldStats:
    """Training and held-out statistics of each fold, and of all the rows.

    Attributes
    ----------
    train, test : list of SufficientStats
        One per fold.
    full : SufficientStats
        Every row: the refit's data.
    """

    train: list[SufficientStats]
    test: list[SufficientStats]
    full: SufficientStats

    @property
    def n_splits(self) -> int:
        return len(self.test)


def _merge_all(parts: Iterable[SufficientStats], f: int, k: int) -> SufficientStats:
    total = SufficientStats.empty(f, k)
    for p in parts:
        total = total.merge(p)
    return total


def _partitioned(test: list[SufficientStats], f: int, k: int) -> FoldStats:
    """Training statistics of fold j: the merge of every other fold's (no subtraction)."""
    K = len(test)
    for j, s in enumerate(test):
        if s.n_samples == 0 or s.sum_weights <= 0:
            raise cv_error(
                f"fold {j} of {K} holds no rows (or only zero weights), so it cannot be held out. ",
                "fewer folds",
            )
    train = [_merge_all((test[i] for i in range(K) if i != j), f, k) for j in range(K)]
    return FoldStats(train, test, _merge_all(test, f, k))


def _add_chunk(
    acc: list[SufficientStats], X: Any, Y: np.ndarray, w: np.ndarray | None, ids: np.ndarray
) -> None:
    """Rows sorted by fold once (one copy of the chunk), then each fold's run of rows."""
    order = np.argsort(ids, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=len(acc)))])
    Xs, Ys = X[order], Y[order]
    ws = None if w is None else w[order]
    for j in range(len(acc)):
        a, b = int(bounds[j]), int(bounds[j + 1])
        if b > a:
            part = SufficientStats.from_arrays(Xs[a:b], Ys[a:b], None if ws is None else ws[a:b])
            acc[j] = acc[j].merge(part)


def from_chunks(
    chunks: Iterator[tuple[Any, np.ndarray, np.ndarray | None, np.ndarray]],
    folds: HashFolds,
    f: int,
    k: int,
) -> FoldStats:
    """One pass over ``(X, Y, w, groups_or_None)`` chunks, rows hashed to folds.

    The position of a row is counted over the whole pass, so the folds do not
    depend on how the rows are chunked.
    """
    acc = [SufficientStats.empty(f, k) for _ in range(folds.get_n_splits())]
    start = 0
    for X, Y, w, g in chunks:
        _add_chunk(acc, X, Y, w, folds.assign(X.shape[0], g, start))
        start += X.shape[0]
    return _partitioned(acc, f, k)


def from_arrays(
    X: Any, Y: np.ndarray, w: np.ndarray | None, cv: Any, groups: np.ndarray | None
) -> FoldStats:
    """Per-fold statistics of in-memory rows: X (n, f), Y (n, k), w None or (n,)."""
    n, f = X.shape
    k = Y.shape[1]
    if isinstance(cv, HashFolds):

        def chunks():
            for a in range(0, n, _CHUNK_ROWS):
                b = min(a + _CHUNK_ROWS, n)
                yield (
                    X[a:b],
                    Y[a:b],
                    None if w is None else w[a:b],
                    (None if groups is None else groups[a:b]),
                )

        return from_chunks(chunks(), cv, f, k)
    y_arg = Y[:, 0] if k == 1 else Y
    pairs = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y_arg, groups)]
    if len(pairs) < 2:
        raise cv_error(f"the splitter {cv!r} gave {len(pairs)} fold(s). ", "at least 2 folds")

    def stats(idx: np.ndarray) -> SufficientStats:
        return SufficientStats.from_arrays(X[idx], Y[idx], None if w is None else w[idx])

    test = [stats(te) for _, te in pairs]
    if _is_partition(pairs, n):
        return _partitioned(test, f, k)
    for j, ((tr, _), te) in enumerate(zip(pairs, test, strict=True)):
        if len(tr) == 0 or te.n_samples == 0:
            raise cv_error(f"fold {j} of the splitter {cv!r} has an empty side. ", "other folds")
    return FoldStats([stats(tr) for tr, _ in pairs], test, stats(np.arange(n)))


def _is_partition(pairs: list[tuple[np.ndarray, np.ndarray]], n: int) -> bool:
    """Whether the test sets cover each row once and each training set is the rest."""
    seen = np.zeros(n, dtype=np.int64)
    for _, te in pairs:
        np.add.at(seen, te, 1)
    if not (seen == 1).all():
        return False
    return all(len(tr) + len(te) == n for tr, te in pairs)


# -- Dask: one distributed pass, folds kept per block and merged by a tree --------------
def _block_folds(
    X: np.ndarray, Y: np.ndarray, w: Any, g: Any, start: int, folds: HashFolds
) -> list[SufficientStats]:
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ValueError(
            "X or y contains NaN or infinity in the Dask collection. Remove or impute the "
            "missing values (e.g. DataFrame.fillna) and clip infinite values before fitting."
        )
    if w is not None and not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError(
            "sample_weight contains negative, NaN or infinite values in the Dask collection. "
            "Pass one non-negative, finite weight per sample."
        )
    acc = [SufficientStats.empty(X.shape[1], Y.shape[1]) for _ in range(folds.n_splits)]
    _add_chunk(acc, X, Y, w, folds.assign(len(X), g, start))
    return acc


def _merge_lists(a: list[SufficientStats], b: list[SufficientStats]) -> list[SufficientStats]:
    return [x.merge(y) for x, y in zip(a, b, strict=True)]


def from_dask(source: Any, folds: HashFolds, groups: Any) -> FoldStats:
    """One distributed pass over a :class:`~lingrad._sources.dask.DaskSource`.

    ``groups``: None, an in-memory array of shape (n_samples,), or a Dask
    array/Series aligned with the rows.
    """
    import dask
    import dask.array as da

    from .._sources.dask import _tree_reduce

    rows = source._X.chunks[0]
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int)
    parts = source._delayed_parts(source._X, source._Y, source._w)
    if groups is None:
        gs: list[Any] = [None] * len(parts)
    elif hasattr(groups, "__dask_graph__"):
        g = groups.to_dask_array(lengths=True) if hasattr(groups, "to_dask_array") else groups
        gs = da.asarray(g).rechunk((rows,)).to_delayed().ravel().tolist()
    else:
        g = np.asarray(groups).ravel()
        gs = [g[a : a + r] for a, r in zip(starts, rows, strict=True)]
    leaves = [
        dask.delayed(_block_folds)(X, Y, w, gb, int(a), folds)
        for (X, Y, w), gb, a in zip(parts, gs, starts, strict=True)
    ]
    (test,) = dask.compute(_tree_reduce(leaves, _merge_lists))
    return _partitioned(list(test), source.n_features, source.n_targets)
