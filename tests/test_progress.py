"""Progress of streamed passes (issue 15 item 2) and CLI rough edges (item 3)."""

import os

import numpy as np
import pytest

import lingrad

pytest.importorskip("pyarrow", reason="CSV files need pyarrow")


def _csv(tmp_path, n=20000):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    y = X @ [1.0, 2.0] + 0.1 * rng.standard_normal(n)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="")
    return path


def test_callback_monotone_bytes_ending_at_file_size_each_pass(tmp_path):
    path = _csv(tmp_path)
    calls = []
    ds = lingrad.open_dataset(path, "y", chunk_rows=1000, progress=lambda *a: calls.append(a))
    m = lingrad.LinearRegression(lr="auto", optimizer="nesterov", tol=1e-10, n_iters=500)
    m.fit(ds)
    m.summary(ds, cov_type="HC1")
    passes = sorted({c[3] for c in calls})
    assert len(passes) == 2
    size = os.path.getsize(path)
    for what in passes:
        done = [c[0] for c in calls if c[3] == what]
        assert all(c[1] == size and c[2] == "B" for c in calls if c[3] == what)
        assert done == sorted(done) and done[-1] == size and len(done) > 2


def test_cli_quiet_and_not_a_terminal_show_nothing_forced_shows_a_bar(tmp_path, monkeypatch):
    pytest.importorskip("typer", reason="the CLI needs typer")
    from typer.testing import CliRunner

    from lingrad.cli import app

    path = _csv(tmp_path)
    runner = CliRunner()
    args = ["fit", str(path), "-t", "y", "--lr", "auto", "--json"]
    plain = runner.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    assert "reading" not in plain.stderr
    monkeypatch.setenv("LINGRAD_PROGRESS", "1")
    quiet = runner.invoke(app, [*args, "--quiet"])
    assert quiet.exit_code == 0 and "reading" not in quiet.stderr
    forced = runner.invoke(app, args)
    assert forced.exit_code == 0 and "reading d.csv" in forced.stderr


def test_help_is_plain_and_completion_is_on():
    pytest.importorskip("typer", reason="the CLI needs typer")
    from typer.testing import CliRunner

    from lingrad.cli import app

    out = CliRunner().invoke(app, ["fit", "--help"]).output
    assert "<bool>" not in out and "{data}" not in out and "DATA" in out
    assert "--install-completion" in CliRunner().invoke(app, ["--help"]).output


def _parquet_folder(tmp_path, files=3, n=2000):
    pd = pytest.importorskip("pandas", reason="the parts are written with pandas")
    rng = np.random.default_rng(1)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(files):
        df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
        df["y"] = 2 * df.x + (df.g == "b") + 0.1 * rng.normal(size=n)
        df.to_parquet(folder / f"part{i}.parquet")
    return folder, files * n


def test_formula_on_a_parquet_folder_reports_its_pass(tmp_path):
    pytest.importorskip("formulaic", reason="formulas need formulaic")
    folder, n = _parquet_folder(tmp_path)
    calls = []
    with lingrad.show_progress(lambda *a: calls.append(a)):
        m = lingrad.ols("y ~ x + C(g)", str(folder))
    assert m.stats_.n_samples == n
    done = [c[0] for c in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] == n
    assert {(c[1], c[2], c[3]) for c in calls} == {(n, "rows", "reading parts")}


def test_formula_on_a_dataset_uses_its_progress_option_per_pass(tmp_path):
    pytest.importorskip("formulaic", reason="formulas need formulaic")
    path = tmp_path / "d.csv"
    rng = np.random.default_rng(2)
    x = rng.normal(size=5000)
    g = rng.choice(["u", "v"], 5000)
    y = x + (g == "v") + 0.1 * rng.normal(size=5000)
    with open(path, "w") as f:
        f.write(
            "x,g,y\n"
            + "".join(f"{float(a)!r},{b},{float(c)!r}\n" for a, b, c in zip(x, g, y, strict=True))
        )
    calls = []
    ds = lingrad.open_dataset(path, chunk_rows=500, progress=lambda *a: calls.append(a))
    m = lingrad.ols("y ~ x + C(g)", ds, lr="auto", tol=1e-10, n_iters=1000)
    m.summary(lingrad.design_data(m, ds), cov_type="HC1")
    size = os.path.getsize(path)
    passes = sorted({c[3] for c in calls})
    assert passes[0] == "reading d.csv" and len(passes) >= 2
    for what in passes:
        done = [c[0] for c in calls if c[3] == what]
        assert done == sorted(done) and done[-1] == size
