"""Sufficient statistics of a stream of row blocks: one running product per shift.

Summarising every block on its own and merging the summaries costs an
``O(f^2)`` centred update per block (an outer product, a symmetrised scatter);
at 1,000 features that is 10-15% of the block's own ``X^T X``. :class:`BlockStats`
summarises the first block as :meth:`SufficientStats.from_arrays` does, then adds
every further plain float64 block (no weights) into one running product about
the shift that first block chose (:class:`lingrad._stats.RawAccumulator`): the
same statistics, to rounding, for one update per partition. A block whose column
means sit far from the shift (trending data), measured against the first block's
spread, starts a new running product about its own mean (:data:`DRIFT`), so no
block loses more digits to the centring than ``from_arrays`` allows itself;
weighted blocks and other dtypes are summarised and merged one by one.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X, y = rng.standard_normal((300, 3)), rng.standard_normal(300)
>>> acc = BlockStats()
>>> for a in range(0, 300, 100):
...     acc.add(X[a : a + 100], y[a : a + 100])
>>> whole = SufficientStats.from_arrays(X, y)
>>> bool(np.allclose(acc.result().scatter, whole.scatter, rtol=1e-12, atol=1e-12))
True
"""

from __future__ import annotations

import numpy as np

from ._stats import _MAX_RAW_RATIO, RawAccumulator, SufficientStats, _needs_shift

__all__ = ["DRIFT", "BlockStats", "StatsKernel"]

#: A block joins the running product when every column's mean is within
#: ``sqrt(DRIFT * var)`` of the shift (var: that column's variance in the first
#: block): the centring then cancels at most ``log10(DRIFT)`` digits, the bound
#: ``from_arrays`` accepts for its own raw products.
DRIFT = _MAX_RAW_RATIO


class BlockStats:
    """Statistics of the blocks added so far (:meth:`add`), merged once (:meth:`result`)."""

    def __init__(self) -> None:
        self._done: SufficientStats | None = None
        self._acc: RawAccumulator | None = None
        self._spread: np.ndarray | None = None  # DRIFT x the first block's variances

    def add(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None) -> None:
        """Add a block: X of shape (n, f), Y of shape (n,) or (n, k), w None or (n,)."""
        Y = Y[:, None] if Y.ndim == 1 else Y
        plain = w is None and type(X) is np.ndarray and X.dtype == np.float64
        if plain and self._acc is not None and self._fits(X):
            self._acc.add(X, Y.astype(np.float64, copy=False), check=False)
            return
        self._flush()
        stats = SufficientStats.from_arrays(X, Y, w)
        self._keep(stats)
        if plain and stats.sum_weights > 0:  # later blocks: one running product
            f, sw = X.shape[1], stats.sum_weights
            var = np.diag(stats.scatter)[:f] / sw
            raw = not _needs_shift(X[:128]) and np.all(
                var + stats.mean[:f] ** 2 <= _MAX_RAW_RATIO * var
            )
            shift = np.zeros(f) if raw else stats.mean[:f].copy()
            self._acc = RawAccumulator(shift, stats.mean[f:].copy())
            self._spread = DRIFT * var

    def _fits(self, X: np.ndarray) -> bool:
        """Whether X's column means lie within the drift bound of the running shift."""
        assert self._acc is not None and self._spread is not None
        d = X.mean(axis=0) - self._acc.x_shift
        return bool(np.all(d * d <= self._spread))

    def _keep(self, stats: SufficientStats) -> None:
        self._done = stats if self._done is None else self._done.merge(stats)

    def _flush(self) -> None:
        if self._acc is not None and self._acc.n_samples:
            self._keep(self._acc.stats())
        self._acc = None

    def result(self) -> SufficientStats | None:
        """The statistics of every block added (None when none was)."""
        self._flush()
        return self._done


class StatsKernel:
    """:meth:`SufficientStats.from_arrays` as a block kernel that can also accumulate.

    ``kernel(X, Y, w)`` summarises one block; ``kernel.accumulator()`` gives a
    :class:`BlockStats` for a stream of them (one merge per stream, not per block).
    """

    def __call__(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> SufficientStats:
        return SufficientStats.from_arrays(X, Y, w)

    def accumulator(self) -> BlockStats:
        return BlockStats()
