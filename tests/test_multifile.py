"""Many files as one dataset: a folder equals the concatenated file; bad files are named."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from lingrad import LinearRegression, open_dataset

pa = pytest.importorskip("pyarrow", reason="CSV and Parquet files")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files")

N = 240
EXACT = dict(lr="auto", optimizer="nesterov", tol=1e-13, n_iters=20000)
RTOL = 1e-10  # the same rows in another order: the same optimum to rounding


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.standard_normal((N, 3)) * [1.0, 2.0, 0.5], columns=["a", "b", "c"])
    df["y"] = df @ [1.0, -2.0, 3.0] + 5.0 + 0.2 * rng.standard_normal(N)
    return df


@pytest.fixture(scope="module")
def layout(frame, tmp_path_factory):
    d = tmp_path_factory.mktemp("many")
    parts = np.array_split(np.arange(N), 4)
    (d / "pq").mkdir()
    (d / "logs").mkdir()
    for i, rows in enumerate(parts):
        pq.write_table(pa.Table.from_pandas(frame.iloc[rows], preserve_index=False),
                       d / "pq" / f"part-{i}.parquet")  # fmt: skip
        frame.iloc[rows].to_csv(d / "logs" / f"2026-0{i + 1}.csv", index=False)
    (d / "pq" / "_SUCCESS").write_text("")  # Spark's marker: skipped
    (d / "pq" / ".hidden.parquet").write_text("not parquet")  # hidden: skipped
    frame.to_csv(d / "all.csv", index=False)
    return d


def _fit(data):
    return LinearRegression(**EXACT).fit(data)


def _same(a, b, rtol=RTOL):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol)


@pytest.mark.parametrize(
    "source",
    ["pq", "pq/", "pq/*.parquet", "logs/2026-*.csv", "**/*.parquet", "list"],
)
def test_many_files_equal_the_concatenated_file(layout, source):
    ref = _fit(open_dataset(layout / "all.csv", target="y"))
    if source == "list":
        where = [layout / "pq" / "part-0.parquet", layout / "logs" / "2026-02.csv",
                 layout / "pq" / "part-2.parquet", layout / "logs" / "2026-04.csv"]  # fmt: skip
    else:
        where = os.path.join(layout, source)
    ds = open_dataset(where, target="y", chunk_rows=50)
    model = _fit(ds)
    _same(model, ref)
    assert model.stats_.n_samples == N and list(model.feature_names_in_) == ["a", "b", "c"]
    s, r = model.summary(), ref.summary()
    np.testing.assert_allclose(s.params, r.params, rtol=RTOL)
    np.testing.assert_allclose(s.bse, r.bse, rtol=1e-9)
    assert s.nobs == r.nobs == N
    np.testing.assert_allclose(model.predict(ds), ref.predict(ds), rtol=1e-10, atol=1e-10)


def test_hive_partitions_are_columns(frame, tmp_path):
    df = frame.copy()
    df["zone"] = np.repeat([1, 2, 3], N // 3)
    df["y"] += 0.5 * df["zone"]
    for zone, part in df.groupby("zone"):
        folder = tmp_path / f"zone={zone}"
        folder.mkdir()
        pq.write_table(pa.Table.from_pandas(part.drop(columns="zone"), preserve_index=False),
                       folder / "data.parquet")  # fmt: skip
    ds = open_dataset(tmp_path, target="y")
    assert ds.columns == ["a", "b", "c", "y", "zone"]
    model = _fit(ds)
    ref = LinearRegression(**EXACT).fit(df[["a", "b", "c", "zone"]].astype(float), df["y"])
    _same(model, ref)
    assert list(model.feature_names_in_) == ["a", "b", "c", "zone"]


def test_text_partition_used_as_number_is_named(frame, tmp_path):
    for city in ("oslo", "rome"):
        (tmp_path / f"city={city}").mkdir()
        frame.iloc[:10].to_csv(tmp_path / f"city={city}" / "d.csv", index=False)
    with pytest.raises(ValueError, match=r"partition column 'city' holds the text 'oslo'") as err:
        _fit(open_dataset(tmp_path, target="y"))
    assert "city=oslo" in err.value.fields["path"]
    model = _fit(open_dataset(tmp_path, target="y", features=["a", "b", "c"]))
    assert model.stats_.n_samples == 20


def test_a_file_with_other_columns_is_named(layout, frame, tmp_path):
    for i in range(2):
        frame.iloc[:20].to_csv(tmp_path / f"{i}.csv", index=False)
    frame.iloc[:20].rename(columns={"c": "z"}).to_csv(tmp_path / "2.csv", index=False)
    with pytest.raises(ValueError) as err:
        open_dataset(tmp_path, target="y")
    msg = str(err.value)
    assert msg.startswith(str(tmp_path / "2.csv")) and "lacks 'c'" in msg and "'z'" in msg
    assert str(tmp_path / "0.csv") in msg


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("empty", "is a directory with no data files"),
        ("none/*.parquet", "matches no file"),
        ("list", "empty list"),
        ("missing-in-list", "nope.csv: no such file"),
    ],
)
def test_nothing_to_read_is_a_clear_error(tmp_path, where, said):
    (tmp_path / "empty").mkdir()
    path = {
        "list": [],
        "missing-in-list": [tmp_path / "nope.csv"],
    }.get(where, os.path.join(tmp_path, where))
    with pytest.raises(ValueError, match=said):
        open_dataset(path, target="y")


def test_bad_cells_name_their_file_and_row(frame, tmp_path):
    for i in range(3):
        frame.iloc[i * 20 : (i + 1) * 20].to_csv(tmp_path / f"{i}.csv", index=False)
    text = (tmp_path / "2.csv").read_text().splitlines()
    text[5] = text[5].replace(text[5].split(",")[1], "oops", 1)
    (tmp_path / "2.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match="column 'b' has the non-numeric value 'oops'") as err:
        _fit(open_dataset(tmp_path, target="y", chunk_rows=7))
    assert err.value.fields["path"] == str(tmp_path / "2.csv") and err.value.fields["row"] == 5


def test_nan_and_inf_name_their_file_and_row(frame, tmp_path):
    for i in range(3):
        part = frame.iloc[i * 20 : (i + 1) * 20].copy()
        if i == 1:
            part.iloc[3, 0] = np.inf
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / f"{i}.pq")
    with pytest.raises(ValueError, match="holds inf at row 4") as err:
        _fit(open_dataset(tmp_path, target="y", chunk_rows=16))
    assert err.value.fields["path"] == str(tmp_path / "1.pq")


def test_only_the_model_columns_are_read(frame, tmp_path):
    for i in range(2):
        t = pa.Table.from_pandas(frame.iloc[i * 30 : (i + 1) * 30], preserve_index=False)
        when = pa.array(pd.date_range("2026-01-01", periods=30).to_pydatetime(), pa.timestamp("us"))
        pq.write_table(t.append_column("when", when), tmp_path / f"{i}.parquet")
    model = _fit(open_dataset(tmp_path, target="y", features=["a", "b", "c"]))
    assert model.stats_.n_samples == 60  # the timestamp column is never read
    with pytest.raises(ValueError, match="column 'when' holds timestamp"):
        _fit(open_dataset(tmp_path, target="y"))


def test_missing_drop_over_many_files(frame, tmp_path):
    df = frame.copy()
    df.iloc[[5, 70, 71], [0, 1, 3]] = np.nan
    for i, rows in enumerate(np.array_split(np.arange(N), 3)):
        df.iloc[rows].to_csv(tmp_path / f"{i}.csv", index=False)
    model = LinearRegression(**EXACT, missing="drop").fit(open_dataset(tmp_path, target="y"))
    keep = df.notna().all(axis=1)
    ref = LinearRegression(**EXACT).fit(df.loc[keep, ["a", "b", "c"]], df.loc[keep, "y"])
    _same(model, ref)
    assert model.n_dropped_ == 3


@pytest.mark.parametrize("source", ["pq/*.parquet", "pq"])
def test_cli_fits_a_glob_and_a_folder(layout, source, tmp_path):
    pytest.importorskip("typer", reason="the command line")
    from typer.testing import CliRunner

    from lingrad import cli

    out = tmp_path / "m.json"
    args = ["fit", os.path.join(layout, source), "-t", "y", "-o", str(out), "--lr", "auto"]
    args += ["--optimizer", "nesterov", "--tol", "1e-13", "--n-iters", "20000", "--json"]
    res = CliRunner().invoke(cli.app, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    ref = _fit(open_dataset(layout / "all.csv", target="y"))
    np.testing.assert_allclose(list(report["coefficients"].values()), ref.coef_, rtol=RTOL)
    assert report["n_samples"] == N
