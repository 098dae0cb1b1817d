"""Frequency weights (statsmodels' ``freq_weights``): a row counted f times is f rows.

Oracles: the same fit on the data with every row repeated (params, bse, nobs,
df, R², log-likelihood, AIC/BIC agree to 1e-8 relative) and statsmodels'
``GLM(family=Gaussian(), freq_weights=f, var_weights=w)`` (1e-8 relative).
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._freq import FreqWeightError

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

FIELDS = ("params", "bse", "tvalues", "pvalues")
SCALARS = (
    "nobs",
    "df_resid",
    "df_model",
    "rsquared",
    "rsquared_adj",
    "llf",
    "aic",
    "bic",
    "fvalue",
    "ssr",
)


def _data(n=60, f=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f)) + 3.0
    y = X @ rng.normal(size=f) + 1.5 + rng.normal(size=n)
    fw = rng.integers(0, 4, n).astype(float)
    aw = rng.uniform(0.5, 2.0, n)
    return X, y, fw, aw


def _model(**kw):
    return LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, **kw)


def _close(a, b, rtol=1e-8):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=1e-12)


def _same(s, r):
    for name in FIELDS:
        _close(getattr(s, name), getattr(r, name))
    for name in SCALARS:
        _close(getattr(s, name), getattr(r, name))


@pytest.mark.parametrize("analytic", [False, True])
def test_equals_repeated_rows(analytic):
    X, y, fw, aw = _data()
    sw = aw if analytic else None
    s = _model().fit(X, y, sw, freq_weights=fw).summary()
    k = fw.astype(int)
    rep = _model().fit(
        np.repeat(X, k, 0), np.repeat(y, k), None if sw is None else np.repeat(sw, k)
    )
    r = rep.summary()
    _same(s, r)
    assert s.nobs == fw.sum() and s.df_resid == fw.sum() - 4


@pytest.mark.parametrize("analytic", [False, True])
def test_statsmodels_glm(analytic):
    X, y, fw, aw = _data(seed=1)
    sw = aw if analytic else None
    s = _model().fit(X, y, sw, freq_weights=fw).summary()
    kw = {"var_weights": aw} if analytic else {}
    g = sm.GLM(y, sm.add_constant(X), family=sm.families.Gaussian(), freq_weights=fw, **kw).fit()
    _close(s.params, g.params)
    _close(s.bse, g.bse)
    _close(s.nobs, g.df_resid + g.df_model + 1)
    _close(s.df_resid, g.df_resid)
    _close(s.llf, g.llf)
    _close(s.aic, g.aic)
    _close(s.bic, g.bic_llf)
    _close(s.scale, g.scale)


def test_non_integer_counts_follow_statsmodels():
    X, y, fw, _ = _data(seed=2)
    fw = fw + 0.5
    s = _model().fit(X, y, freq_weights=fw).summary()
    g = sm.GLM(y, sm.add_constant(X), family=sm.families.Gaussian(), freq_weights=fw).fit()
    _close(s.bse, g.bse)
    _close(s.llf, g.llf)


def test_partial_fit_batches_equal_one_fit():
    X, y, fw, aw = _data(seed=3)
    whole = _model().fit(X, y, aw, freq_weights=fw).summary()
    m = _model(partial_fit_mode="exact")
    for part in np.array_split(np.arange(len(y)), 3):
        m.partial_fit(X[part], y[part], aw[part], freq_weights=fw[part])
    _same(m.summary(), whole)
    m.partial_fit(X[:5], y[:5])  # an unweighted batch: its rows count once each
    assert m.stats_.nobs == fw.sum() + 5


def test_summary_with_data_and_direct_engine():
    X, y, fw, aw = _data(seed=4)
    ref = _model().fit(X, y, aw, freq_weights=fw).summary()
    m = _model(engine="direct")
    m.fit(X, y, aw, freq_weights=fw)
    _same(m.summary(X, y, sample_weight=aw, freq_weights=fw), ref)


def test_merge_carries_the_count():
    from lingrad._stats import SufficientStats

    X, y, fw, _ = _data(seed=5)
    a = _model().fit(X[:30], y[:30], freq_weights=fw[:30]).stats_
    b = SufficientStats.from_arrays(X[30:], y[30:])
    assert (a + b).nobs == fw[:30].sum() + 30
    assert (b + b).sum_freq is None and (b + b).nobs == 60


def test_missing_counts_drop_their_rows():
    X, y, fw, _ = _data(seed=6)
    fw[3] = np.nan
    with pytest.raises(FreqWeightError, match="missing='drop'"):
        _model().fit(X, y, freq_weights=fw)
    m = _model(missing="drop")
    s = m.fit(X, y, freq_weights=fw).summary()
    keep = np.arange(len(y)) != 3
    ref = _model().fit(X[keep], y[keep], freq_weights=fw[keep]).summary()
    _same(s, ref)


@pytest.mark.parametrize(
    ("bad", "match"),
    [(-1.0, "non-negative"), (np.inf, "finite"), ("shape", "one count per row")],
)
def test_bad_counts_one_line_errors(bad, match):
    X, y, fw, _ = _data(seed=7)
    fw = fw[:-1] if bad == "shape" else np.where(np.arange(len(fw)) == 2, bad, fw)
    with pytest.raises(FreqWeightError, match=match) as err:
        _model().fit(X, y, freq_weights=fw)
    assert "\n" not in str(err.value)


def test_hac_refused_clearly():
    """HC0-HC3 and cluster are defined on the repeated rows (tests/test_freq_robust.py); HAC
    is not: the copies of a row have no place in the time order its lags count."""
    X, y, fw, _ = _data(seed=8)
    m = _model().fit(X, y, freq_weights=fw)
    with pytest.raises(FreqWeightError, match="cov_type='cluster'") as err:
        m.summary(X, y, sample_weight=None, freq_weights=fw, cov_type="HAC")
    assert "time order" in str(err.value) and "\n" not in str(err.value)


def test_prediction_intervals_follow_the_count():
    """statsmodels' WLS on the repeated rows (GLM's get_prediction has no obs_ci columns)."""
    X, y, fw, aw = _data(seed=9)
    k = fw.astype(int)
    m = _model().fit(X, y, aw, freq_weights=fw)
    got = m.get_prediction(X[:5], weights=aw[:5]).summary_frame(alpha=0.05)
    w = sm.WLS(np.repeat(y, k), sm.add_constant(np.repeat(X, k, 0)), weights=np.repeat(aw, k))
    new = sm.add_constant(X[:5], has_constant="add")
    ref = w.fit().get_prediction(new, weights=aw[:5]).summary_frame(alpha=0.05)
    for col in ref.columns:
        _close(np.asarray(got[col]), np.asarray(ref[col]))


def _write(tmp_path, fmt, X, y, fw, aw):
    data = np.column_stack([X, y, fw, aw])
    names = ["a", "b", "c", "y", "count", "w"]
    if fmt == "npy":
        path = tmp_path / "d.npy"
        np.save(path, data)
        return path, 3, 4, 5, [0, 1, 2]
    pa = pytest.importorskip("pyarrow", reason="CSV and Parquet need pyarrow")
    table = pa.table({n: data[:, j] for j, n in enumerate(names)})
    if fmt == "csv":
        import pyarrow.csv as pcsv

        path = tmp_path / "d.csv"
        pcsv.write_csv(table, path)
    else:
        import pyarrow.parquet as pq

        path = tmp_path / "d.parquet"
        pq.write_table(table, path)
    return path, "y", "count", "w", ["a", "b", "c"]


@pytest.mark.parametrize("fmt", ["npy", "csv", "parquet"])
@pytest.mark.parametrize("analytic", [False, True])
def test_file_column_equals_in_memory(tmp_path, fmt, analytic):
    import lingrad

    X, y, fw, aw = _data(seed=11)
    path, target, count, w, feats = _write(tmp_path, fmt, X, y, fw, aw)
    weight = w if analytic else None
    ds = lingrad.open_dataset(path, target, weight=weight, freq_weight=count, chunk_rows=17)
    assert ds.n_features == (3 if analytic else 4)  # without weight=, w is a feature
    ds = lingrad.open_dataset(path, target, feats, weight=weight, freq_weight=count, chunk_rows=17)
    assert ds.n_features == 3
    s = _model().fit(ds).summary()
    ref = _model().fit(X, y, aw if analytic else None, freq_weights=fw).summary()
    _same(s, ref)
    direct = _model(engine="direct").fit(ds)
    _close(direct.summary(ds).bse, ref.bse, rtol=1e-6)


def test_file_negative_count_and_missing_count(tmp_path):
    import lingrad
    from lingrad._sources.errors import DataFileError

    X, y, fw, aw = _data(seed=12)
    fw[5] = -2.0
    path, target, count, _, feats = _write(tmp_path, "npy", X, y, fw, aw)
    with pytest.raises(DataFileError, match="frequency weight"):
        _model().fit(lingrad.open_dataset(path, target, feats, freq_weight=count))
    fw[5] = np.nan
    path, target, count, _, feats = _write(tmp_path, "npy", X, y, fw, aw)
    m = _model(missing="drop").fit(lingrad.open_dataset(path, target, feats, freq_weight=count))
    keep = np.arange(len(y)) != 5
    _same(m.summary(), _model().fit(X[keep], y[keep], freq_weights=fw[keep]).summary())
    assert m.n_dropped_ == 1


def test_cli_fit_summary_predict_with_a_count_column(tmp_path):
    import json

    pd = pytest.importorskip("pandas", reason="writes and reads the CSV files")
    pytest.importorskip("pyarrow", reason="reads CSV files")
    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y, fw, _ = _data(seed=13)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, count=fw)
    frame.to_csv(tmp_path / "d.csv", index=False)
    data, model = str(tmp_path / "d.csv"), str(tmp_path / "m.json")
    opts = ["--lr", "auto", "--optimizer", "nesterov", "--tol", "1e-14", "--n-iters", "200000"]
    run = CliRunner().invoke
    out = run(cli.app, ["fit", data, "-t", "y", "--freq-weight", "count", "-o", model, *opts])
    assert out.exit_code == 0, out.output
    k = fw.astype(int)
    ref = sm.OLS(np.repeat(y, k), sm.add_constant(np.repeat(X, k, 0))).fit()
    for extra in ([], [data, "--freq-weight", "count"]):
        got = run(cli.app, ["summary", model, *extra, "--json"])
        assert got.exit_code == 0, got.output
        doc = json.loads(got.output)
        _close(doc["nobs"], ref.nobs)
        _close(doc["llf"], ref.llf)
    refused = run(cli.app, ["summary", model, data])
    assert refused.exit_code != 0 and "--freq-weight COL" in refused.output
    pred = tmp_path / "p.csv"
    out = run(cli.app, ["predict", model, data, "-o", str(pred), "--interval", "0.95"])
    assert out.exit_code == 0, out.output
    want = ref.get_prediction(sm.add_constant(X, has_constant="add")).summary_frame(alpha=0.05)
    np.testing.assert_allclose(pd.read_csv(pred).to_numpy(), want.to_numpy(), rtol=1e-8)
