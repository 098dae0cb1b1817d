"""A file's column of frequency weights (``open_dataset(..., freq_weight="count")``).

The column is read beside the features (so a missing count follows the
dataset's ``missing`` policy and a bad cell is located as in any column), then
split off: each chunk's weight becomes ``count * weight`` (``count`` without a
weight column), and the pass's totals (``sum count``, ``sum count log weight``)
go into the statistics, whose ``nobs`` is then the sum of the counts, as for
``fit(X, y, freq_weights=count)`` (see :mod:`lingrad._freq`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._freq import with_freq
from .._stats import SufficientStats
from .columns import column_keys
from .errors import data_error

__all__ = ["FreqColumn", "freq_features"]


def freq_features(reader: Any, target: Any, features: Any, weight: Any, freq: Any) -> tuple:
    """``(features with the count column last, its name)``: the columns ``Dataset`` reads.

    Without ``features``, every numeric column but the target(s), weight and count.
    """
    name = column_keys(reader, freq, None, None)[0]
    if features is None:
        names, _, w = column_keys(reader, target, None, weight)
        used = {*(names if isinstance(names, list) else [names]), w, name}
        cols = getattr(reader, "numeric_columns", None) or reader.columns
        features = [c for c in cols if c not in used]
    else:
        features = list(column_keys(reader, target, features, weight)[1] or [])
    return [*features, name], name


class FreqColumn:
    """Mixin of a :class:`~lingrad._sources.files.Dataset` whose column ``freq_name`` counts rows.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lingrad._sources.files import open_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "d.npy")
    >>> np.save(path, np.array([[0.0, 1.0, 2.0], [1.0, 3.0, 1.0], [2.0, 5.0, 1.0]]))
    >>> open_dataset(path, target=1, freq_weight=2).sufficient_stats().nobs
    4.0
    """

    n_features: int
    feature_names: list[str] | None
    path: str
    weight_name: str | None

    def __init__(self, reader: Any, features: list[str], freq: str, *args: Any) -> None:
        super().__init__(reader, [*features, freq], *args)  # type: ignore[call-arg]
        self.n_features = len(features)
        if self.feature_names is not None:
            self.feature_names = list(features)
        self.freq_name = freq
        #: ``(sum count, sum count log weight, weighted)`` of the last complete pass.
        self.freq_totals: tuple[float, float, bool] | None = None

    def iter_counted(self) -> Iterator[Any]:
        """A pass of ``(X, Y, count * weight, count)`` chunks: the counts beside the weights.

        What robust covariances read (:func:`lingrad._inference_pass.chunk_counts`).
        """
        return self._read(counted=True)

    def _read(self, counted: bool = False) -> Iterator[Any]:
        total = log_total = 0.0
        for X, Y, w in super()._read():  # type: ignore[misc]
            f = X[:, -1].copy()
            X = np.ascontiguousarray(X[:, :-1])
            if (f < 0).any():
                raise data_error(
                    self.path,
                    f"column {self.freq_name!r} (the frequency weight) is negative "
                    f"({f[f < 0][0]}); counts of observations must be >= 0.",
                )
            total += float(f.sum())
            if w is not None:
                use = (w > 0) & (f > 0)
                log_total += float((f[use] * np.log(w[use])).sum())
            fw = f if w is None else f * w
            yield (X, Y, fw, f) if counted else (X, Y, fw)
        self.freq_totals = (total, log_total, self.weight_name is not None)

    def sufficient_stats(self) -> SufficientStats:
        """One pass: the statistics of the combined weights, with the counts' totals."""
        stats = super().sufficient_stats()  # type: ignore[misc]
        assert self.freq_totals is not None  # set by the complete pass
        return with_freq(stats, *self.freq_totals)
