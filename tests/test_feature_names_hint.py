"""Columns that differ from fit time: scikit-learn's rule and text, plus how to fix it."""

import numpy as np
import pandas as pd
import pytest

from lingrad import LinearRegression
from lingrad._validation import FeatureNamesError


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = df.to_numpy() @ [1.0, -2.0, 0.5] + 1.0
    return LinearRegression(lr="auto", tol=1e-10).fit(df, y), df, y


def test_reordered_columns_keep_the_rule_and_say_how_to_fix_it(fitted):
    model, df, _ = fitted
    X = df[["b", "a", "c"]]
    with pytest.raises(ValueError, match="Feature names must be in the same order") as info:
        model.predict(X)
    err = info.value
    assert isinstance(err, FeatureNamesError)
    assert "X[model.feature_names_in_] (X[['a', 'b', 'c']])" in str(err)
    assert err.fields["missing"] == [] and err.fields["unexpected"] == []
    # the fix it names works
    np.testing.assert_array_equal(model.predict(X[model.feature_names_in_]), model.predict(df))


@pytest.mark.parametrize(
    ("frame", "sklearn_line", "names", "missing", "unexpected"),
    [
        (lambda d: d[["a", "b"]], "yet now missing:\n- c\n", "fitted column 'c'", ["c"], []),
        (lambda d: d.assign(d=1.0), "unseen at fit time:\n- d\n", "column 'd' that", [], ["d"]),
        (
            lambda d: d.rename(columns={"c": "z"}),
            "unseen at fit time:\n- z\n",
            "fitted column 'c' (and has 'z' instead)",
            ["c"],
            ["z"],
        ),
    ],
)
def test_missing_and_extra_columns_name_them(
    fitted, frame, sklearn_line, names, missing, unexpected
):
    model, df, _ = fitted
    with pytest.raises(FeatureNamesError) as info:
        model.predict(frame(df))
    text = str(info.value)
    assert text.startswith("The feature names should match those that were passed during fit.")
    assert sklearn_line in text and names in text and "X[model.feature_names_in_]" in text
    assert info.value.fields["missing"] == missing
    assert info.value.fields["unexpected"] == unexpected


def test_partial_fit_and_score_get_the_same_hint(fitted):
    _, df, y = fitted
    model = LinearRegression(lr="auto")
    model.partial_fit(df, y)
    with pytest.raises(FeatureNamesError, match=r"X\[model.feature_names_in_\]"):
        model.partial_fit(df[["c", "b", "a"]], y)
    with pytest.raises(FeatureNamesError, match=r"another order"):
        fitted[0].score(df[["c", "b", "a"]], y)


def test_the_command_line_reads_columns_by_name(fitted, tmp_path):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from lingrad import cli

    model, df, y = fitted
    data = df.assign(y=y)
    data.to_csv(tmp_path / "train.csv", index=False)
    runner = CliRunner()
    args = ["fit", str(tmp_path / "train.csv"), "-t", "y", "--lr", "auto", "--tol", "1e-10"]
    assert runner.invoke(cli.app, [*args, "-o", str(tmp_path / "m.json")]).exit_code == 0
    data[["c", "a", "b"]].to_csv(tmp_path / "reordered.csv", index=False)
    out = tmp_path / "p.csv"
    result = runner.invoke(
        cli.app,
        ["predict", str(tmp_path / "m.json"), str(tmp_path / "reordered.csv"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(pd.read_csv(out)["y_pred"], model.predict(df), rtol=1e-9)
    data[["a", "b"]].to_csv(tmp_path / "missing.csv", index=False)
    result = runner.invoke(
        cli.app,
        ["predict", str(tmp_path / "m.json"), str(tmp_path / "missing.csv"), "-o", str(out)],
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: DATA") and "lacks the model's feature column 'c'" in line
