"""Frequency weights: rows that stand for several observations (statsmodels' ``freq_weights``).

A frequency weight ``f_i`` says that row ``i`` was observed ``f_i`` times. The
fit, its standard errors, R², the log-likelihood and AIC/BIC are then those of
the data with every row repeated ``f_i`` times: the statistics carry ``f_i w_i``
(``w_i`` the analytic ``sample_weight``, 1 without) in their cross-products,
``nobs = sum f_i`` (so ``df_resid = sum f_i - rank``) and
``sum f_i log w_i`` for the likelihood. This is statsmodels'
``GLM(y, X, family=Gaussian(), freq_weights=f, var_weights=w)``. As in
statsmodels, the weights need not be integers (a row may count 2.5 times);
they must be finite and non-negative. A NaN is a missing value: refused, or
its row dropped with ``missing="drop"``.

Robust covariances follow the same rule, the rows repeated: HC0-HC3 count
every copy's score (``f a² u²`` for a row of analytic weight ``a``) with the
leverage of one copy in the repeated rows' design (``a zᵀ (XᵀWX)⁻¹ z``, HC2 and
HC3); cluster-robust ones put the copies in their row's cluster, and a row
counted 0 times is no row (its cluster does not count). Their second pass reads
the counts beside the combined weights (chunks ``(X, Y, f * w, f)``). HAC is
refused (:func:`check_freq_cov`): its lags count rows in time order, where the
copies of a row have no place.

Examples
--------
>>> f = freq_array([1, 2, 0], 3)
>>> combined(None, f)
array([1., 2., 0.])
>>> totals(f, np.array([1.0, np.e, 5.0]))
(3.0, 2.0)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ._messages import LingradMessage, Set
from ._stats import SufficientStats

__all__ = [
    "FreqWeightError",
    "check_freq_cov",
    "combined",
    "freq_array",
    "per_copy",
    "totals",
    "with_freq",
]


class FreqWeightError(LingradMessage, ValueError):
    """Frequency weights that cannot count observations (wrong shape, negative, infinite)."""


def freq_array(freq_weights: Any, n_rows: int | None) -> np.ndarray:
    """``freq_weights`` as a float64 vector of ``n_rows`` entries, checked.

    Parameters
    ----------
    freq_weights : array-like of shape (n_samples,)
    n_rows : int or None
        The number of rows of the data (None: not checked).

    Returns
    -------
    ndarray of shape (n_samples,)
        NaN entries kept: the missing-value policy decides about them.
    """
    try:
        f = np.asarray(freq_weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise FreqWeightError(
            ("freq_weights must be numbers (one count per row); got ", type(freq_weights).__name__)
        ) from None
    f = f.reshape(-1) if f.ndim == 2 and 1 in f.shape else f
    if f.ndim != 1 or (n_rows is not None and f.shape[0] != n_rows):
        raise FreqWeightError(
            (
                f"freq_weights has shape {f.shape}; the data has {n_rows} rows. ",
                "Pass one count per row.",
            ),
            shape=f.shape,
        )
    bad = np.isinf(f) | (f < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FreqWeightError(
            (
                f"freq_weights[{i}] is {f[i]!r}: a frequency weight counts observations, so it ",
                "must be finite and non-negative (0 leaves the row out).",
            ),
            row=i,
        )
    return f


def missing_freq(f: np.ndarray, missing: str) -> None:
    """Refuse NaN frequency weights unless ``missing="drop"`` (which drops their rows)."""
    if missing != "drop" and np.isnan(f).any():
        i = int(np.flatnonzero(np.isnan(f))[0])
        raise FreqWeightError(
            (
                f"freq_weights[{i}] is NaN (a missing value). Fill it, or pass ",
                Set("missing", "'drop'"),
                " to leave such rows out.",
            ),
            row=i,
        )


def combined(sample_weight: Any, f: np.ndarray) -> np.ndarray:
    """The weight the cross-products carry: ``f * sample_weight`` (``f`` without)."""
    if sample_weight is None:
        return f
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape != f.shape:
        return f * w if w.size == 1 else w  # the sample weights' own check explains
    return f * w


def totals(
    f: np.ndarray, sample_weight: Any, keep: np.ndarray | None = None
) -> tuple[float, float]:
    """``(sum f, sum f log w)`` over the rows kept (``w > 0`` and ``f > 0`` in the log sum)."""
    if keep is not None:
        f = f[keep]
    if sample_weight is None:
        return float(f.sum()), 0.0
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    w = w[keep] if keep is not None else w
    use = (w > 0) & (f > 0)
    return float(f.sum()), float((f[use] * np.log(w[use])).sum())


def with_freq(stats: SufficientStats, sum_freq: float, sum_log: float, weighted: bool):
    """``stats`` (built from the combined weights) with the frequency totals set."""
    return replace(stats, sum_freq=sum_freq, sum_log_weights=sum_log, weighted=weighted)


def per_copy(w: np.ndarray, f: np.ndarray | None) -> np.ndarray:
    """The weight of one copy of each row, ``w / f`` (0 where ``f = 0``); ``w`` without counts.

    ``w`` is the combined weight ``f * sample_weight`` the statistics carry: a
    row counted ``f`` times is ``f`` identical rows of weight ``w / f``.

    >>> per_copy(np.array([6.0, 0.0, 2.0]), np.array([3.0, 0.0, 1.0]))
    array([2., 0., 2.])
    """
    if f is None:
        return w
    out = np.zeros_like(w)
    np.divide(w, f, out=out, where=f > 0)
    return out


def check_freq_cov(stats: SufficientStats, cov_type: str) -> None:
    """Refuse HAC for frequency-weighted statistics (the other covariances are defined).

    HC0-HC3 and the cluster covariances are those of the data with every row
    repeated ``f`` times (:func:`per_copy`). Newey-West's lag window counts
    rows in time order, where the copies of a row have no place: repeating a
    row shifts the lag of every later one, and a fractional count has no
    rows at all.
    """
    if stats.sum_freq is not None and cov_type == "HAC":
        raise FreqWeightError(
            (
                "cov_type='HAC' is not defined for a fit with freq_weights: its lag window "
                "counts rows in time order, and the copies of a row counted f times have no "
                "place in that order (they would shift the lag of every later row; a "
                "fractional count has no rows at all). Use ",
                Set("cov_type", "'cluster'"),
                " with the time periods as groups, or expand the rows in time order and fit "
                "without freq_weights.",
            ),
            cov_type=cov_type,
        )
