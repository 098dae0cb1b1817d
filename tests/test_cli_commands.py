"""The command line's data commands: fit, predict, evaluate, summary, plot.

Round trips check every number against the Python API on the same data with the
same parameters; the bad-input battery checks that every broken input gives one
line ``Error: ...`` on stderr naming the problem, exit status 1, no traceback and
no partial output file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pacsv = pytest.importorskip("pyarrow.csv")
pytest.importorskip("matplotlib")
PIL_Image = pytest.importorskip("PIL.Image")

from sklearn import metrics  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from lingrad import LinearRegression, cli, load_model, open_dataset  # noqa: E402
from lingrad.cli import io as cli_io  # noqa: E402
from lingrad.cli.plot import sample_rows  # noqa: E402
from lingrad.cli.render import fmt  # noqa: E402
from lingrad.cli.training import fit_with_progress  # noqa: E402
from lingrad.persist import read_model_file  # noqa: E402

runner = CliRunner()
# The reference models were fitted on files (with feature names) and predict arrays here.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")
FEATURES = ["a", "b", "c"]
# Converges to the least-squares optimum, so summaries are classical and exact.
FIT_ARGS = ["--lr", "auto", "--optimizer", "nesterov", "--tol", "1e-12", "--n-iters", "5000"]
FIT_PARAMS = dict(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=5000)


# -- data ------------------------------------------------------------------------------------
def make_table(n: int = 240, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5] + [0.0, 10.0, -2.0]
    noise = rng.normal(scale=0.5 + np.abs(X[:, 0]), size=n)  # heteroscedastic: HC != nonrobust
    y = X @ [2.0, -1.0, 0.5] + 3.0 + noise
    y2 = X @ [-0.5, 0.25, 1.0] - 1.0 + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y, "y2": y2, "w": w}


def write_table(path: Path, table: dict[str, np.ndarray]) -> Path:
    t = pa.table({k: pa.array(v, pa.float64()) for k, v in table.items()})
    if path.suffix == ".parquet":
        pq.write_table(t, path)
    elif path.suffix == ".csv":
        pacsv.write_csv(t, path)
    else:
        np.save(path, np.column_stack(list(table.values())))
    return path


def read_predictions(path: Path) -> dict[str, np.ndarray]:
    t = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    return {name: t.column(name).to_numpy() for name in t.column_names}


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def files(tmp_path_factory, table):
    d = tmp_path_factory.mktemp("data")
    return {fmt: write_table(d / f"train.{fmt}", table) for fmt in ("csv", "parquet", "npy")}


def X_of(table, names=FEATURES):
    return np.column_stack([table[c] for c in names])


def invoke(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def as_json(result):
    ok(result)
    return json.loads(result.stdout)  # stdout is exactly one JSON document


def one_error_line(result, *needles: str) -> str:
    """Exit status 1, one line ``Error: ...`` on stderr naming every needle, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    assert "Traceback" not in result.output
    return line


def no_files_like(folder: Path, name: str) -> None:
    """Neither ``name`` nor a temporary file for it is left in ``folder``."""
    left = [p.name for p in folder.iterdir() if p.name == name or p.name.startswith(f".{name}.")]
    assert left == [], left


# -- round trips: fit -> predict -> evaluate -> summary --------------------------------------
@pytest.fixture(scope="module", params=["csv", "parquet"])
def round_trip(request, files, tmp_path_factory):
    """``lingrad fit --json`` on one file format and the same fit in Python."""
    data = files[request.param]
    out = tmp_path_factory.mktemp("fit") / "model.json"
    doc = as_json(invoke("fit", data, "--target", "y", "--features", "a,b", "-f", "c", *FIT_ARGS,
                         "--seed", "3", "-o", out, "--json"))  # fmt: skip
    ref = LinearRegression(**FIT_PARAMS, random_state=3).fit(
        open_dataset(data, target="y", features=FEATURES)
    )
    return data, out, doc, ref


def test_fit_matches_the_python_api(round_trip):
    data, out, doc, ref = round_trip
    assert doc["model"] == str(out) and doc["data"] == str(data)
    assert doc["features"] == FEATURES and doc["targets"] == ["y"]
    assert list(doc["coefficients"]) == FEATURES
    np.testing.assert_array_equal(list(doc["coefficients"].values()), ref.coef_)
    assert doc["intercept"] == ref.intercept_
    assert doc["n_iter"] == ref.n_iter_ and doc["converged"] is True
    assert doc["stop_reason"] == ref.stop_reason_ == "tol"
    assert doc["lr"] == ref.lr_ and doc["engine"] == ref.engine_ == "stats"
    assert doc["loss"] == ref.loss_history_[-1]
    assert doc["n_samples"] == 240
    assert doc["diagnostics"]["lipschitz"] == ref.diagnostics_.lipschitz
    assert set(doc["diagnostics"]) == set(ref.diagnostics_.to_dict())
    mf = read_model_file(out)
    assert mf.target_names == ["y"]
    assert list(mf.model.feature_names_in_) == FEATURES
    np.testing.assert_array_equal(mf.model.coef_, ref.coef_)
    assert mf.model.get_params()["random_state"] == 3


def test_predict_matches_model_predict(round_trip, table, tmp_path):
    data, model, _, ref = round_trip
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"pred{suffix}"
        result = ok(invoke("predict", model, data, "-o", out, "--chunk-rows", "50"))
        assert f"Wrote 240 predictions (y_pred) to {out}" in result.stdout
        pred = read_predictions(out)
        assert list(pred) == ["y_pred"]
        np.testing.assert_array_equal(pred["y_pred"], ref.predict(X_of(table)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv", "pred.parquet"]


def test_evaluate_matches_sklearn_metrics(round_trip, table):
    data, model, _, ref = round_trip
    doc = as_json(invoke("evaluate", model, data, "--json", "--chunk-rows", "37"))
    y, p = table["y"], ref.predict(X_of(table))
    expected = {
        "mse": metrics.mean_squared_error(y, p),
        "rmse": metrics.root_mean_squared_error(y, p),
        "mae": metrics.mean_absolute_error(y, p),
        "r2": metrics.r2_score(y, p),
    }
    assert doc["n"] == 240 and doc["model"] == str(model)
    for name, value in expected.items():
        np.testing.assert_allclose(doc[name], value, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(doc["targets"]["y"][name], value, rtol=1e-12)


def test_summary_matches_model_summary(round_trip):
    _, model, _, ref = round_trip
    doc = as_json(invoke("summary", model, "--json"))
    expected = ref.summary().to_dict()
    assert doc["target"] == "y" and doc["names"] == ["const", *FEATURES]
    assert doc["classical_inference_valid"] is True
    for key in ("params", "bse", "tvalues", "pvalues", "conf_int", "rsquared", "fvalue", "llf",
                "aic", "bic", "nobs", "df_resid"):  # fmt: skip
        np.testing.assert_allclose(doc[key], expected[key], rtol=1e-12, err_msg=key)


def test_robust_summary_streams_the_data(round_trip):
    data, model, _, ref = round_trip
    doc = as_json(invoke("summary", model, data, "--cov-type", "HC3", "--alpha", "0.1", "--json"))
    ds = open_dataset(data, target="y", features=FEATURES)
    expected = ref.summary(ds, cov_type="HC3", alpha=0.1).to_dict()
    assert doc["cov_type"] == "HC3" and doc["alpha"] == 0.1
    for key in ("params", "bse", "pvalues", "conf_int", "fvalue"):
        np.testing.assert_allclose(doc[key], expected[key], rtol=1e-12, err_msg=key)
    nonrobust = as_json(invoke("summary", model, "--json"))
    assert not np.allclose(doc["bse"], nonrobust["bse"])


def test_human_output_of_each_command(round_trip, tmp_path):
    data, model, _, ref = round_trip
    args = ["-t", "y", "--features", "a,b,c", *FIT_ARGS, "--seed", "3"]
    out = ok(invoke("fit", data, *args, "-o", tmp_path / "m.json")).stdout
    for text in ("Coefficients", "(intercept)", "Training", "Diagnostics", "stop reason",
                 "final MSE (training)", "learning rate used", "Saved the model to"):  # fmt: skip
        assert text in out, text
    for name, value in zip(FEATURES, ref.coef_, strict=True):
        line = next(ln for ln in out.splitlines() if f"│ {name} " in ln)
        assert fmt(value) in line
    out = ok(invoke("evaluate", model, data)).stdout
    assert "240 rows" in out and "R²" in out and "RMSE" in out
    out = ok(invoke("summary", model)).stdout
    assert "OLS regression: y" in out and "Classical inference applies" in out


def test_fit_from_npy_by_index(files, table, tmp_path):
    out = tmp_path / "npy.json"
    npy = write_table(tmp_path / "train.npy", {c: table[c] for c in [*FEATURES, "y"]})
    doc = as_json(invoke("fit", npy, "--target", "-1", *FIT_ARGS, "-o", out, "--json"))
    ref = LinearRegression(**FIT_PARAMS, random_state=0).fit(open_dataset(npy, target=-1))
    assert doc["features"] == ["x0", "x1", "x2"] and doc["targets"] == ["x3"]
    np.testing.assert_array_equal(list(doc["coefficients"].values()), ref.coef_)
    assert not hasattr(load_model(out), "feature_names_in_")
    # A model without feature names reads .npy columns by position (the target dropped) ...
    pred = tmp_path / "p.csv"
    ok(invoke("predict", out, npy, "-o", pred))
    np.testing.assert_array_equal(read_predictions(pred)["x3_pred"], ref.predict(X_of(table)))
    # ... and a CSV only with --target named.
    line = one_error_line(invoke("evaluate", out, files["csv"]), "--target", "no feature names")
    assert "train.csv" in line


def test_multi_output_round_trip(files, table, tmp_path):
    data, out = files["parquet"], tmp_path / "multi.json"
    doc = as_json(invoke("fit", data, "-t", "y", "-t", "y2", "--features", "a,b,c", *FIT_ARGS,
                         "-o", out, "--json"))  # fmt: skip
    ref = LinearRegression(**FIT_PARAMS, random_state=0).fit(
        open_dataset(data, target=["y", "y2"], features=FEATURES)
    )
    assert doc["targets"] == ["y", "y2"]
    np.testing.assert_array_equal(list(doc["coefficients"]["y2"].values()), ref.coef_[1])
    assert doc["intercept"] == dict(zip(["y", "y2"], ref.intercept_.tolist(), strict=True))
    pred_path = tmp_path / "p.parquet"
    ok(invoke("predict", out, data, "-o", pred_path))
    pred = read_predictions(pred_path)
    P = ref.predict(X_of(table))
    np.testing.assert_array_equal(np.column_stack([pred["y_pred"], pred["y2_pred"]]), P)
    ev = as_json(invoke("evaluate", out, data, "--json"))
    Y = np.column_stack([table["y"], table["y2"]])
    np.testing.assert_allclose(ev["r2"], metrics.r2_score(Y, P), rtol=1e-12)
    np.testing.assert_allclose(ev["rmse"], metrics.root_mean_squared_error(Y, P), rtol=1e-12)
    mae2 = metrics.mean_absolute_error(Y[:, 1], P[:, 1])
    np.testing.assert_allclose(ev["targets"]["y2"]["mae"], mae2, rtol=1e-12)
    docs = as_json(invoke("summary", out, "--json"))
    assert [d["target"] for d in docs] == ["y", "y2"]
    np.testing.assert_allclose(docs[1]["bse"], ref.summary()[1].bse, rtol=1e-12)


def test_weighted_fit_and_summary(files, tmp_path):
    data, out = files["csv"], tmp_path / "w.json"
    doc = as_json(invoke("fit", data, "-t", "y", "--features", "a,b,c", "--weight", "w",
                         *FIT_ARGS, "-o", out, "--json"))  # fmt: skip
    ds = open_dataset(data, target="y", features=FEATURES, weight="w")
    ref = LinearRegression(**FIT_PARAMS, random_state=0).fit(ds)
    np.testing.assert_array_equal(list(doc["coefficients"].values()), ref.coef_)
    one_error_line(invoke("summary", out, data, "--cov-type", "HC1"), "--weight")
    s = as_json(invoke("summary", out, data, "--weight", "w", "--cov-type", "HC1", "--json"))
    assert s["model"] == "WLS"
    np.testing.assert_allclose(s["bse"], ref.summary(ds, cov_type="HC1").bse, rtol=1e-12)


def test_penalised_direct_fit(files, tmp_path):
    data, out = files["csv"], tmp_path / "pen.json"
    args = ["--alpha", "0.1", "--l1-ratio", "0.5", "--engine", "direct", "--n-iters", "200",
            "--lr", "0.02", "--optimizer", "momentum", "--seed", "7"]  # fmt: skip
    doc = as_json(invoke("fit", data, "-t", "y", "--features", "a,b,c", *args, "-o", out, "--json"))
    ref = LinearRegression(alpha=0.1, l1_ratio=0.5, engine="direct", n_iters=200, lr=0.02,
                           optimizer="momentum", random_state=7)  # fmt: skip
    ref.fit(open_dataset(data, target="y", features=FEATURES))
    assert doc["engine"] == "direct" and doc["n_samples"] is None
    np.testing.assert_array_equal(list(doc["coefficients"].values()), ref.coef_)
    # No statistics in the file: the summary needs the data.
    one_error_line(invoke("summary", out), "no sufficient statistics", "DATA")
    s = as_json(invoke("summary", out, data, "--json"))
    assert s["classical_inference_valid"] is False


def test_batch_size_loads_the_file_into_memory(files, table, tmp_path, monkeypatch):
    data, out = files["csv"], tmp_path / "sgd.json"
    doc = as_json(invoke("fit", data, "-t", "y", "--features", "a,b,c", "--batch-size", "32",
                         "--n-iters", "20", "--seed", "5", "-o", out, "--json"))  # fmt: skip
    ref = LinearRegression(batch_size=32, n_iters=20, random_state=5).fit(X_of(table), table["y"])
    np.testing.assert_array_equal(list(doc["coefficients"].values()), ref.coef_)
    assert list(load_model(out).feature_names_in_) == FEATURES
    monkeypatch.setattr(cli_io, "IN_MEMORY_LIMIT", 1000)
    result = invoke("fit", data, "-t", "y", "--batch-size", "32", "-o", tmp_path / "big.json")
    one_error_line(result, "--batch-size", "train.csv", "Drop --batch-size")
    no_files_like(tmp_path, "big.json")


def test_predict_matches_columns_by_name(round_trip, table, tmp_path):
    _, model, _, ref = round_trip
    # Reordered features, no target, an extra text column: predictions follow the names.
    t = pa.table({"id": [f"r{i}" for i in range(240)], "c": table["c"], "a": table["a"],
                  "b": table["b"]})  # fmt: skip
    pacsv.write_csv(t, tmp_path / "new.csv")
    ok(invoke("predict", model, tmp_path / "new.csv", "-o", tmp_path / "p.csv"))
    np.testing.assert_array_equal(read_predictions(tmp_path / "p.csv")["y_pred"],
                                  ref.predict(X_of(table)))  # fmt: skip


@pytest.mark.parametrize("name", ["demo", "fit", "predict", "evaluate", "summary", "plot"])
def test_every_command_has_help_with_examples(name):
    result = ok(invoke(name, "--help"))
    assert "Examples:" in result.stdout
    assert f"lingrad {name}" in result.stdout


# -- plots -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_feature(tmp_path_factory):
    d = tmp_path_factory.mktemp("one")
    rng = np.random.default_rng(1)
    x = rng.normal(size=120)
    data = write_table(d / "line.csv", {"x": x, "y": 4 * x - 1 + rng.normal(size=120)})
    model = d / "line.json"
    ok(invoke("fit", data, "-t", "y", "--n-iters", "60", "--lr", "0.5", "-o", model))
    return data, model


@pytest.mark.parametrize(
    ("kind", "suffix"),
    [("fit", ".png"), ("loss", ".svg"), ("residuals", ".png"), ("predicted", ".pdf"),
     ("path", ".png"), ("coef-paths", ".png"), ("animation", ".gif")],
)  # fmt: skip
def test_plot_kinds(one_feature, kind, suffix, tmp_path):
    data, model = one_feature
    out = tmp_path / f"figure{suffix}"
    result = ok(invoke("plot", model, data, "--kind", kind, "-o", out))
    assert result.stderr == ""  # the refit reproduces the saved model: no warning
    assert result.stdout.strip() == f"Wrote {out}"
    assert out.stat().st_size > 1000
    if suffix in (".png", ".gif"):
        with PIL_Image.open(out) as im:
            assert im.format == suffix[1:].upper()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_plot_samples_large_files_and_warns_on_a_different_refit(one_feature, tmp_path):
    data, model = one_feature
    out = tmp_path / "r.png"
    result = ok(invoke("plot", model, data, "--kind", "residuals", "--max-points", "50", "-o", out))
    assert "a random sample of 50 of 120 rows" in result.stdout
    X, Y, n = sample_rows(open_dataset(data, target="y", chunk_rows=16), 50)
    assert n == 120 and X.shape == (50, 1) and Y.shape == (50, 1)
    full = open_dataset(data, target="y")
    X_all = next(iter(full.iter_chunks()))[0][:, 0]
    rows = [int(np.flatnonzero(X_all == v)[0]) for v in X[:, 0]]
    assert len(set(rows)) == 50 and rows == sorted(rows)  # distinct rows, in file order
    t = make_table(80, seed=9)
    other = write_table(tmp_path / "other.csv", {"x": t["a"], "y": t["y"]})
    result = ok(invoke("plot", model, other, "--kind", "coef-paths", "-o", tmp_path / "c.png"))
    assert result.stderr.startswith("Warning: The refit's coefficients differ")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--kind", "fit"], ["--kind fit", "3 features", "--kind predicted"]),
        (["--kind", "animation", "-o", "x.png"], ["-o", ".gif"]),
        (["--kind", "bars"], ["--kind must be one of"]),
        (["--kind", "path", "--no-data"], ["--kind path draws the data", "pass DATA"]),
        (["--kind", "loss", "-o", "x.docx"], ["-o", "matplotlib format"]),
    ],
)
def test_plot_bad_options(round_trip, args, needles, tmp_path):
    data, model, _, _ = round_trip
    if "-o" not in args:
        args = [*args, "-o", "fig.png"]
    data_args = [] if "--no-data" in args else [data]
    args = [a if a not in ("x.png", "x.docx", "fig.png") else tmp_path / a for a in args]
    args = [a for a in args if a != "--no-data"]
    one_error_line(invoke("plot", model, *data_args, *args), *needles)
    assert list(tmp_path.iterdir()) == []


# -- the bad-input battery -------------------------------------------------------------------
GOOD_ROWS = [f"{i},{i * i % 11},{i % 7},{3 * i + 1}" for i in range(1, 41)]
BAD_DATA = {
    # name: (file name, contents or None for "do not create" / "dir" for a directory, needles)
    "missing": ("nope.csv", None, ["nope.csv", "does not exist", "Check the path"]),
    "directory": ("folder.csv", "dir", ["folder.csv", "is a directory"]),
    "empty": ("empty.csv", "", ["empty.csv", "empty"]),
    "header only": ("header.csv", "a,b,c,y\n", ["header.csv", "no data rows"]),
    "non-numeric": ("text.csv", ["a,b,c,y", *GOOD_ROWS[:30], "31,oops,3,94", *GOOD_ROWS[31:]],
                    ["text.csv", "column 'b'", "'oops'", "row 31", "--features"]),
    "empty cell": ("hole.csv", ["a,b,c,y", *GOOD_ROWS[:25], "26,,5,79", *GOOD_ROWS[26:]],
                   ["hole.csv", "column 'b'", "row 26", "fill or drop"]),
    "NaN cell": ("nan.csv", ["a,b,c,y", *GOOD_ROWS[:20], "21,NaN,0,64", *GOOD_ROWS[21:]],
                 ["nan.csv", "column 'b'", "row 21"]),
    "ragged": ("ragged.csv", ["a,b,c,y", *GOOD_ROWS[:35], "36,72", *GOOD_ROWS[36:]],
               ["ragged.csv", "row 36", "2 fields", "4 columns"]),
}  # fmt: skip


def make_bad(folder: Path, case: str) -> Path:
    name, contents, _ = BAD_DATA[case]
    path = folder / name
    if contents == "dir":
        path.mkdir()
    elif contents is not None:
        text = contents if isinstance(contents, str) else "\n".join(contents) + "\n"
        path.write_text(text)
    return path


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model of the battery's good rows (features a, b, c; target y)."""
    d = tmp_path_factory.mktemp("small")
    data = d / "good.csv"
    data.write_text("\n".join(["a,b,c,y", *GOOD_ROWS]) + "\n")
    model = d / "model.json"
    ok(invoke("fit", data, "-t", "y", "--lr", "auto", "--n-iters", "50", "-o", model))
    return data, model


def command_line(command: str, data: Path, model: Path, out: Path) -> list:
    return {
        "fit": ["fit", data, "--target", "y", "--chunk-rows", "8", "-o", out],
        "predict": ["predict", model, data, "--chunk-rows", "8", "-o", out],
        "evaluate": ["evaluate", model, data, "--chunk-rows", "8"],
        "summary": ["summary", model, data, "--cov-type", "HC0", "--chunk-rows", "8"],
        "plot": ["plot", model, data, "--kind", "residuals", "--chunk-rows", "8", "-o", out],
    }[command]


OUT_NAME = {"fit": "out.json", "predict": "out.csv", "plot": "out.png"}


@pytest.mark.parametrize("case", list(BAD_DATA))
@pytest.mark.parametrize("command", ["fit", "predict", "evaluate", "summary", "plot"])
def test_bad_data_files(command, case, small_model, tmp_path):
    _, model = small_model
    data = make_bad(tmp_path, case)
    out = tmp_path / OUT_NAME.get(command, "unused")
    result = invoke(*command_line(command, data, model, out))
    one_error_line(result, *BAD_DATA[case][2])
    assert result.stdout == ""
    no_files_like(tmp_path, out.name)


@pytest.mark.parametrize("command", ["fit", "evaluate", "summary", "plot"])
def test_missing_target_column(command, small_model, tmp_path):
    _, model = small_model
    data = tmp_path / "no_y.csv"
    data.write_text("a,b,c,z\n1,2,3,4\n2,3,4,5\n")
    out = tmp_path / OUT_NAME.get(command, "unused")
    line = one_error_line(invoke(*command_line(command, data, model, out)), "no_y.csv",
                          "no column 'y'", "'a', 'b', 'c', 'z'", "--target")  # fmt: skip
    assert "target" in line
    no_files_like(tmp_path, out.name)


@pytest.mark.parametrize("command", ["predict", "evaluate", "summary", "plot"])
def test_feature_columns_that_do_not_match_the_model(command, small_model, tmp_path):
    _, model = small_model
    data = tmp_path / "renamed.csv"
    data.write_text("a,B,y,C\n1,2,3,4\n2,3,4,5\n")
    out = tmp_path / OUT_NAME.get(command, "unused")
    needles = ["renamed.csv", "lacks the model's feature columns 'b', 'c'", "under the same names"]
    one_error_line(invoke(*command_line(command, data, model, out)), *needles)
    no_files_like(tmp_path, out.name)


def test_duplicated_feature_column(small_model, tmp_path):
    _, model = small_model
    data = tmp_path / "dup.csv"
    data.write_text("a,b,c,b\n1,2,3,4\n")
    one_error_line(
        invoke("predict", model, data, "-o", tmp_path / "p.csv"), "'b'", "more than once"
    )


def model_text(small_model) -> str:
    return small_model[1].read_text()


BAD_MODELS = {
    "missing": (None, ["nope.json", "does not exist", "lingrad fit"]),
    "directory": ("dir", ["m.json", "is a directory"]),
    "empty": ("", ["m.json", "empty"]),
    "corrupted": ("\x00\x01binary garbage{", ["m.json", "not valid JSON", "Restore the file"]),
    "truncated": ("HALF", ["m.json", "truncated"]),
    "tampered": ("TAMPER", ["m.json", "'coef'", "refit the model"]),
    "future": ("FUTURE", ["m.json", "schema version 99", "Upgrade lingrad"]),
    "not a model": ('{"hello": 1}', ["m.json", "not a lingrad model file"]),
}


def make_bad_model(folder: Path, case: str, good: str) -> Path:
    contents = BAD_MODELS[case][0]
    path = folder / ("nope.json" if contents is None else "m.json")
    if contents == "dir":
        path.mkdir()
    elif contents == "HALF":
        path.write_text(good[: len(good) // 2])
    elif contents == "TAMPER":
        doc = json.loads(good)
        doc["coef"] = doc["coef"][:-1]
        path.write_text(json.dumps(doc))
    elif contents == "FUTURE":
        path.write_text(good.replace('"schema_version": 1', '"schema_version": 99'))
    elif contents is not None:
        path.write_text(contents)
    return path


@pytest.mark.parametrize("case", list(BAD_MODELS))
@pytest.mark.parametrize("command", ["predict", "evaluate", "summary", "plot"])
def test_bad_model_files(command, case, small_model, tmp_path):
    data, good = small_model
    model = make_bad_model(tmp_path, case, good.read_text())
    out = tmp_path / OUT_NAME.get(command, "unused")
    one_error_line(invoke(*command_line(command, data, model, out)), *BAD_MODELS[case][1])
    no_files_like(tmp_path, out.name)


@pytest.mark.parametrize("command", ["fit", "predict", "plot"])
@pytest.mark.parametrize("where", ["missing folder", "a folder", "under a file"])
def test_unwritable_output(command, where, small_model, tmp_path):
    data, model = small_model
    (tmp_path / "file.txt").write_text("")
    (tmp_path / "folder").mkdir()
    out, needles = {
        "missing folder": (tmp_path / "nope" / OUT_NAME[command], ["does not exist", "mkdir -p"]),
        "a folder": (tmp_path / "folder", ["is a directory", "give a file path"]),
        "under a file": (tmp_path / "file.txt" / OUT_NAME[command], ["is a file"]),
    }[where]
    one_error_line(invoke(*command_line(command, data, model, out)), "-o", *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder"]
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize(
    ("command", "out", "needles"),
    [
        ("predict", "p.txt", ["-o", ".csv or .parquet"]),
        ("fit", None, ["--lr must be"]),
    ],
)
def test_bad_output_options(command, out, needles, small_model, tmp_path):
    data, model = small_model
    if command == "predict":
        args = command_line("predict", data, model, tmp_path / out)
    else:
        args = [*command_line("fit", data, model, tmp_path / "m.json"), "--lr", "fast"]
    one_error_line(invoke(*args), *needles)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--n-iters", "-1"], ["--n-iters must be"]),
        (["--tol", "0"], ["--tol must be a positive number"]),
        (["--optimizer", "sgd"], ["--optimizer must be one of gd, momentum, nesterov, adam"]),
        (["--engine", "gpu"], ["--engine must be one of auto, stats, direct"]),
        (["--alpha", "-1"], ["--alpha must be"]),
        (["--l1-ratio", "2"], ["--l1-ratio must be"]),
        (["--batch-size", "0"], ["--batch-size must be"]),
        (["--n-iters", str(10**12)], ["--n-iters 1000000000000", "GiB", "--tol 1e-8"]),
        (["--n-iters", str(2**62)], ["--n-iters 4611686018427387904", "cannot finish"]),
        (["--alpha", "1e301"], ["--alpha must be a number between 0 and 1e+300"]),
        (["--alpha", "1.7e308"], ["--alpha must be a number between 0 and 1e+300"]),
        (["--seed", "-5"], ["--seed must be"]),
        (["--chunk-rows", "0"], ["--chunk-rows must be"]),
        (["--features", "a,nope"], ["no column 'nope' (--features)", "Pass --features"]),
        (["--weight", "nope"], ["no column 'nope' (--weight)"]),
    ],
)
def test_bad_fit_options(args, needles, small_model, tmp_path):
    data, model = small_model
    one_error_line(invoke(*command_line("fit", data, model, tmp_path / "m.json"), *args), *needles)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--cov-type", "HC9"], ["--cov-type must be one of nonrobust, HC0"]),
        (["--alpha", "1.5"], ["--alpha must be a number between 0 and 1"]),
        (["--cov-type", "HC3", "--no-data"], ["--cov-type HC3 needs the training DATA"]),
        (["--target", "y", "--no-data"], ["--target and --weight choose columns of DATA"]),
        (["--target", "a,b"], ["--target names 2 column(s)", "predicts 1 target"]),
    ],
)
def test_bad_summary_options(args, needles, small_model):
    data, model = small_model
    data_args = [] if "--no-data" in args else [data]
    args = [a for a in args if a != "--no-data"]
    one_error_line(invoke("summary", model, *data_args, *args), *needles)


def test_model_file_without_target_names(small_model, tmp_path):
    data, good = small_model
    doc = json.loads(good.read_text())
    doc["target_names"] = None
    model = tmp_path / "anon.json"
    model.write_text(json.dumps(doc))
    one_error_line(invoke("evaluate", model, data), "holds no target name", "--target COL")
    ok(invoke("evaluate", model, data, "--target", "y"))
    ok(invoke("predict", model, data, "-o", tmp_path / "p.csv"))
    assert list(read_predictions(tmp_path / "p.csv")) == ["prediction"]


def test_interrupted_save_keeps_the_previous_model(small_model, tmp_path, monkeypatch):
    data, _ = small_model
    out = tmp_path / "model.json"
    ok(invoke("fit", data, "-t", "y", "--n-iters", "10", "-o", out))
    before = out.read_bytes()

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    converging = ("--lr", "auto", "--optimizer", "nesterov", "--tol", "1e-10")  # no warning line
    result = invoke("fit", data, "-t", "y", "--n-iters", "2000", *converging, "-o", out)
    one_error_line(result, "model.json", "No space left on device", "previous file", "intact")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_interrupted_predictions_keep_the_previous_file(small_model, tmp_path, monkeypatch):
    data, model = small_model
    out = tmp_path / "pred.parquet"
    ok(invoke("predict", model, data, "-o", out))
    before = out.read_bytes()

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    one_error_line(invoke("predict", model, data, "-o", out), "pred.parquet", "intact")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["pred.parquet"]


def test_failing_midway_leaves_no_partial_predictions(small_model, tmp_path):
    _, model = small_model
    bad = make_bad(tmp_path, "non-numeric")  # row 31 of 40, 8 rows per chunk: 3 chunks written
    out = tmp_path / "pred.csv"
    one_error_line(invoke("predict", model, bad, "--chunk-rows", "8", "-o", out), "row 31")
    no_files_like(tmp_path, "pred.csv")


def test_fit_progress_on_a_terminal_for_a_file(files):
    import io

    from rich.console import Console

    buf = io.StringIO()
    tty = Console(file=buf, force_terminal=True, width=80)
    ds = open_dataset(files["csv"], target="y")
    m = fit_with_progress(LinearRegression(random_state=0, n_iters=30), ds, None, tty,
                               reading="reading train.csv")  # fmt: skip
    assert "training" in buf.getvalue()
    ref = LinearRegression(random_state=0, n_iters=30).fit(ds)
    np.testing.assert_array_equal(m.coef_, ref.coef_)


# -- real processes ----------------------------------------------------------------------------
def lingrad_script() -> list[str]:
    script = Path(sys.executable).with_name("lingrad")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lingrad"]


def test_subprocess_round_trip_and_error(small_model, tmp_path):
    data, _ = small_model
    out = tmp_path / "m.json"
    run = subprocess.run([*lingrad_script(), "fit", str(data), "-t", "y", "--lr", "auto",
                          "--optimizer", "nesterov", "--tol", "1e-10", "--n-iters", "5000",
                          "-o", str(out), "--json"], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["model"] == str(out)
    assert run.stderr == ""
    bad = make_bad(tmp_path, "ragged")
    run = subprocess.run([*lingrad_script(), "predict", str(out), str(bad), "-o",
                          str(tmp_path / "p.csv")], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 1 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "row 36" in lines[0]
    assert not (tmp_path / "p.csv").exists()


def test_columns_are_named_as_the_header_writes_them(tmp_path):
    """A header written ``a, b, y`` (spaces after commas) and a name holding a comma."""
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("a, b, y\n1,2,3\n2,3,5\n3,5,8\n4,4,8\n", encoding="utf-8")
    ok(invoke("fit", spaced, "-t", "y", "-o", tmp_path / "m.json"))
    assert load_model(tmp_path / "m.json").feature_names_in_.tolist() == ["a", " b"]
    comma = tmp_path / "comma.csv"
    comma.write_text('"a,1",b,y\n1,2,3\n2,3,5\n3,5,8\n4,4,8\n', encoding="utf-8")
    ok(invoke("fit", comma, "-t", "y", "-f", "a,1", "-f", "b", "-o", tmp_path / "c.json"))
    assert load_model(tmp_path / "c.json").feature_names_in_.tolist() == ["a,1", "b"]


def test_fit_takes_the_preconditioner_from_the_table(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,3\n2,3,5\n3,5,8\n4,4,8\n5,7,12\n", encoding="utf-8")
    out = tmp_path / "m.json"
    ok(invoke("fit", data, "-t", "y", "--lr", "auto", "--precondition", "none", "-o", out))
    assert load_model(out).precondition == "none"
    result = invoke("fit", data, "-t", "y", "--precondition", "sideways", "-o", out)
    assert result.exit_code == 1 and "--precondition must be one of" in result.output
