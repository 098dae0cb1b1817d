"""Warnings and errors on the command line: one line each, remedies as options to paste.

The library's messages are parts (``lingrad._messages``: Set, Alt); the command
line renders them in its own syntax, so no Python spelling (``lr='auto'``,
``n_iters=``, ``StandardScaler``) reaches a terminal, and a remedy already set
is never suggested.
"""

import re
import warnings

import numpy as np
import pytest

from lingrad import LinearRegression, NotConvergedWarning

typer = pytest.importorskip("typer")
from typer.testing import CliRunner  # noqa: E402

from lingrad import cli  # noqa: E402

runner = CliRunner()
#: Python's spelling of a setting: ``name=value`` (``lr='auto'``, ``n_iters=50``).
PYTHON_SETTING = re.compile(r"\b[a-z_]+=['\w.+-]")


@pytest.fixture(scope="module")
def scaled_csv(tmp_path_factory):
    """Two columns on scales 1 and 1000: plain GD at lr=0.01 diverges, at 1/L it crawls."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    x2 = 1000 * x + rng.normal(size=400)
    y = 3 * x + 0.002 * x2 + rng.normal(size=400)
    path = tmp_path_factory.mktemp("msg") / "scaled.csv"
    np.savetxt(path, np.column_stack([x, x2, y]), delimiter=",", header="x,x2,y", comments="")
    return path


def _warnings(args):
    result = runner.invoke(cli.app, args)
    lines = result.stderr.splitlines()
    return result, [line for line in lines if line.startswith(("Warning:", "Error:"))], lines


def _cli_syntax(line):
    assert not PYTHON_SETTING.search(line), line
    assert "StandardScaler" not in line and "sklearn" not in line and "Pipeline" not in line


def test_not_converged_and_divergence_in_command_line_syntax(scaled_csv):
    result, shown, lines = _warnings(
        ["fit", str(scaled_csv), "-t", "y", "--n-iters", "50", "--json"]
    )
    assert result.exit_code == 0
    assert len(shown) == len(lines) == 2  # each warning is one line, nothing else on stderr
    divergence, far = shown
    assert divergence.startswith("Warning: Gradient descent (gd) diverges with --lr 0.01:")
    assert (
        "Use --lr below " in divergence and "or --lr auto (which descends on centred" in divergence
    )
    assert far.startswith("Warning: lingrad's fit ended far from the least-squares optimum")
    assert "Increase --n-iters, or refit with --lr auto --optimizer nesterov --tol 1e-10" in far
    assert "no need to standardise the file" in far
    for line in shown:
        _cli_syntax(line)


def test_settings_already_given_are_not_suggested(scaled_csv):
    args = ["fit", str(scaled_csv), "-t", "y", "--json", "--lr", "auto", "--optimizer", "nesterov"]
    result, shown, _ = _warnings(
        [*args, "--tol", "1e-12", "--n-iters", "3", "--precondition", "none"]
    )
    assert result.exit_code == 0 and len(shown) == 1
    (line,) = shown
    assert line.startswith("Warning: lingrad did not converge in 3 iterations (--n-iters 3):")
    assert "above --tol 1e-12" in line
    assert "Increase --n-iters, or refit with --precondition auto (descending" in line
    assert "--lr auto" not in line and "--optimizer nesterov" not in line
    assert "--tol 1e-10" not in line
    _cli_syntax(line)


def test_divergence_error_in_command_line_syntax(scaled_csv):
    result, shown, _ = _warnings(
        ["fit", str(scaled_csv), "-t", "y", "--json", "--lr", "5", "--on-divergence", "raise"]
    )
    assert result.exit_code == 1 and len(shown) == 1
    assert shown[0].startswith("Error: Gradient descent (gd) diverges with --lr 5:")
    _cli_syntax(shown[0])


def test_python_wording_of_the_same_remedies():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3)) * [1.0, 10.0, 100.0]
    y = X @ [1.0, 0.5, 0.01] + rng.normal(size=300)
    with pytest.warns(NotConvergedWarning) as record:
        LinearRegression(lr=1e-5, n_iters=20, random_state=0).fit(X, y)
    w = record[0].message
    text = str(w)
    assert "Increase n_iters, or refit with lr='auto', optimizer='nesterov' and tol=1e-10" in text
    assert "as StandardScaler would" in text and "A tol stops the fit once converged" in text
    cli_text = w.render("cli")
    assert "refit with --lr auto --optimizer nesterov --tol 1e-10" in cli_text
    _cli_syntax(cli_text)
    with warnings.catch_warnings():  # everything set, only the budget short: only n_iters
        warnings.simplefilter("ignore", UserWarning)
        with pytest.warns(NotConvergedWarning) as record:
            LinearRegression(
                lr="auto", optimizer="nesterov", tol=1e-14, n_iters=1, precondition="none"
            ).fit(X, y)
    text = str(record[0].message)
    assert "Increase n_iters, or refit with precondition='auto' (descending" in text
