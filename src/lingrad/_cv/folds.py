"""Which fold a row belongs to: a deterministic hash of its position or of its group.

The same rule serves arrays, files and Dask collections, so a streamed
cross-validation sees exactly the folds of the in-memory one: row ``i``
(counted from 0 over the whole data) goes to fold ``h(i) mod K`` with ``h`` the
SplitMix64 finaliser, and with groups every row of a group goes to the fold of
``h(group value)``, so no group is ever split. :class:`HashFolds` is the same
rule as a scikit-learn splitter, so scikit-learn's ``ElasticNetCV(cv=...)`` can
be given lingrad's folds.

Examples
--------
>>> import numpy as np
>>> folds = HashFolds(3)
>>> [len(test) for _, test in folds.split(np.zeros((12, 1)))]
[3, 6, 3]
>>> ids = fold_ids(np.arange(6), 3)
>>> bool((ids == fold_ids(np.arange(10), 3)[:6]).all())
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["HashFolds", "fold_ids", "group_fold_ids"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 values (wrapping arithmetic)."""
    z = z.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def _seeded(keys: np.ndarray, seed: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        salt = np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + _GOLDEN
        return _mix(keys.astype(np.uint64) + salt)


def fold_ids(positions: np.ndarray, n_splits: int, seed: int = 0) -> np.ndarray:
    """Fold of each row from its global position (0-based), shape (n_rows,), int64."""
    h = _seeded(np.asarray(positions, dtype=np.uint64), seed)
    return (h % np.uint64(n_splits)).astype(np.int64)


def _group_keys(groups: np.ndarray) -> np.ndarray:
    """A uint64 key per group value: numbers by their float64 bits (3 and 3.0 agree),
    anything else by a BLAKE2b digest of its text (stable across processes)."""
    g = np.asarray(groups)
    if g.dtype.kind in "biuf":
        v = g.astype(np.float64) + 0.0  # -0.0 becomes 0.0
        return v.view(np.uint64)
    uniques, inverse = np.unique(g.astype(str), return_inverse=True)
    digests = [
        int.from_bytes(hashlib.blake2b(u.encode(), digest_size=8).digest(), "little")
        for u in uniques
    ]
    return np.asarray(digests, dtype=np.uint64)[inverse.ravel()]


def group_fold_ids(groups: np.ndarray, n_splits: int, seed: int = 0) -> np.ndarray:
    """Fold of each row from its group value, shape (n_rows,), int64: no group is split."""
    h = _seeded(_group_keys(groups), seed)
    return (h % np.uint64(n_splits)).astype(np.int64)


class HashFolds:
    """K folds by a deterministic hash of each row's position (or of its group).

    lingrad's fold rule as a scikit-learn splitter: ``LinearRegressionCV(cv=5)``
    uses ``HashFolds(5)`` on arrays, files and Dask alike, and
    ``sklearn.linear_model.ElasticNetCV(cv=HashFolds(5))`` sees the same folds.
    Fold sizes are random-like (about n / K each), not exactly equal.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    seed : int, default=0
        Another seed gives another, equally deterministic, assignment.

    Examples
    --------
    >>> import numpy as np
    >>> groups = np.repeat(np.arange(10), 3)  # 10 groups of 3 rows
    >>> tests = [test for _, test in HashFolds(3).split(np.zeros((30, 1)), groups=groups)]
    >>> all(len(set(groups[t]) & set(groups[u])) == 0 for t in tests for u in tests if t is not u)
    True
    >>> sum(len(t) for t in tests)
    30
    """

    def __init__(self, n_splits: int = 5, seed: int = 0) -> None:
        self.n_splits = n_splits
        self.seed = seed

    def __repr__(self) -> str:
        return f"HashFolds(n_splits={self.n_splits}, seed={self.seed})"

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds."""
        return int(self.n_splits)

    def assign(self, n_rows: int, groups: Any = None, start: int = 0) -> np.ndarray:
        """Fold of rows ``start .. start + n_rows - 1``, shape (n_rows,)."""
        if groups is not None:
            return group_fold_ids(np.asarray(groups).ravel(), self.n_splits, self.seed)
        return fold_ids(np.arange(start, start + n_rows), self.n_splits, self.seed)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices, one pair per fold (a test set may be empty)."""
        ids = self.assign(len(X), groups)
        for k in range(self.n_splits):
            yield np.flatnonzero(ids != k), np.flatnonzero(ids == k)
