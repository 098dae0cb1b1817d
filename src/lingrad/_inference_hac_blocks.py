"""HAC (Newey-West) sums where the rows live: per-block lagged products joined at the seams.

For a source whose ``reduce_chunks`` tells each block its global position
(Spark: ``positions=True``), every block runs the ordinary second pass
(:func:`lingrad._inference_pass.second_pass`) with its own
:class:`~lingrad._inference_hac.HACSums`, which sums the lagged score products
*within* the block. A block's summary is a :class:`Segment`: its first row,
its number of rows, those sums, and the scores of its first and last ``L``
rows. Two segments that meet (one ends where the other starts) join into one:
their sums, plus the lagged products that cross the seam (:func:`_cross`, from
the earlier one's last ``L`` scores and the later one's first ``L``). Segments
reach the merge in any order, so a merged value is a list of segments in row
order, joined wherever they meet; the driver gets one segment of every row and
``O(L k p)`` numbers per block, never a row. The sums are those of the
streamed pass (:class:`~lingrad._inference_hac.HACSums` over the rows in order)
up to the order of additions.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> S = rng.standard_normal((10, 1, 2))  # scores of 10 rows, 1 target, 2 coordinates
>>> a, b = Segment.of(0, S[:4], 2), Segment.of(4, S[4:], 2)
>>> whole = Segment.of(0, S, 2)
>>> bool(np.allclose(a.join(b, 2).meat, whole.meat))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._inference_design import Design
from ._inference_hac import HACSums, default_maxlags
from ._inference_pass import Pass, add_passes, second_pass

__all__ = ["Segment", "hac_pass"]


@dataclass
class Segment:
    """Rows ``start .. start + n - 1`` in order: their HAC sums and end scores.

    Attributes
    ----------
    start, n : int
    meat : ndarray of shape (n_targets, p, p)
        Bartlett-weighted lagged score products of pairs inside the segment.
    head, tail : ndarray of shape (min(L, n), n_targets, p)
        The scores of its first and last ``L`` rows.
    """

    start: int
    n: int
    meat: np.ndarray
    head: np.ndarray
    tail: np.ndarray

    @classmethod
    def of(cls, start: int, scores: np.ndarray, L: int) -> Segment:
        """The segment of consecutive rows' scores (n, n_targets, p) from row ``start``."""
        sums = HACSums(L, scores.shape[1], scores.shape[2])
        sums._lags(scores, L)
        return cls(start, len(scores), sums.meat, scores[:L], scores[max(0, len(scores) - L) :])

    def join(self, later: Segment, L: int) -> Segment:
        """This segment and the one that starts where it ends, as one."""
        meat = self.meat + later.meat + _cross(self.tail, later.head, L)
        head = np.concatenate([self.head, later.head])[:L]
        tail = np.concatenate([self.tail, later.tail])
        return Segment(self.start, self.n + later.n, meat, head, tail[max(0, len(tail) - L) :])


def _cross(tail: np.ndarray, head: np.ndarray, L: int) -> np.ndarray:
    """The lagged products of pairs whose earlier row is in ``tail`` and later in ``head``
    (the ends of two segments that meet), Bartlett-weighted: shape (n_targets, p, p)."""
    T, H = len(tail), len(head)
    k, p = head.shape[1:] if H else tail.shape[1:]
    meat = np.zeros((k, p, p))
    for lag in range(1, L + 1):
        lo, hi = max(0, lag - T), min(lag, H)  # later rows i with i < lag <= T + i
        if lo >= hi:
            continue
        later, earlier = head[lo:hi], tail[T + lo - lag : T + hi - lag]
        for j in range(k):
            g = later[:, j].T @ earlier[:, j]
            meat[j] += (1.0 - lag / (L + 1.0)) * (g + g.T)
    return meat


def _insert(segments: list[Segment], new: Segment, L: int) -> list[Segment]:
    """``segments`` (in row order, none meeting) with ``new`` added, joined where they meet."""
    out = sorted([*segments, new], key=lambda s: s.start)
    joined = [out[0]]
    for s in out[1:]:
        last = joined[-1]
        joined[-1:] = [last.join(s, L)] if last.start + last.n == s.start else [last, s]
    return joined


class _HACBlock:
    """One block's second pass and its segment (picklable: shipped to the executors)."""

    def __init__(self, design: Design, B: np.ndarray, c: np.ndarray, y_mean: np.ndarray, L: int):
        self.args, self.L = (design, B, c, None, y_mean), L

    def __call__(self, X: Any, Y: Any, w: Any, labels: Any, start: int) -> tuple:
        design, B = self.args[0], self.args[1]
        log = _Scores()
        res = second_pass([(X, Y, w)], *self.args, log)
        p = design.binv.shape[0]
        scores = np.concatenate(log.kept) if log.kept else np.zeros((0, B.shape[0], p))
        return res, [Segment.of(int(start), scores, self.L)]


class _Scores:
    """``second_pass``'s extra sums for a block: its rows' scores, kept in order."""

    def __init__(self) -> None:
        self.kept: list[np.ndarray] = []

    def add(self, Z: np.ndarray, wu: np.ndarray, w: Any) -> None:
        self.kept.append(wu[:, :, None] * Z[:, None, :])


class _Merge:
    def __init__(self, L: int) -> None:
        self.L = L

    def __call__(self, a: tuple, b: tuple) -> tuple:
        segments = a[1]
        for s in b[1]:
            segments = _insert(segments, s, self.L)
        return add_passes(a[0], b[0]), segments


def hac_pass(
    source: Any,
    robust: Any,
    design: Design,
    B: np.ndarray,
    c: np.ndarray,
    y_mean: np.ndarray,
    n_rows: int,
) -> Pass:
    """The HAC pass on the executors; ``robust.sums`` becomes the :class:`HACSums` of
    every row (in the frame's order), as :meth:`Robust.start`'s pass would fill it.

    ``B`` is (n_targets, n_features), ``c`` (n_targets,), ``y_mean`` (n_targets,),
    ``n_rows`` the statistics' (for the default lags).
    """
    L = default_maxlags(n_rows) if robust.maxlags is None else int(robust.maxlags)
    robust.sums = HACSums(L, B.shape[0], design.binv.shape[0])
    out = source.reduce_chunks(_HACBlock(design, B, c, y_mean, L), _Merge(L), positions=True)
    if out is None:
        raise ValueError("The Spark DataFrame has no rows: summarize needs the training data.")
    res, segments = out
    if len(segments) != 1 or segments[0].start != 0:  # pragma: no cover - a lost block
        raise RuntimeError("HAC pass: the blocks' rows do not cover the frame in order.")
    robust.sums.meat, robust.sums.n_rows = segments[0].meat, segments[0].n
    return res
