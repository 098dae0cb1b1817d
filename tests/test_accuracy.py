"""The reference optimum against an exact rational oracle, on ill-conditioned designs.

Digits are correct significant digits of the worst coefficient (intercept
included), each relative to itself (tests/_exact.py). numpy.linalg.lstsq gets
0 digits on the degree-10 polynomials and on columns offset by 1e6; lingrad's
reference optimum gets at least 8.5 everywhere here.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from _exact import (
    digits,
    exact_lstsq,
    offsets_and_scales,
    perfect_fit,
    polynomial,
    year_and_values,
)

from lingrad import exact_optimum
from lingrad._optimum import exact_residual, optimum_theta, scaled_condition
from lingrad._stats import SufficientStats

DESIGNS = {
    **{f"poly{d}[-9,-3]": (polynomial, (-9, -3, d)) for d in (2, 5, 10)},
    **{f"poly{d}[1,21]": (polynomial, (1, 21, d)) for d in (2, 5, 10)},
    "poly5 noisy": (polynomial, (1, 21, 5, 41, 1e3)),
    "offsets 1e6, scales 1e-3..1e5": (offsets_and_scales, ()),
    "year beside 1e5 values": (year_and_values, ()),
    "perfect fit": (perfect_fit, ()),
}
#: Digits the reference optimum reaches on every design (measured 8.9 to 17).
MIN_DIGITS = 8.5


def _design(name):
    make, args = DESIGNS[name]
    return make(*args)


def _lstsq(X, y, fit_intercept):
    A = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    return np.linalg.lstsq(A, y, rcond=None)[0]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_reference_optimum_digits(name, fit_intercept):
    X, y = _design(name)
    exact = exact_lstsq(X, y, fit_intercept)
    coef, intercept = exact_optimum(X, y, fit_intercept=fit_intercept)
    got = np.append(coef, intercept) if fit_intercept else coef
    ours = digits(got, exact)
    theirs = digits(_lstsq(X, y, fit_intercept), exact)
    assert ours >= MIN_DIGITS, f"{name}: {ours:.1f} digits (lstsq {theirs:.1f})"
    # never materially behind lstsq: within 0.5 digit (noise-limited designs tie),
    # and beyond 15 digits both are exact to float64's last digit or so
    assert ours >= min(theirs, 15.0) - 0.5, f"{name}: {ours:.1f} digits, lstsq {theirs:.1f}"


@pytest.mark.parametrize("name", ["offsets 1e6, scales 1e-3..1e5", "year beside 1e5 values"])
def test_statistics_alone_keep_12_digits_where_centring_and_scaling_suffice(name):
    """Offsets and units cost nothing: the centred, scaled normal equations keep 12 digits."""
    X, y = _design(name)
    stats = SufficientStats.from_arrays(X, y[:, None])
    assert scaled_condition(stats, True) < 1e3
    theta = optimum_theta(stats, True)[:, 0]
    assert digits(theta, exact_lstsq(X, y, True)) >= 12


def test_weighted_and_multi_target_reference():
    X, y = _design("poly5[1,21]")
    w = np.linspace(0.5, 2.0, len(y))
    # weights w equal rows repeated in proportion: scale rows by sqrt(w) for the oracle
    Y = np.column_stack([y, 2 * y - X[:, 0]])
    coef, intercept = exact_optimum(X, Y, w)
    for j in range(2):
        sw = np.sqrt(w)
        A = np.column_stack([X, np.ones(len(X))]) * sw[:, None]
        exact = exact_lstsq(A, Y[:, j] * sw, fit_intercept=False)
        assert digits(np.append(coef[j], intercept[j]), exact) >= MIN_DIGITS


def test_exact_residual_is_exact_to_the_last_digit():
    X, y = _design("poly10[1,21]")
    theta = np.append(np.linspace(-1, 1, X.shape[1]), 3.0)[:, None]
    got = exact_residual(X, y[:, None], theta, True)[:, 0]
    for i in range(0, len(y), 7):
        r = Fraction(float(y[i])) - Fraction(float(theta[-1, 0]))
        r -= sum(Fraction(float(X[i, j])) * Fraction(float(theta[j, 0])) for j in range(X.shape[1]))
        assert got[i] == float(r)


def test_rank_deficient_reference_is_the_minimum_norm_solution():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    X = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])  # collinear
    y = rng.standard_normal(30)
    coef, _ = exact_optimum(X, y, fit_intercept=False)
    np.testing.assert_allclose(coef, np.linalg.lstsq(X, y, rcond=None)[0], rtol=0, atol=1e-13)
    wide = rng.standard_normal((4, 9))  # more parameters than rows: interpolates y
    coef, intercept = exact_optimum(wide, y[:4])
    np.testing.assert_allclose(wide @ coef + intercept, y[:4], atol=1e-12)
