"""Box constraints: ``positive=True`` and ``bounds=(lower, upper)`` (lingrad._bounds).

Oracles: scipy.optimize.nnls and lsq_linear (method "bvls", exact active set),
scikit-learn's LinearRegression/ElasticNet/Lasso(positive=True); a textbook
projected gradient-descent loop for the numeric-lr iterates. Agreement is 1e-8
(absolute on coefficients of order one) on converged fits.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import lsq_linear, nnls
from sklearn.linear_model import ElasticNet, Lasso
from sklearn.linear_model import LinearRegression as SkLR

from lingrad import LinearRegression, open_dataset
from lingrad._bounds import BoundsError, Box, bounded_optimum
from lingrad._optimizers import choose_optimizer
from lingrad._params import ParameterError
from lingrad.persist import load_model, save_model

FIT = {"lr": "auto", "n_iters": 100_000, "tol": 1e-13}


def _data(n=300, f=6, k=None, seed=0, offset=4.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f)) @ np.diag(rng.uniform(0.5, 3, f)) + rng.normal(size=f)
    w = rng.normal(size=(f,) if k is None else (f, k)) * 2
    y = X @ w + rng.normal(size=n if k is None else (n, k)) + offset
    return X, y


def _random_box(f, seed):
    rng = np.random.default_rng(seed + 100)
    lo = rng.uniform(-1.5, 0.2, f)
    hi = lo + rng.uniform(0.1, 2.0, f)
    lo[0], hi[1] = -np.inf, np.inf
    return lo, hi


def test_positive_without_intercept_equals_nnls():
    X, y = _data()
    model = LinearRegression(**FIT, positive=True, fit_intercept=False).fit(X, y)
    expected = nnls(X, y)[0]
    assert (expected == 0).any(), "the oracle must have active bounds"
    np.testing.assert_allclose(model.coef_, expected, atol=1e-8)
    assert model.converged_ and model.diagnostics_.max_coef_gap < 1e-8


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_random_boxes_equal_lsq_linear(seed, fit_intercept):
    X, y = _data(seed=seed)
    lo, hi = _random_box(X.shape[1], seed)
    model = LinearRegression(**FIT, bounds=(lo, hi), fit_intercept=fit_intercept).fit(X, y)
    A, b = (X - X.mean(0), y - y.mean()) if fit_intercept else (X, y)
    ref = lsq_linear(A, b, bounds=(lo, hi), method="bvls", tol=1e-15).x
    assert np.isclose(ref, lo).any() or np.isclose(ref, hi).any()
    np.testing.assert_allclose(model.coef_, ref, atol=1e-8)
    if fit_intercept:
        assert abs(model.intercept_ - (y.mean() - X.mean(0) @ ref)) < 1e-8
    assert model.converged_
    assert np.all(model.coef_ >= lo) and np.all(model.coef_ <= hi)


@pytest.mark.parametrize("k", [None, 3])
def test_positive_equals_sklearn(k):
    X, y = _data(k=k, seed=3)
    model = LinearRegression(**FIT, positive=True).fit(X, y)
    sk = SkLR(positive=True).fit(X, y)
    assert (sk.coef_ == 0).any()
    np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, sk.intercept_, atol=1e-8)


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.3, 1.0), (0.2, 0.5)])
def test_elastic_net_positive_equals_sklearn(alpha, l1_ratio):
    X, y = _data(seed=5)
    model = LinearRegression(**FIT, positive=True, alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    kw = {"positive": True, "tol": 1e-16, "max_iter": 1_000_000}
    sk = (
        Lasso(alpha, **kw) if l1_ratio == 1 else ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **kw)
    ).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, sk.intercept_, atol=1e-8)
    assert model.converged_


def test_ridge_and_box_equal_lsq_linear_on_augmented_rows():
    X, y = _data(seed=7)
    n, f = X.shape
    lo, hi = _random_box(f, 7)
    alpha = 0.5  # l2 = alpha: rows sqrt(n * alpha) I beside the centred data
    model = LinearRegression(**FIT, alpha=alpha, bounds=(lo, hi)).fit(X, y)
    A = np.vstack([X - X.mean(0), np.sqrt(n * alpha) * np.eye(f)])
    b = np.concatenate([y - y.mean(), np.zeros(f)])
    ref = lsq_linear(A, b, bounds=(lo, hi), method="bvls", tol=1e-15).x
    np.testing.assert_allclose(model.coef_, ref, atol=1e-8)


def test_numeric_lr_is_textbook_projected_gradient_descent():
    X, y = _data(n=100, f=3, seed=1)
    X = X / 4
    lo, hi = np.array([0.0, -0.5, -np.inf]), np.array([np.inf, 0.5, 0.0])
    model = LinearRegression(0.01, 300, random_state=0, bounds=(lo, hi)).fit(X, y)
    w = np.clip(model.coef_init_, lo, hi)  # the random start, projected onto the box
    b = float(model.intercept_init_)
    n = len(y)
    for _ in range(300):
        r = X @ w + b - y
        w = np.clip(w - 0.01 * (X.T @ r) / n, lo, hi)
        b = b - 0.01 * r.mean()
    np.testing.assert_allclose(model.coef_, w, rtol=0, atol=1e-10)
    assert abs(model.intercept_ - b) < 1e-10


def test_unconverged_fit_says_so_with_the_gap_to_the_constrained_optimum():
    X, y = _data(seed=2)
    with pytest.warns(Warning):
        model = LinearRegression(1e-4, 5, positive=True, tol=1e-12).fit(X, y)
    assert not model.converged_
    ref = SkLR(positive=True).fit(X, y)
    gap = model.diagnostics_.max_coef_gap
    diff = np.append(model.coef_ - ref.coef_, model.intercept_ - ref.intercept_)
    assert gap == pytest.approx(np.abs(diff).max(), rel=1e-6)


def test_sparse_and_direct_engine():
    X, y = _data(seed=4)
    ref = SkLR(positive=True).fit(X, y)
    for data in (sp.csr_matrix(X), X):
        model = LinearRegression(**FIT, positive=True, engine="direct").fit(data, y)
        np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-8)


def test_files_dask_and_partial_fit(tmp_path):
    X, y = _data(seed=6)
    lo, hi = _random_box(X.shape[1], 6)
    memory = LinearRegression(**FIT, bounds=(lo, hi)).fit(X, y)
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    fitted = [LinearRegression(**FIT, bounds=(lo, hi)).fit(open_dataset(tmp_path / "d.npy", -1))]
    online = LinearRegression(**FIT, bounds=(lo, hi))
    for part in np.array_split(np.arange(len(y)), 3):
        online.partial_fit(X[part], y[part])
    fitted.append(online)
    try:
        import dask.array as da
    except ImportError:
        pass
    else:
        Xd, yd = da.from_array(X, chunks=(70, 6)), da.from_array(y, chunks=70)
        fitted.append(LinearRegression(**FIT, bounds=(lo, hi)).fit(Xd, yd))
    for model in fitted:
        np.testing.assert_allclose(model.coef_, memory.coef_, atol=1e-8)
        np.testing.assert_allclose(model.intercept_, memory.intercept_, atol=1e-8)


def test_positive_and_bounds_intersect():
    box = Box.of(True, (-1.0, [1.0, 2.0]))
    assert box.lower == (0.0,) and box.upper == (1.0, 2.0)
    H = np.eye(2)
    W = bounded_optimum(H, np.array([[5.0], [-5.0]]), 0.0, box)
    assert W[:, 0].tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ((1.0, 0.0), "lower > upper"),
        (([0.0, 0.0], [1.0, 1.0, 1.0]), "different lengths"),
        ((np.nan, 1.0), "NaN"),
        ("0,1", "pair"),
        ((0.0,), "pair"),
        ((np.zeros((2, 2)), 1.0), "1-d"),
        (([0.0, 0.0], 1.0), "2 values on one side for 6 features"),
    ],
)
def test_bad_bounds_are_clear_errors(bounds, match):
    X, y = _data()
    with pytest.raises(BoundsError, match=match):
        LinearRegression(bounds=bounds).fit(X, y)


def test_combinations_that_cannot_honour_a_box_are_refused():
    X, y = _data()
    with pytest.raises(BoundsError, match="optimizer='cg'"):
        LinearRegression(lr="auto", optimizer="cg", positive=True).fit(X, y)
    with pytest.raises(ParameterError, match="coefficient bounds"):
        LinearRegression(lr="auto", precondition="diagonal", positive=True).fit(X, y)
    with pytest.raises(ParameterError, match="positive"):
        LinearRegression(positive=1).fit(X, y)


def test_lr_auto_where_direct_is_chosen_takes_projected_steps_not_cg():
    auto = SimpleNamespace(
        optimizer="gd",
        lr="auto",
        alpha=0.0,
        l1_ratio=0.0,
        batch_size=None,
        precondition="auto",
        engine="auto",
        positive=False,
        bounds=None,
    )
    assert choose_optimizer(auto, "direct") == "cg"
    assert choose_optimizer(replace_ns(auto, positive=True), "direct") == "gd"
    assert choose_optimizer(replace_ns(auto, bounds=(0, 1)), "direct") == "gd"


def replace_ns(ns, **kw):
    return SimpleNamespace(**{**vars(ns), **kw})


def test_model_file_round_trip(tmp_path):
    X, y = _data()
    model = LinearRegression(**FIT, positive=True).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded.get_params()["positive"] is True and loaded.get_params()["bounds"] is None
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert LinearRegression().get_params()["positive"] is False


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_cv_with_positive_equals_elastic_net_cv(l1_ratio):
    from sklearn.linear_model import ElasticNetCV
    from sklearn.model_selection import KFold

    from lingrad import LinearRegressionCV

    X, y = _data(n=200, seed=9)
    folds = KFold(4)
    ours = LinearRegressionCV(alphas=15, l1_ratio=l1_ratio, cv=folds, positive=True).fit(X, y)
    sk = ElasticNetCV(
        alphas=15, l1_ratio=l1_ratio, cv=folds, positive=True, tol=1e-14, max_iter=10**6
    ).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, sk.alphas_, rtol=1e-10)
    np.testing.assert_allclose(ours.mse_path_, sk.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(sk.alpha_, rel=1e-12)  # the same grid point
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-6, atol=1e-9)
    assert (ours.coef_path_ >= 0).all()


def test_cv_bounds_on_a_file_equal_memory(tmp_path):
    from lingrad import LinearRegressionCV

    X, y = _data(n=200, seed=10)
    lo, hi = _random_box(X.shape[1], 10)
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    kw = {"alphas": 8, "l1_ratio": 0.5, "bounds": (lo, hi)}
    memory = LinearRegressionCV(**kw).fit(X, y)
    streamed = LinearRegressionCV(**kw).fit(open_dataset(tmp_path / "d.npy", -1))
    np.testing.assert_allclose(streamed.coef_, memory.coef_, atol=1e-10)
    assert np.all(memory.coef_path_ >= lo[:, None] - 1e-15)
    with pytest.raises(BoundsError, match="lower > upper"):
        LinearRegressionCV(bounds=(1, 0)).fit(X, y)


def test_summary_at_an_active_bound_says_classical_inference_does_not_apply():
    X, y = _data(seed=3)
    model = LinearRegression(**FIT, positive=True).fit(X, y)
    n_active = int((model.coef_ == 0).sum())
    assert n_active > 0
    s = model.summary()
    assert not s.classical_inference_valid
    assert any(f"Bounded fit: {n_active} coefficient" in w for w in s.warnings)
    assert not any("optimum after" in w or "converge" in w.lower() for w in s.warnings)
    loose = LinearRegression(**FIT, bounds=(-100.0, 100.0)).fit(X, y)
    assert loose.summary().classical_inference_valid  # no bound active: classical again


def test_bounds_round_trip_through_a_model_file(tmp_path):
    X, y = _data()
    lo, hi = _random_box(X.shape[1], 0)
    for bounds in ((lo, hi), (0.0, np.inf), (-np.inf, [1.0] * 6)):
        model = LinearRegression(**FIT, bounds=bounds).fit(X, y)
        loaded = load_model(save_model(model, tmp_path / "m.json"))
        assert Box.of(False, loaded.bounds) == Box.of(False, bounds)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        refit = loaded.fit(X, y)
        np.testing.assert_allclose(refit.coef_, model.coef_, atol=1e-12)


def test_a_tampered_bounds_field_is_refused(tmp_path):
    import json

    from lingrad import ModelFileError

    X, y = _data()
    path = save_model(LinearRegression(**FIT, positive=True).fit(X, y), tmp_path / "m.json")
    doc = json.loads(path.read_text())
    for bad in ([1.0, 0.0], "0,1", [[0.0, "x"], 1.0]):
        doc["params"]["bounds"] = bad
        path.write_text(json.dumps(doc))
        with pytest.raises(ModelFileError, match="bounds"):
            load_model(path)


def test_cli_positive_and_bounds(tmp_path):
    pytest.importorskip("typer", reason="the command line needs typer")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y = _data(seed=3)
    np.save(tmp_path / "d.npy", np.column_stack([X, y]))
    runner = CliRunner()
    base = ["fit", str(tmp_path / "d.npy"), "--target", "-1", "--lr", "auto", "--tol", "1e-13"]
    base += ["--n-iters", "100000"]
    sk = SkLR(positive=True).fit(X, y)
    for extra, out in ((["--positive"], "p.json"), (["--bounds", "0,inf"], "b.json")):
        result = runner.invoke(cli.app, [*base, *extra, "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        model = load_model(tmp_path / out)
        np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-8)
    result = runner.invoke(cli.app, [*base, "--bounds", "1,0", "-o", str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "--bounds must be two numbers" in result.output
    assert "Traceback" not in result.output


# test_linear_regression_positive is left out: its one-row case ([[1]], [0]) has no unique
# coefficient, and a bounded fit keeps its descent's answer there (as L1 fits do), where
# scikit-learn returns 0; its two-row case is below.
_SK_POSITIVE = (
    "test_linear_regression_positive_multiple_outcome",
    "test_linear_regression_positive_vs_nonpositive",
    "test_linear_regression_positive_vs_nonpositive_when_positive",
)


@pytest.mark.parametrize("name", _SK_POSITIVE)
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_scikit_learns_own_positive_tests(monkeypatch, name, seed):
    """scikit-learn's LinearRegression(positive=True) tests, run on lingrad's estimator."""
    import warnings

    base = pytest.importorskip("sklearn.linear_model.tests.test_base", reason="sklearn's tests")

    def ours(positive=False):
        return LinearRegression(**FIT, positive=positive)

    monkeypatch.setattr(base, "LinearRegression", ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's data generators
        getattr(base, name)(seed)


def test_scikit_learns_two_row_positive_case():
    model = LinearRegression(**FIT, positive=True).fit([[1.0], [2.0]], [1.0, 2.0])
    np.testing.assert_allclose(model.coef_, [1.0], atol=1e-10)
    assert abs(model.intercept_) < 1e-10
