"""Preconditioned descent (``precondition=``): theta = T z, mapped back exactly."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from _exact import digits, exact_lstsq, offsets_and_scales, perfect_fit, polynomial, year_and_values

from lingrad import LinearRegression, ParameterError, exact_optimum
from lingrad._diagnostics import IllConditionedWarning
from lingrad._objective import DirectLeastSquares, Penalty, StatsLeastSquares
from lingrad._precondition import (
    Preconditioned,
    StatsInZ,
    column_scales,
    stats_transform,
)
from lingrad._stats import SufficientStats
from lingrad.persist import load_model, read_model_file, save_model

_DATA = Path(__file__).parent / "data"
CONVERGE = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=100_000)


def _quiet(model, X, y, **fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        return model.fit(X, y, **fit)


def _data(n=200, f=4, k=1, seed=0, offset=0.0, spread=2.0):
    rng = np.random.default_rng(seed)
    X = offset + rng.standard_normal((n, f)) * np.logspace(-spread, spread, f)
    Y = X @ rng.standard_normal((f, k)) + 1.5 + 0.1 * rng.standard_normal((n, k))
    return X, (Y[:, 0] if k == 1 else Y)


# -- the change of variables ----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["diagonal", "full"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_transform_round_trips_and_its_gradient_map_is_the_transpose(kind, fit_intercept):
    X, Y = _data(k=2, offset=5.0)
    stats = SufficientStats.from_arrays(X, Y, None)
    t, _ = stats_transform(stats, fit_intercept, 0.0, kind)
    assert t.kind == kind
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((4 + fit_intercept, 2))
    # (the intercept row is c - mu . W: rounding of mu . W, offsets of 5, is what is left)
    np.testing.assert_allclose(t.to_theta(t.to_z(theta)), theta, rtol=1e-12, atol=1e-10)
    z, g = rng.standard_normal((t.rank + fit_intercept, 2)), rng.standard_normal(theta.shape)
    assert np.vdot(t.to_theta(z), g) == pytest.approx(np.vdot(z, t.grad_to_z(g)), rel=1e-12)


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_centred_gradient_equals_the_transposed_gradient(kind):
    X, Y = _data(k=2, offset=100.0)
    stats = SufficientStats.from_arrays(X, Y, None)
    inner = StatsLeastSquares(stats, True, Penalty(0.01, 0.0))
    t, _ = stats_transform(stats, True, inner.penalty.l2, kind)
    fast, generic = StatsInZ(inner, t), Preconditioned(inner, t)
    z = np.random.default_rng(2).standard_normal((t.rank + 1, 2))
    g1, mse1 = fast.grad_mse(z)
    g2, mse2 = generic.grad_mse(z)
    np.testing.assert_allclose(g1, g2, rtol=1e-9, atol=1e-9 * np.abs(g2).max())
    assert mse1 == pytest.approx(mse2, rel=1e-10)
    assert mse1 == pytest.approx(inner.mse(t.to_theta(z)), rel=1e-10)
    np.testing.assert_allclose(fast.hessian(), generic.hessian(), atol=1e-9)


def test_whitened_hessian_is_the_identity_so_descent_takes_one_step():
    X, y = polynomial(1, 21, 5)
    stats = SufficientStats.from_arrays(X, y[:, None], None)
    t, kappa = stats_transform(stats, True, 0.0, "full")
    assert kappa > 1e3  # the centred, scaled problem is still ill-conditioned
    lam, _ = StatsInZ(StatsLeastSquares(stats, True, Penalty()), t).linear_modes()
    np.testing.assert_allclose(lam, 1.0, atol=1e-6)
    model = _quiet(LinearRegression(**CONVERGE, random_state=0), X, y)
    d = model.diagnostics_
    assert d.precondition == "full" and model.n_iter_ <= 3 and model.converged_
    assert d.condition_number == pytest.approx(1.0, abs=1e-6)
    assert d.raw_condition_number > 1e12  # the raw problem, as given


def test_direct_scales_are_those_of_the_centred_columns_dense_and_sparse():
    X, y = _data(offset=1e3)
    dense = column_scales(DirectLeastSquares(X, y[:, None], None, True, Penalty()), True)
    np.testing.assert_allclose(dense.mu, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(1 / dense.m, X.std(axis=0), rtol=1e-9)
    Xs = sp.random(300, 6, density=0.3, random_state=0, format="csr")
    sparse = column_scales(DirectLeastSquares(Xs, np.ones((300, 1)), None, True, Penalty()), True)
    np.testing.assert_allclose(1 / sparse.m, Xs.toarray().std(axis=0), rtol=1e-8)


# -- when it applies --------------------------------------------------------------------------
def test_numeric_lr_keeps_the_tutorial_iterates_exactly():
    X, y = _data(spread=0.5)
    auto = LinearRegression(lr=0.01, n_iters=300, random_state=0).fit(X, y)
    none = LinearRegression(lr=0.01, n_iters=300, random_state=0, precondition="none").fit(X, y)
    np.testing.assert_array_equal(auto.coef_, none.coef_)
    np.testing.assert_array_equal(auto.loss_history_, none.loss_history_)
    assert auto.diagnostics_.precondition == "none"
    assert auto.diagnostics_.raw_condition_number == auto.diagnostics_.condition_number


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_auto_lr_preconditions_and_reaches_the_optimum(engine):
    X, y = _data(offset=1e4)
    model = LinearRegression(**CONVERGE, random_state=3, engine=engine).fit(X, y)
    coef, intercept = exact_optimum(X, y)
    assert model.diagnostics_.precondition in ("diagonal", "full") and model.converged_
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-7)
    assert model.diagnostics_.condition_number < model.diagnostics_.raw_condition_number or (
        engine == "direct"
    )


@pytest.mark.parametrize("kind", ["diagonal", "full", "none"])
def test_every_preconditioner_reaches_the_same_optimum(kind):
    X, y = _data(k=2, spread=1.0)
    model = LinearRegression(**CONVERGE, random_state=0, precondition=kind).fit(X, y)
    coef, intercept = exact_optimum(X, y)
    assert model.diagnostics_.precondition == kind and model.converged_
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6)
    tutorial = LinearRegression(lr=1e-6, n_iters=0, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_init_, tutorial.coef_init_)  # the same start


def test_sparse_data_is_centred_as_an_operator():
    rng = np.random.default_rng(4)
    Xs = sp.random(400, 30, density=0.1, random_state=4, format="csr") * 100
    y = Xs @ rng.standard_normal(30) + 7.0
    sparse = LinearRegression(**CONVERGE, random_state=0, engine="direct").fit(Xs, y)
    dense = LinearRegression(**CONVERGE, random_state=0).fit(Xs.toarray(), y)
    assert sparse.engine_ == "direct" and sparse.diagnostics_.precondition == "diagonal"
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
    assert sparse.intercept_ == pytest.approx(dense.intercept_, rel=1e-6)


def test_ridge_is_preconditioned_too():
    X, y = _data(offset=50.0)
    model = LinearRegression(**CONVERGE, random_state=0, alpha=0.1).fit(X, y)
    coef, intercept = exact_optimum(X, y, alpha=0.1)
    assert model.diagnostics_.precondition != "none"
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-6)


def test_record_path_is_mapped_back():
    X, y = _data()
    model = LinearRegression(**CONVERGE, random_state=0, record_path=True).fit(X, y)
    np.testing.assert_allclose(model.coef_path_[0], model.coef_init_, rtol=1e-12)
    assert model.intercept_path_[0] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(model.coef_path_[-1], model.coef_, rtol=1e-9)


def test_partial_fit_exact_is_preconditioned_like_fit():
    X, y = _data(offset=1e3)
    model = LinearRegression(**CONVERGE, random_state=0)
    for rows in np.array_split(np.arange(len(y)), 3):
        model.partial_fit(X[rows], y[rows])
    fitted = LinearRegression(**CONVERGE, random_state=0).fit(X, y)
    assert model.diagnostics_.precondition == fitted.diagnostics_.precondition
    np.testing.assert_allclose(model.coef_, fitted.coef_, rtol=1e-7)


# -- refused combinations -------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, blamed",
    [
        (dict(precondition="full", engine="direct"), "engine"),
        (dict(precondition="diagonal", batch_size=10), "batch_size"),
        (dict(precondition="full", alpha=0.1, l1_ratio=0.5), "l1_ratio"),
    ],
)
def test_preconditioners_that_cannot_apply_are_refused(kw, blamed):
    X, y = _data()
    with pytest.raises(ParameterError) as info:
        LinearRegression(lr="auto", **kw).fit(X, y)
    err = info.value
    assert err.fields["param"] == "precondition"
    assert blamed in str(err) and "--precondition" in err.render("cli")


def test_auto_never_preconditions_mini_batches_or_lasso():
    X, y = _data()
    sgd = LinearRegression(lr="auto", batch_size=50, n_iters=3, random_state=0).fit(X, y)
    lasso = LinearRegression(lr="auto", alpha=0.1, l1_ratio=1.0, random_state=0).fit(X, y)
    assert sgd.diagnostics_.precondition == "none" == lasso.diagnostics_.precondition


# -- accuracy on the classic hard designs ----------------------------------------------------
DESIGNS = {
    **{f"poly(-9,-3,{d})": (polynomial, (-9, -3, d)) for d in (2, 5, 10)},
    **{f"poly(1,21,{d})": (polynomial, (1, 21, d)) for d in (2, 5, 10)},
    "year_and_values": (year_and_values, ()),
    "perfect_fit": (perfect_fit, ()),
}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_converged_fit_on_raw_columns_has_seven_digits(name):
    make, args = DESIGNS[name]
    X, y = make(*args)
    model = _quiet(LinearRegression(**CONVERGE, random_state=0), X, y)
    exact = exact_lstsq(X, y)
    assert model.converged_
    assert digits(np.append(model.coef_, model.intercept_), exact) >= 7


def test_offsets_and_scales_reach_the_optimum_with_a_tight_tol():
    # The start's gradient is dominated by the mean prediction (offsets 1e6): a tol relative
    # to it stops early; a tighter one, or a stopping rule independent of the start, does not.
    X, y = offsets_and_scales()
    model = _quiet(LinearRegression(**{**CONVERGE, "tol": 1e-18}, random_state=0), X, y)
    assert digits(np.append(model.coef_, model.intercept_), exact_lstsq(X, y)) >= 7


def test_refinement_only_where_the_statistics_are_not_enough():
    X, y = polynomial(-9, -3, 10)
    hard = _quiet(LinearRegression(**CONVERGE, random_state=0), X, y)
    assert hard.diagnostics_.refined and hard.diagnostics_.coef_unique is True
    assert hard.converged_ and hard.n_iter_ == hard.fit_result_.n_iter  # the descent's count
    easy = LinearRegression(**CONVERGE, random_state=0).fit(*_data())
    assert not easy.diagnostics_.refined


# -- model files ------------------------------------------------------------------------------
def test_preconditioned_model_round_trips(tmp_path):
    X, y = _data()
    model = LinearRegression(**CONVERGE, random_state=0, precondition="full").fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded.precondition == "full"
    d, e = model.diagnostics_, loaded.diagnostics_
    assert (e.precondition, e.coef_unique, e.refined) == (d.precondition, d.coef_unique, d.refined)
    assert e.raw_condition_number == d.raw_condition_number


def test_old_model_file_loads_without_preconditioning():
    model = read_model_file(_DATA / "model_v1.json").model
    assert model.get_params()["precondition"] == "none"
    d = model.diagnostics_
    assert d.precondition == "none" and d.coef_unique is None and np.isnan(d.raw_condition_number)


def test_bad_boolean_diagnostic_is_refused(tmp_path):
    X, y = _data()
    path = save_model(LinearRegression(**CONVERGE, random_state=0).fit(X, y), tmp_path / "m.json")
    doc = json.loads(path.read_text())
    doc["diagnostics"]["refined"] = "yes"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"diagnostics\.refined' must be true or false"):
        load_model(path)


def test_too_many_features_to_decompose_are_scaled_only(monkeypatch):
    import lingrad._precondition as pre

    monkeypatch.setattr(pre, "EIGH_MAX", 3)
    X, y = _data(f=5, spread=1.0)
    model = LinearRegression(**CONVERGE, random_state=0, engine="stats").fit(X, y)
    coef, _ = exact_optimum(X, y)
    d = model.diagnostics_
    assert d.precondition == "diagonal" and np.isnan(d.smallest_eigenvalue)
    assert d.coef_unique is None  # not decided without the decomposition
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
