"""The design factored from the data itself (QR), where the statistics cannot hold it.

A Gram matrix (what :class:`~lingrad.SufficientStats` keeps) squares the
design's condition number: with kappa the condition number of the centred,
unit-scaled design, standard errors from the statistics keep about
``16 - 2 log10(kappa)`` digits, none for a raw degree-10 polynomial
(kappa 3.8e9). When the data are given, :func:`qr_design` reads them once
more and factors the centred, unit-scaled design chunk by chunk (TSQR: the R
factor of the rows so far stacked on the next chunk and factored again), so
the inverse keeps about ``16 - log10(kappa)`` digits instead. It is paid only
where the statistics fall short (:data:`lingrad._inference_notes.GRAM_MAX_KAPPA`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from ._inference_design import Design
from ._inference_pass import check_chunk
from ._stats import SufficientStats

__all__ = ["qr_design"]

_EPS = float(np.finfo(np.float64).eps)


def _stack_qr(R: np.ndarray | None, Z: np.ndarray) -> np.ndarray:
    """The R factor of ``[R; Z]`` (an f x f upper triangle once enough rows are in)."""
    M = Z if R is None else np.vstack([R, Z])
    return np.linalg.qr(M, mode="r")


def _r_factors(
    chunks: Iterable[Any], stats: SufficientStats, dc: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """R factors of ``sqrt(w) (X - x̄) / dc`` (centred) and ``sqrt(w) X / d`` (raw)."""
    f, k = stats.n_features, stats.n_targets
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    Rc = Rr = None
    for i, chunk in enumerate(chunks):
        Xc, _, w = check_chunk(chunk, i, f, k)
        sw = np.ones(len(Xc)) if w is None else np.sqrt(w)
        Rc = _stack_qr(Rc, sw[:, None] * (Xc - xbar) / dc)
        Rr = _stack_qr(Rr, sw[:, None] * Xc / d)
    empty = np.zeros((0, f))
    return (empty, empty) if Rc is None else (Rc, Rr)


def _svd_rank(R: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Singular values, right singular vectors and numpy's ``matrix_rank`` of R."""
    f = R.shape[1]
    if R.shape[0] == 0:
        return np.zeros(0), np.eye(f), 0
    _, sv, Vt = np.linalg.svd(R, full_matrices=False)
    r = int(np.sum(sv > sv.max(initial=0.0) * max(n, f) * _EPS)) if sv[0] > 0 else 0
    return sv, Vt, r


def qr_design(chunks: Iterable[Any], stats: SufficientStats, design: Design) -> Design:
    """``design`` with its rank, inverse and scaled condition number from a QR of the data.

    Parameters
    ----------
    chunks : iterable of (X_chunk, y_chunk, w_chunk_or_None)
        The training data, once more.
    stats : SufficientStats
        Their statistics (the means the columns are centred with).
    design : Design
        The design from the statistics (:func:`lingrad._inference_design.build_design`).

    Returns
    -------
    Design
    """
    S = float(stats.sum_weights)
    n = int(stats.n_samples)
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    C = np.asarray(stats.xx, dtype=np.float64)
    dc = np.sqrt(np.clip(np.diag(C), 0.0, None))
    dc[~(dc > 0)] = 1.0
    d = np.sqrt(np.clip(np.diag(C), 0.0, None) + S * xbar * xbar)
    d[~(d > 0)] = 1.0
    Rc, Rr = _r_factors(chunks, stats, dc, d)
    sc, Vc, rc = _svd_rank(Rc, n)
    kappa = float(sc[0] / sc[rc - 1]) if rc else 1.0
    if design.fit_intercept:
        binv = design.binv.copy()
        Vk = Vc[:rc].T / dc[:, None]
        binv[1:, 1:] = (Vk / sc[:rc] ** 2) @ Vk.T
        return replace(design, binv=binv, rank=1 + rc, scaled_condition=kappa)
    sr, Vr, r = _svd_rank(Rr, n)
    tinv = (Vr[:r].T / sr[:r]) / d[:, None]
    tfwd = (sr[:r, None] * Vr[:r]) * d[None, :]
    kappa = float(sr[0] / sr[r - 1]) if r else 1.0
    k_const = design.k_constant
    if design.const_idx is None:  # statsmodels' implicit constant, on the data's ranks
        k_const = int(r == 1 + rc)
    return replace(
        design,
        binv=np.eye(r),
        tinv=tinv,
        tfwd=tfwd,
        rank=r,
        k_constant=k_const,
        scaled_condition=kappa,
    )
