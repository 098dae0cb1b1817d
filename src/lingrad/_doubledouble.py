"""Double-double arithmetic on NumPy arrays: residuals and sums to about 32 digits.

Error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with
Veltkamp's split) carry every rounding error along as a second float64, so a
value is the unevaluated sum ``hi + lo``. The reference optimum uses them to
compute the residual and the gradient of ill-conditioned problems exactly
enough that iterative refinement converges to the float64-rounded optimum
(:mod:`lingrad._tsqr`). Pure NumPy: the same on every platform, unlike
``numpy.longdouble``.

Examples
--------
>>> import numpy as np
>>> hi, lo = two_sum(np.array([1e16]), np.array([1.0]))
>>> float(hi[0]), float(lo[0])
(1e+16, 1.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["dd_add", "dd_sum", "exact_residual", "residual_dd", "two_prod", "two_sum"]


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``a + b = s + e`` exactly, elementwise (any matching shapes)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split of doubles into 26-bit halves (``a = hi + lo`` exactly)."""
    c = 134217729.0 * a  # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProduct: ``a * b = p + e`` exactly, elementwise (broadcasting)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def residual_dd(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    fit_intercept: bool,
    theta_lo: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``Y - X W - b`` in double-double: ``(hi, lo)``, each of shape (n, k).

    Shapes: X (n, f), Y (n, k), theta (f + fit_intercept, k), rows of
    coefficients first, then the intercept; ``theta_lo`` (same shape) the
    low parts of double-double parameters ``theta + theta_lo``.
    """
    f = X.shape[1]
    hi = np.array(Y, dtype=np.float64, copy=True)
    lo = np.zeros_like(hi)
    for i in range(f):
        p, e = two_prod(X[:, i : i + 1], -theta[i][None, :])
        hi, err = two_sum(hi, p)
        lo += err + e
        if theta_lo is not None:
            lo -= X[:, i : i + 1] * theta_lo[i][None, :]
    if fit_intercept:
        hi, err = two_sum(hi, np.broadcast_to(-theta[f][None, :], hi.shape))
        lo += err
        if theta_lo is not None:
            lo -= theta_lo[f][None, :]
    return hi, lo


def exact_residual(
    X: np.ndarray, Y: np.ndarray, theta: np.ndarray, fit_intercept: bool
) -> np.ndarray:
    """``Y - X W - b`` in double-double arithmetic, rounded once to float64.

    Error-free products and sums (Dekker, Knuth) carry about 32 digits, so the
    residual is right even where ``X W`` cancels ``Y`` to the last float64
    digit: what iterative refinement needs on ill-conditioned designs.
    Shapes: X (n, f), Y (n, k), theta (f + fit_intercept, k); returns (n, k).
    """
    hi, lo = residual_dd(np.asarray(X, np.float64), np.asarray(Y, np.float64), theta, fit_intercept)
    return hi + lo


def dd_sum(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of ``hi + lo`` over axis 0 in double-double, pairwise (Ogita, Rump and Oishi's Sum2).

    ``hi`` and ``lo`` of shape (n, ...); returns two arrays of shape (...). The
    error is about ``eps**2 * sum(|hi|)`` plus ``eps * |sum|`` once rounded.
    """
    hi = np.asarray(hi, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    if hi.shape[0] == 0:
        return np.zeros(hi.shape[1:]), np.zeros(hi.shape[1:])
    while hi.shape[0] > 1:
        if hi.shape[0] % 2:
            pad = np.zeros((1, *hi.shape[1:]))
            hi, lo = np.concatenate([hi, pad]), np.concatenate([lo, pad])
        s, e = two_sum(hi[0::2], hi[1::2])
        lo = lo[0::2] + lo[1::2] + e
        hi = s
    return hi[0], lo[0]


def dd_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of two double-doubles stacked as ``[hi, lo]`` along axis 0 (same shapes)."""
    s, e = two_sum(a[0], b[0])
    return np.stack([s, a[1] + b[1] + e])
