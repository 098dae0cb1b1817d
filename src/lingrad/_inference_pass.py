"""The second pass over the training data: residuals, in row chunks.

Heteroscedasticity-robust covariances (``HC0`` ... ``HC3``) need every
residual, which the sufficient statistics do not hold: :func:`second_pass`
sums the sandwich's meat (and the exact residual sum of squares, with a bound
on its rounding error) chunk by chunk, from arrays (:func:`array_chunks`) or from any object with an
``iter_chunks()`` method, so files can be streamed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._freq import per_copy
from ._inference_design import Design
from ._stats import SufficientStats, default_chunk_rows

_EPS = float(np.finfo(np.float64).eps)

__all__ = [
    "Chunk",
    "Pass",
    "add_passes",
    "array_chunks",
    "check_chunk",
    "check_pass_matches",
    "chunk_counts",
    "distributed_pass",
    "second_pass",
]


@dataclass
class Pass:
    n_rows: int = 0
    sum_weights: float = 0.0
    sum_log_weights: float = 0.0
    weighted: bool = False
    ssr: np.ndarray | None = None  # (n_targets,)
    ssr_floor: np.ndarray | None = None  # (n_targets,): rounding bound of ssr
    meat: np.ndarray | None = None  # (n_targets, n_params, n_params)
    sum_wx: np.ndarray | None = None  # (n_features,)
    sum_wy: np.ndarray | None = None  # (n_targets,)


Chunk = tuple[Any, Any, Any]


def array_chunks(X: Any, Y: np.ndarray, w: np.ndarray | None) -> Iterator[Chunk]:
    n = X.shape[0]
    nbytes = X.data.nbytes if sp.issparse(X) else X.nbytes
    rows = default_chunk_rows(n, X.shape[1] + Y.shape[1] + 1, nbytes)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        yield X[start:stop], Y[start:stop], None if w is None else w[start:stop]


def second_pass(
    chunks: Iterable[Any],
    design: Design,
    B: np.ndarray,
    c: np.ndarray,
    hc: str | None,
    y_mean: np.ndarray,
    extra: Any = None,
) -> Pass:
    """Residuals chunk by chunk: ssr, weights and (for ``hc``) the sandwich's meat.

    ``B`` is (n_targets, n_features), ``c`` (n_targets,), ``y_mean`` the
    statistics' weighted mean of the targets (n_targets,). Residuals are
    computed about the means, ``(y - ȳ) - (x - x̄) b + (ȳ - x̄ᵀb - c)``, so data
    far from the origin cost no digits in them. The meat is
    ``sum_i s_i z_i z_iᵀ`` with ``s_i = w_i² u_i²`` (statsmodels' ``wresid²`` times
    the weight carried by ``wexog``), divided by ``1 - h_i`` (HC2) or its square
    (HC3), ``h_i = w_i z_iᵀ binv z_i`` the leverage. It is exact: the sum of the
    chunks' contributions, in any chunking. ``extra`` (cluster or HAC sums, see
    :mod:`lingrad._inference_robust`) gets every chunk's ``add(Z, w u, w)``.
    A chunk ``(X, Y, f * w, f)`` carries frequency weights: its rows count as
    ``f`` copies of weight ``w`` (:func:`chunk_counts`), and ``extra`` gets the
    rows present (``f > 0``) as a fourth argument.
    """
    k, f = B.shape
    p = design.binv.shape[0]
    out = Pass(ssr=np.zeros(k), ssr_floor=np.zeros(k), sum_wx=np.zeros(f), sum_wy=np.zeros(k))
    xbar = design.x_mean
    ybar = np.asarray(y_mean, dtype=np.float64)
    d0 = ybar - B @ xbar - c  # (n_targets,)
    d0_err = (f + 2) * _EPS * (np.abs(ybar) + np.abs(B) @ np.abs(xbar) + np.abs(c))
    absB = np.abs(B).T
    ulp = ((f + 2) * _EPS) ** 2
    if hc is not None:
        out.meat = np.zeros((k, p, p))
    for i, chunk in enumerate(chunks):
        Xc, Yc, w = check_chunk(chunk, i, f, k)
        counts = chunk_counts(chunk, len(Xc))
        Xd = Xc - xbar
        U = (Yc - ybar) - Xd @ B.T + d0
        if w is None:
            w = np.ones(len(Xc))
        else:
            out.weighted = True
            with np.errstate(divide="ignore"):
                out.sum_log_weights += float(np.log(w).sum())
        out.n_rows += len(Xc)
        out.sum_weights += float(w.sum())
        out.sum_wx += w @ Xc
        out.sum_wy += (Yc * w[:, None]).sum(axis=0)
        wu = w[:, None] * U
        out.ssr += (wu * U).sum(axis=0)
        # each residual carries a rounding error below (f + 2) eps times this
        mag = np.abs(Yc - ybar) + np.abs(Xd) @ absB + np.abs(d0) + d0_err / ((f + 2) * _EPS)
        out.ssr_floor += ulp * (w[:, None] * mag * mag).sum(axis=0)
        if out.meat is None and extra is None:
            continue
        Z = design.working(Xc)
        if extra is not None:
            extra.add(Z, wu, w) if counts is None else extra.add(Z, wu, w, counts > 0)
        if out.meat is not None:
            _add_meat(out.meat, Z, U, w, counts, design.binv, hc)
    return out


def _add_meat(meat, Z, U, w, counts, binv, hc) -> None:
    """Add a chunk's ``sum_i s_i z_i z_iᵀ`` (HC0-HC3) to ``meat`` (k, p, p), in place.

    With frequency weights ``counts`` (``w`` is then ``f`` times the weight
    ``a`` of one copy, :func:`~lingrad._freq.per_copy`), a row counted ``f``
    times enters as ``f`` copies: ``s_i = f a² u² = w a u²``, each with the
    leverage ``h_i = a z_iᵀ binv z_i`` of a copy in the repeated rows' design.
    """
    a = per_copy(w, counts)
    # root_i = sqrt(s_i): the meat is Zsᵀ Zs with Zs = root * Z (one syrk).
    shrink = 1.0
    if hc in ("HC2", "HC3"):
        h = a * np.sum((Z @ binv) * Z, axis=1)
        shrink = np.sqrt(1.0 - h) if hc == "HC2" else 1.0 - h
    root = w if counts is None else np.sqrt(w * a)
    for j in range(U.shape[1]):
        Zs = Z * (root * np.abs(U[:, j]) / shrink)[:, None]
        meat[j] += Zs.T @ Zs


def distributed_pass(
    chunks: Any, design: Design, B: np.ndarray, c: np.ndarray, hc: str | None, y_mean: np.ndarray
) -> Pass | None:
    """:func:`second_pass` where the rows live, for a source with ``reduce_chunks``
    (Spark executors, Dask workers: each batch's :class:`Pass` there, added by a tree);
    None for any other source."""
    reduce = getattr(getattr(chunks, "__self__", None), "reduce_chunks", None)
    if reduce is None or (hc is not None and getattr(chunks, "__name__", "") == "iter_counted"):
        return None  # counts (frequency weights) for the meat: the blocks come to the client
    return reduce(_BatchPass(design, B, c, hc, y_mean), add_passes)


class _BatchPass:
    """One batch's :func:`second_pass` (picklable: shipped to the executors)."""

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __call__(self, X: Any, Y: Any, w: Any) -> Pass:
        return second_pass([(X, Y, w)], *self.args)


_ADDED = ("n_rows", "sum_weights", "sum_log_weights", "ssr", "ssr_floor", "sum_wx", "sum_wy")


def add_passes(a: Pass, b: Pass) -> Pass:
    """Two batches' sums as one (every field adds; ``weighted`` if either is)."""
    out = Pass(weighted=a.weighted or b.weighted)
    for name in (
        "n_rows",
        "sum_weights",
        "sum_log_weights",
        "ssr",
        "ssr_floor",
        "sum_wx",
        "sum_wy",
    ):
        setattr(out, name, getattr(a, name) + getattr(b, name))
    out.meat = None if a.meat is None else a.meat + b.meat
    return out


def chunk_counts(chunk: Any, n: int) -> np.ndarray | None:
    """The frequency weights of a chunk ``(X, Y, f * w, f)`` (None for ``(X, Y, w)``).

    A source of frequency-weighted rows yields the counts as a fourth item,
    beside the combined weights its statistics carry, so robust covariances
    can count each row ``f`` times (:func:`~lingrad._freq.per_copy`).
    """
    if len(chunk) < 4 or chunk[3] is None:
        return None
    f = np.asarray(chunk[3], dtype=np.float64).reshape(-1)
    if f.shape != (n,) or not np.all(f >= 0):
        raise ValueError(f"A chunk's frequency weights must be {n} non-negative numbers.")
    return f


def check_chunk(chunk: Any, i: int, f: int, k: int):
    try:
        Xc, Yc, *rest = chunk
    except (TypeError, ValueError):
        raise ValueError(
            f"Chunk {i} of the data source is not a tuple (X, y, sample_weight_or_None); got "
            f"{type(chunk).__name__}. iter_chunks() must yield (X_chunk, y_chunk, w_chunk) tuples."
        ) from None
    if len(rest) > 2:
        raise ValueError(
            f"Chunk {i} of the data source has {2 + len(rest)} items; iter_chunks() must yield "
            "(X_chunk, y_chunk, w_chunk_or_None)."
        )
    w = rest[0] if rest else None
    Xc = Xc.toarray() if sp.issparse(Xc) else Xc
    Xc = np.asarray(Xc, dtype=np.float64)
    Yc = np.asarray(Yc, dtype=np.float64)
    if Xc.ndim != 2 or Xc.shape[1] != f:
        raise ValueError(
            f"Chunk {i}: X has shape {Xc.shape}, expected (n_rows, {f}). Pass the training data "
            "with the same columns as at fit."
        )
    Yc = Yc.reshape(len(Yc), -1)
    if Yc.shape != (len(Xc), k):
        raise ValueError(
            f"Chunk {i}: y has shape {Yc.shape}, expected ({len(Xc)},) or ({len(Xc)}, {k}). "
            "Pass one target row per X row, with the targets used at fit."
        )
    if w is not None:
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if w.shape != (len(Xc),) or not np.all(w >= 0):
            raise ValueError(
                f"Chunk {i}: sample_weight must be {len(Xc)} non-negative numbers, one per row."
            )
    if not (
        np.isfinite(Xc).all() and np.isfinite(Yc).all() and (w is None or np.isfinite(w).all())
    ):
        raise ValueError(f"Chunk {i} contains NaN or infinity. Pass the (finite) training data.")
    return Xc, Yc, w


def check_pass_matches(res: Pass, stats: SufficientStats) -> None:
    """The data passed must be the data the statistics (and the fit) came from."""
    why = None
    if res.n_rows != stats.n_samples:
        why = f"it has {res.n_rows} rows, the statistics {stats.n_samples}"
    elif not math.isclose(res.sum_weights, stats.sum_weights, rel_tol=1e-9, abs_tol=1e-300):
        why = (
            f"its weights sum to {res.sum_weights:.17g}, "
            f"the statistics' to {stats.sum_weights:.17g}"
        )
    else:
        S = float(stats.sum_weights)
        mean = np.concatenate([res.sum_wx, res.sum_wy]) / S
        spread = np.sqrt(np.clip(np.diag(stats.scatter), 0.0, None) / S) + np.abs(stats.mean)
        bad = np.abs(mean - stats.mean) > 1e-6 * spread + 1e-300
        if bad.any():
            j = int(np.argmax(bad))
            what = f"feature {j}" if j < stats.n_features else f"target {j - stats.n_features}"
            why = (
                f"the weighted mean of {what} is {mean[j]:.10g}, "
                f"the statistics' {stats.mean[j]:.10g}"
            )
    if why is not None:
        raise ValueError(
            f"The data passed to summarize is not the data the model was fitted on: {why}. "
            "Pass the training X, y and sample_weight exactly as given to fit."
        )
