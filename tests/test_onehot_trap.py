"""The dummy-variable trap is named, from the statistics, with the fix that applies.

Every level one-hot encoded next to the intercept: the IllConditionedWarning says
so and suggests ``drop="first"`` (or ``fit_intercept=False``), not standardising;
a badly scaled design still gets the scaling advice.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from lingrad import IllConditionedWarning, LinearRegression
from lingrad._onehot import one_hot_groups
from lingrad._stats import SufficientStats

FIT = dict(lr="auto", tol=1e-10, n_iters=5000)


@pytest.fixture(scope="module")
def houses():
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "area": rng.normal(100, 20, size=n),
            "city": rng.choice(["lyon", "nice", "paris", "rome"], size=n),
            "kind": rng.choice(["flat", "house"], size=n),
        }
    )
    effect = df["city"].map({"lyon": 0.0, "nice": 5.0, "paris": 20.0, "rome": 8.0})
    y = 2.0 * df["area"] + effect + 3.0 * (df["kind"] == "house") + rng.normal(size=n)
    return df, y.to_numpy()


def _warned(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w.message for w in caught if isinstance(w.message, IllConditionedWarning)]


def _encoder_pipeline(drop):
    enc = OneHotEncoder(sparse_output=False, drop=drop)
    columns = make_column_transformer((enc, ["city"]), remainder="passthrough")
    return make_pipeline(columns, LinearRegression(**FIT))


def test_onehot_encoder_in_a_pipeline_names_the_trap(houses):
    df, y = houses
    (w,) = _warned(lambda: _encoder_pipeline(None).fit(df[["city", "area"]], y))
    text = str(w)
    assert "one-hot columns sum to 1 on every row (columns 0, 1, 2, 3" in text
    assert "intercept's column of ones" in text and "dummy-variable trap" in text
    assert 'OneHotEncoder(drop="first")' in text and "fit_intercept=False" in text
    assert "Standardising does not help" in text and "StandardScaler" not in text
    assert w.fields["one_hot_groups"] == [[0, 1, 2, 3]]
    # the fix it names: no warning
    assert _warned(lambda: _encoder_pipeline("first").fit(df[["city", "area"]], y)) == []


def test_raw_dummy_columns_are_found_wherever_they_are(houses):
    df, y = houses
    X = pd.concat(
        [
            df[["area"]],
            pd.get_dummies(df["city"], dtype=float),
            np.sqrt(df[["area"]]).add_prefix("sqrt_"),
        ],
        axis=1,
    )
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))  # weighted rows too
    (msg,) = _warned(lambda: LinearRegression(**FIT).fit(X, y, w))
    assert msg.fields["one_hot_groups"] == [[1, 2, 3, 4]] and "drop_first=True" in str(msg)
    cli = msg.render("cli")
    assert "--categorical" in cli and "OneHotEncoder" not in cli and "fit_intercept" not in cli
    ok = pd.concat([df[["area"]], pd.get_dummies(df["city"], dtype=float, drop_first=True)], axis=1)
    assert _warned(lambda: LinearRegression(**FIT).fit(ok, y)) == []


def test_without_intercept_only_two_full_groups_are_a_trap(houses):
    df, y = houses
    city = pd.get_dummies(df["city"], dtype=float)
    kind = pd.get_dummies(df["kind"], dtype=float)
    one = pd.concat([df[["area"]], city], axis=1)
    assert _warned(lambda: LinearRegression(fit_intercept=False, **FIT).fit(one, y)) == []
    two = pd.concat([city, kind, df[["area"]]], axis=1)
    (msg,) = _warned(lambda: LinearRegression(fit_intercept=False, **FIT).fit(two, y))
    assert msg.fields["one_hot_groups"] == [[0, 1, 2, 3], [4, 5]]
    assert "equals each other's sum" in str(msg) and "Drop one level of each group" in str(msg)
    assert "fit_intercept=False" not in str(msg)


def test_other_collinearity_and_bad_scaling_keep_their_advice():
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    dummies = (rng.uniform(size=(300, 2)) < 0.3).astype(float)  # 0/1 but not one-hot
    X = np.column_stack([x, dummies, 2 * x])  # a duplicated column
    (msg,) = _warned(lambda: LinearRegression(**FIT).fit(X, x + rng.normal(size=300)))
    assert "collinear" in str(msg) and "one-hot" not in str(msg)
    assert msg.fields["one_hot_groups"] == []
    X = np.column_stack([x * 1e-4, 1e5 + rng.normal(size=300)])  # full rank, badly scaled
    y = X @ [1e4, 1.0] + rng.normal(size=300)
    (msg,) = _warned(lambda: LinearRegression(lr=1e-12, n_iters=10).fit(X, y))
    assert "badly scaled" in str(msg) and "StandardScaler" in str(msg)
    assert "Use --lr auto, which descends on centred, scaled columns" in msg.render("cli")
    assert msg.fields["one_hot_groups"] == []


def test_the_statistics_test_itself():
    city = np.repeat([0, 1, 2], 5)
    X = np.column_stack([np.eye(3)[city], np.linspace(0, 1, 15)])
    stats = SufficientStats.from_arrays(X, np.arange(15.0))
    assert one_hot_groups(stats) == [[0, 1, 2]]
    half = X.copy()
    half[0, 0] = 0.5  # no longer 0/1
    assert one_hot_groups(SufficientStats.from_arrays(half, np.arange(15.0))) == []
    missing_level = X[city > 0][:, [1, 2, 3]]  # two of three levels present: still sum to 1
    assert one_hot_groups(SufficientStats.from_arrays(missing_level, np.arange(10.0))) == [[0, 1]]


def test_the_command_line_prints_the_fix_in_its_terms(houses, tmp_path):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from lingrad import cli

    df, y = houses
    data = pd.concat([df[["area"]], pd.get_dummies(df["city"], dtype=float)], axis=1).assign(y=y)
    data.to_csv(tmp_path / "d.csv", index=False)
    result = CliRunner().invoke(
        cli.app, ["fit", str(tmp_path / "d.csv"), "-t", "y", "--lr", "auto", "--json"]
    )
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "one-hot" in line]
    assert len(lines) == 1 and lines[0].startswith("Warning: Ill-conditioned problem: one-hot")
    assert "--categorical" in lines[0] and "OneHotEncoder" not in lines[0]
