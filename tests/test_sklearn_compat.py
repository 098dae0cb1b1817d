"""lingrad is a real scikit-learn estimator: every check passes at the defaults."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from lingrad import LinearRegression


@parametrize_with_checks([LinearRegression()], expected_failed_checks=lambda est: {})
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_no_check_is_skipped():
    """The array-API check only runs in SciPy's array-API mode: make sure it is on."""
    import os

    assert os.environ.get("SCIPY_ARRAY_API") == "1"


def test_pipeline_after_standard_scaler(rng):
    X = rng.normal(loc=50.0, scale=10.0, size=(300, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 7.0
    pipe = make_pipeline(StandardScaler(), LinearRegression(lr=0.1, random_state=0))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.999


def test_grid_search_over_lr(rng):
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 1.0 + 0.01 * rng.normal(size=200)
    search = GridSearchCV(
        LinearRegression(n_iters=200, random_state=0), {"lr": [0.001, 0.01, 0.1]}, cv=3
    )
    search.fit(X, y)
    assert search.best_params_ == {"lr": 0.1}
    assert search.best_score_ > 0.99


def test_clone_and_pickle_round_trip(rng):
    X = rng.normal(size=(100, 2))
    y = X @ np.array([2.0, -1.0])
    model = LinearRegression(lr=0.05, n_iters=300, random_state=1).fit(X, y)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "coef_")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(clone(model).fit(X, y).coef_, model.coef_)


def test_feature_names_from_pandas_and_polars(rng):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    X = rng.normal(size=(50, 2))
    y = X.sum(axis=1)
    for frame in (pd.DataFrame(X, columns=["a", "b"]), pl.DataFrame(X, schema=["a", "b"])):
        model = LinearRegression(random_state=0).fit(frame, y)
        assert list(model.feature_names_in_) == ["a", "b"]
        np.testing.assert_allclose(model.predict(frame), model.predict(X))
