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
