"""Dates, durations, text, categories and nested columns: an error naming the column and a fix."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from lingrad import LinearRegression, open_dataset
from lingrad._sources.nonnumeric import non_numeric_kind, refuse_non_numeric

N = 4
Y = np.arange(N, dtype=float)
DATES = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"])

# column maker -> (kind named in the message, a word of the fix)
PANDAS = {
    "datetime": (lambda: DATES, "dates", ".dt.days"),
    "datetime-tz": (lambda: DATES.tz_localize("UTC"), "dates", ".dt.days"),
    "period": (lambda: pd.period_range("2026-01", periods=N, freq="M"), "dates", ".dt.year"),
    "timedelta": (lambda: pd.to_timedelta(range(N), unit="D"), "durations", "total_seconds"),
    "object-str": (lambda: ["a", "b", "a", "c"], "text", "get_dummies"),
    "string": (lambda: pd.array(["a", "b", "a", "c"], dtype="string"), "text", "get_dummies"),
    "string-pyarrow": (
        lambda: pd.array(["a", "b", "a", "c"], dtype="string[pyarrow]"),
        "text",
        "to_numeric",
    ),
    "categorical": (lambda: pd.Categorical(["a", "b", "a", "c"]), "categories", "get_dummies"),
    "object-list": (lambda: [[1], [2], [3], [4]], "nested values", "explode"),
    "object-date": (lambda: [dt.date(2026, 1, d) for d in range(1, N + 1)], "other values", ""),
}


@pytest.mark.parametrize("case", list(PANDAS))
@pytest.mark.parametrize("where", ["fit", "predict"])
def test_pandas_column_is_named(case, where):
    make, kind, fix = PANDAS[case]
    bad = pd.DataFrame({"x": np.arange(N, dtype=float), "col_" + case: make()})
    model = LinearRegression()
    if where == "predict":
        model.fit(pd.DataFrame({"x": Y, "col_" + case: Y}), Y)
    with pytest.raises(ValueError) as err:
        model.fit(bad, Y) if where == "fit" else model.predict(bad)
    msg = str(err.value)
    assert f"'col_{case}' holds {kind}" in msg and fix in msg, msg
    assert "DTypePromotionError" not in type(err.value).__name__


def test_several_columns_each_named_with_its_fix():
    bad = pd.DataFrame({"when": DATES, "city": ["a", "b", "a", "b"], "x": Y})
    with pytest.raises(ValueError) as err:
        LinearRegression().fit(bad, Y)
    msg = str(err.value)
    assert "'when' holds dates" in msg and "'city' holds text" in msg
    assert "X['when'].min()" in msg and "columns=['city']" in msg


def test_numbers_in_object_columns_pass():
    good = pd.DataFrame({"d": [decimal.Decimal("1.5"), decimal.Decimal(2), 3, 4.0], "x": Y})
    refuse_non_numeric(good, "X")  # decimals and numbers stored as objects are numbers
    model = LinearRegression(lr="auto", tol=1e-12, n_iters=5000).fit(good.astype(float), Y)
    ref = LinearRegression(lr="auto", tol=1e-12, n_iters=5000).fit(good, Y)
    np.testing.assert_allclose(ref.coef_, model.coef_, rtol=1e-12)


def test_target_column_is_named():
    with pytest.raises(ValueError, match=r"y has a column that is not numbers: 'when' holds dates"):
        LinearRegression().fit(np.ones((N, 1)), pd.Series(DATES, name="when"))


POLARS = {
    "Datetime": ("datetime", "dates"),
    "Date": ("date", "dates"),
    "Duration": ("duration", "durations"),
    "Time": ("time", "times of day"),
    "String": ("string", "text"),
    "Categorical": ("categorical", "categories"),
    "Enum": ("enum", "categories"),
    "List": ("list", "nested values"),
    "Struct": ("struct", "nested values"),
}


def _polars_column(pl, kind):
    values = {
        "datetime": pl.Series([dt.datetime(2026, 1, d) for d in range(1, N + 1)]),
        "date": pl.Series([dt.date(2026, 1, d) for d in range(1, N + 1)]),
        "duration": pl.Series([dt.timedelta(days=d) for d in range(N)]),
        "time": pl.Series([dt.time(d) for d in range(N)]),
        "string": pl.Series(["a", "b", "a", "c"]),
        "categorical": pl.Series(["a", "b", "a", "c"], dtype=pl.Categorical),
        "enum": pl.Series(["a", "b", "a", "c"], dtype=pl.Enum(["a", "b", "c"])),
        "list": pl.Series([[1], [2], [3], [4]]),
        "struct": pl.Series([{"a": d} for d in range(N)]),
    }
    return values[kind]


@pytest.mark.parametrize("dtype", list(POLARS))
def test_polars_column_is_named(dtype):
    pl = pytest.importorskip("polars", reason="polars frames")
    make, kind = POLARS[dtype]
    frame = pl.DataFrame({"x": Y, "c": _polars_column(pl, make)})
    with pytest.raises(ValueError, match=f"'c' holds {kind}"):
        LinearRegression().fit(frame, Y)


def test_polars_decimal_and_bool_are_numbers():
    pl = pytest.importorskip("polars", reason="polars frames")
    frame = pl.DataFrame({"d": pl.Series([decimal.Decimal("1.5")] * N), "b": [True, False] * 2})
    refuse_non_numeric(frame, "X")
    assert non_numeric_kind(frame["d"].dtype) is None


def test_dask_frame_columns_are_named():
    dd = pytest.importorskip("dask.dataframe", reason="Dask DataFrames")
    frame = dd.from_pandas(pd.DataFrame({"x": Y, "when": DATES, "s": list("abab")}), 2)
    with pytest.raises(ValueError) as err:
        LinearRegression().fit(frame, dd.from_pandas(pd.Series(Y), 2))
    msg = str(err.value)
    assert "'when': dates" in msg and "'s': text" in msg


@pytest.fixture
def parquet(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="Parquet files")
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files")
    table = pa.table(
        {
            "x": Y,
            "when": pa.array(DATES.to_pydatetime(), pa.timestamp("us")),
            "city": ["rome", "oslo", "rome", "oslo"],
            "y": Y,
        }
    )
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(("column", "said"), [("when", "timestamp"), ("city", "'rome'")])
def test_parquet_columns_are_named(parquet, column, said):
    ds = open_dataset(parquet, target="y", features=["x", column])
    with pytest.raises(ValueError, match=f"column '{column}'") as err:
        LinearRegression().fit(ds)
    assert said in str(err.value) and err.value.fields["column"] == column


def test_csv_text_column_is_named(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,city,y\n1,rome,1\n2,oslo,2\n")
    with pytest.raises(ValueError, match="column 'city' has the non-numeric value 'rome'"):
        LinearRegression().fit(open_dataset(path, target="y"))
