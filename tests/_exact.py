"""Exact least squares in rational arithmetic (Python ``fractions``): the oracle.

Every float64 input is converted exactly, the normal equations are solved by
Gaussian elimination over the rationals, and only the answer is rounded. The
designs below are the classic hard cases for least squares in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


#: An exact residual SD below this fraction of y's SD is the rounding of the data (a
#: fit exact but for it): six digits of it relative to itself are beyond float64.
ROUNDING_LEVEL = 1e-8


@dataclass
class ExactInference:
    """Exact standard errors (coefficients, then the intercept), residual SD and R².

    ``se_scale`` and ``sd_scale`` are what errors are measured against: the
    exact values themselves, or for a fit exact up to the rounding of the data
    (``rounding``) the values that residuals as large as y's SD would give.
    """

    se: np.ndarray  # shape (n_params,)
    resid_sd: float
    r2_centred: float
    r2_uncentred: float
    se_scale: np.ndarray  # shape (n_params,)
    sd_scale: float
    rounding: bool


def exact_inference(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> ExactInference:
    """Classical OLS inference in fractions, rounded once at the end.

    ``sigma² = SSR / (n - p)`` and ``se_j = sqrt(sigma² [(AᵀA)⁻¹]_jj)`` with
    A the design (and a column of ones last when ``fit_intercept``), of shape
    (n_samples, p); R² is ``1 - SSR / TSS``, TSS about the mean (centred) or
    about 0 (uncentred). Only the final square roots are taken in float64.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    fit_intercept : bool
    """
    A, b, theta, inv_diag = exact_normal_solve(X, y, fit_intercept)
    n, p = len(A), len(A[0])
    ssr = sum(
        (bi - sum(a * t for a, t in zip(row, theta, strict=True))) ** 2
        for bi, row in zip(b, A, strict=True)
    )
    sigma2 = ssr / (n - p)
    mean = sum(b) / n
    tss_c, tss_u = sum((bi - mean) ** 2 for bi in b), sum(bi * bi for bi in b)
    se = np.array([math.sqrt(sigma2 * d) for d in inv_diag])
    sd_y = math.sqrt(tss_c / (n - 1))
    rounding = math.sqrt(sigma2) < ROUNDING_LEVEL * sd_y
    return ExactInference(
        se=se,
        resid_sd=math.sqrt(sigma2),
        r2_centred=float(1 - ssr / tss_c) if tss_c else math.nan,
        r2_uncentred=float(1 - ssr / tss_u) if tss_u else math.nan,
        se_scale=np.array([sd_y * math.sqrt(d) for d in inv_diag]) if rounding else se,
        sd_scale=sd_y if rounding else math.sqrt(sigma2),
        rounding=rounding,
    )


def scaled_digits(got, exact, scale) -> float:
    """Correct digits of the worst entry of ``got``, its error relative to ``scale``.

    With ``scale = |exact|`` these are :func:`digits` (17: no error at all).
    """
    got, exact, scale = (np.ravel(np.asarray(a, dtype=np.float64)) for a in (got, exact, scale))
    if not (np.all(np.isfinite(got)) and got.shape == exact.shape):
        return 0.0
    err = np.abs(got - exact) / np.abs(scale)
    return float(np.clip(-np.log10(np.max(err)), 0.0, 17.0)) if np.max(err) > 0 else 17.0
