"""missing="drop": a fit equals the fit on the complete rows, in every source; counts reported."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lingrad import LinearRegression, load_model, open_dataset
from lingrad._sources.missing import MISSING, drop_missing, missing_rows

N, F = 120, 3
EXACT = dict(lr="auto", optimizer="nesterov", tol=1e-13, n_iters=20000)
RTOL = 1e-10  # drop-fit vs complete-rows fit: the same rows, so the same optimum to rounding


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, F)) * [1.0, 3.0, 0.5] + [2.0, -1.0, 0.0]
    y = X @ [1.5, -0.5, 2.0] + 4.0 + 0.3 * rng.standard_normal(N)
    w = rng.uniform(0.5, 2.0, N)
    X[[3, 40, 41], [0, 1, 2]] = np.nan
    y[[10, 41]] = np.nan
    w[[77]] = np.nan
    bad = np.isnan(X).any(axis=1) | np.isnan(y) | np.isnan(w)
    return X, y, w, bad


def _complete(data, weighted=True):
    X, y, w, bad = data
    if not weighted:
        bad = np.isnan(X).any(axis=1) | np.isnan(y)
    keep = ~bad
    return X[keep], y[keep], (w[keep] if weighted else None), int(bad.sum())


def _fit(X, y=None, w=None, **kw):
    return LinearRegression(**EXACT, **kw).fit(X, y, w)


def _same(a, b, rtol=RTOL):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=1e-12)


def test_options_from_the_table():
    assert MISSING == ("raise", "drop")
    assert LinearRegression().missing == "raise"


def test_arrays_drop_equals_complete_rows_and_counts(data):
    X, y, w, _ = data
    Xc, yc, wc, n_bad = _complete(data)
    model = _fit(X, y, w, missing="drop")
    ref = _fit(Xc, yc, wc)
    _same(model, ref)
    assert model.n_dropped_ == n_bad == 5
    assert model.stats_.n_samples == N - n_bad
    assert ref.n_dropped_ == 0


def test_raise_is_the_default_and_names_the_fix(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="NaN"):
        _fit(X, y)


def test_statsmodels_missing_drop_oracle(data):
    sm = pytest.importorskip("statsmodels.api", reason="the statsmodels oracle")
    X, y, _, _ = data
    model = _fit(X, y, missing="drop")
    res = sm.OLS(y, sm.add_constant(X), missing="drop").fit()
    summ = model.summary()
    np.testing.assert_allclose(summ.params, res.params, rtol=1e-8)
    np.testing.assert_allclose(summ.bse, res.bse, rtol=1e-8)
    assert summ.nobs == res.nobs == N - 4  # rows 3, 10, 40 and 41 have a missing value
    assert model.n_dropped_ == N - res.nobs


def test_summary_notes_the_dropped_rows(data):
    X, y, _, _ = data
    summ = _fit(X, y, missing="drop").summary()
    text = str(summ)
    n = int(N - summ.nobs)
    assert f"{n} rows with a missing value were dropped (missing='drop')" in text
    assert summ.classical_inference_valid  # a note, not a validity warning
    assert not any("dropped" in w for w in str(_fit(*_complete(data, False)[:2]).summary()))


def test_all_rows_missing_is_a_clear_error():
    X = np.full((4, 2), np.nan)
    with pytest.raises(ValueError, match=r"Every row \(4\) has a missing value"):
        _fit(X, np.ones(4), missing="drop")


def test_infinity_is_not_missing():
    X = np.array([[1.0], [np.inf], [3.0], [4.0]])
    with pytest.raises(ValueError, match="infinity"):
        _fit(X, np.arange(4.0), missing="drop")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda X: pd.DataFrame(X, columns=["a", "b", "c"]), id="float-nan"),
        pytest.param(
            lambda X: pd.DataFrame(X, columns=["a", "b", "c"]).astype("Float64"), id="Float64-NA"
        ),
        pytest.param(
            lambda X: pd.DataFrame(X, columns=["a", "b", "c"]).astype(object), id="object-None"
        ),
        pytest.param(
            lambda X: pd.DataFrame(X, columns=["a", "b", "c"]).astype("float64[pyarrow]"),
            id="arrow-null",
        ),
    ],
)
def test_pandas_missing_kinds(data, make):
    X, y, _, _ = data
    df = make(X)
    if df.dtypes.iloc[0] is np.dtype(object):
        df = df.where(df.notna(), None)  # None cells
    model = _fit(df, pd.Series(y), missing="drop")
    Xc, yc, _, n_bad = _complete(data, weighted=False)
    _same(model, _fit(pd.DataFrame(Xc, columns=["a", "b", "c"]), yc))
    assert model.n_dropped_ == n_bad
    assert list(model.feature_names_in_) == ["a", "b", "c"]


def test_pandas_nullable_integer_with_na():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 10, 30)
    b = rng.standard_normal(30)
    y = 2 * a - b + 1
    df = pd.DataFrame({"a": pd.array(a, dtype="Int64"), "b": b})
    df.loc[[2, 9], "a"] = pd.NA
    model = _fit(df, y, missing="drop")
    keep = df["a"].notna().to_numpy()
    ref = _fit(pd.DataFrame({"a": a[keep].astype(float), "b": b[keep]}), y[keep])
    _same(model, ref)
    assert model.n_dropped_ == 2


def test_polars_null_and_nan(data):
    pl = pytest.importorskip("polars", reason="polars frames")
    X, y, _, _ = data
    frame = pl.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    frame = frame.with_columns(
        pl.when(pl.col("b").is_nan()).then(None).otherwise(pl.col("b")).alias("b")
    )
    assert frame["b"].null_count() == 1 and frame["a"].is_nan().sum() == 1  # null and NaN
    model = _fit(frame, y, missing="drop")
    Xc, yc, _, n_bad = _complete(data, weighted=False)
    _same(model, _fit(Xc, yc))
    assert model.n_dropped_ == n_bad


def test_sparse_stored_nan(data):
    X, y, _, _ = data
    model = _fit(sp.csr_matrix(np.nan_to_num(X, nan=0.0) + np.where(np.isnan(X), np.nan, 0)), y,
                 missing="drop")  # fmt: skip
    Xc, yc, _, n_bad = _complete(data, weighted=False)
    _same(model, _fit(Xc, yc))
    assert model.n_dropped_ == n_bad


def test_missing_rows_and_drop_missing_keep_containers():
    df = pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", "y", None]})
    assert missing_rows(df).tolist() == [False, True, True]
    Xd, yd, wd, n = drop_missing(df, [1, 2, 3], None, "drop")
    assert isinstance(Xd, pd.DataFrame) and list(Xd.columns) == ["a", "b"]
    assert yd == [1] and wd is None and n == 2
    assert drop_missing(df, [1, 2, 3], None, "raise")[3] == 0


# -- predictions: one per input row, NaN where a feature is missing ---------------------------
def test_predict_keeps_rows_aligned(data):
    X, y, _, _ = data
    model = _fit(X, y, missing="drop")
    pred = model.predict(X)
    assert pred.shape == (N,)
    nan_x = np.isnan(X).any(axis=1)
    assert np.array_equal(np.isnan(pred), nan_x)
    np.testing.assert_allclose(pred[~nan_x], X[~nan_x] @ model.coef_ + model.intercept_)
    assert np.isnan(model.predict(X[[3]])).all()  # every row missing: all NaN
    with pytest.raises(ValueError, match="NaN"):
        _fit(X[~nan_x], y[~nan_x]).predict(X)  # missing="raise" still refuses


# -- files ------------------------------------------------------------------------------------
@pytest.fixture
def files(data, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="CSV and Parquet files")
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files")
    X, y, w, _ = data
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y, "w": w})
    csv = tmp_path / "d.csv"
    text = df.to_csv(index=False, na_rep="")  # empty cells ...
    lines = text.splitlines()
    lines[41] = lines[41].replace(",,", ",NA,", 1)  # ... and an NA marker (row 41: b missing)
    csv.write_text("\n".join(lines) + "\n")
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), parquet)  # NaN -> nulls? no
    table = pa.Table.from_pandas(df, preserve_index=False)
    nulls = pa.table(
        {c: pa.array(table[c].to_numpy(), from_pandas=True) for c in table.column_names}
    )  # NaN as Arrow nulls
    pq.write_table(nulls, tmp_path / "nulls.parquet")
    np.save(tmp_path / "d.npy", df.to_numpy())
    return {"csv": csv, "parquet": parquet, "nulls": tmp_path / "nulls.parquet",
            "npy": tmp_path / "d.npy"}  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "parquet", "nulls", "npy"])
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_files_drop_equals_complete_rows(data, files, kind, engine):
    target, weight = ("y", "w") if kind != "npy" else ("x3", "x4")
    ds = open_dataset(files[kind], target=target, weight=weight, chunk_rows=16)
    if kind == "nulls":
        assert pytest.importorskip("pyarrow.parquet").read_table(files[kind])["y"].null_count == 2
    model = LinearRegression(**EXACT, engine=engine, missing="drop").fit(ds)
    Xc, yc, wc, n_bad = _complete(data)
    _same(model, _fit(Xc, yc, wc), rtol=1e-9 if engine == "direct" else RTOL)
    assert model.n_dropped_ == n_bad
    with pytest.raises(ValueError, match=r"missing='drop'|holds nan"):
        LinearRegression(**EXACT).fit(ds)  # raise mode: the first missing cell, located


def test_file_rows_are_located_after_dropped_rows(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("a,y\n1,2\n,3\n3,4\ninf,5\n")
    ds = open_dataset(path, target="y")
    with pytest.raises(ValueError, match="at row 4") as err:
        LinearRegression(missing="drop").fit(ds)
    assert err.value.fields["row"] == 4


def test_file_every_row_missing(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("a,y\n,1\n2,\n")
    with pytest.raises(ValueError, match="every row has a missing value"):
        LinearRegression(missing="drop").fit(open_dataset(path, target="y"))


def test_file_predictions_nan_where_features_missing(data, files):
    X = data[0]
    ds = open_dataset(files["csv"], target="y", weight="w", chunk_rows=16)
    model = LinearRegression(**EXACT, missing="drop").fit(ds)
    feats = open_dataset(files["csv"], target=None, features=["a", "b", "c"], chunk_rows=16)
    pred = model.predict(feats)
    assert pred.shape == (N,)
    assert np.array_equal(np.isnan(pred), np.isnan(X).any(axis=1))


# -- Dask -------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_dask_drop_equals_complete_rows(data, engine):
    da = pytest.importorskip("dask.array", reason="Dask arrays")
    X, y, w, _ = data
    model = LinearRegression(**EXACT, engine=engine, missing="drop").fit(
        da.from_array(X, chunks=25), da.from_array(y, chunks=25), da.from_array(w, chunks=25)
    )
    Xc, yc, wc, n_bad = _complete(data)
    _same(model, _fit(Xc, yc, wc), rtol=1e-9)
    assert model.n_dropped_ == n_bad
    pred = model.predict(da.from_array(X, chunks=25)).compute()
    assert np.array_equal(np.isnan(pred), np.isnan(X).any(axis=1))


def test_dask_dataframe_drop(data):
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
    X, y, _, _ = data
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=4)
    model = LinearRegression(**EXACT, missing="drop").fit(
        frame, dd.from_pandas(pd.Series(y), npartitions=4)
    )
    Xc, yc, _, n_bad = _complete(data, weighted=False)
    _same(model, _fit(Xc, yc))
    assert model.n_dropped_ == n_bad and model.summary().nobs == N - n_bad
    with pytest.raises(ValueError, match="missing='drop'"):
        LinearRegression(**EXACT).fit(frame, dd.from_pandas(pd.Series(y), npartitions=4))


# -- partial_fit ------------------------------------------------------------------------------
def test_partial_fit_batches_drop(data):
    X, y, w, _ = data
    model = LinearRegression(**EXACT, missing="drop")
    for rows in np.array_split(np.arange(N), 5):
        model.partial_fit(X[rows], y[rows], w[rows])
    Xc, yc, wc, n_bad = _complete(data)
    _same(model, _fit(Xc, yc, wc))
    assert model.n_dropped_ == n_bad
    again = LinearRegression(**EXACT, missing="drop").fit(X[:60], y[:60], w[:60])
    again.partial_fit(X[60:], y[60:], w[60:])  # continues a fit: counts add up
    _same(again, model)
    assert again.n_dropped_ == n_bad


def test_partial_fit_lean_path_with_drop(data):
    X, y, _, _ = data
    model = LinearRegression(**EXACT, missing="drop")
    for rows in np.array_split(np.arange(N), 4):
        model.partial_fit(X[rows], y[rows])
    Xc, yc, _, n_bad = _complete(data, weighted=False)
    _same(model, _fit(Xc, yc))
    assert model.n_dropped_ == n_bad


# -- model files and the command line ---------------------------------------------------------
def test_model_file_keeps_n_dropped(data, tmp_path):
    X, y, _, _ = data
    model = _fit(X, y, missing="drop")
    path = model.save(tmp_path / "m.json")
    doc = json.loads(path.read_text())
    assert doc["n_dropped"] == model.n_dropped_ and doc["params"]["missing"] == "drop"
    loaded = load_model(path)
    assert loaded.n_dropped_ == model.n_dropped_ and loaded.missing == "drop"
    del doc["n_dropped"], doc["params"]["missing"]  # a file from before: still loads
    path.write_text(json.dumps(doc))
    old = load_model(path)
    assert old.missing == "raise" and "n_dropped_" not in old.__dict__


def test_cli_missing_drop(tmp_path):
    from typer.testing import CliRunner

    from lingrad import cli

    app = cli.app

    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,3\n2,,5\n3,1,4\n4,5,NA\n5,2,8\n6,1,7\n7,3,9\n")
    runner = CliRunner()
    out = tmp_path / "m.json"
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "-o", str(out), "--missing", "drop"])
    assert res.exit_code == 0, res.output
    assert "5 rows used; 2 with a missing value dropped" in res.output
    assert load_model(out).n_dropped_ == 2
    res = runner.invoke(
        app, ["fit", str(data), "-t", "y", "-o", str(out), "--missing", "drop", "--json"]
    )
    report = json.loads(res.stdout)
    assert report["n_dropped"] == 2 and report["n_samples"] == 5
    pred = tmp_path / "p.csv"
    res = runner.invoke(app, ["predict", str(out), str(data), "-o", str(pred)])
    assert res.exit_code == 0, res.output
    assert pred.read_text().splitlines()[2] == "nan"  # row 2 misses b: NaN, rows aligned
    res = runner.invoke(app, ["evaluate", str(out), str(data), "--json"])
    assert res.exit_code == 0, res.output  # scored on the complete rows
    assert json.loads(res.stdout)["n"] == 5
    res = runner.invoke(app, ["summary", str(out), str(data), "--cov-type", "HC1"])
    assert res.exit_code == 0 and "2 rows with a missing value were dropped" in res.output
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "-o", str(out)])
    assert res.exit_code != 0 and "--missing drop" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "-o", str(out), "--missing", "x"])
    assert res.exit_code != 0 and "--missing must be raise or drop" in res.output


def test_robust_summary_with_the_data_drops_the_same_rows(data):
    X, y, _, _ = data
    model = _fit(X, y, missing="drop")
    Xc, yc, _, _ = _complete(data, weighted=False)
    got = model.summary(X, y, cov_type="HC1")
    want = _fit(Xc, yc).summary(Xc, yc, cov_type="HC1")
    np.testing.assert_allclose(got.bse, want.bse, rtol=1e-9)
    pl = pytest.importorskip("polars", reason="polars LazyFrames")
    lf = pl.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}).lazy()
    streamed = _fit(lf, "y", missing="drop")
    np.testing.assert_allclose(streamed.summary(lf, "y", cov_type="HC1").bse, want.bse, rtol=1e-9)


def test_a_model_file_cut_inside_an_exponent_says_truncated(tmp_path):
    # The optional n_dropped field and the missing parameter shift where a half-file is cut;
    # a cut inside a number like "1.5e-0" fails at its "e", before the end: still truncated.
    from lingrad.persist import ModelFileError

    path = tmp_path / "m.json"
    path.write_text('{\n  "format": "lingrad-model",\n  "coef": [1.5e')
    with pytest.raises(ModelFileError, match="the file is truncated"):
        load_model(path)
