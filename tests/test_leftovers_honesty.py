"""Optimizer messages (issue 12 leftovers): advice that applies to a conjugate-gradients fit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from lingrad import LinearRegression
from lingrad._params import ParameterError


@pytest.fixture(scope="module")
def data():
    return make_regression(200, 8, noise=1.0, random_state=0)


@pytest.mark.parametrize("n_iters", [1, 2])
def test_a_cg_fit_that_stops_short_never_suggests_nesterov(data, n_iters):
    X, y = data
    X = X * np.logspace(0, 3, X.shape[1])  # badly scaled: cg needs more than n_iters steps
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(
            lr="auto", optimizer="cg", engine="direct", n_iters=n_iters, tol=1e-12
        ).fit(X, y)
    assert not model.converged_
    texts = [str(w.message) for w in caught if "did not converge" in str(w.message)]
    assert texts, [str(w.message) for w in caught]
    assert all("nesterov" not in t and "n_iters" in t for t in texts)


@pytest.mark.parametrize("fitted_first", [False, True])
def test_sgd_mode_with_cg_is_a_parameter_error_naming_the_fix(data, fitted_first):
    X, y = data
    model = LinearRegression(lr="auto", optimizer="cg", partial_fit_mode="sgd")
    before = model.fit(X, y).predict(X[:5]) if fitted_first else None
    with pytest.raises(ParameterError, match="partial_fit_mode='exact'") as err:
        model.partial_fit(X[:50], y[:50])
    assert "optimizer='nesterov'" in str(err.value)
    assert err.value.fields["param"] == "optimizer"
    if fitted_first:  # the refused batch left the fitted model as it was
        np.testing.assert_array_equal(model.predict(X[:5]), before)
