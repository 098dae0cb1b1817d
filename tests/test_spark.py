"""Spark DataFrames as a source: one distributed pass, equal to the NumPy fit.

One local session (``local[2]``) serves every Spark test module (tests/_spark.py,
a session fixture in conftest). The executors' Python
workers run this interpreter (``PYSPARK_PYTHON``), with this tree's ``src`` first
on their path, so they import the lingrad under test. Skipped, with the reason,
where pyspark or Java is missing (``make test`` installs Java when it can).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pyspark = pytest.importorskip(
    "pyspark", reason="pyspark is not installed (pip install -e '.[spark]')"
)
pd = pytest.importorskip("pandas")

import lingrad  # noqa: E402
from lingrad import DataFileError, LinearRegression, ParameterError, open_dataset  # noqa: E402

# pyspark's own pandas-3 notices, not lingrad's
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
CONVERGED = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=20_000)
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _frame(spark, pdf, partitions=3):
    return spark.createDataFrame(pdf).repartition(partitions)


def _data(n=3000, f=4, k=1, seed=0, weights=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f)) * rng.uniform(0.5, 3, f) + rng.uniform(-2, 2, f)
    coef = rng.standard_normal((f, k))
    Y = X @ coef + rng.uniform(-1, 1, k) + 0.3 * rng.standard_normal((n, k))
    pdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(f)])
    targets = [f"y{j}" for j in range(k)]
    for j, t in enumerate(targets):
        pdf[t] = Y[:, j]
    w = None
    if weights:
        w = rng.uniform(0.1, 2.0, n)
        pdf["w"] = w
    return pdf, X, (Y[:, 0] if k == 1 else Y), w, targets


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_fit_equals_numpy_fit(spark, engine):
    pdf, _X, y, w, _ = _data(weights=True)
    ds = open_dataset(_frame(spark, pdf), target="y0", weight="w")
    assert ds.feature_names == ["x0", "x1", "x2", "x3"]  # numeric columns but target and weight
    m = LinearRegression(**CONVERGED, engine=engine).fit(ds)
    ref = LinearRegression(**CONVERGED).fit(pdf[ds.feature_names], y, sample_weight=w)
    assert _rel(m.coef_, ref.coef_) < 1e-10
    assert abs(m.intercept_ - ref.intercept_) < 1e-10 * max(1.0, abs(ref.intercept_))
    assert list(m.feature_names_in_) == ds.feature_names
    assert m.converged_


def test_statistics_equal_the_in_memory_statistics(spark):
    pdf, X, y, _, _ = _data(n=2000, f=3, k=2, seed=1)
    ds = open_dataset(_frame(spark, pdf, 4), target=["y0", "y1"])
    got = ds.sufficient_stats()
    want = lingrad.SufficientStats.from_arrays(X, y)
    assert got.n_samples == want.n_samples == 2000
    np.testing.assert_allclose(got.x_mean, want.x_mean, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got.xx, want.xx, rtol=1e-12)
    np.testing.assert_allclose(got.xy, want.xy, rtol=1e-12)
    m = LinearRegression(**CONVERGED).fit(ds)
    ref = LinearRegression(**CONVERGED).fit(X, y)
    assert m.coef_.shape == (2, 3)
    assert _rel(m.coef_, ref.coef_) < 1e-10


def test_fit_reads_on_the_executors_only(spark, monkeypatch):
    """The fit never streams rows to the driver: only the merged statistics arrive."""
    from lingrad._sources.spark import SparkSource

    def refuse(self):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkSource, "iter_chunks", refuse)
    pdf, X, y, _, _ = _data(n=1500, seed=2)
    m = LinearRegression(**CONVERGED).fit(open_dataset(_frame(spark, pdf), target="y0"))
    assert _rel(m.coef_, LinearRegression(**CONVERGED).fit(X, y).coef_) < 1e-10


def test_predict_is_a_lazy_spark_dataframe(spark):
    pdf, _X, _y, _, _ = _data(n=1200, seed=3)
    df = _frame(spark, pdf)
    m = LinearRegression(**CONVERGED).fit(open_dataset(df, target="y0"))
    out = m.predict(df)  # a DataFrame: the input's columns kept, computed by the executors
    assert type(out).__module__.startswith("pyspark.sql")
    assert out.columns == [*df.columns, "prediction"]
    got = out.toPandas()
    want = m.predict(got[list(m.feature_names_in_)])
    np.testing.assert_allclose(got["prediction"], want, rtol=1e-12, atol=1e-12)
    # features only (no target column): open_dataset(df, target=None) predicts as well
    feats = df.drop("y0")
    out2 = m.predict(open_dataset(feats, target=None)).toPandas()
    np.testing.assert_allclose(out2["prediction"], m.predict(out2[list(m.feature_names_in_)]))


def test_predict_with_null_features_gives_null(spark):
    from pyspark.sql import functions as F

    pdf, _X, _y, _, _ = _data(n=400, seed=4)
    df = _frame(spark, pdf, 1)
    m = LinearRegression(**CONVERGED).fit(open_dataset(df, target="y0"))
    holed = df.withColumn("x1", F.when(F.col("x0") > 0, F.col("x1")))
    got = m.predict(holed).toPandas()
    assert got["prediction"].isna().sum() == int((got["x0"] <= 0).sum()) > 0


def test_multi_output_predictions(spark):
    pdf, _X, _Y, _, targets = _data(n=800, f=3, k=2, seed=5)
    df = _frame(spark, pdf)
    m = LinearRegression(**CONVERGED).fit(open_dataset(df, target=targets))
    got = m.predict(df).toPandas()  # rows in the DataFrame's order, not X's
    np.testing.assert_allclose(
        got[["prediction_0", "prediction_1"]].to_numpy(),
        m.predict(got[list(m.feature_names_in_)]),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1", "HC3"])
def test_summary_equals_the_in_memory_summary(spark, cov_type, monkeypatch):
    from lingrad._sources.spark import SparkSource

    pdf, _X, y, w, _ = _data(n=2500, seed=6, weights=True)
    ds = open_dataset(_frame(spark, pdf), target="y0", weight="w")
    m = LinearRegression(**CONVERGED).fit(ds)

    def refuse(self):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkSource, "iter_chunks", refuse)  # the second pass: on the executors
    s = m.summary(ds, cov_type=cov_type)
    ref = LinearRegression(**CONVERGED).fit(pdf[ds.feature_names], y, sample_weight=w)
    r = ref.summary(pdf[ds.feature_names], y, sample_weight=w, cov_type=cov_type)
    np.testing.assert_allclose(np.asarray(s.bse), np.asarray(r.bse), rtol=1e-10)
    assert abs(s.rsquared - r.rsquared) < 1e-12


def test_ill_conditioned_reference_runs_its_second_pass_on_the_executors(spark, monkeypatch):
    """A raw polynomial needs the QR pass: it runs as a tree reduction, not on the driver."""
    from lingrad._sources.spark import SparkSource

    def refuse(self):
        raise AssertionError("rows were streamed to the driver")

    monkeypatch.setattr(SparkSource, "iter_chunks", refuse)
    x = np.linspace(1, 21, 600)
    pdf = pd.DataFrame({f"p{d}": x**d for d in range(1, 6)})
    pdf["y"] = 1 + x + 0.5 * x**2 - 0.01 * x**4 + 1e-3 * x**5 + np.sin(x)
    ds = open_dataset(_frame(spark, pdf), target="y")
    with pytest.warns(lingrad.IllConditionedWarning, match="badly scaled"):
        m = LinearRegression(**CONVERGED).fit(ds)
    ref, *_ = np.linalg.lstsq(np.column_stack([pdf.iloc[:, :5], np.ones(600)]), pdf["y"], None)
    assert _rel(m.coef_, ref[:5]) < 1e-6
    assert "QR" in m.diagnostics_.reference_method or "qr" in m.diagnostics_.reference_method


def _per_row(ids, f):
    """``f`` standard normal features and a noise value for each row id: the same rows
    however Spark cuts the partition into batches (lingrad's jobs size them by width)."""
    Z = np.array([np.random.default_rng(int(i)).standard_normal(f + 1) for i in ids])
    return Z.reshape(len(ids), f + 1)[:, :f], Z.reshape(len(ids), f + 1)[:, f]


def _wide_rows(batches, f=5000):
    """Rows of ``f`` features made on the executors, as one array column (what MLlib keeps)."""
    import pyarrow as pa

    for batch in batches:
        ids = batch.column(0).to_numpy()
        X, e = _per_row(ids, f)
        y = X[:, :10] @ np.arange(1.0, 11.0) + e
        offsets = pa.array(np.arange(0, X.size + 1, f, dtype=np.int32))
        feats = pa.ListArray.from_arrays(offsets, pa.array(X.ravel()))
        yield pa.RecordBatch.from_arrays(
            [pa.array(ids), feats, pa.array(y)], names=["id", "features", "y"]
        )


def _wide_rows_600(batches):
    return _wide_rows(batches, 600)


def test_five_thousand_features(spark):
    """Beyond MLlib's normal-equation cap (4,096 features): the distributed statistics of
    5,000 features (a 200 MB Gram per partition, sent in pieces) equal NumPy's."""
    df = spark.range(0, 1200, numPartitions=2).mapInArrow(
        _wide_rows, "id long, features array<double>, y double"
    )
    ds = open_dataset(df, target="y", features=["features"])
    assert ds.n_features == 5000
    assert ds.feature_names[:2] == ["features[0]", "features[1]"]
    got = ds.sufficient_stats()
    local = df.toPandas()
    want = lingrad.SufficientStats.from_arrays(
        np.stack(local["features"].to_numpy()), local["y"].to_numpy()
    )
    assert got.n_samples == 1200
    np.testing.assert_allclose(got.x_mean, want.x_mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got.xx, want.xx, rtol=1e-11, atol=1e-9)
    np.testing.assert_allclose(got.xy, want.xy, rtol=1e-11, atol=1e-9)


def test_array_column_fit_and_predict(spark):
    """An array column (600 values per row) fits like the matrix it holds, and predicts."""
    df = spark.range(0, 1500, numPartitions=2).mapInArrow(
        _wide_rows_600, "id long, features array<double>, y double"
    )
    ds = open_dataset(df, target="y", features=["features"])
    params = dict(lr="auto", alpha=0.5, l1_ratio=0.0, tol=1e-12, n_iters=5000)
    m = LinearRegression(**params).fit(ds)
    local = df.toPandas()
    X = np.stack(local["features"].to_numpy())
    ref = LinearRegression(**params).fit(X, local["y"].to_numpy())
    assert _rel(m.coef_, ref.coef_) < 1e-9
    got = m.predict(df.limit(50)).toPandas()  # the array column maps back to the model's names
    np.testing.assert_allclose(got["prediction"], m.predict(np.stack(got["features"])), rtol=1e-10)


def _array_rows_50(batches):
    """Rows of 50 features as one array column, a weight, and a NaN at id 1234 when the
    row's ``bad`` flag is set."""
    import pyarrow as pa

    for batch in batches:
        ids, bad = batch.column(0).to_numpy(), batch.column(1).to_numpy(zero_copy_only=False)
        X, e = _per_row(ids, 50)
        X += np.linspace(-3, 3, 50)
        X[(ids == 1234) & bad, 7] = np.nan
        y = X[:, :5] @ np.arange(1.0, 6.0) + e
        w = 1.25 + 0.75 * np.tanh(e)
        feats = pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), 50)
        yield pa.RecordBatch.from_arrays(
            [feats.cast(pa.list_(pa.float64())), pa.array(y), pa.array(w)],
            names=["features", "y", "w"],
        )


@pytest.mark.parametrize("weighted", [False, True])
def test_array_columns_in_many_small_batches_are_read_in_place(spark, monkeypatch, weighted):
    """An array column's rows are the executors' X as they arrive (no copy into blocks):
    with Arrow batches of 40 rows, the statistics still equal NumPy's, and a NaN inside an
    array is named by its column, partition and row."""
    from pyspark.sql import functions as F

    from lingrad._sources import spark_input

    monkeypatch.setattr(spark_input, "BATCH_BYTES", 8 * 52 * 40)  # 40-row Arrow batches
    assert spark_input.batch_rows(52) == 40
    base = spark.range(0, 3000, numPartitions=2).withColumn("bad", F.lit(False))
    schema = "features array<double>, y double, w double"
    df = base.mapInArrow(_array_rows_50, schema)
    weight = "w" if weighted else None
    got = open_dataset(df, target="y", features=["features"], weight=weight).sufficient_stats()
    local = df.toPandas()
    X, w = np.stack(local["features"].to_numpy()), local["w"].to_numpy()
    want = lingrad.SufficientStats.from_arrays(X, local["y"].to_numpy(), w if weighted else None)
    assert got.n_samples == 3000
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got.scatter, want.scatter, rtol=1e-11, atol=1e-10)
    holed = base.withColumn("bad", F.lit(True)).mapInArrow(_array_rows_50, schema)
    where = r"column 'features' holds nan \(partition 0, row 1235 "
    with pytest.raises(DataFileError, match=where):
        LinearRegression().fit(open_dataset(holed, target="y", features=["features"]))


def test_bad_columns_get_one_line_errors(spark):
    from pyspark.sql import functions as F

    pdf, *_ = _data(n=300, seed=8)
    df = _frame(spark, pdf, 2).withColumn("city", F.lit("rome"))
    with pytest.raises(DataFileError, match=r"no column 'target'") as e:
        open_dataset(df, target="target")
    assert "\n" not in str(e.value)
    with pytest.raises(DataFileError, match=r"column 'city' is not numeric \(string\)") as e:
        open_dataset(df, target="y0", features=["x0", "city"])
    assert "cast" in str(e.value).lower()
    ds = open_dataset(df, target="y0")  # the string column is left out by default
    assert "city" not in ds.feature_names
    with pytest.raises(DataFileError, match="columns are named by strings"):
        open_dataset(df, target=3)
    with pytest.raises(
        ParameterError, match="'freq_weight' parameter of open_dataset is not read"
    ) as e:
        open_dataset(df, target="y0", freq_weight="x1")  # never silently a feature
    assert "\n" not in str(e.value) and "array_repeat" in str(e.value)
    counted = df.withColumn("count", (F.col("x1") > 0).cast("int") + 1)  # the fix it names
    repeated = counted.withColumn(
        "_", F.explode(F.array_repeat(F.lit(1), F.col("count").cast("int")))
    ).drop("_")
    got = LinearRegression(lr="auto", tol=1e-12).fit(
        open_dataset(repeated, target="y0", features=["x0", "x1"])
    )
    local = counted.toPandas()
    ref = LinearRegression(lr="auto", tol=1e-12).fit(
        local[["x0", "x1"]].to_numpy(), local["y0"].to_numpy(), freq_weights=local["count"]
    )
    assert _rel(got.coef_, ref.coef_) < 1e-9 and got.stats_.nobs == ref.stats_.nobs


def test_nulls_nan_and_negative_weights_are_named(spark):
    from pyspark.sql import functions as F

    pdf, *_ = _data(n=500, seed=9, weights=True)
    df = _frame(spark, pdf, 2)
    holed = df.withColumn("x2", F.when(F.col("x0") > 1.5, None).otherwise(F.col("x2")))
    with pytest.raises(DataFileError, match=r"column 'x2' holds a null \(partition \d+") as e:
        LinearRegression().fit(open_dataset(holed, target="y0"))
    assert "\n" not in str(e.value) and "na.drop" in str(e.value)
    nan = df.withColumn("y0", F.when(F.col("x0") > 1.5, float("nan")).otherwise(F.col("y0")))
    with pytest.raises(DataFileError, match=r"column 'y0' holds nan"):
        LinearRegression().fit(open_dataset(nan, target="y0"))
    neg = df.withColumn("w", F.when(F.col("x0") > 1.5, -1.0).otherwise(F.col("w")))
    with pytest.raises(DataFileError, match=r"column 'w' \(the weight\) holds a negative weight"):
        LinearRegression().fit(open_dataset(neg, target="y0", weight="w"))
    empty = df.limit(0)
    with pytest.raises(DataFileError, match="no rows"):
        LinearRegression().fit(open_dataset(empty, target="y0"))
    with pytest.raises(ValueError, match="opened without a target"):
        LinearRegression().fit(open_dataset(df, target=None))


def test_integer_boolean_and_decimal_columns_are_cast(spark):
    from pyspark.sql import functions as F

    pdf, _X, _y, _, _ = _data(n=600, f=2, seed=10)
    df = (
        _frame(spark, pdf, 2)
        .withColumn("i", (F.col("x0") * 10).cast("int"))
        .withColumn("b", F.col("x1") > 0)
        .withColumn("d", F.col("x1").cast("decimal(12,6)"))
    )
    ds = open_dataset(df, target="y0", features=["i", "b", "d"])
    m = LinearRegression(**CONVERGED).fit(ds)
    local = df.toPandas()
    Xl = np.column_stack([local["i"], local["b"].astype(float), local["d"].astype(float)])
    ref = LinearRegression(**CONVERGED).fit(Xl, local["y0"].to_numpy())
    assert _rel(m.coef_, ref.coef_) < 1e-10


def test_readme_on_spark_example_prints_what_it_shows(spark):
    """The README's "On Spark" example, run on this module's session."""
    import contextlib
    import io
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## On Spark") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    shown = re.search(r"prints\n\n```\n(.*?)```", section, re.DOTALL).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().split() == shown.split()
