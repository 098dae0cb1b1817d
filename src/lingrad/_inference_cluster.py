"""Cluster-robust covariances (CR1 and CR3, one- and two-way) from per-cluster sums.

During the second pass over the data (the coefficients are known, so every
residual is), :class:`ClusterSums` keeps, for every cluster ``g`` and target,
the score sum ``s_g = Σ_{i in g} w_i u_i z_i`` in the design's working
coordinates (``z``, see :mod:`lingrad._inference_design`): O(G·p) memory,
whatever the number of rows. CR3 (``"cluster-crv3"``) needs each cluster's own
Gram matrix ``B_g = Σ_{i in g} w_i z_i z_iᵀ`` as well: O(G·p²).

CR1 (``"cluster"``) is statsmodels' ``cov_type="cluster"`` with its defaults
(``use_correction=True``, ``df_correction=True``): the meat ``Σ_g s_g s_gᵀ``
times ``G/(G-1) · (n-1)/(n-k)`` (k the number of parameters), and p-values,
intervals and the F test with ``G - 1`` residual degrees of freedom
(``df_resid_inference``). CR3 is the leave-one-cluster-out jackknife
``(G-1)/G Σ_g (θ₋g - θ)(θ₋g - θ)ᵀ`` (statsmodels' ``"cluster-crv3"``), where
``θ₋g - θ = (B - B_g)⁻¹ (r - s_g)``, ``r = Σ_g s_g``, is the refit without
cluster g in exact algebra (r is 0 at the optimum). Two-way clustering is
``V(g1) + V(g2) - V(g1 ∩ g2)``, each with its own correction, and
``min(G1, G2) - 1`` degrees of freedom (Cameron, Gelbach and Miller; statsmodels),
for CR1 only (for CR3 the combination need not be positive semi-definite,
and statsmodels refuses it too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ._inference_design import Design
from ._rowpar import single_threaded_blas

__all__ = ["ClusterSums", "cluster_cov"]

#: Rows per block when adding w z zᵀ into the clusters' Gram matrices (memory bound).
_GRAM_BLOCK = 1 << 21


class _Codes:
    """Labels (any sortable values) to dense codes 0, 1, ..., in order of appearance.

    Vectorised: the labels seen so far are kept sorted with their codes, and a
    chunk's distinct labels are looked up by binary search; labels NumPy cannot
    sort together (mixed Python objects) go through a dict.
    """

    def __init__(self) -> None:
        self.keys: np.ndarray | None = None  # sorted labels seen so far
        self.vals = np.zeros(0, np.int64)  # their codes
        self.index: dict[Any, int] | None = None
        self.n = 0

    def codes(self, labels: np.ndarray) -> np.ndarray:
        if self.index is None:
            try:
                return self._sorted(labels)
            except TypeError:
                self.index = (
                    {}
                    if self.keys is None
                    else dict(zip(self.keys.tolist(), self.vals.tolist(), strict=True))
                )
        d = self.index  # one label at a time: slow, for labels NumPy cannot order
        out = np.fromiter((d.setdefault(v, len(d)) for v in labels.tolist()), np.int64, len(labels))
        self.n = len(d)
        return out

    def _sorted(self, labels: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(labels, return_inverse=True)
        inv = inv.reshape(-1)
        if self.keys is None:
            self.keys, self.vals = uniq, np.arange(len(uniq), dtype=np.int64)
            self.n = len(uniq)
            return inv.astype(np.int64)
        pos = np.searchsorted(self.keys, uniq)
        hit = pos < len(self.keys)
        hit[hit] = self.keys[pos[hit]] == uniq[hit]
        codes = np.empty(len(uniq), np.int64)
        codes[hit] = self.vals[pos[hit]]
        new = ~hit
        if new.any():
            codes[new] = self.n + np.arange(int(new.sum()))
            self.n += int(new.sum())
            keys = np.concatenate([self.keys, uniq[new]])
            vals = np.concatenate([self.vals, codes[new]])
            order = np.argsort(keys, kind="stable")
            self.keys, self.vals = keys[order], vals[order]
        return codes[inv]

    def __len__(self) -> int:
        return self.n


class _Way:
    """The sums of one clustering (one way, or the intersection of two)."""

    def __init__(self, k: int, p: int, gram: bool) -> None:
        self.codes = _Codes()
        self.k, self.p, self.gram = k, p, gram
        self.s = np.zeros((16, k, p))
        self.b = np.zeros((16, p, p)) if gram else None

    def _grow(self, n: int) -> None:
        if n <= len(self.s):
            return
        cap = max(n, 2 * len(self.s))
        s = np.zeros((cap, self.k, self.p))
        s[: len(self.s)] = self.s
        self.s = s
        if self.b is not None:
            b = np.zeros((cap, self.p, self.p))
            b[: len(self.b)] = self.b
            self.b = b

    def add(self, codes: np.ndarray, Z: np.ndarray, wu: np.ndarray, w: np.ndarray) -> None:
        m, p = Z.shape
        G = len(self.codes)
        self._grow(G)
        ind = sp.csr_matrix((np.ones(m), (codes, np.arange(m))), shape=(G, m))
        scores = (wu[:, :, None] * Z[:, None, :]).reshape(m, self.k * p)
        self.s[:G] += (ind @ scores).reshape(G, self.k, p)
        if self.b is None:
            return
        step = max(1, _GRAM_BLOCK // (p * p))
        for a in range(0, m, step):
            Zb, sl = Z[a : a + step], slice(a, a + step)
            outer = ((w[sl, None] * Zb)[:, :, None] * Zb[:, None, :]).reshape(len(Zb), p * p)
            self.b[:G] += (ind[:, sl] @ outer).reshape(G, p, p)

    def cov(self, j: int, design: Design, nobs: float, crv3: bool) -> np.ndarray:
        """This clustering's covariance of target ``j``, in working coordinates."""
        G = len(self.codes)
        s = self.s[:G, j]
        if not crv3:
            binv = design.binv
            meat = s.T @ s
            corr = G / (G - 1.0) * (nobs - 1.0) / (nobs - design.tinv.shape[0]) if G > 1 else np.nan
            return corr * (binv @ meat @ binv)
        b = self.b[:G]
        r = s.sum(axis=0)
        drop = b.sum(axis=0)[None] - b  # (G, p, p): the Gram matrix without cluster g
        d = np.sqrt(np.clip(np.diag(b.sum(axis=0)), 0.0, None))
        d[~(d > 0)] = 1.0
        ranks = np.linalg.matrix_rank(drop / np.outer(d, d)[None], hermitian=True)
        if G < 2 or (ranks < self.p).any():
            raise ValueError(_crv3_error(G, int(np.argmax(ranks < self.p)) if G > 1 else 0))
        delta = np.linalg.solve(drop, (r[None] - s)[:, :, None])[:, :, 0]
        return (G - 1.0) / G * (delta.T @ delta)


def _crv3_error(G: int, g: int) -> str:
    if G < 2:
        return (
            f"cov_type='cluster-crv3' needs at least 2 clusters; found {G}. Pass the "
            "cluster ids of the rows, or use cov_type='HC3'."
        )
    return (
        "cov_type='cluster-crv3' (the leave-one-cluster-out jackknife) is not defined: "
        f"without cluster number {g + 1} (in order of appearance) the design is rank "
        "deficient (a regressor constant within, or collinear across, that cluster), so the "
        "refit without it is not identified. Drop that regressor, or use cov_type='cluster'."
    )


class ClusterSums:
    """Per-cluster score sums (and Gram matrices for CR3), kept during the second pass.

    Parameters
    ----------
    n_ways : {1, 2}
        One-way or two-way clustering.
    n_targets, n_working : int
        Targets of the model and working coordinates of the design.
    crv3 : bool
        Keep the per-cluster Gram matrices too (O(G·p²) memory).
    feed : callable
        ``feed(n_rows)`` returns the cluster labels of the next ``n_rows`` rows,
        shape (n_rows, n_ways).
    """

    def __init__(self, n_ways: int, n_targets: int, n_working: int, crv3: bool, feed: Any):
        self.n_ways, self.crv3, self.feed = n_ways, crv3, feed
        count = 1 if n_ways == 1 else 3  # two-way: each way and their intersection
        self.ways = [_Way(n_targets, n_working, crv3) for _ in range(count)]

    def add(self, Z: np.ndarray, wu: np.ndarray, w: np.ndarray, present: Any = None) -> None:
        """Add one chunk: working coordinates (m, p), ``w * u`` (m, k) and ``w`` (m,).

        ``present`` (m,) bool: the rows that exist (frequency weights: a row
        counted 0 times is no row, so its label makes no cluster); None: all.
        The others' labels are read and skipped.
        """
        labels = self.feed(len(Z))
        if present is not None and not present.all():
            labels, Z, wu, w = labels[present], Z[present], wu[present], w[present]
        codes = [way.codes.codes(labels[:, i]) for i, way in enumerate(self.ways[: self.n_ways])]
        if self.n_ways == 2:
            pair = codes[0] * (np.int64(1) << 31) + codes[1]
            codes.append(self.ways[2].codes.codes(pair))
        for way, c in zip(self.ways, codes, strict=True):
            way.add(c, Z, wu, w)

    @property
    def n_groups(self) -> tuple[int, ...]:
        """Clusters of each way (not of the intersection)."""
        return tuple(len(way.codes) for way in self.ways[: self.n_ways])

    @property
    def df_inference(self) -> float:
        """statsmodels' ``df_resid_inference``: ``min(G) - 1``."""
        return float(min(self.n_groups) - 1)


def cluster_cov(sums: ClusterSums, design: Design, nobs: float) -> np.ndarray:
    """The cluster-robust covariance of every target in working coordinates, (k, p, p)."""
    k = sums.ways[0].k
    out = []
    # tall, skinny products (G x p): one BLAS thread (a threaded BLAS can spend seconds
    # synchronising on them when the machine is busy)
    with single_threaded_blas():
        for j in range(k):
            covs = [way.cov(j, design, nobs, sums.crv3) for way in sums.ways]
            Q = covs[0] if len(covs) == 1 else covs[0] + covs[1] - covs[2]
            out.append((Q + Q.T) / 2)
    return np.array(out)
