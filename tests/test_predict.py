"""The one prediction function and the one array-validation path."""

import numpy as np
import pytest
import scipy.sparse as sp

from lingrad import LinearRegression, predict_linear
from lingrad._validation import validate_x, validate_xy


def test_predict_linear_shapes_and_dtypes(rng):
    X = rng.standard_normal((5, 3))
    coef = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(predict_linear(coef, 0.5, X), X @ coef + 0.5)
    coefs = np.vstack([coef, -coef])
    out = predict_linear(coefs, np.array([0.5, -0.5]), X)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out[:, 1], -(X @ coef) - 0.5)
    assert predict_linear(coef, 0.5, X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(predict_linear(coef, 0.5, sp.csr_matrix(X)), X @ coef + 0.5)


def test_the_estimator_predicts_with_predict_linear(rng):
    X = rng.standard_normal((50, 3))
    y = np.column_stack([X @ [1.0, 2, 3], X @ [3.0, 2, 1]])
    model = LinearRegression(random_state=0, n_iters=20).fit(X, y)
    np.testing.assert_array_equal(
        model.predict(X), predict_linear(model.coef_, model.intercept_, X)
    )


def test_validate_xy_without_an_estimator(rng):
    X, y, sw = validate_xy(None, [[1.0, 2.0], [3.0, 4.0]], [1, 2], [1.0, 2.0])
    assert X.dtype == np.float64 and y.shape == (2,) and sw.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="requires y to be passed"):
        validate_xy(None, X, None)
    with pytest.raises(ValueError, match=r"contains NaN.*Remove or impute"):
        validate_xy(None, [[np.nan]], [1.0])
    with pytest.raises(ValueError, match="non-negative, finite weight per sample"):
        validate_xy(None, X, y, [-1.0, 1.0])
    with pytest.raises(ValueError, match="minimum of 1 is required"):
        validate_xy(None, X, np.empty((2, 0)))


def test_validate_x_against_a_fitted_estimator(rng):
    X = rng.standard_normal((20, 3))
    model = LinearRegression(n_iters=5).fit(X, X[:, 0])
    assert validate_x(model, X.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="expecting 3 features"):
        validate_x(model, X[:, :2])
    with pytest.raises(ValueError, match=r"(?s)Expected 2D array.*lingrad needs X as a 2-D array"):
        validate_x(None, np.ones(3))
