"""Cluster-robust standard errors (CR1 and CR3, one- and two-way) against statsmodels.

statsmodels' ``OLS/WLS(...).fit(cov_type="cluster", cov_kwds={"groups": g})``
with its defaults (``use_correction=True``, ``df_correction=True``): agreement
to 1e-8 relative in params, bse, tvalues, pvalues, conf_int, fvalue and
f_pvalue (about 12-14 digits are observed). CR3 is checked against a direct
leave-one-cluster-out refit (``numpy.linalg.lstsq`` per cluster) and against
statsmodels' ``"cluster-crv3"`` where it has one.
"""

from __future__ import annotations

import numpy as np
import pytest

from lingrad import LinearRegression, ParameterError, SufficientStats
from lingrad.inference import summarize

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

RTOL = 1e-8


def _data(n=400, f=3, G=30, seed=0, weighted=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f)) + rng.standard_normal(f)
    g = rng.integers(0, G, n)
    h = rng.integers(0, 7, n)
    # errors correlated within clusters, heteroscedastic in x0
    y = X @ np.arange(1.0, f + 1) + 2.0 + rng.standard_normal(G)[g] * (1 + np.abs(X[:, 0]))
    y = y + rng.standard_normal(n)
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    return X, y, g, h, w


def _fit(X, y, w=None, fit_intercept=True):
    model = LinearRegression(
        lr="auto", optimizer="nesterov", tol=1e-14, n_iters=200_000, fit_intercept=fit_intercept
    )
    return model.fit(X, y, sample_weight=w)


def _sm(X, y, w, fit_intercept, cov_type, use_t=None, **kwds):
    A = sm.add_constant(X, has_constant="add") if fit_intercept else X
    mod = sm.OLS(y, A) if w is None else sm.WLS(y, A, weights=w)
    return mod.fit(cov_type=cov_type, cov_kwds=kwds, use_t=use_t)


def assert_matches(s, r, rtol=RTOL):
    np.testing.assert_allclose(s.params, r.params, rtol=rtol)
    np.testing.assert_allclose(s.bse, r.bse, rtol=rtol)
    np.testing.assert_allclose(s.tvalues, r.tvalues, rtol=rtol)
    np.testing.assert_allclose(s.pvalues, r.pvalues, rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(s.conf_int(), r.conf_int(), rtol=rtol)
    np.testing.assert_allclose(s.conf_int(0.2), r.conf_int(0.2), rtol=rtol)
    np.testing.assert_allclose(s.cov_params(), r.cov_params(), rtol=rtol, atol=1e-16)
    assert s.use_t == r.use_t
    fvalue = r.fvalue  # statsmodels sets its f_pvalue from the Wald test when fvalue is read
    np.testing.assert_allclose(s.fvalue, fvalue, rtol=rtol)
    np.testing.assert_allclose(s.f_pvalue, r.f_pvalue, rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("use_t", [None, True])
def test_one_way_cr1_matches_statsmodels(weighted, fit_intercept, use_t):
    X, y, g, _, w = _data(weighted=weighted)
    model = _fit(X, y, w, fit_intercept)
    s = model.summary(X, y, sample_weight=w, cov_type="cluster", groups=g, use_t=use_t)
    r = _sm(X, y, w, fit_intercept, "cluster", use_t, groups=g)
    assert_matches(s, r)
    assert s.df_resid_inference == r.df_resid_inference == len(np.unique(g)) - 1
    assert s.cov_kwds["n_groups"] == [len(np.unique(g))]
    assert s.cov_kwds["use_correction"] and s.cov_kwds["df_correction"]


@pytest.mark.parametrize("weighted", [False, True])
def test_two_way_cr1_matches_statsmodels(weighted):
    X, y, g, h, w = _data(weighted=weighted, seed=3)
    model = _fit(X, y, w)
    both = np.column_stack([g, h])
    s = model.summary(X, y, sample_weight=w, cov_type="cluster", groups=both)
    r = _sm(X, y, w, True, "cluster", groups=both)
    assert_matches(s, r)
    assert s.df_resid_inference == r.df_resid_inference == min(len(set(g)), len(set(h))) - 1
    # the same clusters given as a list of two id columns, relabelled as strings
    labels = [np.array([f"firm-{v}" for v in g]), np.array([f"year{v}" for v in h])]
    s2 = model.summary(X, y, sample_weight=w, cov_type="cluster", groups=labels)
    np.testing.assert_allclose(s2.bse, s.bse, rtol=1e-12)


def _loco(A, y, w, g, theta):
    """CR3 by a direct leave-one-cluster-out refit of the weighted least squares."""
    sw = np.sqrt(w)
    clusters = np.unique(g)
    deltas = []
    for c in clusters:
        keep = g != c
        b = np.linalg.lstsq(A[keep] * sw[keep, None], y[keep] * sw[keep], rcond=None)[0]
        deltas.append(b - theta)
    D = np.array(deltas)
    G = len(clusters)
    return (G - 1) / G * D.T @ D


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cr3_is_the_leave_one_cluster_out_jackknife(weighted, fit_intercept):
    X, y, g, _, w = _data(n=300, G=12, weighted=weighted, seed=5)
    model = _fit(X, y, w, fit_intercept)
    s = model.summary(X, y, sample_weight=w, cov_type="cluster-crv3", groups=g)
    A = np.column_stack([np.ones(len(X)), X]) if fit_intercept else X
    ww = np.ones(len(X)) if w is None else w
    np.testing.assert_allclose(s.cov_params(), _loco(A, y, ww, g, np.asarray(s.params)), rtol=1e-9)
    assert "leave-one-cluster-out" in " ".join(s.notes())
    assert "O(G·p²)" in " ".join(s.notes())


def test_cr3_matches_statsmodels_crv3_where_available():
    X, y, g, h, _ = _data(n=300, G=12, seed=6)
    try:
        r = _sm(X, y, None, True, "cluster-crv3", groups=g)
    except ValueError as err:  # statsmodels before 0.15 has no CR3
        pytest.skip(f"this statsmodels has no cluster-crv3: {err}")
    s = _fit(X, y).summary(X, y, cov_type="cluster-crv3", groups=g)
    assert_matches(s, r)
    with pytest.raises(ParameterError, match="for CR1 only") as info:  # as statsmodels
        _fit(X, y).summary(X, y, cov_type="cluster-crv3", groups=np.column_stack([g, h]))
    assert "--cov-type cluster " in info.value.render("cli")


def test_cr3_without_a_cluster_that_identifies_a_coefficient_is_refused():
    X, y, g, _, _ = _data(n=200, G=10, seed=7)
    X = np.column_stack([X, (g == 3).astype(float)])  # a dummy of cluster 3
    model = _fit(X, y)
    with pytest.raises(ValueError, match="rank deficient"):
        model.summary(X, y, cov_type="cluster-crv3", groups=g)


class _Chunks:
    def __init__(self, X, y, w, sizes):
        self.X, self.y, self.w, self.sizes = X, y, w, sizes

    def iter_chunks(self):
        a = 0
        for m in self.sizes:
            yield (
                self.X[a : a + m],
                self.y[a : a + m],
                None if self.w is None else self.w[a : a + m],
            )
            a += m


@pytest.mark.parametrize("cov_type", ["cluster", "cluster-crv3"])
def test_streamed_chunks_equal_in_memory(cov_type):
    X, y, g, h, w = _data(weighted=True, seed=8)
    model = _fit(X, y, w)
    stats = SufficientStats.from_arrays(X, y, w)
    ids = np.column_stack([g, h]) if cov_type == "cluster" else g
    whole = summarize(model, stats, X, y, sample_weight=w, cov_type=cov_type, groups=ids)
    src = _Chunks(X, y, w, [1, 150, 49, 200])
    streamed = summarize(model, stats, src, cov_type=cov_type, groups=ids)
    np.testing.assert_allclose(streamed.cov_params(), whole.cov_params(), rtol=1e-12)


def test_dataset_group_columns_equal_in_memory(tmp_path):
    pd = pytest.importorskip("pandas", reason="writes the CSV")
    pytest.importorskip("pyarrow", reason="reads CSV files")
    from lingrad import open_dataset

    X, y, g, h, w = _data(weighted=True, seed=9)
    path = tmp_path / "d.csv"
    pd.DataFrame(
        {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y, "w": w, "firm": g, "yr": h}
    ).to_csv(path, index=False)
    ds = open_dataset(path, target="y", features=["a", "b", "c"], weight="w", chunk_rows=13)
    model = _fit(X, y, w)
    cases = [("cluster-crv3", "firm", g), ("cluster", "firm", g)]
    cases.append(("cluster", ["firm", "yr"], np.column_stack([g, h])))
    for cov_type, groups, ids in cases:
        streamed = model.summary(ds, cov_type=cov_type, groups=groups)
        whole = model.summary(X, y, sample_weight=w, cov_type=cov_type, groups=ids)
        np.testing.assert_allclose(streamed.cov_params(), whole.cov_params(), rtol=1e-10)
    assert streamed.cov_kwds["groups"] == ["firm", "yr"]
    assert "'firm' and 'yr'" in " ".join(streamed.notes())
    with pytest.raises(ParameterError, match="the file has a, b, c, y, w, firm, yr"):
        model.summary(ds, cov_type="cluster", groups="nope")
    # an array of ids works with a dataset too (rows in file order)
    by_array = model.summary(ds, cov_type="cluster", groups=g)
    np.testing.assert_allclose(by_array.bse, model.summary(X, y, sample_weight=w,
                               cov_type="cluster", groups=g).bse, rtol=1e-10)  # fmt: skip


def test_dask_equals_in_memory():
    da = pytest.importorskip("dask.array", reason="Dask collections")
    X, y, g, h, _ = _data(seed=10)
    model = _fit(X, y)
    whole = model.summary(X, y, cov_type="cluster", groups=np.column_stack([g, h]))
    Xd, yd = da.from_array(X, chunks=(97, 3)), da.from_array(y, chunks=97)
    gd = da.from_array(np.column_stack([g, h]), chunks=(50, 2))
    lazy = model.summary(Xd, yd, cov_type="cluster", groups=gd)
    np.testing.assert_allclose(lazy.cov_params(), whole.cov_params(), rtol=1e-12)


def test_multi_output_each_target_matches_statsmodels():
    X, y, g, _, _ = _data(seed=11)
    Y = np.column_stack([y, 2 * y - X[:, 1] + np.random.default_rng(1).standard_normal(len(y))])
    out = _fit(X, Y).summary(X, Y, cov_type="cluster", groups=g)
    for j, s in enumerate(out):
        assert_matches(s, _sm(X, Y[:, j], None, True, "cluster", groups=g))


def test_bad_groups_and_settings_are_refused_with_the_fix():
    X, y, g, _, _ = _data(n=100, seed=12)
    model = _fit(X, y)
    with pytest.raises(ParameterError, match="groups=ids"):
        model.summary(X, y, cov_type="cluster")
    with pytest.raises(ParameterError, match="None unless cov_type is 'cluster'"):
        model.summary(X, y, cov_type="HC1", groups=g)
    with pytest.raises(ValueError, match="groups has 99 labels but the data have"):
        model.summary(X, y, cov_type="cluster", groups=g[:-1])
    with pytest.raises(ValueError, match="groups has 101 labels but the data have 100 rows"):
        model.summary(X, y, cov_type="cluster", groups=np.append(g, 0))
    with pytest.raises(ParameterError, match=r"\(n_samples,\) or \(n_samples, 2\)"):
        model.summary(X, y, cov_type="cluster", groups=np.zeros((100, 3)))
    with pytest.raises(ParameterError, match="NaN is not one"):
        model.summary(X, y, cov_type="cluster", groups=np.where(g == 1, np.nan, g))
    with pytest.raises(ParameterError, match="column names need a dataset"):
        model.summary(X, y, cov_type="cluster", groups="firm")
    with pytest.raises(ParameterError, match="needs the data") as info:
        model.summary(cov_type="cluster", groups=g)
    assert "--cov-type cluster" in info.value.render("cli")


def test_cli_cluster_option(tmp_path):
    pd = pytest.importorskip("pandas", reason="writes the CSV")
    pytest.importorskip("pyarrow", reason="reads CSV files")
    pytest.importorskip("typer", reason="the command line")
    import json

    from typer.testing import CliRunner

    from lingrad import cli

    X, y, g, h, _ = _data(n=200, seed=13)
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y, "firm": g, "yr": h}).to_csv(
        path, index=False
    )
    model = _fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    model.save(tmp_path / "m.json", target_names=["y"])
    run = CliRunner().invoke
    m, d = str(tmp_path / "m.json"), str(path)
    one = run(cli.app, ["summary", m, d, "--cluster", "firm", "--json", "--chunk-rows", "17"])
    assert one.exit_code == 0, one.output
    doc = json.loads(one.output)
    assert doc["cov_type"] == "cluster"
    np.testing.assert_allclose(
        doc["bse"], _sm(X, y, None, True, "cluster", groups=g).bse, rtol=RTOL
    )
    both = np.column_stack([g, h])
    for args in (["--cluster", "firm,yr"], ["--cluster", "firm", "--cluster", "yr"]):
        two = run(cli.app, ["summary", m, d, *args, "--json"])
        assert two.exit_code == 0, two.output
        want = model.summary(X, y, cov_type="cluster", groups=both).bse
        np.testing.assert_allclose(json.loads(two.output)["bse"], want, rtol=1e-10)
    cr3 = run(cli.app, ["summary", m, d, "--cluster", "yr", "--cov-type", "cluster-crv3", "--json"])
    assert cr3.exit_code == 0, cr3.output
    want = model.summary(X, y, cov_type="cluster-crv3", groups=h).bse
    np.testing.assert_allclose(json.loads(cr3.output)["bse"], want, rtol=1e-10)
    bad = run(cli.app, ["summary", m, d, "--cluster", "nope"])
    assert bad.exit_code != 0 and "the file has a, b, c, y, firm, yr" in bad.output
    assert "Traceback" not in bad.output
    missing = run(cli.app, ["summary", m, d, "--cov-type", "cluster"])
    assert missing.exit_code != 0 and "--cluster COL" in missing.output


def test_any_labels_give_the_same_clusters():
    X, y, g, _, _ = _data(n=150, G=9, seed=14)
    model = _fit(X, y)
    want = model.summary(X, y, cov_type="cluster", groups=g).bse
    mixed = np.array([v if v % 2 else f"id-{v}" for v in g], dtype=object)  # ints and strings
    floats = g * 0.5 - 3.0
    for labels in (mixed, floats, list(map(str, g))):
        got = model.summary(X, y, cov_type="cluster", groups=labels).bse
        np.testing.assert_allclose(got, want, rtol=1e-12)
