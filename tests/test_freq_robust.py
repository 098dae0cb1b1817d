"""Robust covariances with frequency weights: those of the explicitly repeated rows.

A row with ``f = 3`` is three identical rows: HC0-HC3 sum each copy's score
(the leverage of a copy is that of the repeated rows' design), cluster-robust
covariances put the copies in their row's cluster, and a row counted 0 times is
no row (its cluster does not count). Oracle: statsmodels ``OLS``/``WLS`` on
``np.repeat`` of the rows, agreeing to 1e-8 relative (measured ~1e-14), in
memory and streamed from CSV/Parquet files with a ``freq_weight`` column.
HAC is refused (see ``test_freq_weights.py::test_hac_refused_clearly``).
"""

from __future__ import annotations

import numpy as np
import pytest

import lingrad
from lingrad import LinearRegression
from lingrad._freq import FreqWeightError

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

HC = ("HC0", "HC1", "HC2", "HC3")
FIELDS = ("bse", "tvalues", "pvalues")


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) + 3.0
    noise = rng.normal(size=n) * (1.0 + np.abs(X[:, 0] - 3.0))  # heteroscedastic
    y = X @ rng.normal(size=3) + 1.5 + noise
    fw = rng.integers(0, 4, n).astype(float)
    fw[:9] = 0.0  # the first rows' clusters (0..2) hold no observation in the repeated data
    aw = rng.uniform(0.5, 2.0, n)
    g = np.where(np.arange(n) < 9, np.arange(n) // 3, 3 + rng.integers(0, 9, n))
    g2 = rng.integers(0, 5, n)
    return X, y, fw, aw, g, g2


def _model():
    return LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000)


def _repeated(X, y, fw, aw, analytic):
    k = fw.astype(int)
    Xr, yr = sm.add_constant(np.repeat(X, k, 0)), np.repeat(y, k)
    if analytic:
        return sm.WLS(yr, Xr, weights=np.repeat(aw, k)), k
    return sm.OLS(yr, Xr), k


def _same(s, r, rtol=1e-8):
    np.testing.assert_allclose(np.asarray(s.params), r.params, rtol=rtol)
    for name in FIELDS:
        np.testing.assert_allclose(np.asarray(getattr(s, name)), getattr(r, name), rtol=rtol)
    assert s.nobs == r.nobs


@pytest.mark.parametrize("analytic", [False, True])
@pytest.mark.parametrize("cov_type", HC)
def test_hc_equals_repeated_rows_in_memory(analytic, cov_type):
    X, y, fw, aw, *_ = _data()
    sw = aw if analytic else None
    m = _model().fit(X, y, sw, freq_weights=fw)
    s = m.summary(X, y, sample_weight=sw, freq_weights=fw, cov_type=cov_type)
    ref, _ = _repeated(X, y, fw, aw, analytic)
    _same(s, ref.fit(cov_type=cov_type))


@pytest.mark.parametrize("analytic", [False, True])
def test_cluster_one_and_two_way_equal_repeated_rows(analytic):
    X, y, fw, aw, g, g2 = _data(seed=1)
    sw = aw if analytic else None
    m = _model().fit(X, y, sw, freq_weights=fw)
    ref, k = _repeated(X, y, fw, aw, analytic)
    s = m.summary(X, y, sample_weight=sw, freq_weights=fw, cov_type="cluster", groups=g)
    r = ref.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(g, k)})
    _same(s, r)
    # clusters of rows counted 0 times are no clusters: G and the t df follow
    assert s.cov_kwds["n_groups"] == [len(np.unique(np.repeat(g, k)))] < [len(np.unique(g))]
    assert s.df_resid_inference == r.df_resid_inference
    two = np.column_stack([g, g2])
    s = m.summary(X, y, sample_weight=sw, freq_weights=fw, cov_type="cluster", groups=two)
    r = ref.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(two, k, 0)})
    _same(s, r)


def test_cr3_equals_cr3_of_the_repeated_rows():
    """statsmodels has no CR3; lingrad's own CR3 (= leave-one-cluster-out refits, tested in
    test_cluster.py) on the repeated rows is the oracle."""
    X, y, fw, aw, g, _ = _data(seed=2)
    m = _model().fit(X, y, aw, freq_weights=fw)
    s = m.summary(X, y, sample_weight=aw, freq_weights=fw, cov_type="cluster-crv3", groups=g)
    k = fw.astype(int)
    Xr, yr, wr, gr = (np.repeat(a, k, 0) for a in (X, y, aw, g))
    r = (
        _model()
        .fit(Xr, yr, wr)
        .summary(Xr, yr, sample_weight=wr, cov_type="cluster-crv3", groups=gr)
    )
    for name in ("params", *FIELDS):
        np.testing.assert_allclose(np.asarray(getattr(s, name)), getattr(r, name), rtol=1e-8)


def test_missing_drop_counts_the_kept_rows():
    X, y, fw, aw, _, _ = _data(seed=3)
    X[4, 1] = np.nan
    keep = np.arange(len(y)) != 4
    m = LinearRegression(
        lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, missing="drop"
    )
    m.fit(X, y, freq_weights=fw)
    s = m.summary(X, y, freq_weights=fw, cov_type="HC3")
    ref, _ = _repeated(X[keep], y[keep], fw[keep], aw, False)
    _same(s, ref.fit(cov_type="HC3"))


def _files(tmp_path, X, y, fw, aw, g):
    pd = pytest.importorskip("pandas", reason="writes the files")
    pytest.importorskip("pyarrow", reason="CSV and Parquet need pyarrow")
    city = np.array([f"city {i} é" for i in range(int(g.max()) + 1)], dtype=object)[g]
    df = pd.DataFrame(
        {
            "a": X[:, 0],
            "b": X[:, 1],
            "c": X[:, 2],
            "y": y,
            "count": fw,
            "w": aw,
            "g": g,
            "city": city,
        }
    )
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet")
    return [tmp_path / "d.csv", tmp_path / "d.parquet"]


@pytest.mark.parametrize("fmt", [0, 1], ids=["csv", "parquet"])
@pytest.mark.parametrize("analytic", [False, True])
def test_streamed_freq_column_equals_repeated_rows(tmp_path, fmt, analytic):
    X, y, fw, aw, g, _ = _data(seed=4)
    path = _files(tmp_path, X, y, fw, aw, g)[fmt]
    weight = "w" if analytic else None
    ds = lingrad.open_dataset(path, "y", ["a", "b", "c"], weight=weight, freq_weight="count",
                              chunk_rows=17)  # fmt: skip
    m = _model().fit(ds)
    ref, k = _repeated(X, y, fw, aw, analytic)
    for cov_type in HC:
        _same(m.summary(ds, cov_type=cov_type), ref.fit(cov_type=cov_type))
    r = ref.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(g, k)})
    for col in ("g", "city"):  # a numeric and a text column of cluster ids
        _same(m.summary(ds, cov_type="cluster", groups=col), r)
    r2 = ref.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(np.column_stack([g, g]), k, 0)})
    _same(m.summary(ds, cov_type="cluster", groups=["g", "city"]), r2)
    with pytest.raises(FreqWeightError, match="time order"):
        m.summary(ds, cov_type="HAC")


def test_freq_robust_equals_analytic_robust_when_counts_are_one():
    """Counts of 1 change nothing: the robust covariances equal the plain weighted ones."""
    X, y, _, aw, _, _ = _data(seed=5)
    ones = np.ones(len(y))
    m = _model().fit(X, y, aw, freq_weights=ones)
    p = _model().fit(X, y, aw)
    for cov_type in HC:
        a = m.summary(X, y, sample_weight=aw, freq_weights=ones, cov_type=cov_type)
        b = p.summary(X, y, sample_weight=aw, cov_type=cov_type)
        np.testing.assert_allclose(a.bse, b.bse, rtol=1e-10)


def test_cli_robust_summary_with_a_count_column(tmp_path):
    import json

    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y, fw, aw, g, _ = _data(seed=6)
    path = _files(tmp_path, X, y, fw, aw, g)[0]
    data, model = str(path), str(tmp_path / "m.json")
    opts = ["--lr", "auto", "--optimizer", "nesterov", "--tol", "1e-14", "--n-iters", "200000"]
    feats = ["--features", "a,b,c"]
    run = CliRunner().invoke
    out = run(
        cli.app, ["fit", data, "-t", "y", *feats, "--freq-weight", "count", "-o", model, *opts]
    )
    assert out.exit_code == 0, out.output
    ref, k = _repeated(X, y, fw, aw, False)
    for args, want in (
        (["--cov-type", "HC3"], ref.fit(cov_type="HC3")),
        (["--cluster", "city"], ref.fit(cov_type="cluster", cov_kwds={"groups": np.repeat(g, k)})),
    ):
        got = run(cli.app, ["summary", model, data, "--freq-weight", "count", *args, "--json"])
        assert got.exit_code == 0, got.output
        np.testing.assert_allclose(json.loads(got.output)["bse"], want.bse, rtol=1e-8)
    hac = run(cli.app, ["summary", model, data, "--freq-weight", "count", "--cov-type", "HAC"])
    assert hac.exit_code != 0 and "time order" in hac.output and "Traceback" not in hac.output


def test_fractional_counts_follow_the_same_formulas():
    """Non-integer counts enter the same formulas: halving every count doubles HC0's
    covariance (bread⁻¹ x 2, meat / 2); CR1's score sums halve (meat / 4), so only its
    (n-1)/(n-k) changes, with the new n."""
    X, y, fw, aw, g, _ = _data(seed=7)
    fw = fw + 1.0
    m = _model().fit(X, y, aw, freq_weights=fw)
    h = _model().fit(X, y, aw, freq_weights=fw / 2)
    a = m.summary(X, y, sample_weight=aw, freq_weights=fw, cov_type="HC0")
    b = h.summary(X, y, sample_weight=aw, freq_weights=fw / 2, cov_type="HC0")
    np.testing.assert_allclose(b.bse, a.bse * np.sqrt(2.0), rtol=1e-10)
    assert b.nobs == fw.sum() / 2
    a = m.summary(X, y, sample_weight=aw, freq_weights=fw, cov_type="cluster", groups=g)
    b = h.summary(X, y, sample_weight=aw, freq_weights=fw / 2, cov_type="cluster", groups=g)
    n, p = fw.sum(), 4
    ratio = ((n / 2 - 1) / (n / 2 - p)) / ((n - 1) / (n - p))
    np.testing.assert_allclose(b.bse, a.bse * np.sqrt(ratio), rtol=1e-10)
