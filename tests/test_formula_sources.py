"""Formulas on every source: folders, globs, lists of files, hive partitions, Arrow streams.

Each fit is checked against statsmodels on the concatenated rows (params and
bse to 1e-8 relative at converged settings, ``lr="auto"``, ``tol=1e-12``),
with levels that first appear in a late file; bad inputs get one-line errors
in Python and on the command line.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="formulas run on pandas frames")
pytest.importorskip("formulaic", reason="formulas need formulaic")
pytest.importorskip("pyarrow", reason="CSV and Parquet files are read with pyarrow")
smf = pytest.importorskip("statsmodels.formula.api", reason="the oracle is statsmodels")

from _formula_data import house_table  # noqa: E402
from test_formula import CONVERGED, assert_matches_statsmodels  # noqa: E402

import lingrad  # noqa: E402
from lingrad import FormulaError, UnseenLevelError, ols  # noqa: E402

FORMULA = "y ~ x1 + x2 + C(city) + C(city):x1 + np.log(x3)"


@pytest.fixture(scope="module")
def table():
    t = house_table()
    t.loc[[3, 50, 333], "x2"] = np.nan  # missing cells, for missing="drop"
    t.loc[[7, 590], "city"] = None
    return t


def _split(table, k: int = 4) -> list:
    """Consecutive parts: the late levels (amsterdam, lyon) appear in the last file only."""
    cuts = np.linspace(0, len(table), k + 1).astype(int)
    return [table.iloc[a:b] for a, b in itertools.pairwise(cuts)]


@pytest.fixture(scope="module")
def folder(table, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("parquet_folder")
    for i, part in enumerate(_split(table)):
        part.to_parquet(d / f"sales-{i}.parquet", row_group_size=50)
    return d


@pytest.fixture(scope="module")
def csvs(table, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("csv_glob")
    for i, part in enumerate(_split(table, 3)):
        part.to_csv(d / f"2026-0{i + 1}.csv", index=False)
    (d / "notes.txt").write_text("not data")
    return d


def test_folder_of_parquet_files_equals_statsmodels_on_the_concatenation(table, folder):
    m = ols(FORMULA, folder, missing="drop", chunk_rows=64, **CONVERGED)
    assert "C(city)[T.lyon]" in m.feature_names_in_  # first seen in the last file
    assert m.n_dropped_ == int(table[["y", "x1", "x2", "x3", "city"]].isna().any(axis=1).sum())
    assert_matches_statsmodels(m, FORMULA, table)


def test_glob_and_list_of_csv_files_equal_statsmodels(table, csvs):
    m = ols(FORMULA, str(csvs / "2026-*.csv"), missing="drop", **CONVERGED)
    assert_matches_statsmodels(m, FORMULA, table)
    listed = sorted(str(p) for p in csvs.glob("*.csv"))
    m2 = ols(FORMULA, listed, missing="drop", **CONVERGED)
    np.testing.assert_allclose(m2.coef_, m.coef_, rtol=1e-10, atol=1e-12)


def test_open_dataset_of_a_folder_is_taken_as_raw_rows(table, folder):
    ds = lingrad.open_dataset(folder, target=None, chunk_rows=100)
    m = ols(FORMULA, ds, missing="drop", **CONVERGED)
    assert_matches_statsmodels(m, FORMULA, table)


def _streams(table, folder):
    pa = pytest.importorskip("pyarrow")
    pads = pytest.importorskip("pyarrow.dataset", reason="pyarrow datasets")
    out = {"arrow dataset": pads.dataset(str(folder), format="parquet")}
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    out["record batch reader"] = pa.RecordBatchReader.from_batches(
        arrow.schema, arrow.to_batches(max_chunksize=70)
    )
    return out


@pytest.mark.parametrize("kind", ["arrow dataset", "record batch reader"])
def test_arrow_streams_equal_statsmodels(kind, table, folder):
    m = ols(FORMULA, _streams(table, folder)[kind], missing="drop", **CONVERGED)
    assert_matches_statsmodels(m, FORMULA, table)


def test_lazyframe_streamed_equals_statsmodels(table, folder):
    pl = pytest.importorskip("polars", reason="polars LazyFrames")
    lf = pl.scan_parquet(str(folder / "*.parquet"))
    m = ols(FORMULA, lf, missing="drop", chunk_rows=64, **CONVERGED)
    assert_matches_statsmodels(m, FORMULA, table)
    # predictions on the LazyFrame equal those on the frame it would collect to
    got = m.predict(lf.drop_nulls())
    expect = m.predict(table.dropna())
    np.testing.assert_allclose(got, expect, rtol=1e-12)


def test_duckdb_relation_equals_statsmodels(table):
    duckdb = pytest.importorskip("duckdb", reason="DuckDB relations")
    con = duckdb.connect()
    rel = con.from_df(table)
    m = ols(FORMULA, rel, missing="drop", **CONVERGED)
    assert_matches_statsmodels(m, FORMULA, table)


def test_one_shot_reader_is_enough_for_one_fit(table):
    pa = pytest.importorskip("pyarrow")
    arrow = pa.Table.from_pandas(table.dropna(), preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(arrow.schema, arrow.to_batches(max_chunksize=64))
    m = ols("y ~ x1 + C(city)", reader, **CONVERGED)
    assert_matches_statsmodels(m, "y ~ x1 + C(city)", table.dropna())


def _hive(table, root: Path, key: str, values) -> Path:
    for v in sorted(set(values)):
        part = table[values == v].drop(columns=[key], errors="ignore")
        (root / f"{key}={v}").mkdir(parents=True)
        part.to_parquet(root / f"{key}={v}" / "part-0.parquet")
    return root


def test_hive_partitions_are_categoricals_numeric_and_text(table, tmp_path):
    t = table.dropna().reset_index(drop=True)
    month = np.arange(len(t)) % 3 + 1
    t = t.assign(month=month)
    months = _hive(t, tmp_path / "months", "month", month)
    f = "y ~ x1 + C(month) + C(city)"
    m = ols(f, months, **CONVERGED)
    assert "C(month)[T.2]" in m.feature_names_in_
    order = pd.concat([t[t.month == v] for v in (1, 2, 3)])
    assert_matches_statsmodels(m, f, order)
    # a text partition (city=rome): a category in formulas and with categorical=[...]
    cities = _hive(t.drop(columns="month"), tmp_path / "cities", "city", t.city.to_numpy())
    m2 = ols("y ~ x1 + city", cities, **CONVERGED)
    assert_matches_statsmodels(m2, "y ~ x1 + city", t)
    m3 = ols(data=cities, target="y", features=["x1", "city"], categorical=["city"], **CONVERGED)
    np.testing.assert_allclose(m3.coef_, m2.coef_, rtol=1e-10)
    assert list(m3.feature_names_in_) == ["x1"] + [
        f"C(city)[T.{c}]" for c in sorted(set(t.city))[1:]
    ]


def test_a_file_with_other_columns_in_the_folder_is_one_line(table, tmp_path):
    for i, part in enumerate(_split(table.dropna(), 2)):
        part.to_parquet(tmp_path / f"a{i}.parquet")
    table.dropna().rename(columns={"x2": "z"}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(lingrad.DataFileError) as info:
        ols("y ~ x1 + C(city)", tmp_path, **CONVERGED)
    text = str(info.value)
    assert "\n" not in text and "b.parquet" in text and "'z'" in text


def test_errors_in_a_late_file_name_that_file_and_its_row(table, tmp_path):
    parts = _split(table.dropna(), 3)
    for i, part in enumerate(parts):
        part.to_csv(tmp_path / f"p{i}.csv", index=False)
    bad = parts[2].copy()
    bad.iloc[4, bad.columns.get_loc("x1")] = np.nan
    bad.to_csv(tmp_path / "p2.csv", index=False)
    with pytest.raises(FormulaError) as info:
        ols("y ~ x1 + C(city)", tmp_path / "*.csv", **CONVERGED)
    text = str(info.value)
    assert "\n" not in text and "p2.csv" in text and "row 5" in text and "'x1'" in text


def test_unseen_level_in_a_new_folder_is_one_line(table, folder, tmp_path):
    m = ols("y ~ x1 + C(city)", folder, missing="drop", **CONVERGED)
    new = table.dropna().iloc[:20].assign(city="berlin")
    (tmp_path / "new").mkdir()
    new.to_parquet(tmp_path / "new" / "x.parquet")
    with pytest.raises(UnseenLevelError) as info:
        m.predict(lingrad.design_data(m, tmp_path / "new", targets=False)).sum()
    text = str(info.value)
    assert "\n" not in text and "'city'" in text and "'berlin'" in text


# -- the command line -----------------------------------------------------------------------
pytest.importorskip("typer", reason="the command line needs typer")
from test_formula_cli import FIT_ARGS, invoke, ok, one_error_line  # noqa: E402


def test_cli_fit_a_glob_and_a_folder_with_formula_and_missing_drop(table, folder, csvs, tmp_path):
    out = tmp_path / "m.json"
    res = ok(invoke("fit", csvs / "*.csv", "--formula", FORMULA, "--missing", "drop",
                    "-o", out, *FIT_ARGS))  # fmt: skip
    n_drop = int(table[["y", "x1", "x2", "x3", "city"]].isna().any(axis=1).sum())
    line = " ".join(res.output.replace("│", " ").split())  # the table cell, unwrapped
    assert f"({len(table) - n_drop} rows used; {n_drop} with a missing value dropped)" in line
    ref = smf.ols(FORMULA, table, missing="drop").fit()
    coefs = json.loads(ok(invoke("fit", folder, "--formula", FORMULA, "--missing", "drop",
                                 "-o", out, "--json", *FIT_ARGS)).stdout)  # fmt: skip
    assert coefs["n_dropped"] == n_drop
    got = coefs["coefficients"]
    for name in ("C(city)[T.lyon]", "x1", "np.log(x3)"):
        assert abs(got[name] - ref.params[name]) <= 1e-8 * (abs(ref.params[name]) + 1)
    pred = tmp_path / "pred.csv"
    complete = tmp_path / "complete"
    complete.mkdir()
    table.dropna().to_parquet(complete / "new.parquet")
    ok(invoke("predict", out, complete, "-o", pred))
    assert len(pd.read_csv(pred)) == len(table.dropna())


def test_cli_text_partitions_with_categorical(table, tmp_path):
    t = table.dropna().reset_index(drop=True)
    cities = _hive(t, tmp_path / "cities", "city", t.city.to_numpy())
    out = tmp_path / "m.json"
    res = ok(invoke("fit", cities, "-t", "y", "--features", "x1,city", "--categorical", "city",
                    "-o", out, "--json", *FIT_ARGS))  # fmt: skip
    ref = smf.ols("y ~ x1 + C(city)", t).fit()
    got = json.loads(res.stdout)["coefficients"]
    assert abs(got["C(city)[T.rome]"] - ref.params["C(city)[T.rome]"]) < 1e-8 * 10


def test_cli_bad_inputs_in_folders_are_one_line(table, folder, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for i, part in enumerate(_split(table.dropna(), 2)):
        part.to_parquet(bad / f"a{i}.parquet")
    table.dropna().rename(columns={"x2": "z"}).to_parquet(bad / "b.parquet")
    out = tmp_path / "m.json"
    one_error_line(invoke("fit", bad, "--formula", "y ~ x1", "-o", out), "b.parquet", "'z'")
    ok(invoke("fit", folder, "--formula", "y ~ x1 + C(city)", "--missing", "drop", "-o", out))
    new = tmp_path / "new"
    new.mkdir()
    table.dropna().iloc[:9].assign(city="berlin").to_parquet(new / "x.parquet")
    one_error_line(invoke("predict", out, new, "-o", tmp_path / "p.csv"), "'berlin'", "city")


def test_text_columns_without_a_formula_suggest_categorical(table, tmp_path):
    t = table.dropna()
    t.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(lingrad.DataFileError) as info:
        lingrad.LinearRegression().fit(lingrad.open_dataset(tmp_path / "s.csv", target="y"))
    assert "categorical=['city'] (lingrad.ols)" in str(info.value)
    out = tmp_path / "m.json"
    one_error_line(invoke("fit", tmp_path / "s.csv", "-t", "y", "-o", out),
                   "'city'", "--categorical city", "--features")  # fmt: skip
    cities = _hive(t, tmp_path / "cities", "city", t.city.to_numpy())
    one_error_line(invoke("fit", cities, "-t", "y", "-o", out),
                   "city=", "--categorical city", "--features")  # fmt: skip
    with pytest.raises(lingrad.DataFileError, match=r"categorical=\['city'\] \(lingrad.ols\)"):
        lingrad.LinearRegression().fit(lingrad.open_dataset(cities, target="y"))


def test_readme_section_prints_what_it_shows_and_its_cli_line_holds(tmp_path, monkeypatch):
    import contextlib
    import io
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Formulas, missing values and folders of files") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    shown = re.search(r"prints\n\n```\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    assert out.getvalue().split() == shown.split()
    claimed = re.search(r"\(`sales/ (\(.*?\))`\)", " ".join(section.split())).group(1)
    monkeypatch.chdir(namespace["sales"].parent)
    res = ok(invoke("fit", "sales/", "--formula", "price ~ area + C(city) + np.log(age)",
                    "--missing", "drop", "--lr", "auto", "-o", tmp_path / "m.json"))  # fmt: skip
    assert claimed in " ".join(res.output.replace("│", " ").split())
