"""Narrow Spark DataFrames: statistics from one Spark SQL aggregate on the JVM.

Unweighted number columns (at most ``MAX_SQL_COLUMNS``) are summarised by
``lingrad._sources.spark_sql.sql_stats`` without handing rows to Python workers;
everything else, and every bad value, takes the Arrow kernels' path. The same
local[2] session as the other Spark tests (tests/_spark.py).
"""

from __future__ import annotations

import numpy as np
import pytest

pyspark = pytest.importorskip(
    "pyspark", reason="pyspark is not installed (pip install -e '.[spark]')"
)
pd = pytest.importorskip("pandas")

from _exact import digits, exact_lstsq  # noqa: E402

from lingrad import (  # noqa: E402
    DataFileError,
    IllConditionedWarning,
    LinearRegression,
    SufficientStats,
    open_dataset,
)
from lingrad._sources import spark as spark_source  # noqa: E402
from lingrad._sources.spark_sql import MAX_SQL_COLUMNS, _literal, sql_stats  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
CONVERGED = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=20_000)


def _pdf(n=2000, f=3, k=1, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f)) * rng.uniform(0.5, 3, f) + rng.uniform(-2, 2, f) + offset
    Y = (X - offset) @ rng.standard_normal((f, k)) + 0.3 * rng.standard_normal((n, k))
    pdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(f)])
    for j in range(k):
        pdf[f"y{j}"] = Y[:, j] + 5.0
    return pdf


def _no_arrow(monkeypatch):
    """Make the Arrow kernels' pass fail: what passes then ran on the JVM only."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("the Arrow path ran")

    monkeypatch.setattr(spark_source.SparkSource, "reduce_chunks", refuse)


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_narrow_statistics_come_from_one_sql_aggregate(spark, monkeypatch):
    pdf = _pdf(k=2, seed=1)
    X, Y = pdf[["x0", "x1", "x2"]].to_numpy(), pdf[["y0", "y1"]].to_numpy()
    ds = open_dataset(spark.createDataFrame(pdf).repartition(4), target=["y0", "y1"])
    _no_arrow(monkeypatch)
    got = ds.sufficient_stats()
    want = SufficientStats.from_arrays(X, Y)
    assert got.n_samples == 2000 and got.sum_weights == 2000.0 and not got.weighted
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-13)
    np.testing.assert_allclose(got.scatter, want.scatter, rtol=1e-12)
    m = LinearRegression(**CONVERGED).fit(ds)
    assert _rel(m.coef_, LinearRegression(**CONVERGED).fit(X, Y).coef_) < 1e-10


def test_offsets_take_a_second_aggregate_about_the_means(spark):
    """Columns near 1e6 with a spread of ~1: raw sums would cancel 12 digits; the second
    aggregate is about the first one's means, so the fit keeps its digits (exact oracle)."""
    pdf = _pdf(n=400, f=2, seed=2, offset=1e6)
    X, y = pdf[["x0", "x1"]].to_numpy(), pdf["y0"].to_numpy()
    df = spark.createDataFrame(pdf).repartition(3)
    names = ["x0", "x1", "y0"]
    calls = []
    real = df.selectExpr

    class Frame:  # counts the aggregates and shows their expressions
        def selectExpr(self, *exprs):
            calls.append(exprs)
            return real(*exprs)

    stats = sql_stats(Frame(), names, 2)
    assert len(calls) == 2  # the second about the first one's means:
    assert all(f"`{c}` - (" in e for c, e in zip(names, calls[1][2:5], strict=True))
    want = SufficientStats.from_arrays(X, y)
    np.testing.assert_allclose(stats.mean, want.mean, rtol=1e-15)
    np.testing.assert_allclose(stats.scatter, want.scatter, rtol=1e-11)
    with pytest.warns(IllConditionedWarning, match="badly scaled"):  # (TSQR's pass follows)
        m = LinearRegression(**CONVERGED).fit(open_dataset(df, target="y0"))
    exact = exact_lstsq(X, y)
    assert digits(np.r_[m.coef_, m.intercept_], exact) >= 10


def test_what_the_aggregate_cannot_do_goes_to_the_arrow_kernels(spark):
    """Weights and array columns are summarised by the Arrow kernels (the aggregate is not
    asked); nulls, NaN and overflowing squares make it step aside (None)."""
    from pyspark.sql import functions as F

    pdf = _pdf(n=300, seed=3)
    pdf["w"] = np.linspace(0.5, 2.0, 300)
    df = spark.createDataFrame(pdf).repartition(2)
    assert not open_dataset(df, target="y0", weight="w")._narrow
    arr = df.select(F.array("x0", "x1").alias("v"), "y0")
    assert not open_dataset(arr, target="y0")._narrow
    assert open_dataset(df, target="y0")._narrow
    names = ["x0", "x1", "x2", "y0"]
    for bad in (
        df.withColumn("x1", F.when(F.col("x0") > 1.0, None).otherwise(F.col("x1"))),
        df.withColumn("x1", F.when(F.col("x0") > 1.0, float("nan")).otherwise(F.col("x1"))),
        df.withColumn("x1", F.when(F.col("x0") > 1.0, float("inf")).otherwise(F.col("x1"))),
        df.withColumn("x1", F.col("x1") * 1e200),
        df.limit(0),
    ):
        assert sql_stats(bad, names, 3) is None


def test_arrow_path_errors_and_results_are_unchanged(spark):
    """A bad value is still named with its partition and row; a frame of many columns
    (beyond MAX_SQL_COLUMNS) is still fitted, by the Arrow kernels, to the same answer."""
    from pyspark.sql import functions as F

    pdf = _pdf(n=400, seed=4)
    df = spark.createDataFrame(pdf).repartition(2)
    inf = df.withColumn("x1", F.when(F.col("x0") > 1.0, float("inf")).otherwise(F.col("x1")))
    with pytest.raises(DataFileError, match=r"column 'x1' holds inf \(partition \d+, row \d+"):
        LinearRegression().fit(open_dataset(inf, target="y0"))
    f = MAX_SQL_COLUMNS + 1
    wide = _pdf(n=300, f=f, seed=5)
    ds = open_dataset(spark.createDataFrame(wide).repartition(2), target="y0")
    assert not ds._narrow and ds.n_features == f
    X, y = wide[[f"x{j}" for j in range(f)]].to_numpy(), wide["y0"].to_numpy()
    m = LinearRegression(**CONVERGED).fit(ds)
    assert _rel(m.coef_, LinearRegression(**CONVERGED).fit(X, y).coef_) < 1e-10


def test_awkward_column_names_and_types(spark, monkeypatch):
    """Dots, spaces and backticks in names, integer, boolean and decimal columns."""
    from pyspark.sql import functions as F

    pdf = _pdf(n=500, f=2, seed=6)
    df = (
        spark.createDataFrame(pdf)
        .repartition(2)
        .withColumnRenamed("x0", "a.b c`d")
        .withColumn("i", (F.col("x1") * 10).cast("int"))
        .withColumn("b", F.col("x1") > 0)
        .withColumn("d", F.col("x1").cast("decimal(12,6)"))
    )
    ds = open_dataset(df, target="y0", features=["a.b c`d", "i", "b", "d"])
    _no_arrow(monkeypatch)
    m = LinearRegression(**CONVERGED).fit(ds)
    local = df.toPandas()
    X = np.column_stack(
        [local["a.b c`d"], local["i"], local["b"].astype(float), local["d"].astype(float)]
    )
    ref = LinearRegression(**CONVERGED).fit(X, local["y0"].to_numpy())
    assert _rel(m.coef_, ref.coef_) < 1e-10
    assert list(m.feature_names_in_) == ["a.b c`d", "i", "b", "d"]


def test_shift_literals_parse_back_to_the_same_double(spark):
    values = [0.1, -1.5e-7, 1e6 + 1 / 3, 5e-324, -1.7976931348623157e308, 2.0**-1022, 123456.0]
    row = spark.sql("SELECT " + ", ".join(_literal(v) for v in values)).collect()[0]
    assert [float(v) for v in row] == values


def test_summary_from_the_aggregate_equals_the_in_memory_summary(spark):
    pdf = _pdf(n=800, f=3, seed=7)
    X, y = pdf[["x0", "x1", "x2"]].to_numpy(), pdf["y0"].to_numpy()
    ds = open_dataset(spark.createDataFrame(pdf).repartition(3), target="y0")
    s = LinearRegression(**CONVERGED).fit(ds).summary(ds)
    r = LinearRegression(**CONVERGED).fit(X, y).summary(X, y)
    np.testing.assert_allclose(np.asarray(s.bse), np.asarray(r.bse), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(s.params), np.asarray(r.params), rtol=1e-10)
