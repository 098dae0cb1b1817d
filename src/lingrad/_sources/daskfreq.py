"""Dask collections with frequency weights (statsmodels' ``freq_weights``), on the cluster.

``fit(X, y, sample_weight, freq_weights=f)`` with Dask data (``f`` a Dask array
or Series, an in-memory array, or the name of a column of a Dask DataFrame
``X``): the statistics carry ``f * w`` block by block (as
:class:`~lingrad._sources.dask.DaskSource` does any weight), and one more
reduction gives the counts' totals, ``sum f`` (the ``nobs``) and
``sum f log w`` (the likelihood), as in memory (:mod:`lingrad._freq`) and for
a file's count column (:mod:`lingrad._sources.freqcol`). ``missing="drop"``
drops a row with a NaN in X, y, the weight or the count from all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dask
import dask.array as da

from .._freq import FreqWeightError, with_freq
from .._messages import Set
from .._stats import SufficientStats
from .dask import DaskSource
from .dask_input import align_rows, as_float, check_collection, drop_missing_rows, to_dask_array
from .dask_input import partition_lengths as _lengths

__all__ = ["DaskFreqSource"]


class DaskFreqSource(DaskSource):
    """A :class:`DaskSource` whose rows count ``freq_weights`` times each.

    Parameters
    ----------
    X, y, sample_weight
        As for :class:`DaskSource`.
    freq_weights : Dask array or Series, or ndarray, of shape (n_samples,)
        Finite, non-negative counts (need not be integers).
    missing : {"raise", "drop"}, default="raise"

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> X = da.from_array(np.arange(6.0).reshape(3, 2), chunks=2)
    >>> y = da.from_array(np.array([1.0, 2.0, 4.0]), chunks=2)
    >>> DaskFreqSource(X, y, None, np.array([1.0, 2.0, 0.0])).sufficient_stats().nobs
    3.0
    """

    def __init__(
        self, X: Any, y: Any, sample_weight: Any, freq_weights: Any, *, missing: str = "raise"
    ) -> None:
        check_collection("freq_weights", freq_weights)
        f, _ = to_dask_array("freq_weights", freq_weights, _lengths(freq_weights)[0])
        if f.ndim == 2 and 1 in f.shape:
            f = f.reshape(-1)
        if f.ndim != 1:
            raise FreqWeightError(
                f"freq_weights has shape {f.shape}: pass one count per row.", shape=f.shape
            )
        a = None
        if sample_weight is not None:
            check_collection("sample_weight", sample_weight)
            a, _ = to_dask_array("sample_weight", sample_weight, _lengths(sample_weight)[0])
        super().__init__(X, y, sample_weight=None if a is None else a, missing="raise")
        rows, n = self._X.chunks[0], self._X.shape[0]
        f = as_float(align_rows("freq_weights", f, rows, n, f" in {self.n_blocks} blocks"))
        w = f if self._w is None else f * self._w
        self.missing = missing
        if missing == "drop":
            Y = da.concatenate([self._Y, f[:, None], w[:, None]], axis=1)
            self._X, Y, self._a, kept = drop_missing_rows(self._X, Y, self._w)
            k = self.n_targets
            self._Y, f, w = Y[:, :k], Y[:, k], Y[:, k + 1]
            self.n_dropped, self.n_samples = int(n) - kept, int(kept)
        else:
            self._a = self._w
        self._f, self._w = f, w

    def _totals(self) -> tuple[float, float]:
        """``(sum f, sum f log w)``, the counts checked (one reduction on the cluster)."""
        f, a = self._f, self._a
        logs = da.zeros_like(f)
        if a is not None:
            logs = da.where(f > 0, f * da.log(da.where(a > 0, a, 1.0)), 0.0)
        total, log_total, nan, bad = dask.compute(
            f.sum(), logs.sum(), da.isnan(f).any(), ((f < 0) | da.isinf(f)).any()
        )
        if bad:
            raise FreqWeightError(
                "freq_weights holds a negative or infinite count in the Dask collection: a "
                "frequency weight counts observations, so it must be finite and non-negative "
                "(0 leaves the row out)."
            )
        if nan:
            raise FreqWeightError(
                (
                    "freq_weights holds NaN (a missing value) in the Dask collection. Fill it, "
                    "or pass ",
                    Set("missing", "'drop'"),
                    " to leave such rows out.",
                )
            )
        return float(total), float(log_total)

    def sufficient_stats(self) -> SufficientStats:
        """One distributed pass for the statistics of ``f * w``, one for the counts' totals."""
        totals = self._totals()
        return with_freq(super().sufficient_stats(), *totals, self._a is not None)

    def direct_problem(self, fit_intercept: bool, penalty: Any) -> Any:
        """:meth:`DaskSource.direct_problem` of the weights ``f * w``, the counts checked first."""
        self._totals()
        return super().direct_problem(fit_intercept, penalty)

    def iter_counted(self) -> Iterator[tuple]:
        """The row blocks as ``(X, Y, f * w, f)``, computed one at a time (robust covariances)."""
        fs = self._f.to_delayed(optimize_graph=False).ravel().tolist()
        for (X, Y, w), f in zip(self._delayed_parts(self._X, self._Y, self._w), fs, strict=True):
            yield dask.compute(X, Y, w, f)
