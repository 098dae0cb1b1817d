"""The command line: `lingrad demo` reproduces the tutorial and prints what the model says."""

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer")
pytest.importorskip("matplotlib")
PIL_Image = pytest.importorskip("PIL.Image")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from lingrad import LinearRegression, __version__, cli  # noqa: E402
from lingrad.cli.app import handle_errors  # noqa: E402
from lingrad.cli.training import fit_with_progress  # noqa: E402
from lingrad.datasets import make_tutorial_data  # noqa: E402

runner = CliRunner()
NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
FIGURES = [
    "data.png",
    "initial_fit.png",
    "final_fit.png",
    "loss.png",
    "descent_path.png",
    "coef_paths.png",
]


def row(output: str, label: str) -> list[float]:
    """The numbers on the table row that starts with ``label``."""
    for line in output.splitlines():
        text = line.strip("│┃ ")
        if text.startswith(label):
            return [float(x) for x in NUMBER.findall(text[len(label) :])]
    raise AssertionError(f"no row {label!r} in:\n{output}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "figs"
    result = runner.invoke(cli.app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result, out


@pytest.fixture(scope="module")
def reference():
    """The tutorial, done by hand: global seed, then fit."""
    X, y = make_tutorial_data()
    np.random.seed(4)  # the tutorial's global generator, on purpose
    model = LinearRegression(lr=0.01, n_iters=1000).fit(X, y)
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    return model, X, y, exact


def test_demo_writes_the_figures(demo):
    _, out = demo
    for name in FIGURES:
        with PIL_Image.open(out / name) as im:
            assert im.format == "PNG"
            assert im.size[0] >= 300 and im.size[1] >= 200
    assert not (out / "training.gif").exists()


def test_demo_prints_the_data_shape(demo):
    result, _ = demo
    assert "X shape (500, 1), y shape (500,)" in result.stdout


def test_demo_numbers_agree_with_the_model(demo, reference):
    result, _ = demo
    model, X, y, exact = reference
    out = result.stdout
    w0, b0, mse0, _ = row(out, "start (random)")
    np.testing.assert_allclose([w0, b0, mse0], [model.coef_init_[0], 0.0, model.loss_history_[0]],
                               rtol=1e-7)  # fmt: skip
    w, b, mse, r2 = row(out, "gradient descent")
    np.testing.assert_allclose(
        [w, b, mse, r2],
        [model.coef_[0], model.intercept_, model.loss_history_[-1], model.score(X, y)],
        rtol=1e-7,
    )
    we, be, _, _ = row(out, "exact (lstsq)")
    np.testing.assert_allclose([we, be], exact, rtol=1e-7)
    gap_w, gap_b, _ = row(out, "gap |GD - exact|")
    np.testing.assert_allclose(
        [gap_w, gap_b], np.abs([model.coef_[0], model.intercept_] - exact), rtol=2e-3
    )
    assert 1e-3 < gap_w < 1e-2  # "about 6e-3" at the defaults
    assert "Training: lr=0.01, 1000 iterations, seed 4" in out


def test_demo_prints_the_diagnostics(demo, reference):
    result, _ = demo
    model = reference[0]
    (L,) = row(result.stdout, "L (largest curvature)")
    np.testing.assert_allclose(L, model.diagnostics_.lipschitz, rtol=1e-5)
    assert "condition number" in result.stdout


def test_demo_prints_the_summary(demo, reference):
    result, _ = demo
    model = reference[0]
    out = result.stdout
    assert "OLS regression: y" in out
    s = model.summary()
    const, x0 = row(out, "const"), row(out, "x0")
    np.testing.assert_allclose([const[0], x0[0]], s.params, rtol=1e-3)  # 4 significant digits
    np.testing.assert_allclose([const[1], x0[1]], s.bse, rtol=1e-3)
    assert "Not converged" in out  # 1000 steps at lr=0.01 stop short of the optimum


def test_demo_options_change_the_fit(tmp_path):
    result = runner.invoke(
        cli.app, ["demo", "--out", str(tmp_path), "--lr", "0.05", "--n-iters", "50", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    X, y = make_tutorial_data()
    m = LinearRegression(lr=0.05, n_iters=50, random_state=np.random.RandomState(1)).fit(X, y)
    w, b, mse, _ = row(result.stdout, "gradient descent")
    np.testing.assert_allclose([w, b, mse], [m.coef_[0], m.intercept_, m.loss_history_[-1]],
                               rtol=1e-7)  # fmt: skip


def test_demo_lr_auto_and_animation(tmp_path):
    result = runner.invoke(
        cli.app, ["demo", "--out", str(tmp_path), "--lr", "auto", "--n-iters", "20", "--animate"]
    )
    assert result.exit_code == 0, result.output
    with PIL_Image.open(tmp_path / "training.gif") as im:
        assert im.n_frames >= 5


def test_help():
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "fit", "predict", "evaluate", "summary", "plot"):
        assert name in result.stdout
    result = runner.invoke(cli.app, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--n-iters" in result.stdout


def test_version():
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"lingrad {__version__}"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--lr", "-1"], "--lr must be a positive number"),
        (["--lr", "abc"], "--lr must be a positive number"),
        (["--n-iters", "-3"], "--n-iters must be"),
        (["--seed", "-1"], "--seed must be"),
        (["--lr", "5"], "largest stable learning rate"),  # DivergenceError
    ],
)
def test_bad_values_give_one_line(args, match, tmp_path):
    result = runner.invoke(cli.app, ["demo", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert match in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("sub", ["", "sub"])
def test_unwritable_out_gives_one_line(sub, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = runner.invoke(cli.app, ["demo", "--out", str(blocker / sub)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "--out" in lines[0]
    assert "Traceback" not in result.output


def test_usage_error_is_typers():
    result = runner.invoke(cli.app, ["demo", "--no-such-option"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_error_handling_turns_warnings_and_errors_into_lines(capsys):
    import warnings

    def boom():
        warnings.warn("first\nsecond", UserWarning, stacklevel=1)
        raise OSError("disk\n full")

    with pytest.raises(typer.Exit) as exc:
        handle_errors(boom)()
    assert exc.value.exit_code == 1
    assert capsys.readouterr().err.splitlines() == ["Warning: first second", "Error: disk full"]


def test_library_errors_are_worded_for_the_command_line_not_parsed(capsys):
    from lingrad import PARAMETERS
    from lingrad._messages import LingradMessage, Set

    class Advice(LingradMessage, ValueError):
        pass

    def bad_parameter():
        PARAMETERS["n_iters"].check("LinearRegression", -1)

    def structured():
        raise Advice(("Use ", Set("lr", "'auto'"), " or increase ", Set("n_iters"), "."))

    for fn in (bad_parameter, structured):
        with pytest.raises(typer.Exit):
            handle_errors(fn)()
    assert capsys.readouterr().err.splitlines() == [
        "Error: --n-iters must be a whole number >= 0; got -1.",
        "Error: Use --lr auto or increase --n-iters.",
    ]


def test_progress_bar_only_on_a_terminal():
    X, y = make_tutorial_data()
    buf = io.StringIO()
    tty = Console(file=buf, force_terminal=True, width=80)
    m = fit_with_progress(LinearRegression(random_state=0, n_iters=50), X, y, tty)
    assert "training" in buf.getvalue()
    ref = LinearRegression(random_state=0, n_iters=50).fit(X, y)
    np.testing.assert_array_equal(m.coef_, ref.coef_)
    buf = io.StringIO()
    fit_with_progress(LinearRegression(random_state=0, n_iters=50), X, y, Console(file=buf))
    assert buf.getvalue() == ""


@pytest.mark.parametrize(("n_iters", "tol"), [(50, None), (2000, 1e-4)])
def test_one_training_bar_that_ends_once(n_iters, tol):
    """The iterations draw one bar: it ends at the last iteration or, stopped early, once."""
    from lingrad.cli.training import _fit_reporting

    X, y = make_tutorial_data()
    calls = []
    model = LinearRegression(random_state=0, n_iters=n_iters, tol=tol)
    _fit_reporting(model, X, y, None, lambda *a: calls.append(a))
    assert (model.n_iter_ < n_iters) == (tol is not None)  # the second stops early
    ends = [c for c in calls if c[0] >= c[1]]
    assert len(ends) == 1, ends
    assert calls[-1] == ends[0]
    assert all(c[2] == "it" and c[3].startswith("training") for c in calls)


def test_main_without_typer_says_how_to_install(monkeypatch, capsys):
    import importlib

    # main() reads the app of the module that defines it (the name lingrad.cli.app is the app)
    monkeypatch.setattr(importlib.import_module("lingrad.cli.app"), "app", None)
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "pip install typer rich" in err and 'pip install -e ".[cli]"' in err


def test_entry_points_in_a_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "lingrad", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"lingrad {__version__}"
    script = Path(sys.executable).with_name("lingrad")
    if script.exists():
        out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"lingrad {__version__}"
