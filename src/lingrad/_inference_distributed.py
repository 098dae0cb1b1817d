"""Cluster-robust and HAC second passes where the rows live, merged by a tree.

For a source whose ``reduce_chunks`` hands each block its label columns
(Spark: ``labelled_blocks``), every block runs the ordinary second pass
(:func:`lingrad._inference_pass.second_pass`) with its own
:class:`~lingrad._inference_cluster.ClusterSums`; a block reports its clusters
as a table (labels, score sums, and Gram matrices for CR3), tables are merged
by label on the executors, and the driver gets one table per way, O(G·p)
(O(G·p²) for CR3). The covariance is then :meth:`Robust.finish`'s, exactly as
for files: only the order in which the clusters are summed differs. HAC's lagged
sums are joined block to block in row order (:mod:`lingrad._inference_hac_blocks`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._inference_cluster import ClusterSums
from ._inference_design import Design
from ._inference_hac_blocks import hac_pass
from ._inference_pass import Pass, add_passes, second_pass

__all__ = ["robust_pass"]


class _Table(NamedTuple):
    """One clustering's sums: labels (G,) or (G, 2) for an intersection, s (G, k, p),
    b (G, p, p) or None."""

    labels: np.ndarray
    s: np.ndarray
    b: np.ndarray | None


def robust_pass(
    chunks: Any,
    robust: Any,
    design: Design,
    B: np.ndarray,
    c: np.ndarray,
    y_mean: np.ndarray,
    n_rows: int,
) -> Pass | None:
    """The cluster or HAC pass on the executors (``robust.sums`` filled); None for
    other sources (and for cluster ids given as an array).

    ``B`` is (n_targets, n_features), ``c`` (n_targets,), ``y_mean`` (n_targets,),
    ``n_rows`` the statistics' number of rows (HAC's default lags).
    """
    source = getattr(chunks, "__self__", None)
    if not getattr(source, "labelled_blocks", False):
        return None
    if robust.cov_type == "HAC":  # lagged sums per block, joined at the seams
        return hac_pass(source, robust, design, B, c, y_mean, n_rows)
    if not robust.columns:
        return None
    if robust.cov_type not in ("cluster", "cluster-crv3"):
        return None
    k, p = B.shape[0], design.binv.shape[0]
    kernel = _ClusterBlock(design, B, c, y_mean, robust.n_ways, robust.cov_type == "cluster-crv3")
    out = source.reduce_chunks(kernel, _merge, columns=robust.columns)
    if out is None:
        raise ValueError("The Spark DataFrame has no rows: summarize needs the training data.")
    res, tables = out
    sums = ClusterSums(robust.n_ways, k, p, kernel.crv3, None)
    for way, table in zip(sums.ways, tables, strict=True):
        way.codes.n = len(table.labels)
        way.s, way.b = table.s, table.b
    robust.sums = sums
    return res


class _ClusterBlock:
    """One block's second pass and its clusters' table (picklable: shipped to the executors)."""

    def __init__(self, design, B, c, y_mean, n_ways: int, crv3: bool) -> None:
        self.args = (design, B, c, None, y_mean)
        self.n_ways, self.crv3 = n_ways, crv3

    def __call__(self, X: Any, Y: Any, w: Any, labels: np.ndarray, start: Any) -> tuple:
        design, B = self.args[0], self.args[1]
        sums = ClusterSums(self.n_ways, B.shape[0], design.binv.shape[0], self.crv3, None)
        sums.feed = lambda m: labels
        res = second_pass([(X, Y, w)], *self.args, sums)
        return res, _tables(sums)


def _code_labels(codes: Any) -> np.ndarray:
    """The label of each dense code 0 .. n-1 of a :class:`~lingrad._inference_cluster._Codes`."""
    if codes.index is not None:
        return np.array(list(codes.index), dtype=object)
    if codes.keys is None:
        return np.zeros(0)
    out = np.empty(len(codes.keys), dtype=codes.keys.dtype)
    out[codes.vals] = codes.keys
    return out


def _tables(sums: ClusterSums) -> list[_Table]:
    """Each way's clusters by label (the intersection's as label pairs)."""
    labels = [_code_labels(way.codes) for way in sums.ways]
    if sums.n_ways == 2:  # the intersection's codes are c0 * 2**31 + c1 of the ways' codes
        pair = labels[2].astype(np.int64)
        labels[2] = np.column_stack(
            [labels[0][pair >> 31], labels[1][pair & ((np.int64(1) << 31) - 1)]]
        )
    out = []
    for way, lab in zip(sums.ways, labels, strict=True):
        G = len(lab)
        out.append(_Table(lab, way.s[:G], None if way.b is None else way.b[:G]))
    return out


def _codes(labels: np.ndarray) -> tuple[int, np.ndarray]:
    """``(number of distinct labels, code of each)``: rows of an (n, 2) array as pairs."""
    if labels.ndim == 1:
        uniq, inv = np.unique(labels, return_inverse=True)
        return len(uniq), inv.reshape(-1)
    _, a = _codes(labels[:, 0])
    _, b = _codes(labels[:, 1])
    uniq, inv = np.unique(a.astype(np.int64) * (np.int64(1) << 31) + b, return_inverse=True)
    return len(uniq), inv.reshape(-1)


def _merge_table(x: _Table, y: _Table) -> _Table:
    labels = np.concatenate([x.labels, y.labels])
    n, inv = _codes(labels)
    first = np.zeros(n, dtype=np.int64)
    first[inv[::-1]] = np.arange(len(inv))[::-1]  # a row holding each distinct label
    s = np.zeros((n, *x.s.shape[1:]))
    np.add.at(s, inv, np.concatenate([x.s, y.s]))
    b = None
    if x.b is not None:
        b = np.zeros((n, *x.b.shape[1:]))
        np.add.at(b, inv, np.concatenate([x.b, y.b]))
    return _Table(labels[first], s, b)


def _merge(a: tuple, b: tuple) -> tuple:
    """Two blocks' ``(Pass, tables)`` as one."""
    return add_passes(a[0], b[0]), [_merge_table(x, y) for x, y in zip(a[1], b[1], strict=True)]
