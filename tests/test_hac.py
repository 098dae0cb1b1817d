"""HAC (Newey-West, Bartlett kernel) standard errors against statsmodels, streamed and not.

statsmodels' ``fit(cov_type="HAC", cov_kwds={"maxlags": L})`` with its default
``use_correction=False``: agreement to 1e-8 relative (about 13 digits are
observed), for every chunking of the rows (lags reach across chunk boundaries).
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad import LinearRegression, ParameterError, SufficientStats
from lingrad.inference import summarize

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

RTOL = 1e-8


def _series(n=300, f=2, seed=0, weighted=False):
    """Regressors and errors that are AR(1) in the row order."""
    rng = np.random.default_rng(seed)
    e = np.zeros(n)
    X = np.zeros((n, f))
    for t in range(1, n):
        e[t] = 0.7 * e[t - 1] + rng.standard_normal()
        X[t] = 0.5 * X[t - 1] + rng.standard_normal(f)
    y = X @ np.arange(1.0, f + 1) - 1.0 + e
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    return X, y, w


def _fit(X, y, w=None, fit_intercept=True):
    model = LinearRegression(
        lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, fit_intercept=fit_intercept
    )
    return model.fit(X, y, sample_weight=w)


def _sm(X, y, w, fit_intercept, maxlags, use_t=None):
    A = sm.add_constant(X, has_constant="add") if fit_intercept else X
    mod = sm.OLS(y, A) if w is None else sm.WLS(y, A, weights=w)
    return mod.fit(cov_type="HAC", cov_kwds={"maxlags": maxlags}, use_t=use_t)


def _assert_matches(s, r):
    np.testing.assert_allclose(s.params, r.params, rtol=RTOL)
    np.testing.assert_allclose(s.bse, r.bse, rtol=RTOL)
    np.testing.assert_allclose(s.tvalues, r.tvalues, rtol=RTOL)
    np.testing.assert_allclose(s.pvalues, r.pvalues, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(s.conf_int(), r.conf_int(), rtol=RTOL)
    fvalue = r.fvalue
    np.testing.assert_allclose(s.fvalue, fvalue, rtol=RTOL)
    np.testing.assert_allclose(s.f_pvalue, r.f_pvalue, rtol=RTOL, atol=1e-300)
    assert s.use_t == r.use_t


@pytest.mark.parametrize("maxlags", [0, 1, 4, 25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_matches_statsmodels(maxlags, weighted, fit_intercept):
    X, y, w = _series(weighted=weighted, seed=maxlags)
    model = _fit(X, y, w, fit_intercept)
    s = model.summary(X, y, sample_weight=w, cov_type="HAC", maxlags=maxlags)
    _assert_matches(s, _sm(X, y, w, fit_intercept, maxlags))
    assert s.cov_kwds["maxlags"] == maxlags and s.df_resid_inference is None
    assert f"with {maxlags} lags" in " ".join(s.notes())


def test_use_t_matches_statsmodels():
    X, y, _ = _series(seed=3)
    s = _fit(X, y).summary(X, y, cov_type="HAC", maxlags=3, use_t=True)
    _assert_matches(s, _sm(X, y, None, True, 3, use_t=True))


def test_default_lags_follow_newey_west_rule():
    X, y, _ = _series(n=1000, seed=4)
    s = _fit(X, y).summary(X, y, cov_type="HAC")
    lags = int(np.floor(4 * (1000 / 100) ** (2 / 9)))
    assert s.cov_kwds["maxlags"] == lags
    _assert_matches(s, _sm(X, y, None, True, lags))


class _Chunks:
    def __init__(self, X, y, w, rows):
        self.X, self.y, self.w, self.rows = X, y, w, rows

    def iter_chunks(self):
        for a in range(0, len(self.X), self.rows):
            b = a + self.rows
            yield self.X[a:b], self.y[a:b], None if self.w is None else self.w[a:b]


@pytest.mark.parametrize("rows", [1, 3, 7, 64, 1000])
@pytest.mark.parametrize("maxlags", [5, None])
def test_streamed_equals_in_memory_for_any_chunking(rows, maxlags):
    X, y, w = _series(weighted=True, seed=5)
    model = _fit(X, y, w)
    stats = SufficientStats.from_arrays(X, y, w)
    whole = summarize(model, stats, X, y, sample_weight=w, cov_type="HAC", maxlags=maxlags)
    streamed = summarize(model, stats, _Chunks(X, y, w, rows), cov_type="HAC", maxlags=maxlags)
    np.testing.assert_allclose(streamed.cov_params(), whole.cov_params(), rtol=1e-12)


def test_csv_with_small_chunks_equals_in_memory(tmp_path):
    pd = pytest.importorskip("pandas", reason="writes the CSV")
    pytest.importorskip("pyarrow", reason="reads CSV files")
    from lingrad import open_dataset

    X, y, _ = _series(seed=6)
    path = tmp_path / "ts.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(path, index=False)
    ds = open_dataset(path, target="y", chunk_rows=3)
    model = _fit(X, y)
    streamed = model.summary(ds, cov_type="HAC", maxlags=4)
    _assert_matches(streamed, _sm(X, y, None, True, 4))


def test_multi_output_each_target_matches_statsmodels():
    X, y, _ = _series(seed=7)
    Y = np.column_stack([y, y[::-1] + X[:, 0]])
    for j, s in enumerate(_fit(X, Y).summary(X, Y, cov_type="HAC", maxlags=2)):
        _assert_matches(s, _sm(X, Y[:, j], None, True, 2))


def test_bad_maxlags_are_refused_with_the_fix():
    X, y, _ = _series(n=50, seed=8)
    model = _fit(X, y)
    with pytest.raises(ParameterError, match="'maxlags' parameter") as info:
        model.summary(X, y, cov_type="HAC", maxlags=-1)
    assert "--maxlags 4" in info.value.render("cli")
    with pytest.raises(ParameterError, match="None unless cov_type is 'HAC'") as info:
        model.summary(X, y, cov_type="HC1", maxlags=2)
    assert "--cov-type HAC" in info.value.render("cli")
    with pytest.raises(ParameterError, match="needs the data"):
        model.summary(cov_type="HAC", maxlags=2)


def test_cli_maxlags_option(tmp_path):
    pd = pytest.importorskip("pandas", reason="writes the CSV")
    pytest.importorskip("pyarrow", reason="reads CSV files")
    pytest.importorskip("typer", reason="the command line")
    import json

    from typer.testing import CliRunner

    from lingrad import cli

    X, y, _ = _series(seed=9)
    path = tmp_path / "ts.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(path, index=False)
    model = _fit(pd.DataFrame(X, columns=["a", "b"]), y)
    model.save(tmp_path / "m.json", target_names=["y"])
    m, d = str(tmp_path / "m.json"), str(path)
    for args in (["--cov-type", "HAC", "--maxlags", "4"], ["--maxlags", "4"]):
        out = CliRunner().invoke(cli.app, ["summary", m, d, *args, "--chunk-rows", "5", "--json"])
        assert out.exit_code == 0, out.output
        doc = json.loads(out.output)
        assert doc["cov_type"] == "HAC" and doc["cov_kwds"]["maxlags"] == 4
        np.testing.assert_allclose(doc["bse"], _sm(X, y, None, True, 4).bse, rtol=RTOL)
    bad = CliRunner().invoke(cli.app, ["summary", m, d, "--maxlags", "2", "--cov-type", "HC0"])
    assert bad.exit_code != 0 and "--cov-type HAC" in bad.output and "Traceback" not in bad.output
