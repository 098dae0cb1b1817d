"""Text group columns of files and Dask DataFrame columns as groups: clusters and CV folds.

Oracle: the same computation in memory with the same labels (cluster-robust errors also
statsmodels on integer codes of the labels); equal to 1e-10 relative (measured ~1e-15).
Folds hash a text label by BLAKE2b, so they are the same in every process (checked under
different ``PYTHONHASHSEED``s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lingrad
from lingrad import LinearRegression, LinearRegressionCV

pd = pytest.importorskip("pandas", reason="writes the files and frames")
pytest.importorskip("pyarrow", reason="CSV and Parquet need pyarrow")
sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")

RTOL = 1e-10
NAMES = np.array(["north", "south", "east", "west", "São Paulo", "a,b", "x y", "7"], dtype=object)


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) + 2.0
    g = rng.integers(0, len(NAMES), n)
    h = rng.integers(0, 4, n)
    y = X @ [1.0, -2.0, 0.5] + 0.3 + rng.normal(size=n) * (1 + 0.3 * g)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    frame["city"], frame["yr"] = NAMES[g], h
    return X, y, g, h, frame


def _files(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    return [tmp_path / "d.csv", tmp_path / "d.parquet"]


def _model():
    return LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14, n_iters=100_000)


@pytest.mark.parametrize("fmt", [0, 1], ids=["csv", "parquet"])
def test_text_cluster_column_equals_in_memory(tmp_path, fmt):
    X, y, g, h, frame = _data()
    path = _files(tmp_path, frame)[fmt]
    ds = lingrad.open_dataset(path, "y", ["a", "b", "c"], chunk_rows=19)
    model = _model().fit(ds)
    labels = NAMES[g]
    for cov_type in ("cluster", "cluster-crv3"):
        got = model.summary(ds, cov_type=cov_type, groups="city")
        want = model.summary(X, y, cov_type=cov_type, groups=labels)
        np.testing.assert_allclose(got.bse, want.bse, rtol=RTOL)
        assert got.cov_kwds["n_groups"] == [len(NAMES)]
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds={"groups": g})
    np.testing.assert_allclose(model.summary(ds, cov_type="cluster", groups="city").bse, ref.bse,
                               rtol=1e-8)  # fmt: skip
    two = model.summary(ds, cov_type="cluster", groups=["city", "yr"])  # text and numbers
    both = np.column_stack([g, h])
    ref2 = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds={"groups": both})
    np.testing.assert_allclose(two.bse, ref2.bse, rtol=1e-8)


def test_empty_text_label_and_drop_mode_are_clear_errors(tmp_path):
    from lingrad._sources.errors import DataFileError

    frame = _data(seed=1)[-1]
    frame.loc[37, "city"] = None
    path = _files(tmp_path, frame)[0]
    ds = lingrad.open_dataset(path, "y", ["a", "b", "c"], chunk_rows=16)
    model = _model().fit(ds)
    with pytest.raises(DataFileError, match="row 38: the group column 'city' is empty") as err:
        model.summary(ds, cov_type="cluster", groups="city")
    assert "\n" not in str(err.value)
    drop = LinearRegression(lr="auto", missing="drop").fit(ds)
    with pytest.raises(DataFileError, match="code the groups as numbers"):
        drop.summary(ds, cov_type="cluster", groups="city")


def test_dask_dataframe_column_name_as_groups():
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
    X, y, g, h, frame = _data(seed=2)
    dy = dd.from_pandas(frame["y"], npartitions=3)
    model = _model().fit(frame[["a", "b", "c"]], y)
    for groups, labels in (("city", NAMES[g]), (["city", "yr"], np.column_stack([g, h]))):
        cols = ["a", "b", "c", *([groups] if isinstance(groups, str) else groups)]
        ddf = dd.from_pandas(frame[cols], npartitions=3)
        got = model.summary(ddf, dy, cov_type="cluster", groups=groups)
        want = model.summary(X, y, cov_type="cluster", groups=labels)
        np.testing.assert_allclose(got.bse, want.bse, rtol=RTOL)
    # in memory, a pandas column name works too
    got = model.summary(frame[["a", "b", "c", "city"]], y, cov_type="cluster", groups="city")
    np.testing.assert_allclose(got.bse, model.summary(X, y, cov_type="cluster",
                                                      groups=NAMES[g]).bse, rtol=RTOL)  # fmt: skip


def _cv():
    return LinearRegressionCV(alphas=[1.0, 0.1, 0.01, 0.0], l1_ratio=[0.5, 1.0], cv=4)


@pytest.mark.parametrize("source", ["csv", "parquet", "dask"])
def test_cv_text_groups_equal_in_memory(tmp_path, source):
    X, y, g, _, frame = _data(seed=3)
    ref = _cv().fit(X, y, groups=NAMES[g])
    if source == "dask":
        dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
        ddf = dd.from_pandas(frame[["a", "b", "c", "city"]], npartitions=4)
        got = _cv().fit(ddf, dd.from_pandas(frame["y"], npartitions=4), groups="city")
    else:
        path = _files(tmp_path, frame)[0 if source == "csv" else 1]
        ds = lingrad.open_dataset(path, "y", ["a", "b", "c"], chunk_rows=23)
        got = _cv().fit(ds, groups="city")
    np.testing.assert_allclose(got.mse_path_, ref.mse_path_, rtol=RTOL)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=RTOL, atol=1e-12)
    assert got.alpha_ == ref.alpha_ and list(got.feature_names_in_) == ["a", "b", "c"]


def test_cv_text_groups_are_never_split_and_folds_are_deterministic():
    from lingrad._cv.folds import group_fold_ids

    labels = np.array([f"firm-{i % 97}" for i in range(2000)], dtype=object)
    ids = group_fold_ids(labels, 5)
    for label in np.unique(labels):
        assert len(np.unique(ids[labels == label])) == 1
    code = (
        "import numpy as np; from lingrad._cv.folds import group_fold_ids; "
        "print(group_fold_ids(np.array([f'firm-{i}' for i in range(97)]), 5).tolist())"
    )
    env = {**os.environ, "PYTHONPATH": "src"}
    runs = []
    for seed in ("1", "2"):
        env["PYTHONHASHSEED"] = seed
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        runs.append(done.stdout)
    assert runs[0] == runs[1] and json.loads(runs[0]) == ids[:97].tolist()


def test_cli_cluster_on_a_text_column(tmp_path):
    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y, g, _, frame = _data(seed=4)
    path = _files(tmp_path, frame)[0]
    model = _model().fit(frame[["a", "b", "c"]], y)
    model.save(tmp_path / "m.json", target_names=["y"])
    args = ["summary", str(tmp_path / "m.json"), str(path), "--cluster", "city", "--json"]
    out = CliRunner().invoke(cli.app, args)
    assert out.exit_code == 0, out.output
    want = model.summary(X, y, cov_type="cluster", groups=NAMES[g]).bse
    np.testing.assert_allclose(json.loads(out.output)["bse"], want, rtol=RTOL)


def test_cli_cv_groups_on_a_text_column(tmp_path):
    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y, _, _, frame = _data(seed=6)
    firms = np.array([f"firm {i}" for i in range(40)], dtype=object)
    frame["firm"] = firms[np.random.default_rng(6).integers(0, 40, len(y))]
    frame.drop(columns=["city"]).to_csv(tmp_path / "d.csv", index=False)
    args = ["cv", str(tmp_path / "d.csv"), "-t", "y", "--features", "a,b,c", "--groups", "firm"]
    out = CliRunner().invoke(cli.app, [*args, "--alphas", "1,0.1,0.01", "--json"])
    assert out.exit_code == 0, out.output
    want = LinearRegressionCV(alphas=[1.0, 0.1, 0.01]).fit(X, y, groups=frame["firm"].to_numpy())
    (t,) = json.loads(out.stdout)["targets"]
    assert t["alpha"] == want.alpha_ and list(t["coefficients"]) == ["a", "b", "c"]
    np.testing.assert_allclose(list(t["coefficients"].values()), want.coef_, rtol=1e-10)
    np.testing.assert_allclose(t["path"]["mean_test_mse"], want.cv_results_["mean_test_mse"])
