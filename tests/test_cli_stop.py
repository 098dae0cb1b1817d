"""Why a fit stopped: the reason, the measured value and lingrad's rule, in Python and the CLI."""

import json
import warnings

import numpy as np
import pytest

from lingrad import LinearRegression, load_model, stop_explanation
from lingrad.datasets import make_tutorial_data

RULE = "by lingrad's stopping rule (the RMS distance of the fitted values from the optimum's"


def _fit(**kw):
    X, y = make_tutorial_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LinearRegression(random_state=np.random.RandomState(4), **kw).fit(X, y)


def test_iteration_limit_without_tol_says_so_and_quotes_the_measure():
    model = _fit(lr=0.01, n_iters=100)
    e = stop_explanation(model)
    text, cli = str(e), e.render("cli")
    assert e.fields["reason"] == "max_iter" == model.stop_reason_
    assert text.startswith("Stopped at the iteration limit: all 100 iterations of n_iters=100 ran")
    assert "no tol was set" in text and "tol=1e-10 stops once" in text
    measure = model.fit_result_.measure
    assert 0 < measure < 1 and e.fields["measure"] == measure
    assert f"the fit is {measure:.3g} from the optimum {RULE}" in text
    assert "all 100 iterations of --n-iters 100 ran" in cli and "no --tol was set" in cli
    assert "--tol 1e-10 stops once" in cli and "n_iters=" not in cli and "tol=" not in cli


def test_converged_to_tol_quotes_the_measure_below_tol():
    model = _fit(lr="auto", tol=1e-8, precondition="none", n_iters=1000)
    e = stop_explanation(model)
    assert model.converged_ and e.fields["reason"] == "tol"
    m = model.fit_result_.measure
    assert 0 < m <= 1e-8
    assert str(e) == (
        f"Converged after {model.n_iter_} iterations: the fit is {m:.3g} from the optimum "
        f"{RULE}, relative to the standard deviation of y), at most tol=1e-08."
    )
    assert e.render("cli").endswith("at most --tol 1e-08.")


def test_missed_tol_and_exact_optimum_and_recovery():
    short = stop_explanation(_fit(lr=0.01, tol=1e-10, n_iters=50))
    assert "above tol=1e-10" in str(short) and "no tol was set" not in str(short)
    at_optimum = stop_explanation(_fit(lr="auto", n_iters=50))
    assert "at the optimum to float64 rounding: 0 by lingrad's stopping rule" in str(at_optimum)
    recovered = _fit(lr=5.0, n_iters=200)
    e = stop_explanation(recovered)
    assert e.fields["recovered"] and str(e).startswith("The learning rate lr=5 diverged")
    assert f"with --lr auto ({recovered.lr_:.6g})" in e.render("cli")
    assert not stop_explanation(_fit(lr=0.01, n_iters=5)).fields["recovered"]


def test_direct_engine_says_the_measure_is_estimated():
    e = stop_explanation(_fit(engine="direct", n_iters=20))
    assert e.fields["estimated"] and "estimated from the gradient, engine direct" in str(e)


def test_a_loaded_model_gives_the_reason(tmp_path):
    _fit(lr=0.01, n_iters=30).save(tmp_path / "m.json")
    e = stop_explanation(load_model(tmp_path / "m.json"))
    assert str(e).startswith("Stopped at the iteration limit: all 30 iterations")
    assert e.fields["reason"] == "max_iter"


# -- the command line ----------------------------------------------------------------------------
typer = pytest.importorskip("typer")
from typer.testing import CliRunner  # noqa: E402

from lingrad import cli  # noqa: E402

runner = CliRunner()


def test_demo_says_why_it_stopped(tmp_path):
    pytest.importorskip("matplotlib")
    result = runner.invoke(
        cli.app, ["demo", "-o", str(tmp_path), "--lr", "auto", "--n-iters", "50"]
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "all 50 iterations of --n-iters 50 ran" in out  # converged, or at the limit
    assert "no --tol was set" in out and "at the optimum to float64 rounding" in out
    result = runner.invoke(
        cli.app, ["demo", "-o", str(tmp_path), "--lr", "0.5", "--tol", "1e-8", "-q"]
    )
    assert result.exit_code == 0, result.output
    model = _fit(lr=0.5, tol=1e-8, n_iters=1000)
    out = " ".join(result.stdout.split())
    assert f"Training: lr=0.5, {model.n_iter_} iterations, seed 4" in out
    m = model.fit_result_.measure
    assert f"Converged after {model.n_iter_} iterations: the fit is {m:.3g} from the optimum" in out
    assert "at most --tol 1e-08." in out


def test_fit_prints_why_it_stopped_and_json_carries_it(tmp_path):
    X, y = make_tutorial_data()
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="x,y", comments="")
    args = ["fit", str(path), "-t", "y", "--lr", "0.01", "--n-iters", "40", "--tol", "1e-10"]
    result = runner.invoke(cli.app, [*args, "-o", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Stopped at the iteration limit: all 40 iterations of --n-iters 40 ran." in out
    assert "above --tol 1e-10." in out
    result = runner.invoke(cli.app, [*args, "--json"])
    doc = json.loads(result.stdout)
    assert doc["stop_reason"] == "max_iter"
    assert doc["stop_explanation"].startswith("Stopped at the iteration limit: all 40 iterations")
