"""Prediction intervals: ``model.get_prediction(X).summary_frame(alpha)`` against statsmodels.

statsmodels' ``OLS/WLS(...).fit().get_prediction(exog, weights=...).summary_frame(alpha)``:
the same six columns in the same order, agreeing to 1e-8 relative (about 13
digits are observed); streamed from a dataset equals in memory; the CLI's
``predict --interval`` writes them.
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad.inference import PREDICTION_COLUMNS

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")
pd = pytest.importorskip("pandas", reason="summary_frame is a DataFrame")

RTOL = 1e-8


def _data(n=200, f=3, seed=0, weighted=False, targets=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f)) + 2.0
    Y = X @ rng.standard_normal((f, targets)) + 1.0 + rng.standard_normal((n, targets))
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    Xn = rng.standard_normal((9, f)) + 2.0
    return X, Y[:, 0] if targets == 1 else Y, w, Xn


def _fit(X, y, w=None, fit_intercept=True):
    model = LinearRegression(
        lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, fit_intercept=fit_intercept
    )
    return model.fit(X, y, sample_weight=w)


def _sm_frame(X, y, w, Xn, fit_intercept, alpha, weights=None):
    A = sm.add_constant(X, has_constant="add") if fit_intercept else X
    An = sm.add_constant(Xn, has_constant="add") if fit_intercept else Xn
    res = (sm.OLS(y, A) if w is None else sm.WLS(y, A, weights=w)).fit()
    return res.get_prediction(An, weights=weights).summary_frame(alpha=alpha)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_summary_frame_matches_statsmodels(weighted, fit_intercept, alpha):
    X, y, w, Xn = _data(weighted=weighted)
    model = _fit(X, y, w, fit_intercept)
    got = model.get_prediction(Xn).summary_frame(alpha=alpha)
    want = _sm_frame(X, y, w, Xn, fit_intercept, alpha)
    assert list(got.columns) == list(want.columns) == list(PREDICTION_COLUMNS)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=RTOL)


def test_weights_of_new_observations_match_statsmodels():
    X, y, w, Xn = _data(weighted=True, seed=1)
    model = _fit(X, y, w)
    nw = np.linspace(0.5, 4.0, len(Xn))
    for weights in (2.0, nw):
        got = model.get_prediction(Xn, weights=weights).summary_frame()
        want = _sm_frame(X, y, w, Xn, True, 0.05, weights=weights)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=RTOL)
    with pytest.raises(ValueError, match="one weight per row"):
        model.get_prediction(Xn, weights=nw[:-1])


def test_results_attributes_and_intervals():
    X, y, _, Xn = _data(seed=2)
    res = _fit(X, y).get_prediction(Xn)
    np.testing.assert_allclose(res.predicted_mean, _fit(X, y).predict(Xn), rtol=1e-12)
    assert np.all(res.se_obs > res.se_mean)
    lo, hi = res.conf_int(obs=True, alpha=0.1).T
    assert np.all(lo < res.predicted_mean) and np.all(res.predicted_mean < hi)


def test_multi_output_gives_one_result_per_target():
    X, Y, _, Xn = _data(seed=3, targets=2)
    out = _fit(X, Y).get_prediction(Xn)
    assert len(out) == 2
    for j, res in enumerate(out):
        want = _sm_frame(X, Y[:, j], None, Xn, True, 0.05)
        np.testing.assert_allclose(res.summary_frame().to_numpy(), want.to_numpy(), rtol=RTOL)


def test_dataset_streamed_equals_in_memory(tmp_path):
    pytest.importorskip("pyarrow", reason="reads CSV files")
    from lingrad import open_dataset

    X, y, _, Xn = _data(seed=4)
    model = _fit(X, y)
    path = tmp_path / "new.csv"
    pd.DataFrame(Xn, columns=["x0", "x1", "x2"]).to_csv(path, index=False)
    ds = open_dataset(path, target=None, chunk_rows=2)
    streamed = model.get_prediction(ds).summary_frame()
    whole = model.get_prediction(Xn).summary_frame()
    np.testing.assert_allclose(streamed.to_numpy(), whole.to_numpy(), rtol=1e-13)


def test_cli_predict_interval_writes_the_columns(tmp_path):
    pytest.importorskip("pyarrow", reason="reads CSV files")
    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y, _, Xn = _data(seed=5)
    cols = ["a", "b", "c"]
    model = _fit(pd.DataFrame(X, columns=cols), y)
    model.save(tmp_path / "m.json", target_names=["y"])
    pd.DataFrame(Xn, columns=cols).to_csv(tmp_path / "new.csv", index=False)
    args = ["predict", str(tmp_path / "m.json"), str(tmp_path / "new.csv")]
    out = CliRunner().invoke(cli.app, [*args, "-o", str(tmp_path / "p.csv"), "--interval", "0.9"])
    assert out.exit_code == 0, out.output
    got = pd.read_csv(tmp_path / "p.csv")
    want = _sm_frame(X, y, None, Xn, True, 0.1)
    assert list(got.columns) == list(PREDICTION_COLUMNS)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-8)
    bad = CliRunner().invoke(cli.app, [*args, "-o", str(tmp_path / "q.csv"), "--interval", "95"])
    assert bad.exit_code != 0 and "--interval must be a level between 0 and 1" in bad.output
