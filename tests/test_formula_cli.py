"""The command line's formulas and categorical columns (issue 13): fit, predict, evaluate, summary.

Every number is checked against the Python API (``lingrad.ols``) on the same
file with the same settings, and every bad input gives one line ``Error: ...``,
exit status 1 and no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer", reason="the command line needs typer")
pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
pd = pytest.importorskip("pandas", reason="formulas run on pandas frames")
pytest.importorskip("formulaic", reason="formulas need formulaic")
smf = pytest.importorskip("statsmodels.formula.api", reason="the oracle is statsmodels")

from _formula_data import house_table  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import lingrad  # noqa: E402
from lingrad import cli  # noqa: E402
from lingrad.persist import ModelFileError  # noqa: E402

runner = CliRunner()
FIT_ARGS = ["--lr", "auto", "--tol", "1e-12", "--n-iters", "200000", "--chunk-rows", "64"]
PARAMS = dict(lr="auto", tol=1e-12, n_iters=200_000, chunk_rows=64, random_state=0)  # --seed 0
FORMULA = "y ~ x1 + x2 + C(city) + C(city):x1 + np.log(x3)"


def invoke(*args: object):
    return runner.invoke(cli.app, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def one_error_line(result, *needles: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture(scope="module")
def sales(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli_formula")
    house_table().to_csv(d / "sales.csv", index=False)
    return d


@pytest.fixture(scope="module")
def fitted(sales) -> Path:
    ok(invoke("fit", sales / "sales.csv", "--formula", FORMULA, "-o", sales / "m.json", *FIT_ARGS))
    return sales / "m.json"


def test_fit_formula_equals_the_python_api_and_statsmodels(sales, fitted):
    model = lingrad.load_model(fitted)
    ref = lingrad.ols(FORMULA, str(sales / "sales.csv"), **PARAMS)
    np.testing.assert_array_equal(model.coef_, ref.coef_)
    assert list(model.feature_names_in_) == list(ref.feature_names_in_)
    sm = smf.ols(FORMULA, house_table()).fit()
    names = ["Intercept", *model.feature_names_in_]
    got = pd.Series([model.intercept_, *model.coef_], index=names)[sm.params.index]
    # 1e-8 relative, or 1e-8 of the standard error for a coefficient near 0
    assert np.all(np.abs(got - sm.params) <= 1e-8 * (np.abs(sm.params) + sm.bse))
    doc = json.loads(fitted.read_text())
    assert doc["design"]["formula"] == FORMULA and doc["target_names"] == ["y"]


def test_fit_json_names_the_design_columns(sales, tmp_path):
    args = ("fit", sales / "sales.csv", "--formula", "y ~ x1 + C(city)", "-o", tmp_path / "m.json")
    out = json.loads(ok(invoke(*args, *FIT_ARGS, "--json")).stdout)
    assert out["features"][1] == "C(city)[T.lyon]" and out["targets"] == ["y"]
    assert out["n_samples"] == 600


def test_predict_evaluate_summary_rebuild_the_columns(sales, fitted, tmp_path):
    model = lingrad.load_model(fitted)
    df = house_table()
    new = df.drop(columns="y").iloc[::-1]  # no target, columns in another order
    new = new[["city", "x3", "x2", "x1", "g"]]
    new.to_csv(tmp_path / "new.csv", index=False)
    ok(invoke("predict", fitted, tmp_path / "new.csv", "-o", tmp_path / "p.csv"))
    pred = pd.read_csv(tmp_path / "p.csv")["y_pred"].to_numpy()
    np.testing.assert_allclose(pred, model.predict(new), rtol=1e-12)
    out = json.loads(ok(invoke("evaluate", fitted, sales / "sales.csv", "--json")).stdout)
    assert out["n"] == 600
    assert out["r2"] == pytest.approx(model.score(df, df["y"]), rel=1e-10)
    text = ok(invoke("summary", fitted, sales / "sales.csv", "--cov-type", "HC1")).stdout
    assert "C(city)[T.rome]:x1" in text and "np.log(x3)" in text


def test_categorical_option_one_hot_encodes(sales, tmp_path):
    out = tmp_path / "c.json"
    ok(
        invoke(
            "fit",
            sales / "sales.csv",
            "-t",
            "y",
            "--features",
            "x1,city",
            "--categorical",
            "city",
            "-o",
            out,
            *FIT_ARGS,
        )
    )
    model = lingrad.load_model(out)
    ref = lingrad.ols("y ~ x1 + C(city)", str(sales / "sales.csv"), **PARAMS)
    assert list(model.feature_names_in_) == list(ref.feature_names_in_)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-10)


def test_unseen_level_at_predict_is_one_line_or_the_reference(sales, fitted, tmp_path):
    df = house_table().head(5).copy()
    df.loc[0, "city"] = "madrid"
    df.to_csv(tmp_path / "unseen.csv", index=False)
    one_error_line(
        invoke("predict", fitted, tmp_path / "unseen.csv", "-o", tmp_path / "p.csv"),
        "column 'city' has the level 'madrid'",
        "--unseen reference",
    )
    assert not (tmp_path / "p.csv").exists()
    ok(
        invoke(
            "predict",
            fitted,
            tmp_path / "unseen.csv",
            "-o",
            tmp_path / "p.csv",
            "--unseen",
            "reference",
        )
    )
    assert len(pd.read_csv(tmp_path / "p.csv")) == 5


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--formula", "y ~ x1 + zz"], ["uses column 'zz'", "--formula"]),
        (["--formula", "y ~ x1 +"], ["Bad formula 'y ~ x1 +'"]),
        (["--formula", "y ~ x1", "-t", "x2"], ["formula's target is 'y' but --target says"]),
        (["--formula", "y ~ x1", "--features", "x1"], ["drop --features and --categorical"]),
        (
            ["-t", "y", "--features", "x1,city", "--categorical", "x1"],
            ["'city' holds text", "--categorical city"],
        ),
        (["--categorical", "city"], ["--target"]),
        ([], ["--target must be a column name (or give --formula)"]),
        (["--formula", "y ~ scale(x1)"], ["scale(), a transform that learns its state"]),
    ],
)
def test_bad_inputs_are_one_line(sales, tmp_path, args, needles):
    result = invoke("fit", sales / "sales.csv", *args, "-o", tmp_path / "m.json")
    one_error_line(result, *needles)
    assert not (tmp_path / "m.json").exists()


def test_target_of_another_name_at_evaluate_is_one_line(sales, fitted):
    one_error_line(invoke("evaluate", fitted, sales / "sales.csv", "-t", "x1"), "drop --target")


def test_tampered_design_is_refused_at_load(fitted, tmp_path):
    doc = json.loads(fitted.read_text())
    doc["design"]["columns"][0] = "renamed"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="'design' columns differ from 'feature_names'"):
        lingrad.load_model(tmp_path / "bad.json")
    doc["design"]["unseen"] = "maybe"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="'design' is not a design"):
        lingrad.load_model(tmp_path / "bad.json")
