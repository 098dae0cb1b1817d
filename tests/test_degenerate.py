"""Degenerate data: each case has a deliberate, documented outcome (docs/guarantees.md)."""

import warnings

import numpy as np
import pytest

from lingrad import IllConditionedWarning, LinearRegression

pd = pytest.importorskip("pandas")

CONVERGE = dict(lr="auto", optimizer="nesterov", tol=1e-10, n_iters=100_000, random_state=0)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(100, 3))
    return X, X @ np.array([1.0, 2.0, 3.0]) + 1.0


def _fit_quietly(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        return LinearRegression(**{**CONVERGE, **kw}).fit(X, y)


@pytest.mark.parametrize(
    "make",
    [
        lambda X: np.column_stack([X, np.full(len(X), 5.0)]),  # constant column
        lambda X: np.column_stack([X, X[:, 0]]),  # duplicated column
        lambda X: np.column_stack([X, X[:, 0] + 2 * X[:, 1]]),  # collinear column
    ],
    ids=["constant", "duplicated", "collinear"],
)
def test_collinear_columns_warn_and_still_predict_exactly(make, data):
    # issue 10 item 5: collinear columns are diagnosed as collinear, named, with the remedy
    # that applies (dropping them), no longer "standardise" (which cannot help here)
    X, y = data
    Xd = make(X)
    with pytest.warns(IllConditionedWarning, match="collinear: column.*Drop the redundant") as r:
        model = LinearRegression(**CONVERGE).fit(Xd, y)
    assert 3 in r[0].message.fields["collinear_columns"]
    assert model.converged_
    np.testing.assert_allclose(model.predict(Xd), y, atol=1e-6)


def test_more_features_than_samples_interpolates(rng):
    X = rng.normal(size=(5, 20))
    y = rng.normal(size=5)
    model = _fit_quietly(X, y)
    assert model.converged_
    np.testing.assert_allclose(model.predict(X), y, atol=1e-6)


def test_single_sample(data):
    X, y = data
    model = _fit_quietly(X[:1], y[:1])
    np.testing.assert_allclose(model.predict(X[:1]), y[:1], atol=1e-8)


def test_constant_target_gives_zero_slope_and_its_value(data):
    X, _ = data
    model = _fit_quietly(X, np.full(len(X), 3.0))
    np.testing.assert_allclose(model.coef_, 0.0, atol=1e-8)
    assert model.intercept_ == pytest.approx(3.0, abs=1e-8)


def test_all_zero_features_keep_their_start_and_fit_the_mean():
    X = np.zeros((10, 2))
    y = np.arange(10.0)
    model = _fit_quietly(X, y, precondition="none")
    # no gradient ever reaches the weights: they stay at rand(2), as in the tutorial's loop
    np.testing.assert_array_equal(model.coef_, model.coef_init_)
    assert model.intercept_ == pytest.approx(4.5)
    assert model.diagnostics_.coef_unique is False  # and the fit says they are not unique


def test_all_zero_features_get_the_minimum_norm_answer_when_preconditioned():
    X = np.zeros((10, 2))
    y = np.arange(10.0)
    model = _fit_quietly(X, y)  # lr="auto": preconditioned, so the minimum-norm solution
    np.testing.assert_array_equal(model.coef_, np.zeros(2))
    assert model.intercept_ == pytest.approx(4.5)


def test_huge_values_warn_and_the_remedy_works(data):
    X, y = data
    with pytest.warns(IllConditionedWarning, match=r"condition number.*Standardise"):
        model = LinearRegression(**CONVERGE).fit(X * 1e150, y * 1e150)
    assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.intercept_)
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    fixed = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), LinearRegression(**CONVERGE)), transformer=StandardScaler()
    ).fit(X * 1e150, y * 1e150)
    np.testing.assert_allclose(fixed.predict(X * 1e150), y * 1e150, rtol=1e-8)


def test_values_that_overflow_get_a_clear_error(data):
    X, y = data
    with pytest.raises(ValueError, match=r"overflows float64.*Rescale"):
        LinearRegression().fit(X * 1e160, y)


def test_tiny_values_warn_that_the_weights_cannot_be_resolved(data):
    X, y = data
    with pytest.warns(IllConditionedWarning):
        model = LinearRegression(**CONVERGE, precondition="none").fit(X * 1e-150, y)
    # the weights cannot move (curvature 1e-300): they stay near their random start
    np.testing.assert_allclose(model.coef_, model.coef_init_, rtol=1e-6)


def test_tiny_values_are_resolved_by_preconditioning(data):
    X, y = data
    with pytest.warns(IllConditionedWarning):  # the raw problem's condition is still told
        model = LinearRegression(**CONVERGE).fit(X * 1e-150, y)
    reference = LinearRegression(**CONVERGE).fit(X, y)
    np.testing.assert_allclose(model.coef_ * 1e-150, reference.coef_, rtol=1e-8)
    assert model.intercept_ == pytest.approx(reference.intercept_, rel=1e-8)


@pytest.mark.parametrize(
    "convert",
    [
        lambda X: (X * 10).astype(np.int64),
        lambda X: (X * 10).astype(np.int32),
        lambda X: X > 0,
        lambda X: X.astype(">f8"),
        lambda X: np.asfortranarray(np.column_stack([X, X]))[::2, ::2],
    ],
    ids=["int64", "int32", "bool", "big-endian", "non-contiguous"],
)
def test_other_dtypes_and_layouts_equal_float64(convert, data):
    X, y = data
    Xc = convert(X)
    yc = y[: len(Xc)]
    a = LinearRegression(random_state=0).fit(Xc, yc)
    b = LinearRegression(random_state=0).fit(np.array(Xc, dtype=np.float64), yc)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    assert a.coef_.dtype == np.float64


def test_pandas_nullable_integers_without_missing_values(data):
    X, y = data
    df = pd.DataFrame({"a": pd.array((X[:, 0] * 10).astype(int), dtype="Int64"), "b": X[:, 1]})
    model = LinearRegression(random_state=0).fit(df, y)
    plain = LinearRegression(random_state=0).fit(df.to_numpy(dtype=float), y)
    np.testing.assert_allclose(model.coef_, plain.coef_, rtol=1e-12)
    assert list(model.feature_names_in_) == ["a", "b"]


def test_pandas_missing_values_are_refused_with_a_remedy(data):
    X, y = data
    df = pd.DataFrame({"a": pd.array([1, None] + [2] * 98, dtype="Int64"), "b": X[:, 1]})
    with pytest.raises(ValueError, match=r"(?s)NaN.*impute"):
        LinearRegression().fit(df, y)


def test_categorical_columns_are_refused_with_a_remedy(data):
    X, y = data
    df = pd.DataFrame({"a": pd.Categorical(["x", "y"] * 50), "b": X[:, 1]})
    with pytest.raises(ValueError, match="one-hot encode"):
        LinearRegression().fit(df, y)


@pytest.mark.parametrize(
    "y", [np.array(["1", "2", "3"]), ["1.5", "2", "3"], np.array([b"1", b"2", b"3"])]
)
def test_a_target_of_strings_gets_a_clear_error(y):
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match=r"y holds text .* y\.astype\(float\)"):
        LinearRegression().fit(X, y)
