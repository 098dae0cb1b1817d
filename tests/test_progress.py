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
