"""``lingrad cv``: the command equals the Python API on the same file, one line per error."""

import json

import numpy as np
import pytest

pytest.importorskip("typer")
pytest.importorskip("pyarrow")
pytest.importorskip("matplotlib")

from typer.testing import CliRunner

from lingrad import LinearRegressionCV, cli, load_model, open_dataset

runner = CliRunner()


def invoke(*args):
    return runner.invoke(cli.app, ["cv", *(str(a) for a in args)])


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = X @ [1.0, 0.0, -2.0] + 1.0 + rng.standard_normal(300)
    site = rng.integers(0, 25, 300)
    path = tmp_path / "d.csv"
    table = np.column_stack([X, site, y, 2 * y])
    np.savetxt(path, table, delimiter=",", header="a,b,c,site,y,y2", comments="")
    return path


def test_json_equals_the_python_api(data):
    result = invoke(
        data,
        "-t",
        "y",
        "-f",
        "a,b,c,site",
        "-g",
        "site",
        "--alphas",
        "20",
        "--l1-ratio",
        "0.5,1",
        "--selection",
        "1se",
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ds = open_dataset(data, "y", ["a", "b", "c", "site"])
    want = LinearRegressionCV(20, l1_ratio=[0.5, 1.0], selection="1se").fit(ds, groups="site")
    (t,) = doc["targets"]
    assert t["alpha"] == want.alpha_ and t["l1_ratio"] == want.l1_ratio_
    assert list(t["coefficients"]) == ["a", "b", "c"]
    np.testing.assert_allclose(list(t["coefficients"].values()), want.coef_, rtol=1e-12)
    np.testing.assert_allclose(t["path"]["mean_test_mse"], want.cv_results_["mean_test_mse"])
    i = int(np.argmin(np.abs(np.asarray(t["path"]["alpha"]) - want.alpha_)))
    assert t["cv_mse"] == pytest.approx(want.cv_results_["mean_test_mse"][i])


def test_model_and_figures_are_written(data, tmp_path):
    out, curve, path_png = tmp_path / "m.json", tmp_path / "c.png", tmp_path / "p.png"
    result = invoke(
        data,
        "-t",
        "y",
        "-f",
        "a,b,c",
        "--alphas",
        "15",
        "--l1-ratio",
        "1",
        "-o",
        out,
        "--plot-curve",
        curve,
        "--plot-path",
        path_png,
    )
    assert result.exit_code == 0, result.output
    assert "Saved the model" in result.stdout
    assert curve.stat().st_size > 1000 and path_png.stat().st_size > 1000
    cvm = LinearRegressionCV(15, l1_ratio=1.0).fit(open_dataset(data, "y", ["a", "b", "c"]))
    model = load_model(out)
    assert model.alpha == cvm.alpha_ and model.l1_ratio == 1.0
    np.testing.assert_allclose(model.coef_, cvm.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cv", "1"], "--cv must be an integer >= 2; got 1."),
        (["--alphas", "-1,2"], "--alphas must be"),
        (["--alphas", "abc"], "--alphas must be a whole number of alphas"),
        (["--l1-ratio", "2"], "--l1-ratio must be a number between 0 and 1"),
        (["--selection", "x"], "--selection must be one of 'min', '1se'"),
        (["--groups", "nope"], "--groups nope names no column"),
        (["--cv", "400"], "Use fewer folds: e.g. --cv 3"),
        (["-t", "y2", "-o", "m.json"], "-o must be used with one --target"),
    ],
)
def test_errors_are_one_line(data, args, words):
    result = invoke(data, "-t", "y", *args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and words in line
