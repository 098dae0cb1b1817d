"""The training data given to :func:`lingrad.inference.summarize`: checked, re-readable.

:func:`data_source` turns ``X, y, sample_weight`` (arrays, sparse CSR, or an
object with ``iter_chunks()``) into a function that starts a pass over them,
so the summary can read them twice (a QR of the design, then the residuals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sklearn.utils.validation import _check_sample_weight, check_array

from ._inference_pass import array_chunks
from ._messages import Alt, Set
from ._params import ParameterError
from ._stats import SufficientStats
from ._validation import add_hint, validate_xy

__all__ = ["data_source", "needs_data", "training_stats"]


def data_source(
    X: Any, y: Any, sample_weight: Any, f: int, k: int, cov_type: str
) -> Callable[[], Iterable[Any]] | None:
    """A function that starts a pass over the data (None without data)."""
    if X is None:
        if y is not None:
            raise ValueError("summarize got y without X. Pass both X and y (the training data).")
        if cov_type != "nonrobust":
            raise needs_data(cov_type)
        return None
    if hasattr(X, "__dask_graph__") or hasattr(y, "__dask_graph__"):
        from ._sources import as_source

        return as_source(X, y, sample_weight).iter_chunks  # block by block, on the cluster
    if hasattr(X, "iter_chunks"):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "summarize got a data source (with iter_chunks()) and also y or sample_weight. "
                "The source yields (X_chunk, y_chunk, w_chunk_or_None): pass it alone."
            )
        return getattr(X, "iter_counted", X.iter_chunks)  # counts too: lingrad._freq
    if y is None:
        raise ValueError("summarize got X without y. Pass both X and y (the training data).")
    try:
        Xa = check_array(X, accept_sparse=("csr",), dtype=[np.float64, np.float32])
        Ya = check_array(y, ensure_2d=False, dtype=np.float64)
    except ValueError as err:
        raise add_hint(err) from err
    Ya = Ya.reshape(len(Ya), -1)
    if Xa.shape[1] != f or Ya.shape[1] != k or len(Ya) != Xa.shape[0]:
        raise ValueError(
            f"X has shape {Xa.shape} and y {Ya.shape}; the model needs X of shape "
            f"(n_samples, {f}) and y with {k} target(s) and one row per X row. Pass the training "
            "data."
        )
    w = None
    if sample_weight is not None:
        w = _check_sample_weight(sample_weight, Xa, dtype=np.float64, ensure_non_negative=True)
    return _ArrayPass(Xa, Ya, w)


class _ArrayPass:
    """A pass over in-memory training data, in row chunks; keeps the arrays."""

    def __init__(self, X: Any, Y: np.ndarray, w: np.ndarray | None) -> None:
        self.arrays = (X, Y, w)

    def __call__(self) -> Iterable[Any]:
        return array_chunks(*self.arrays)


def needs_data(cov_type: str) -> ParameterError:
    """A robust ``cov_type`` asked for without the data."""
    setting = Set("cov_type", repr(cov_type))
    parts = (
        setting,
        " (robust standard errors) needs the data: every residual enters "
        "the covariance, and the sufficient statistics do not hold them. Pass the training "
        "data, e.g. ",
        Alt(
            f"model.summary(X, y, cov_type={cov_type!r}) or summarize(model, stats, X, y, "
            f"sample_weight=w, cov_type={cov_type!r}), or an object whose iter_chunks() yields "
            "(X_chunk, y_chunk, w_chunk_or_None) to stream it from files.",
            f"lingrad summary MODEL DATA --cov-type {cov_type}.",
        ),
    )
    return ParameterError(
        parts, owner="summarize", param="cov_type", value=cov_type, expected="'nonrobust'"
    )


def training_stats(model: Any, X: Any, y: Any, sample_weight: Any) -> SufficientStats:
    """The training statistics from the data (a model that kept none: engine "direct")."""
    from ._sources import as_source

    source = None if X is None else as_source(X, y, sample_weight)
    if source is not None:
        return source.sufficient_stats()
    if X is None or y is None:
        raise ValueError(
            "This model kept no sufficient statistics (it was fitted with the 'direct' "
            "engine), so summary() needs the training data: call summary(X, y)."
        )
    Xv, yv, sw = validate_xy(model, X, y, sample_weight, reset=False)
    return SufficientStats.from_arrays(Xv, yv.reshape(len(yv), -1), sw)
