"""Formulas and categorical columns (issue 13): lingrad.ols against statsmodels.

Every fit is converged (lr="auto", tol=1e-12) and compared with
``smf.ols(formula, data, missing="drop").fit()``: params and bse to 1e-8
relative (measured: about 1e-11), column names included. The data's
categorical levels first appear late (one of them sorts first, so the
reference level is only known at the end of the pass), and files are read in
chunks of 64 rows: several chunks before the late levels.
"""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="formulas run on pandas frames")
pytest.importorskip("formulaic", reason="formulas need formulaic")
smf = pytest.importorskip("statsmodels.formula.api", reason="the oracle is statsmodels")

from _formula_data import house_table  # noqa: E402

import lingrad  # noqa: E402
from lingrad import FormulaError, UnseenLevelError, ols  # noqa: E402

CONVERGED = dict(lr="auto", tol=1e-12, n_iters=200_000)
FORMULAS = [
    "y ~ x1 + C(city)",
    "y ~ x1 + x2 + x1:x2 + C(city) + C(city):x1 + np.log(x3) + I(x1**2)",
    "y ~ C(city) + x1 - 1",
    "y ~ 0 + C(city):x1 + x2",
    "y ~ C(g) + city + x2",
]


def assert_matches_statsmodels(model, formula: str, df) -> None:
    ref = smf.ols(formula, df, missing="drop").fit()
    s = model.summary()
    names = (["Intercept"] if model.fit_intercept else []) + list(model.feature_names_in_)
    values, bse = np.asarray(s.params), np.asarray(s.bse)  # "const" first with an intercept
    assert sorted(names) == sorted(ref.params.index), (names, list(ref.params.index))
    got = pd.Series(values, index=names)[ref.params.index]
    got_bse = pd.Series(bse, index=names)[ref.params.index]
    # 1e-8 relative, or 1e-8 of the standard error for a coefficient near 0
    assert np.all(np.abs(got - ref.params) <= 1e-8 * (np.abs(ref.params) + ref.bse)), (
        got - ref.params
    )
    np.testing.assert_allclose(got_bse, ref.bse, rtol=1e-8)
    assert s.nobs == ref.nobs


@pytest.fixture(scope="module")
def table():
    return house_table()


@pytest.fixture(scope="module")
def files(table, tmp_path_factory):
    pytest.importorskip("pyarrow", reason="CSV and Parquet files are read with pyarrow")
    d = tmp_path_factory.mktemp("formula")
    table.to_csv(d / "sales.csv", index=False)
    table.to_parquet(d / "sales.parquet", row_group_size=100)
    return d


def _data(kind: str, table, files):
    if kind == "pandas":
        return table
    if kind == "polars":
        pl = pytest.importorskip("polars", reason="polars frames")
        return pl.from_pandas(table)
    if kind == "csv":
        return str(files / "sales.csv")
    if kind == "parquet":
        return lingrad.open_dataset(files / "sales.parquet", target=None, chunk_rows=64)
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
    return dd.from_pandas(table, npartitions=5)


@pytest.mark.parametrize("kind", ["pandas", "polars", "csv", "parquet", "dask"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_fits_equal_statsmodels(formula, kind, table, files):
    model = ols(formula, _data(kind, table, files), chunk_rows=64, **CONVERGED)
    assert model.converged_
    assert_matches_statsmodels(model, formula, table)
    assert model.fit_intercept == ("- 1" not in formula and "0 +" not in formula)


def test_levels_first_seen_late_get_their_columns_and_the_sorted_reference(table):
    model = ols("y ~ x1 + C(city)", table, chunk_rows=64, **CONVERGED)
    spec = model.design_
    assert spec.levels["city"] == ("amsterdam", "lyon", "oslo", "paris", "rome")
    assert spec.reference("city") == "amsterdam"  # first seen in the last fifth of the rows
    assert list(model.feature_names_in_) == [
        "x1",
        "C(city)[T.lyon]",
        "C(city)[T.oslo]",
        "C(city)[T.paris]",
        "C(city)[T.rome]",
    ]


def test_predict_on_new_frames_and_files_builds_the_same_columns(table, files):
    formula = FORMULAS[1]
    model = ols(formula, table, **CONVERGED)
    ref = smf.ols(formula, table).fit()
    new = table.sample(50, random_state=1).drop(columns="y")
    np.testing.assert_allclose(model.predict(new), ref.predict(new), rtol=1e-9)
    from_file = model.predict(str(files / "sales.csv"))
    np.testing.assert_allclose(from_file, ref.predict(table), rtol=1e-9)
    assert model.score(table, table["y"]) == pytest.approx(ref.rsquared, rel=1e-10)


def test_predict_on_dask_is_lazy_and_equal(table):
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
    model = ols("y ~ x1 + C(city)", table, **CONVERGED)
    lazy = model.predict(dd.from_pandas(table, npartitions=3))
    assert hasattr(lazy, "__dask_graph__")
    np.testing.assert_allclose(lazy.compute(), model.predict(table), rtol=1e-12)


def test_robust_summary_on_raw_data_equals_statsmodels(table):
    model = ols("y ~ x1 + C(city)", table, **CONVERGED)
    ref = smf.ols("y ~ x1 + C(city)", table).fit(cov_type="HC1")
    s = model.summary(table, cov_type="HC1")
    names = ["Intercept", *model.feature_names_in_]
    got = pd.Series(np.asarray(s.bse), index=names)[ref.bse.index]
    np.testing.assert_allclose(got, ref.bse, rtol=1e-8)


def test_score_on_raw_data_uses_the_formulas_target(table):
    """``model.score(raw_frame)``: the formula names the target (no y), as statsmodels'
    ``rsquared``; a drop model scores the rows it would have used."""
    model = ols("y ~ x1 + C(city)", table, **CONVERGED)
    ref = smf.ols("y ~ x1 + C(city)", table).fit()
    assert abs(model.score(table) - ref.rsquared) < 1e-10
    holey = table.copy()
    holey.loc[holey.index[::9], "x1"] = np.nan
    drop = ols("y ~ x1 + C(city)", holey, missing="drop", **CONVERGED)
    ref = smf.ols("y ~ x1 + C(city)", holey, missing="drop").fit()
    assert abs(drop.score(holey) - ref.rsquared) < 1e-10
    assert drop.summary(holey, cov_type="HC1").nobs == ref.nobs
    with pytest.raises(ValueError, match="x1"):
        model.score(holey)  # a model fitted without missing="drop" names the missing value


def test_weighted_formula_fit_equals_statsmodels_wls(table, files):
    df = table.assign(w=np.linspace(0.5, 2.0, len(table)))
    model = ols("y ~ x1 + C(city)", df, weight="w", chunk_rows=64, **CONVERGED)
    ref = smf.wls("y ~ x1 + C(city)", df, weights=df["w"]).fit()
    names = ["Intercept", *model.feature_names_in_]
    got = pd.Series([model.intercept_, *model.coef_], index=names)[ref.params.index]
    assert np.all(np.abs(got - ref.params) <= 1e-8 * (np.abs(ref.params) + ref.bse))


def test_unseen_reference_on_a_dictionary_column(table, files):
    pa = pytest.importorskip("pyarrow", reason="Parquet dictionary columns")
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet dictionary columns")
    model = ols("y ~ x1 + C(city)", table, unseen="reference", **CONVERGED)
    new = pa.table(
        {"x1": [0.5, 0.5], "city": pa.array(["madrid", "amsterdam"]).dictionary_encode()}
    )
    pq.write_table(new, files / "new.parquet")
    p = model.predict(str(files / "new.parquet"))
    assert p[0] == p[1]


def test_categorical_without_formula_is_the_formula_with_C(table):
    a = ols(data=table, target="y", features=["x1", "x2", "city"], categorical="city", **CONVERGED)
    b = ols("y ~ x1 + x2 + C(city)", table, **CONVERGED)
    assert list(a.feature_names_in_) == list(b.feature_names_in_)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    assert a.design_.strict and not b.design_.strict


def test_unseen_level_error_or_reference(table):
    model = ols("y ~ x1 + C(city)", table, **CONVERGED)
    new = pd.DataFrame({"x1": [0.5, 0.5], "city": ["madrid", "amsterdam"]})
    with pytest.raises(UnseenLevelError, match="column 'city' has the level 'madrid'") as err:
        model.predict(new)
    assert err.value.fields == {"column": "city", "level": "madrid"}
    assert "\n" not in str(err.value)
    lenient = ols("y ~ x1 + C(city)", table, unseen="reference", **CONVERGED)
    p = lenient.predict(new)
    assert p[0] == p[1]  # madrid is coded as the reference, amsterdam


def test_missing_values_raise_by_default_or_drop_as_statsmodels(table):
    df = table.copy()
    df.loc[[3, 70], "x1"] = np.nan
    df.loc[200, "city"] = None
    with pytest.raises(FormulaError, match=r"column 'x1' is missing a value .* at row 4"):
        ols("y ~ x1 + C(city)", df, **CONVERGED)
    model = ols("y ~ x1 + C(city)", df, missing="drop", chunk_rows=64, **CONVERGED)
    assert model.design_rows_ == (len(df), 3)
    assert model.missing == "drop" and model.n_dropped_ == 3  # as every lingrad fit reports it
    assert_matches_statsmodels(model, "y ~ x1 + C(city)", df)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(formula="y ~ x1 + zz"), "uses column 'zz', which the DataFrame does not have"),
        (dict(formula="y ~ x1 +"), "Bad formula 'y ~ x1 +'"),
        (dict(formula="y ~ np.log(city)"), "cannot be evaluated"),
        (dict(formula="y ~ center(x1)"), "center(), a transform that learns its state"),
        (dict(formula="y ~ C(city, Sum)"), "treatment contrasts only"),
        (dict(formula="y ~ 1"), "no terms besides the intercept"),
        (dict(formula="x1 + x2"), "has no left-hand side"),
        (dict(formula="y + x2 ~ x1"), "has 2 targets"),
        (dict(formula="y ~ x1", target="x2"), "The formula's target is 'y' but target= says"),
        (dict(formula="y ~ x1", fit_intercept=False), "fit_intercept=False contradicts"),
        (dict(target="y", features=["x1", "city"]), "column 'city' holds text"),
        (dict(target="y", categorical=["town"]), "There is no column 'town'"),
        (dict(formula="y ~ x1", unseen="ignore"), "unseen must be one of"),
        (dict(formula="city ~ x1"), "the target 'city' holds text"),
        (dict(target="city", features=["x1"], categorical=[]), "the target 'city' holds text"),
    ],
)
def test_bad_inputs_get_one_line_errors(table, kwargs, needle):
    formula = kwargs.pop("formula", None)
    with pytest.raises(FormulaError) as err:
        ols(formula, table, **kwargs)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_text_in_a_numeric_file_column_is_one_line(tmp_path):
    pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
    # Past the first read block (1 MiB): the column was numeric where its type was read.
    rows = ["y,x1"] + [f"{i},{i % 7}" for i in range(200_000)] + ["1,oops"]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(FormulaError) as err:
        ols("y ~ x1", str(path), chunk_rows=64)
    assert "oops" in str(err.value) and "\n" not in str(err.value)


def test_a_text_target_in_a_file_is_one_line(tmp_path):
    pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(300)))
    for data in (str(path), lingrad.open_dataset(path, chunk_rows=64)):
        with pytest.raises(FormulaError) as err:
            ols("y ~ x", data)
        assert "the target 'y' holds text (e.g. 'a')" in str(err.value)
        assert "\n" not in str(err.value)


def test_model_file_round_trip_predicts_identically(table, tmp_path):
    model = ols(FORMULAS[1], table, **CONVERGED)
    path = model.save(tmp_path / "model.json")
    loaded = lingrad.load_model(path)
    assert loaded.design_ == model.design_
    assert np.array_equal(loaded.predict(table), model.predict(table))
    assert list(loaded.feature_names_in_) == list(model.feature_names_in_)


def test_refit_on_arrays_forgets_the_design(table):
    model = ols("y ~ x1 + C(city)", table, **CONVERGED)
    model.fit(table[["x1", "x2"]].to_numpy(), table["y"].to_numpy())
    assert "design_" not in model.__dict__
    assert model.predict(table[["x1", "x2"]].to_numpy()).shape == (len(table),)


@pytest.mark.filterwarnings("ignore::lingrad.NotConvergedWarning")  # 3 epochs: not converged
def test_mini_batch_fits_the_design_in_memory(table):
    model = ols("y ~ x1 + C(city)", table, lr=0.01, batch_size=64, n_iters=3, random_state=0)
    assert list(model.feature_names_in_) == list(model.design_.columns)
    assert model.predict(table).shape == (len(table),)
