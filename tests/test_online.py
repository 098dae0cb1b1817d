"""The online state of partial_fit as typed dataclasses: start, merge, resume, round trips."""

import pickle

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._online import OnlineState, SGDState, online_plan, param_snapshot
from lingrad._params import PARAMETERS, check_params


def _params(**kw):
    return check_params(
        "LinearRegression", {n: kw.get(n, c.default) for n, c in PARAMETERS.items()}
    )


def _data(rng, n=120, k=None):
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    return X, (y if k is None else np.column_stack([y] * k))


def test_start_is_the_tutorials_start_and_empty(rng):
    X, y = _data(rng)
    on = OnlineState.start(0, X, y, fit_intercept=True)
    assert on.one_d and on.n_targets == 1 and on.acc is None and on.sgd is None
    assert on.stats().n_samples == 0
    np.testing.assert_array_equal(on.theta0[:3, 0], np.random.RandomState(0).rand(3))
    assert on.theta0.shape == (4, 1) and on.theta0[3, 0] == 0.0


def test_both_merge_paths_give_the_statistics_of_all_rows(rng):
    X, y = _data(rng)
    lean = OnlineState.start(0, X, y, fit_intercept=True)
    general = OnlineState.start(0, X, y, fit_intercept=True)
    for i in range(0, 120, 40):
        assert lean.add_plain(X[i : i + 40], y[i : i + 40], n_features=3)
        general.add(X[i : i + 40], y[i : i + 40, None], np.ones(40))  # weights: general path
    a, b = lean.stats(), general.stats()
    assert a.n_samples == b.n_samples == 120
    np.testing.assert_allclose(a.xy, b.xy, rtol=1e-12)
    np.testing.assert_allclose(a.xx, b.xx, rtol=1e-12)


def test_lean_path_refuses_what_validation_must_see(rng):
    X, y = _data(rng)
    on = OnlineState.start(0, X, y, fit_intercept=True)
    assert not on.add_plain(X.astype(np.float32), y, n_features=3)
    assert not on.add_plain(X[:, :2], y, n_features=3)
    assert not on.add_plain(X, np.column_stack([y, y]), n_features=3)
    bad = X.copy()
    bad[0, 0] = np.nan
    assert not on.add_plain(bad, y, n_features=3)
    assert on.acc is None


def test_target_mismatch_is_refused(rng):
    X, y = _data(rng)
    on = OnlineState.start(0, X, y, fit_intercept=True)
    with pytest.raises(ValueError, match="expected 1-D y"):
        on.check_targets(np.column_stack([y, y]))


def test_online_plan_solves_the_merged_statistics(rng):
    X, y = _data(rng)
    on = OnlineState.start(0, X, y, fit_intercept=True)
    on.add(X, y[:, None], None)
    plan = online_plan(on, _params(), n_features_in=3, names=None)
    assert plan.engine == "stats" and plan.stats.n_samples == 120
    no_intercept = online_plan(on, _params(fit_intercept=False), n_features_in=3, names=None)
    assert no_intercept.theta0.shape == (3, 1)  # fit_intercept changed since the first batch
    np.testing.assert_array_equal(no_intercept.theta0[:, 0], on.theta0[:3, 0])


@pytest.mark.parametrize("mode", ["exact", "sgd"])
def test_state_round_trips_through_pickle(mode, rng):
    X, y = _data(rng)
    model = LinearRegression(partial_fit_mode=mode, lr="auto", random_state=0, batch_size=20)
    model.partial_fit(X[:60], y[:60])
    clone = pickle.loads(pickle.dumps(model))
    assert isinstance(clone._online, OnlineState)
    assert clone._online.snapshot == param_snapshot(clone)
    if mode == "sgd":
        assert isinstance(clone._online.sgd, SGDState) and clone._online.sgd.updates == 3
    model.partial_fit(X[60:], y[60:])
    clone.partial_fit(X[60:], y[60:])
    np.testing.assert_array_equal(model.coef_, clone.coef_)


def test_after_fit_keeps_the_fitted_statistics_and_start(rng):
    X, y = _data(rng, k=2)
    model = LinearRegression(random_state=0).fit(X, y)
    on = OnlineState.after_fit(model, sgd=False)
    assert not on.one_d and on.n_targets == 2 and on.stats() is model.stats_
    np.testing.assert_array_equal(on.theta0, model.fit_result_.theta_init)
    np.testing.assert_array_equal(
        OnlineState.after_fit(model, sgd=True).theta0, model.fit_result_.theta
    )


def test_sgd_mode_leaves_no_diagnostics(rng):
    X, y = _data(rng)
    model = LinearRegression(partial_fit_mode="sgd", random_state=0).partial_fit(X, y)
    assert not hasattr(model, "diagnostics_")
    assert model.engine_ == "direct" and model.n_iter_ == 1


def _stream(rng, n_batches=4, rows=300):
    X = rng.standard_normal((n_batches * rows, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(len(X))
    return X, y, [(X[i : i + rows], y[i : i + rows]) for i in range(0, len(X), rows)]


def test_lean_path_takes_plain_batches_with_the_results_of_the_full_path(rng):
    from lingrad._online import lean_partial_fit

    X, y, batches = _stream(rng)
    lean, full = LinearRegression(lr="auto", tol=1e-10), LinearRegression(lr="auto", tol=1e-10)
    lean.partial_fit(*batches[0])
    full.partial_fit(*batches[0], sample_weight=np.ones(300))  # weights: the full path
    for Xb, yb in batches[1:]:
        assert lean_partial_fit(lean, Xb, yb)
        full.partial_fit(Xb, yb, sample_weight=np.ones(300))
    assert lean.stats_.n_samples == full.stats_.n_samples == len(X)
    np.testing.assert_allclose(lean.stats_.scatter, full.stats_.scatter, rtol=1e-12)
    np.testing.assert_allclose(lean.coef_, full.coef_, rtol=1e-10)
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    np.testing.assert_allclose(lean.coef_, ref[:3], rtol=1e-10)


def test_lean_path_leaves_to_the_full_path_what_validation_must_see(rng):
    pd = pytest.importorskip("pandas", reason="feature names come from a DataFrame")
    from lingrad._online import lean_partial_fit

    X, y, batches = _stream(rng)
    assert not lean_partial_fit(LinearRegression(), X, y)  # nothing started yet
    model = LinearRegression(lr="auto").partial_fit(*batches[0])
    model.set_params(alpha=0.1)  # changed hyperparameters are validated again
    assert not lean_partial_fit(model, *batches[1])
    model.partial_fit(*batches[1])
    assert lean_partial_fit(model, *batches[2])
    bad = batches[3][0].copy()
    bad[5, 1] = np.nan
    assert not lean_partial_fit(model, bad, batches[3][1])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.partial_fit(bad, batches[3][1])  # the full path's message
    sgd = LinearRegression(lr="auto", partial_fit_mode="sgd").partial_fit(*batches[0])
    assert not lean_partial_fit(sgd, *batches[1])
    named = LinearRegression(lr="auto").partial_fit(
        pd.DataFrame(X[:300], columns=list("abc")), y[:300]
    )
    assert not lean_partial_fit(named, *batches[1])  # its names are checked by validation


def test_lean_path_drops_fitted_attributes_once_and_keeps_counting_dropped_rows(rng):
    from lingrad._online import lean_partial_fit

    batches = _stream(rng)[2]
    model = LinearRegression(lr="auto", tol=1e-10, missing="drop").partial_fit(*batches[0])
    first = model.coef_.copy()  # solved here
    assert lean_partial_fit(model, *batches[1])
    assert model.__dict__["_pending_solve"] and "coef_" not in model.__dict__
    assert lean_partial_fit(model, *batches[2])  # already dropped: nothing to redo
    assert not np.array_equal(model.coef_, first)
    assert model.n_dropped_ == 0 and model.stats_.n_samples == 900
    holes = batches[3][0].copy()
    holes[:10, 0] = np.nan  # missing="drop": the full path drops these rows
    model.partial_fit(holes, batches[3][1])
    assert model.n_dropped_ == 10 and model.stats_.n_samples == 1190
