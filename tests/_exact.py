"""Exact least squares in rational arithmetic (Python ``fractions``): the oracle.

Every float64 input is converted exactly, the normal equations are solved by
Gaussian elimination over the rationals, and only the answer is rounded. The
designs below are the classic hard cases for least squares in float64.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def exact_normal_solve(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True):
    """Exact least squares of full-rank data, in fractions: ``(A, b, theta, inv_diag)``.

    A is the design as fractions (a column of ones last with ``fit_intercept``),
    b the targets, theta the exact parameters and inv_diag the diagonal of
    ``(AᵀA)⁻¹``, from Gauss-Jordan elimination on ``[AᵀA | I]`` over the rationals.
    """
    A = [[Fraction(float(v)) for v in row] + ([Fraction(1)] if fit_intercept else []) for row in X]
    b = [Fraction(float(v)) for v in y]
    n, p = len(A), len(A[0])
    M = [[sum(A[i][j] * A[i][k] for i in range(n)) for k in range(p)] for j in range(p)]
    M = [row + [Fraction(int(j == k)) for k in range(p)] for j, row in enumerate(M)]
    r = [sum(A[i][j] * b[i] for i in range(n)) for j in range(p)]
    for c in range(p):  # Gauss-Jordan, exact
        piv = next(i for i in range(c, p) if M[i][c] != 0)
        M[c], M[piv], r[c], r[piv] = M[piv], M[c], r[piv], r[c]
        for i in range(p):
            if i != c and M[i][c] != 0:
                q = M[i][c] / M[c][c]
                M[i] = [a - q * m for a, m in zip(M[i], M[c], strict=True)]
                r[i] -= q * r[c]
    theta = [r[j] / M[j][j] for j in range(p)]
    inv_diag = [M[j][p + j] / M[j][j] for j in range(p)]
    return A, b, theta, inv_diag


def exact_lstsq(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True) -> np.ndarray:
    """Exact least-squares parameters (coefficients, then the intercept) of full-rank data."""
    _, _, theta, _ = exact_normal_solve(X, y, fit_intercept)
    return np.array([float(t) for t in theta])


def digits(got: np.ndarray, exact: np.ndarray) -> float:
    """Correct significant digits of ``got``: the worst entry, relative to itself."""
    got = np.ravel(np.asarray(got, dtype=np.float64))
    exact = np.ravel(np.asarray(exact, dtype=np.float64))
    worst = 17.0
    for g, e in zip(got, exact, strict=True):
        if e == 0:
            err = abs(g)
            d = 17.0 if err == 0 else -math.log10(err)
        else:
            rel = abs(g - e) / abs(e)
            d = 17.0 if rel == 0 else -math.log10(rel)
        worst = min(worst, max(d, 0.0))
    return worst


def polynomial(lo: float, hi: float, degree: int, n: int = 41, noise: float = 0.0, seed: int = 0):
    """Raw powers x, x², ... of x on [lo, hi] (no centring), y a known polynomial plus noise."""
    x = np.linspace(lo, hi, n)
    X = np.column_stack([x**k for k in range(1, degree + 1)])
    rng = np.random.default_rng(seed)
    coef = rng.uniform(-1, 1, degree)
    y = X @ coef + 3.0 + noise * rng.standard_normal(n)
    return X, y


def offsets_and_scales(n: int = 60, seed: int = 1):
    """Columns offset by 1e6 with scales from 1e-3 to 1e5."""
    rng = np.random.default_rng(seed)
    scales = np.array([1e-3, 1e-1, 1e1, 1e3, 1e5])
    X = 1e6 + rng.standard_normal((n, scales.size)) * scales
    y = (X - 1e6) @ (1.0 / scales) + rng.standard_normal(n)
    return X, y


def year_and_values(seed: int = 2):
    """A year column beside values around 1e5 (the macro-economic table's shape)."""
    rng = np.random.default_rng(seed)
    year = np.arange(1947.0, 1963.0)
    gnp = 2.3e5 + 1.2e4 * (year - 1947) + 3e3 * rng.standard_normal(year.size)
    pop = 1.07e5 + 1.4e3 * (year - 1947) + 5e2 * rng.standard_normal(year.size)
    armed = 2.5e3 + 8e2 * rng.standard_normal(year.size)
    X = np.column_stack([gnp, armed, pop, year])
    y = 6e4 + 0.03 * gnp - 0.5 * armed - 0.05 * pop + 50 * (year - 1947)
    y = y + 300 * rng.standard_normal(year.size)
    return X, y


def perfect_fit():
    """y exactly linear in X (zero residual)."""
    X = np.column_stack([np.arange(1.0, 11.0), np.arange(1.0, 11.0) ** 2])
    return X, 2.0 * X[:, 0] - 0.5 * X[:, 1] + 7.0
