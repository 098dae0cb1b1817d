"""Box constraints on the coefficients: ``positive=True`` and ``bounds=(lower, upper)``.

The box ``lower <= W <= upper`` (per coefficient, the same for every target; the
intercept is free) is the indicator of a convex set, so it enters the descent as a
proximal step: the projection (a clip). Combined with the L1 penalty, the prox of
``l1 |w| + box`` is soft-threshold then clip, exact because both are separable.
The exact constrained optimum comes from the statistics (:func:`bounded_optimum`):
with an intercept the problem in the coefficients is on the centred statistics
(the intercept is eliminated, ``b = ybar - xbar W``), a box-constrained quadratic
program solved by coordinate descent in diagonally scaled coordinates and then
polished on its active set (the free coordinates solved exactly), its KKT
conditions checked.

Where it runs: every source (arrays, sparse, files, Dask, ``partial_fit``) and every
gradient optimizer; the start is projected onto the box first. A bounded fit is never
preconditioned (``precondition="auto"`` is "none"; asking for "diagonal" or "full" is
refused: a whitening preconditioner does not keep boxes), and never runs
``optimizer="cg"`` (refused; ``lr="auto"`` on sparse data takes projected gradient steps
on the direct engine instead). On a converged fit with non-unique coefficients the
descent's own answer is kept (as for L1 fits). The command line takes ``--positive`` and
``--bounds LOW,HIGH`` (one pair for every coefficient); model files hold both.

Examples
--------
>>> box = Box.of(True, None)
>>> box.clip(np.array([[-1.0], [2.0]]))[:, 0].tolist()
[0.0, 2.0]
>>> Box.of(False, (-1.0, [1.0, 2.0])).upper
(1.0, 2.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._messages import LingradMessage, Set
from ._stats import SufficientStats

__all__ = ["BoundsError", "Box", "bounded_optimum", "stats_optimum"]

#: Coordinate-descent sweeps of :func:`bounded_optimum` (each O(f^2)) at most.
_CD_SWEEPS = 20_000
_CD_TOL = 1e-15


class BoundsError(LingradMessage, ValueError):
    """``positive`` or ``bounds`` that no box can be made of, or that a fit cannot honour."""


def _fail(what: str, value: Any, fix: tuple = ()) -> BoundsError:
    parts = (f"The 'bounds' parameter {what}; got {value!r:.200}. ", *fix)
    if not fix:
        parts += (
            "Use ",
            Set("bounds", "(lower, upper)"),
            " with each a number or an array of n_features numbers (-inf/inf for none), "
            "lower <= upper.",
        )
    return BoundsError(parts, param="bounds", value=value)


def _side(value: Any, name: str, whole: Any) -> tuple[float, ...]:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(f"needs numbers for {name}", whole) from None
    if a.ndim > 1:
        raise _fail(f"needs {name} as a number or a 1-d array", whole)
    if np.isnan(a).any():
        raise _fail(f"has NaN in {name}", whole)
    return tuple(float(v) for v in np.atleast_1d(a))


@dataclass(frozen=True)
class Box:
    """``lower <= W <= upper``; a side of one number applies to every coefficient.

    Attributes
    ----------
    lower, upper : tuple of float
        Length 1 (broadcast) or n_features; -inf/inf where unbounded.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @classmethod
    def of(cls, positive: bool, bounds: Any) -> Box | None:
        """The box of ``positive`` and ``bounds`` (both: their intersection), or None."""
        if bounds is None:
            return cls((0.0,), (math.inf,)) if positive else None
        if isinstance(bounds, str) or not hasattr(bounds, "__len__") or len(bounds) != 2:
            raise _fail("must be a pair (lower, upper)", bounds)
        lower, upper = _side(bounds[0], "lower", bounds), _side(bounds[1], "upper", bounds)
        if len(lower) > 1 and len(upper) > 1 and len(lower) != len(upper):
            raise _fail("has lower and upper of different lengths", bounds)
        if positive:
            lower = tuple(max(v, 0.0) for v in lower)
        lo, hi = np.broadcast_arrays(np.array(lower), np.array(upper))
        if (lo > hi).any() or (lo == math.inf).any() or (hi == -math.inf).any():
            raise _fail("has lower > upper (or an infinite lower above every number)", bounds)
        return cls(lower, upper)

    def arrays(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` as arrays of shape (n_features, 1)."""
        for side in (self.lower, self.upper):
            if len(side) not in (1, n_features):
                raise _fail(
                    f"has {len(side)} values on one side for {n_features} features",
                    (self.lower, self.upper),
                )
        lo = np.broadcast_to(np.array(self.lower), (n_features,))
        hi = np.broadcast_to(np.array(self.upper), (n_features,))
        return lo[:, None], hi[:, None]

    def clip(self, W: np.ndarray) -> np.ndarray:
        """``W`` (shape (n_features, n_targets)) projected onto the box, in place."""
        lo, hi = self.arrays(W.shape[0])
        return np.clip(W, lo, hi, out=W)


def stats_optimum(stats: SufficientStats, fit_intercept: bool, penalty: Any) -> np.ndarray:
    """The exact box-constrained (elastic-net) optimum ``theta`` from the statistics.

    With an intercept the coefficients minimise the centred problem and the
    intercept follows, ``ybar - xbar W``; without, the Gram is uncentred.
    """
    S, mu, ybar = stats.sum_weights, stats.x_mean, stats.y_mean
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        H, b = stats.xx / S, stats.xy / S
        if not fit_intercept:
            H, b = H + np.outer(mu, mu), b + np.outer(mu, ybar)
        H = H + penalty.l2 * np.eye(len(H))
    if not (np.isfinite(H).all() and np.isfinite(b).all()):
        return np.full((len(H) + int(fit_intercept), b.shape[1]), np.nan)
    W = bounded_optimum(H, b, penalty.l1, penalty.box)
    return np.vstack([W, (ybar - mu @ W)[None, :]]) if fit_intercept else W


def bounded_optimum(
    H: np.ndarray, b: np.ndarray, l1: float, box: Box, W0: np.ndarray | None = None
) -> np.ndarray:
    """``argmin 1/2 W'HW - b'W + l1 |W|_1`` over the box, per column of ``b``.

    Parameters
    ----------
    H : ndarray of shape (f, f)
        Positive semi-definite (the centred Gram over the weight sum, plus ``l2 I``).
    b : ndarray of shape (f, k)
    l1 : float
    box : Box
    W0 : ndarray of shape (f, k), default=None
        A warm start (a path's previous optimum); None: 0 clipped into the box.

    Returns
    -------
    W : ndarray of shape (f, k)

    Examples
    --------
    >>> H = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> bounded_optimum(H, np.array([[1.0], [-3.0]]), 0.0, Box.of(True, None))[:, 0].tolist()
    [0.5, 0.0]
    """
    f = H.shape[0]
    lo, hi = box.arrays(f)
    d = np.sqrt(np.clip(np.diag(H), 0.0, None))
    live = d > 0
    s = np.where(live, d, 1.0)
    Hs = H / s[:, None] / s[None, :]  # unit diagonal where live
    out = np.empty_like(b, dtype=np.float64)
    for t in range(b.shape[1]):
        z_lo, z_hi = lo[:, 0] * s, hi[:, 0] * s
        z = np.clip(0.0 if W0 is None else W0[:, t] * s, z_lo, z_hi)
        z = np.where(live, z, np.clip(0.0, z_lo, z_hi))
        bz, thr = b[:, t] / s, l1 / s
        z = _coordinate_descent(Hs, bz, thr, z_lo, z_hi, z, live)
        z = _polish(Hs, bz, thr, z_lo, z_hi, z, live)
        out[:, t] = z / s
    return out


def _coordinate_descent(Hs, bz, thr, z_lo, z_hi, z, live) -> np.ndarray:
    """Cyclic coordinate descent (soft-threshold then clip) to a fixed point."""
    idx = np.flatnonzero(live)
    g = Hs @ z - bz  # the smooth gradient, kept up to date
    for _ in range(_CD_SWEEPS):
        change = 0.0
        for j in idx:
            r = z[j] - g[j]  # unit diagonal
            new = math.copysign(max(abs(r) - thr[j], 0.0), r)
            new = min(max(new, z_lo[j]), z_hi[j])
            step = new - z[j]
            if step != 0.0:
                g += step * Hs[:, j]
                z[j] = new
                change = max(change, abs(step))
        if change <= _CD_TOL * max(1.0, float(np.abs(z).max(initial=0.0))):
            break
    return z


def _polish(Hs, bz, thr, z_lo, z_hi, z, live) -> np.ndarray:
    """The exact optimum on ``z``'s active set, where it keeps the set and the KKT hold."""
    free = live & (z > z_lo) & (z < z_hi) & ((thr == 0) | (z != 0))
    if not free.any():
        return z
    fixed = ~free
    sign = np.sign(z[free])
    rhs = bz[free] - thr[free] * sign - Hs[np.ix_(free, fixed)] @ z[fixed]
    zf = np.linalg.lstsq(Hs[np.ix_(free, free)], rhs, rcond=None)[0]
    ok = (zf > z_lo[free]).all() and (zf < z_hi[free]).all()
    ok = ok and ((thr[free] == 0).all() or (np.sign(zf) == sign).all())
    if not ok:
        return z
    cand = z.copy()
    cand[free] = zf
    g = Hs @ cand - bz
    kkt = _kkt_violation(cand, g, thr, z_lo, z_hi, live)
    return cand if kkt <= _kkt_violation(z, Hs @ z - bz, thr, z_lo, z_hi, live) else z


def _kkt_violation(z, g, thr, z_lo, z_hi, live) -> float:
    """Largest violation of the optimality conditions (the proximal gradient's size)."""
    r = z - g
    p = np.sign(r) * np.maximum(np.abs(r) - thr, 0.0)
    p = np.clip(p, z_lo, z_hi)
    return float(np.abs(np.where(live, z - p, 0.0)).max(initial=0.0))


def box_of(params: Any, n_features: int | None = None) -> Box | None:
    """The box of validated ``params`` (``positive``, ``bounds``); its length checked
    against ``n_features``, and the optimizers that cannot honour it refused."""
    box = Box.of(params.positive, params.bounds)
    if box is None:
        return None
    if n_features is not None:
        box.arrays(n_features)
    if params.optimizer == "cg":
        raise BoundsError(
            (
                Set("optimizer", "'cg'"),
                " solves unconstrained problems and cannot keep the coefficients in their "
                "box. Use ",
                Set("optimizer", "'gd'"),
                " or 'nesterov' (projected steps), or drop ",
                Set("positive"),
                "/",
                Set("bounds"),
                ".",
            ),
            param="optimizer",
            value="cg",
        )
    return box


def active_bounds(model: Any, W: np.ndarray) -> int:
    """How many coefficients ``W`` (shape (n_features,)) of ``model`` sit on a bound of its box.

    Projected steps put an active coefficient exactly on its bound, so equality decides.
    """
    try:
        box = Box.of(bool(getattr(model, "positive", False)), getattr(model, "bounds", None))
    except BoundsError:
        return 0
    if box is None:
        return 0
    lo, hi = box.arrays(len(W))
    return int(np.count_nonzero((W == lo[:, 0]) | (W == hi[:, 0])))


def bounds_to_json(bounds: Any) -> list:
    """``bounds`` as JSON: ``[lower, upper]``, each a number or a list, infinities as null.

    >>> bounds_to_json((0.0, [1.0, np.inf]))
    [0.0, [1.0, None]]
    """
    box = Box.of(False, bounds)
    sides = [[None if math.isinf(v) else v for v in side] for side in (box.lower, box.upper)]
    return [side[0] if len(side) == 1 else side for side in sides]


def bounds_from_json(value: Any) -> tuple:
    """The ``bounds`` of :func:`bounds_to_json`'s JSON (null: -inf below, inf above);
    :class:`BoundsError` for anything else.

    >>> bounds_from_json([None, [1.0, None]])
    (-inf, (1.0, inf))
    """
    if not isinstance(value, list) or len(value) != 2:
        raise _fail("must be a pair (lower, upper)", value)
    out = []
    for side, inf in zip(value, (-math.inf, math.inf), strict=True):
        items = side if isinstance(side, list) else [side]
        if not all(v is None or type(v) in (int, float) for v in items):
            raise _fail("needs numbers (or null for none) on each side", value)
        vals = tuple(inf if v is None else float(v) for v in items)
        out.append(vals if isinstance(side, list) else vals[0])
    Box.of(False, tuple(out))  # lower <= upper, lengths
    return tuple(out)
