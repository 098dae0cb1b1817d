"""Second passes on Spark's executors: CV folds, cluster-robust sums, extreme weights.

Each is checked against the in-memory computation on the data collected in the
frame's order (``toPandas``), to 1e-10 relative; passes that must not stream
rows to the driver run with ``SparkSource.iter_chunks`` refused. The session is
the run's one ``local[2]`` session (tests/_spark.py); the data are small.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
pd = pytest.importorskip("pandas")

from test_spark import CONVERGED, _data, _frame, _rel  # noqa: E402

from lingrad import LinearRegression, LinearRegressionCV, open_dataset  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture
def on_executors(monkeypatch):
    """Refuse any row streamed to the driver."""
    from lingrad._sources.spark import SparkSource

    def refuse(self):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkSource, "iter_chunks", refuse)


def _grouped(spark, n=1800, seed=20, weights=True):
    """A frame with a text group column (40 stores) and a numeric one (7 regions)."""
    pdf, *_ = _data(n=n, f=3, seed=seed, weights=weights)
    rng = np.random.default_rng(seed)
    pdf["store"] = [f"s{int(i)}" for i in rng.integers(0, 40, n)]
    pdf["region"] = rng.integers(0, 7, n)
    # cached: after a shuffle (repartition) the order of rows within a partition may change
    # from one job to the next; a cached frame keeps one order (that of toPandas)
    df = _frame(spark, pdf, 3).cache()
    return df, df.toPandas()


def _close_cv(got, want):
    np.testing.assert_allclose(got.mse_path_, want.mse_path_, rtol=1e-10)
    np.testing.assert_allclose(got.alphas_, want.alphas_, rtol=1e-12)
    assert np.allclose(got.alpha_, want.alpha_, rtol=1e-12, atol=0)
    assert got.l1_ratio_ == want.l1_ratio_
    assert _rel(got.coef_, want.coef_) < 1e-10


def test_cv_by_position_equals_the_in_memory_cv(spark, on_executors):
    df, local = _grouped(spark)
    ds = open_dataset(df, target="y0", weight="w", features=["x0", "x1", "x2"])
    cv = dict(alphas=12, l1_ratio=[0.3, 1.0], cv=4)
    got = LinearRegressionCV(**cv).fit(ds)  # one job: K statistics per partition, tree-merged
    X, y, w = local[["x0", "x1", "x2"]], local["y0"].to_numpy(), local["w"].to_numpy()
    _close_cv(got, LinearRegressionCV(**cv).fit(X, y, sample_weight=w))


@pytest.mark.parametrize("groups", ["store", "region"])
def test_cv_by_group_column_equals_the_in_memory_cv(spark, on_executors, groups):
    df, local = _grouped(spark, seed=21, weights=False)
    ds = open_dataset(df, target="y0")  # region (numeric) is a feature until named as groups
    assert "region" in ds.feature_names
    got = LinearRegressionCV(alphas=8, l1_ratio=0.5, cv=3).fit(ds, groups=groups)
    feats = [c for c in ds.feature_names if c != groups]
    assert list(got.feature_names_in_) == feats  # the group column is not a feature
    want = LinearRegressionCV(alphas=8, l1_ratio=0.5, cv=3).fit(
        local[feats], local["y0"].to_numpy(), groups=local[groups].to_numpy()
    )
    _close_cv(got, want)


def test_cv_groups_must_name_a_column(spark):
    df, local = _grouped(spark, n=300, seed=22)
    ds = open_dataset(df, target="y0", features=["x0", "x1"])
    with pytest.raises(ValueError, match="Pass the column's name"):
        LinearRegressionCV(alphas=4, cv=3).fit(ds, groups=local["store"].to_numpy())
    with pytest.raises(ValueError, match="names the target or the weight"):
        LinearRegressionCV(alphas=4, cv=3).fit(ds, groups="y0")


def _in_memory_summary(local, feats, cov_type, groups):
    X, y, w = local[feats], local["y0"].to_numpy(), local["w"].to_numpy()
    ref = LinearRegression(**CONVERGED).fit(X, y, sample_weight=w)
    return ref.summary(X, y, sample_weight=w, cov_type=cov_type, groups=groups)


@pytest.mark.parametrize(
    ("cov_type", "groups"),
    [("cluster", "store"), ("cluster", "region"), ("cluster-crv3", "store"),
     ("cluster", ["store", "region"])],
)  # fmt: skip
def test_cluster_summary_equals_the_in_memory_summary(spark, on_executors, cov_type, groups):
    df, local = _grouped(spark, seed=23)
    feats = ["x0", "x1", "x2"]
    ds = open_dataset(df, target="y0", weight="w", features=feats)
    m = LinearRegression(**CONVERGED).fit(ds)
    s = m.summary(ds, cov_type=cov_type, groups=groups)  # per-cluster sums on the executors
    r = _in_memory_summary(local, feats, cov_type, local[groups].to_numpy())
    np.testing.assert_allclose(np.asarray(s.bse), np.asarray(r.bse), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(s.pvalues), np.asarray(r.pvalues), rtol=1e-8, atol=1e-14)
    assert s.df_resid_inference == r.df_resid_inference
    assert s.cov_kwds["n_groups"] == r.cov_kwds["n_groups"]
    assert s.cov_kwds["groups"] == groups


@pytest.mark.parametrize("maxlags", [None, 0, 45])
def test_hac_summary_runs_on_the_executors_and_equals_the_in_memory_summary(
    spark, on_executors, monkeypatch, maxlags
):
    """HAC's lagged sums per block, joined at the seams in the frame's order: the features
    as one array column, whose blocks are the Arrow batches as they come (16 rows here,
    fewer than 45 lags), across 3 partitions."""
    from pyspark.sql import functions as F

    from lingrad._sources import spark_input

    df, local = _grouped(spark, seed=24)
    feats = ["x0", "x1", "x2"]
    arrays = df.select(F.array(*feats).alias("features"), "y0", "w").cache()
    ds = open_dataset(arrays, target="y0", weight="w", features=["features"])
    m = LinearRegression(**CONVERGED).fit(ds)
    monkeypatch.setattr(spark_input, "BATCH_BYTES", 8 * 5 * 16)  # 16-row batches and blocks
    assert spark_input.batch_rows(5) == 16
    s = m.summary(ds, cov_type="HAC", maxlags=maxlags)
    X, y, w = local[feats], local["y0"].to_numpy(), local["w"].to_numpy()
    ref = LinearRegression(**CONVERGED).fit(X, y, sample_weight=w)
    r = ref.summary(X, y, sample_weight=w, cov_type="HAC", maxlags=maxlags)
    np.testing.assert_allclose(np.asarray(s.bse), np.asarray(r.bse), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(s.pvalues), np.asarray(r.pvalues), rtol=1e-8, atol=1e-14)
    assert s.cov_kwds["maxlags"] == r.cov_kwds["maxlags"] == (7 if maxlags is None else maxlags)


def test_cluster_groups_are_checked(spark):
    from lingrad import DataFileError

    df, _ = _grouped(spark, n=300, seed=24)
    ds = open_dataset(df, target="y0", features=["x0", "x1"])
    m = LinearRegression(**CONVERGED).fit(ds)
    with pytest.raises(DataFileError, match="no column 'nope'"):
        m.summary(ds, cov_type="cluster", groups="nope")
    from pyspark.sql import functions as F

    stamped = open_dataset(df.withColumn("t", F.current_timestamp()), "y0", ["x0", "x1"])
    with pytest.raises(DataFileError, match=r"'t' .*cannot be a group column"):
        m.summary(stamped, cov_type="cluster", groups="t")


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_direct_engine_with_extreme_weights_equals_the_rescaled_fit(spark, scale):
    from pyspark.sql import functions as F

    pdf, *_ = _data(n=900, seed=25, weights=True)
    df = _frame(spark, pdf, 3).withColumn("w", F.col("w") * scale)
    ds = open_dataset(df, target="y0", weight="w")
    m = LinearRegression(**CONVERGED, engine="direct").fit(ds)
    local = df.toPandas()
    ref = LinearRegression(**CONVERGED).fit(
        local[ds.feature_names], local["y0"], local["w"] / scale
    )
    assert m.converged_
    assert _rel(m.coef_, ref.coef_) < 1e-9
    assert abs(m.intercept_ - ref.intercept_) < 1e-9 * max(1.0, abs(ref.intercept_))


def test_formula_fit_discovers_levels_on_the_executors(spark, monkeypatch):
    """``lingrad.ols(formula, spark_df)``: levels found per batch on the executors, merged,
    each batch's design built there; equal to the in-memory formula fit."""
    import lingrad
    from lingrad._design.spark import SparkInput

    def refuse(self, cols, wrapped):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkInput, "frames", refuse)
    pdf, *_ = _data(n=1500, f=2, seed=26)
    rng = np.random.default_rng(26)
    pdf["city"] = rng.choice(["paris", "rome", "oslo"], len(pdf))
    pdf.loc[pdf.index[-3:], "city"] = "athens"  # a late level that sorts first: the reference
    pdf["y0"] += pdf["city"].map({"paris": 1.0, "rome": -2.0, "oslo": 0.5, "athens": 3.0})
    df = spark.createDataFrame(pdf).coalesce(3).cache()  # no shuffle: athens in the last part
    formula = "y0 ~ x0 + C(city) + x0:x1"
    m = lingrad.ols(formula, df, **CONVERGED)
    ref = lingrad.ols(formula, df.toPandas(), **CONVERGED)
    assert list(m.feature_names_in_) == list(ref.feature_names_in_)
    assert "C(city)[T.oslo]" in m.feature_names_in_  # athens is the reference level
    assert _rel(m.coef_, ref.coef_) < 1e-10
    assert abs(m.intercept_ - ref.intercept_) < 1e-10 * max(1.0, abs(ref.intercept_))


def test_formula_errors_on_the_executors_reach_the_driver_as_lingrad_errors(spark):
    import lingrad

    pdf, *_ = _data(n=300, f=2, seed=27)
    pdf["city"] = ["rome", None, "oslo"] * 100
    df = spark.createDataFrame(pdf).coalesce(2)
    with pytest.raises(ValueError, match="city") as e:
        lingrad.ols("y0 ~ x0 + C(city)", df)
    assert "\n" not in str(e.value) and "Py4J" not in str(e.value)
    m = lingrad.ols("y0 ~ x0 + C(city)", df, missing="drop", **CONVERGED)
    ref = lingrad.ols("y0 ~ x0 + C(city)", df.toPandas(), missing="drop", **CONVERGED)
    assert _rel(m.coef_, ref.coef_) < 1e-10
    assert m.n_dropped_ == ref.n_dropped_ == 100


@pytest.mark.parametrize("k, weights", [(1, True), (2, False)])
def test_score_runs_on_the_executors(spark, on_executors, k, weights):
    """``model.score(ds)``: each block's R² moments computed where it lives (no row to the
    driver), equal to scikit-learn's r2_score on the collected data."""
    from sklearn.metrics import r2_score

    pdf, X, Y, w, targets = _data(n=2500, f=3, k=k, seed=31, weights=weights)
    ds = open_dataset(
        _frame(spark, pdf, 4),
        target=targets if k > 1 else targets[0],
        weight="w" if weights else None,
        features=["x0", "x1", "x2"],
    )
    model = LinearRegression(**CONVERGED).fit(ds)
    want = r2_score(Y, model.predict(pdf[ds.feature_names]), sample_weight=w)
    assert abs(model.score(ds) - want) < 1e-12
    other = LinearRegression(**CONVERGED).fit(X[:, ::-1], Y)  # features in another order
    ds2 = open_dataset(
        _frame(spark, pdf, 4),
        target=targets if k > 1 else targets[0],
        weight="w" if weights else None,
        features=["x2", "x1", "x0"],
    )
    assert abs(other.score(ds2) - r2_score(Y, other.predict(X[:, ::-1]), sample_weight=w)) < 1e-12


def test_formula_models_second_passes_run_on_the_executors(spark, monkeypatch):
    """A formula model's robust summary and ``score`` on a Spark DataFrame: each batch's
    design built with the frozen spec on the executors (no row to the driver), equal to
    the same model's summary and score on the collected rows."""
    from sklearn.metrics import r2_score

    import lingrad
    from lingrad._design.spark import SparkInput

    pdf, *_ = _data(n=1200, f=2, seed=33)
    rng = np.random.default_rng(33)
    pdf["city"] = rng.choice(["paris", "rome", "oslo"], len(pdf))
    pdf.loc[pdf.index[::97], "x1"] = np.nan  # dropped rows, counted on the executors
    pdf["y0"] += pdf["city"].map({"paris": 1.0, "rome": -2.0, "oslo": 0.5})
    df = spark.createDataFrame(pdf).coalesce(3).cache()
    m = lingrad.ols("y0 ~ x0 + C(city) + x1", df, missing="drop", **CONVERGED)

    def refuse(self, cols, wrapped):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkInput, "frames", refuse)
    local = df.toPandas()
    for cov in ("HC0", "HC3"):
        got, want = m.summary(df, cov_type=cov), m.summary(local, cov_type=cov)
        assert _rel(got.bse, want.bse) < 1e-10, cov
        assert got.nobs == want.nobs == len(local) - 13
    kept = local.dropna(subset=["x1"])
    pred = m.predict(kept)
    assert abs(m.score(df) - r2_score(kept["y0"], pred)) < 1e-12
    assert abs(m.score(df) - m.score(local)) < 1e-12
