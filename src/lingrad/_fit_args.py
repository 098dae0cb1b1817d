"""``fit``/``partial_fit``/``summary`` argument handling kept out of the estimator shell.

Frequency weights (:mod:`lingrad._freq`) enter here: they are folded into the
weights the statistics carry, and their totals (``nobs``, ``sum f log w``) are
set on the statistics after the fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._freq import FreqWeightError, combined, freq_array, missing_freq, totals, with_freq
from ._sources.missing import intake, missing_rows

__all__ = [
    "NO_STATS_TO_CONTINUE",
    "add_batch",
    "attach_freq",
    "counted_rows",
    "fit_intake",
    "freq_input",
    "freq_source",
]

NO_STATS_TO_CONTINUE = (
    "partial_fit cannot continue this model exactly: it was fitted with the {engine!r} engine, "
    "which keeps no sufficient statistics of the rows fitted so far, so the new batch would "
    "replace them. Fit with engine='stats' to continue with partial_fit, refit on all the "
    "rows, or use partial_fit_mode='sgd' to continue from the fitted coefficients."
)

Pending = tuple[float, float, bool] | None


def freq_input(X: Any, y: Any, sample_weight: Any, freq_weights: Any, missing: str):
    """``(weights for the statistics, pending totals)``; ``freq_weights=None`` changes nothing."""
    if freq_weights is None:
        return sample_weight, None
    lazy = type(X).__module__.split(".")[0] in ("dask", "pyspark")
    if lazy or getattr(X, "__lingrad_source__", False) or not hasattr(X, "__len__"):
        raise FreqWeightError(
            "freq_weights is for arrays, DataFrames and Dask collections; a dataset takes "
            "its column of counts as open_dataset(..., freq_weight=COL), and Spark "
            "DataFrames do not take counts yet: repeat the rows, or fit them in memory."
        )
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    f = freq_array(freq_weights, n)
    missing_freq(f, missing)
    w = combined(sample_weight, f)
    keep = None
    if missing == "drop":
        masks = [m for m in (missing_rows(X), missing_rows(y)) if m is not None and len(m) == n]
        keep = ~np.logical_or.reduce([np.isnan(w), *masks])
    sum_f, sum_log = totals(f, sample_weight, keep)
    return w, (sum_f, sum_log, sample_weight is not None)


def freq_source(X: Any, y: Any, sample_weight: Any, freq: Any, missing: str) -> tuple:
    """``(X, y, sample_weight, freq)`` with the counts where the data live.

    ``freq`` naming a column of a pandas or Dask DataFrame ``X`` is that column
    (then not a feature); Dask data with frequency weights become one
    :class:`~lingrad._sources.daskfreq.DaskFreqSource` (``freq`` then None).
    """
    columns = getattr(X, "columns", None)
    if isinstance(freq, str) and columns is not None and freq in columns and hasattr(X, "drop"):
        X, freq = X.drop(columns=[freq]), X[freq]
    dask = any(hasattr(o, "__dask_graph__") for o in (X, y, sample_weight, freq))
    if freq is None or not dask:
        return X, y, sample_weight, freq
    from ._sources.daskfreq import DaskFreqSource

    return DaskFreqSource(X, y, sample_weight, freq, missing=missing), None, None, None


def fit_intake(X: Any, y: Any, sample_weight: Any, freq_weights: Any, missing: str):
    """:func:`~lingrad._sources.missing.intake` with frequency weights: ``(..., pending)``."""
    X, y, sample_weight, freq_weights = freq_source(X, y, sample_weight, freq_weights, missing)
    sample_weight, pending = freq_input(X, y, sample_weight, freq_weights, missing)
    return (*intake(X, y, sample_weight, missing), pending)


def attach_freq(model: Any, pending: Pending) -> Any:
    """Set the frequency totals on the fitted statistics (none kept: nothing to set)."""
    stats = model.__dict__.get("stats_")
    if pending is not None and stats is not None:
        model.stats_ = with_freq(stats, *pending)
    return model


def add_batch(on: Any, X: Any, Y: np.ndarray, sw: Any, pending: Pending) -> None:
    """``on.add(X, Y, sw)`` and, for frequency weights, the batch's totals."""
    before = on.extra
    on.add(X, Y, sw)
    if pending is not None:
        sum_f, sum_log, weighted = pending
        log = before.sum_log_weights + sum_log
        on.extra = with_freq(on.extra, before.nobs + sum_f, log, before.weighted or weighted)


def with_pending(stats: Any, pending: Pending) -> Any:
    """``stats`` with the frequency totals of ``pending`` (None: unchanged)."""
    return stats if pending is None else with_freq(stats, *pending)


def counted_rows(model: Any, X: Any, y: Any, sample_weight: Any, freq: Any, options: dict):
    """``(X, y, sample_weight)`` for a robust summary of in-memory frequency-weighted rows.

    ``sample_weight`` is the combined ``f * w`` of :func:`freq_input`. The rows
    become a source of ``(X, Y, f * w, f)`` chunks (the counts beside the
    weights, so the sandwich counts each row ``f`` times: see
    :func:`lingrad._inference_pass.chunk_counts`), with the model's missing
    rows dropped; anything else is returned unchanged.
    """
    cov_type = str(options.get("cov_type", "nonrobust")).lower()
    lazy = type(X).__module__.split(".")[0] in ("dask", "pyspark")
    if freq is None or X is None or cov_type == "nonrobust" or lazy or hasattr(X, "iter_chunks"):
        return X, y, sample_weight
    from ._inference_source import data_source
    from ._sources.missing import drop_missing

    n = X.shape[0] if hasattr(X, "shape") else len(X)
    f = freq_array(freq, n)
    missing = getattr(model, "missing", "raise")
    if missing == "drop":
        masks = [m for m in map(missing_rows, (X, y, sample_weight)) if m is not None]
        f = f[~np.logical_or.reduce(masks)] if masks else f
    X, y, sample_weight = drop_missing(X, y, sample_weight, missing)[:3]
    k = int(np.prod(np.shape(model.coef_)[:-1]))
    rows = data_source(X, y, sample_weight, int(model.n_features_in_), k, "HC0")
    return CountedRows(*rows.arrays, f), None, None


class CountedRows:
    """In-memory rows with frequency weights: a source of ``(X, Y, f * w, f)`` chunks.

    ``iter_chunks()`` yields ``(X, Y, f * w)`` like any source;
    ``iter_counted()`` adds the counts as a fourth item.
    """

    __lingrad_source__ = True

    def __init__(self, X: Any, Y: np.ndarray, w: np.ndarray | None, f: np.ndarray) -> None:
        self.arrays, self.counts = (X, Y, w), f
        self.n_features, self.n_targets = X.shape[1], Y.shape[1]

    def iter_chunks(self):
        from ._inference_pass import array_chunks

        return array_chunks(*self.arrays)

    def iter_counted(self):
        start = 0
        for Xc, Yc, wc in self.iter_chunks():
            stop = start + Xc.shape[0]
            yield Xc, Yc, wc, self.counts[start:stop]
            start = stop
