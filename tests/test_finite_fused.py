"""NaN and inf in X, found by the statistics' own pass (no separate check of X in fit).

``fit`` on a plain float64 ndarray leaves X's NaN/inf check to the statistics, whose
column sums see every such value; on finding one it validates in full, so the error is
scikit-learn's, with lingrad's remedy, exactly as before. These tests put the bad value
in every place a chunked pass could miss it and compare the message with the one
scikit-learn's own validation gives.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.utils.validation import check_X_y

from lingrad import LinearRegression
from lingrad._solve import DataOverflowError
from lingrad._stats import SufficientStats

N, F = 40_000, 6  # several statistics chunks (6553 rows at F=20; more here)


def _data(order: str = "C"):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.standard_normal((N, F)), order=order)
    return X, X @ np.arange(1.0, F + 1) + rng.standard_normal(N)


def _sklearn_message(X, y) -> str:
    with pytest.raises(ValueError) as err:
        check_X_y(X, y, y_numeric=True, multi_output=True)
    return str(err.value)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("row", [0, 1, N // 2, N - 1])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_every_position_is_found_with_scikit_learns_message(order, row, bad):
    X, y = _data(order)
    X[row, row % F] = bad
    expected = _sklearn_message(X, y)
    with pytest.raises(ValueError) as err:
        LinearRegression(lr="auto", tol=1e-10).fit(X, y)
    assert str(err.value).startswith(expected)
    kind = "NaN" if np.isnan(bad) else "infinity"
    assert f"contains {kind}" in str(err.value)
    assert "Remove" in str(err.value)  # lingrad's remedy is appended


@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("weights", [False, True])
def test_both_engines_and_weights(engine, weights):
    X, y = _data()
    X[N - 3, 2] = np.nan
    sw = np.ones(N) if weights else None
    if weights:
        sw[N - 3] = 0.0  # a zero weight does not hide the NaN (scikit-learn refuses it too)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LinearRegression(engine=engine, n_iters=5).fit(X, y, sample_weight=sw)


def test_nan_and_inf_that_cancel_in_a_column_sum_are_found():
    X, y = _data()
    X[10, 1], X[20, 1] = np.inf, -np.inf  # inf - inf: the sum is NaN, still not finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way to the error
        with pytest.raises(ValueError, match="Input X contains infinity"):
            LinearRegression().fit(X, y)


def test_finite_values_that_overflow_keep_the_overflow_error():
    """The sum of X overflows, every value is finite: validation passes, and the fit's own
    overflow check gives its message (the statistics are not trusted)."""
    X = np.full((10, 2), 1e300)
    X[:, 1] = np.arange(10) * 1e299
    with pytest.raises(DataOverflowError, match="overflows float64"):
        LinearRegression(lr="auto", tol=1e-8).fit(X, np.arange(10.0))


def test_a_clean_fit_is_unchanged_and_fits_once():
    """The fused check changes nothing for finite data: the same statistics as computed
    directly, the same coefficients as a fit after explicit validation."""
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(lr="auto", tol=1e-12).fit(X, y)
    ref = SufficientStats.from_arrays(X, y)
    np.testing.assert_array_equal(model.stats_.scatter, ref.scatter)
    np.testing.assert_array_equal(model.stats_.mean, ref.mean)
    lstsq = np.linalg.lstsq(np.c_[X, np.ones(N)], y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, lstsq[:F], rtol=1e-10)
    assert model.n_features_in_ == F
