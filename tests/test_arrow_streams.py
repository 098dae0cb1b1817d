"""Arrow streams into fit, predict, summary: RecordBatchReader, pyarrow Dataset, polars, DuckDB."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from lingrad import LinearRegression, open_dataset
from lingrad._sources.tables import OneShotError

pa = pytest.importorskip("pyarrow", reason="Arrow streams")
pds = pytest.importorskip("pyarrow.dataset", reason="pyarrow datasets")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files")

N = 300
EXACT = dict(lr="auto", optimizer="nesterov", tol=1e-13, n_iters=20000)
RTOL = 1e-10


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.standard_normal((N, 3)) * [1.0, 2.0, 0.5], columns=["a", "b", "c"])
    df["y"] = df @ [2.0, -1.0, 0.5] + 3.0 + 0.2 * rng.standard_normal(N)
    df["w"] = rng.uniform(0.5, 2.0, N)
    df["city"] = rng.choice(["oslo", "rome"], N)  # text: not a default feature of a stream
    return df


@pytest.fixture(scope="module")
def ref(frame):
    return LinearRegression(**EXACT).fit(frame[["a", "b", "c"]], frame["y"], frame["w"])


def _same(model, ref, rtol=RTOL):
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=rtol)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=rtol)


def _streams(frame, tmp_path):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.slice(0, 100), tmp_path / "0.parquet")
    pq.write_table(table.slice(100), tmp_path / "1.parquet")
    out = {
        "reader": lambda: table.to_reader(max_chunksize=37),
        "dataset": lambda: pds.dataset(tmp_path, format="parquet"),
    }
    pl = pytest.importorskip("polars", reason="polars LazyFrames")
    out["lazyframe"] = lambda: pl.from_pandas(frame).lazy()
    duckdb = pytest.importorskip("duckdb", reason="DuckDB relations")
    con = duckdb.connect()
    con.register("frame", table)
    out["duckdb"] = lambda: con.sql("select * from frame")
    return out


KINDS = ["reader", "dataset", "lazyframe", "duckdb"]


@pytest.mark.parametrize("kind", KINDS)
def test_open_dataset_of_a_stream_fits_like_memory(frame, ref, tmp_path, kind):
    make = _streams(frame, tmp_path)[kind]
    ds = open_dataset(make(), target="y", weight="w", chunk_rows=40)
    assert ds.feature_names == ["a", "b", "c"]  # numeric columns; the text column left out
    model = LinearRegression(**EXACT).fit(ds)
    _same(model, ref)
    s, r = model.summary(), ref.summary()
    np.testing.assert_allclose(s.bse, r.bse, rtol=1e-9)
    assert s.nobs == N


@pytest.mark.parametrize("kind", ["dataset", "lazyframe", "duckdb"])
def test_reopenable_streams_straight_into_fit_predict_summary(frame, ref, tmp_path, kind):
    make = _streams(frame, tmp_path)[kind]
    model = LinearRegression(**EXACT).fit(make(), "y", "w")
    _same(model, ref)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    pred = model.predict(make())  # features: the model's feature names
    np.testing.assert_allclose(pred, ref.predict(frame[["a", "b", "c"]]), rtol=1e-9, atol=1e-9)
    robust = model.summary(open_dataset(make(), target="y", weight="w"), cov_type="HC1")
    expect = ref.summary(frame[["a", "b", "c"]], frame["y"], sample_weight=frame["w"],
                         cov_type="HC1")  # fmt: skip
    np.testing.assert_allclose(robust.bse, expect.bse, rtol=1e-9)
    direct = LinearRegression(**EXACT, engine="direct").fit(make(), "y", "w")  # many passes
    _same(direct, ref, rtol=1e-8)


def test_a_record_batch_reader_is_read_once(frame, ref, tmp_path):
    make = _streams(frame, tmp_path)["reader"]
    model = LinearRegression(**EXACT).fit(make(), "y", "w")  # one pass: statistics
    _same(model, ref)
    ds = open_dataset(make(), target="y", weight="w")
    model.fit(ds)
    with pytest.raises(OneShotError, match=r"was read already.*re-openable source"):
        model.predict(ds)
    with pytest.raises(OneShotError, match=r"pyarrow\.dataset\.Dataset"):
        LinearRegression(**EXACT, engine="direct").fit(make(), "y", "w")


def test_stream_target_must_name_a_column(frame, tmp_path):
    make = _streams(frame, tmp_path)["lazyframe"]
    with pytest.raises(TypeError, match="pass y as a column name"):
        LinearRegression().fit(make(), frame["y"].to_numpy())
    with pytest.raises(ValueError, match="no column 'nope'"):
        LinearRegression().fit(make(), "nope")


def test_stream_nulls_and_types(frame, tmp_path):
    pl = pytest.importorskip("polars", reason="polars LazyFrames")
    lf = (
        pl.from_pandas(frame)
        .lazy()
        .with_columns(
            pl.when(pl.int_range(pl.len()) == 7).then(None).otherwise(pl.col("a")).alias("a")
        )
    )
    with pytest.raises(ValueError, match="column 'a' is empty or a missing-value marker"):
        LinearRegression().fit(lf, "y")
    model = LinearRegression(**EXACT, missing="drop").fit(lf, "y", "w")
    keep = np.arange(N) != 7
    sub = frame[keep]
    _same(model, LinearRegression(**EXACT).fit(sub[["a", "b", "c"]], sub["y"], sub["w"]))
    assert model.n_dropped_ == 1
    assert np.isnan(model.predict(lf)[7])  # a missing feature predicts NaN
    with pytest.raises(ValueError, match="column 'city'"):
        LinearRegression().fit(open_dataset(lf, target="y", features=["b", "city"]))


def test_lazyframe_is_streamed_not_collected(tmp_path):
    pytest.importorskip("polars", reason="polars LazyFrames")
    # A LazyFrame over a generated Parquet file of 6M rows x 4 float64 columns (183 MiB
    # collected), written in pieces; the fit reads batches of 65536 rows. Peak RSS is measured
    # in a fresh process. (A frame built from pl.int_range is materialised by polars itself.)
    script = textwrap.dedent(
        """
        import resource, sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq, polars as pl
        from lingrad import LinearRegression
        path, n, step = sys.argv[1], 6_000_000, 500_000
        rng = np.random.default_rng(0)
        schema = pa.schema([(c, pa.float64()) for c in "abcy"])
        with pq.ParquetWriter(path, schema) as w:
            for s in range(0, n, step):
                a, b, c = rng.standard_normal((3, step))
                t = pa.table({"a": a, "b": b, "c": c, "y": 2 * a - b + 3 * c + 1}, schema=schema)
                w.write_table(t, row_group_size=step // 4)
        del a, b, c, t
        LinearRegression().fit(pl.LazyFrame({"a": [0.0, 1.0], "y": [0.0, 1.0]}), "y")  # warm up
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        lf = pl.scan_parquet(path)
        m = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-10, n_iters=5000).fit(lf, "y")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((peak - base) * 1024, int(m.stats_.n_samples), *np.round(m.coef_, 6))
        """
    )
    run = [sys.executable, "-c", script, str(tmp_path / "big.parquet")]
    out = subprocess.run(run, capture_output=True, text=True, check=True, timeout=600)
    grown, n, *coef = out.stdout.split()
    assert int(n) == 6_000_000
    np.testing.assert_allclose([float(c) for c in coef], [2.0, -1.0, 3.0], atol=1e-6)
    collected = 6_000_000 * 4 * 8  # measured: grows by about 33 MiB of 183 MiB
    assert int(grown) < collected / 3, f"peak RSS grew by {int(grown) / 2**20:.0f} MiB"
