"""Issue 10, items 3-5: an honest stopping rule, not-converged warnings always, correct diagnosis.

The stopping measure (lingrad._stopping.Stopping) is the RMS distance of the fitted values
from the optimum's, relative to the spread of y; ``converged_`` means it is at most ``tol``.
A fit whose training MSE ends materially above the optimum's warns, with or without ``tol``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _exact import exact_lstsq, offsets_and_scales, perfect_fit, polynomial, year_and_values
from sklearn.datasets import load_diabetes

from lingrad import (
    DivergenceWarning,
    IllConditionedWarning,
    LinearRegression,
    NotConvergedWarning,
)
from lingrad._convergence import MATERIAL_EXCESS, stopping_for
from lingrad._objective import DirectLeastSquares, Penalty, StatsLeastSquares
from lingrad._optimizers import Nesterov, Schedule
from lingrad._solve import solve
from lingrad._stats import SufficientStats
from lingrad.datasets import make_tutorial_data

TUTORIAL_DEFAULTS = dict(lr=0.01, n_iters=1000)


def _r2(X, y, coef, intercept):
    r = y - X @ coef - intercept
    return 1.0 - (r @ r) / np.sum((y - y.mean()) ** 2)


def _quiet_fit(X, y, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(**kw).fit(X, y)
    return model, [w.message for w in caught]


def _false_convergence_design():
    x = np.linspace(1, 4e6, 50)
    X = np.c_[x, x**2]
    y = 3.0 + 2e-3 * x + 5e-9 * x**2 + np.random.default_rng(0).normal(size=50)
    return X, y


# -- item 3: the stopping rule ---------------------------------------------------------------
def test_a_huge_starting_gradient_is_not_convergence():
    """The issue's case: a starting gradient of ~1e25 once met "tol" after 1 iteration."""
    X, y = _false_convergence_design()
    settings = dict(lr="auto", optimizer="nesterov", tol=1e-14, n_iters=300_000, random_state=0)
    model, caught = _quiet_fit(X, y, **settings)
    r2 = _r2(X, y, model.coef_, model.intercept_)
    exact = exact_lstsq(X, y)
    r2_star = _r2(X, y, exact[:-1], exact[-1])
    assert model.n_iter_ > 1
    # converged_ only within tol: the R² lost is the measure squared
    assert not model.converged_ or r2_star - r2 <= 1e-12
    if not model.converged_:
        assert any(isinstance(w, NotConvergedWarning) for w in caught)


@pytest.mark.parametrize(
    "design",
    [
        lambda: polynomial(1, 21, 2),
        lambda: polynomial(-9, -3, 3, noise=0.1),
        offsets_and_scales,
        year_and_values,
        perfect_fit,
        lambda: (
            np.random.default_rng(3).normal(size=(80, 4)),
            np.random.default_rng(4).normal(size=80),
        ),
    ],
)
@pytest.mark.parametrize("optimizer", ["gd", "nesterov"])
def test_converged_means_within_tol_of_the_exact_optimum(design, optimizer):
    X, y = design()
    tol = 1e-6
    model, _ = _quiet_fit(
        X, y, lr="auto", optimizer=optimizer, tol=tol, n_iters=20_000, random_state=0
    )
    exact = exact_lstsq(X, y)
    fitted = X @ model.coef_ + model.intercept_
    optimum = X @ exact[:-1] + exact[-1]
    spread = math.sqrt(max(np.var(y), np.finfo(float).tiny))
    distance = math.sqrt(np.mean((fitted - optimum) ** 2)) / spread
    # float64 holds fitted values only to eps times their terms' size (offsets of 1e6):
    # below that floor neither the measure nor this distance has more digits
    floor = 8 * np.finfo(float).eps * float(np.abs(X).max(axis=0) @ np.abs(model.coef_)) / spread
    if model.converged_:
        assert distance <= tol * (1 + 1e-3) + floor + 1e-12
    assert model.fit_result_.measure == pytest.approx(distance, rel=1e-3, abs=max(1e-10, floor))


def test_the_measure_ignores_units_offsets_and_the_start(rng):
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 4.0 + rng.normal(size=200)
    theta = rng.normal(size=(4, 1))
    scales, shift, c = np.array([1e-3, 1.0, 1e4]), np.array([1e6, 0.0, -50.0]), 1e5

    def measure(Xs, ys, th, direct=False):
        stats = SufficientStats.from_arrays(Xs, ys[:, None])
        problem = StatsLeastSquares(stats, True, Penalty())
        if direct:
            problem = DirectLeastSquares(Xs, ys[:, None], None, True, Penalty())
            stats = None
        stop = stopping_for(problem, stats)
        g, _ = problem.grad_mse(th)
        return stop.measure(th, g, g)

    moved = theta.copy()
    moved[:3, 0] = theta[:3, 0] / scales * c
    moved[3, 0] = (theta[3, 0] - shift / scales @ theta[:3, 0]) * c
    base = measure(X, y, theta)
    assert measure(X * scales + shift, y * c, moved) == pytest.approx(base, rel=1e-7)
    # the direct engine's estimate is unchanged by units (offsets aside)
    moved[3, 0] = theta[3, 0] * c
    d = measure(X, y, theta, direct=True)
    assert measure(X * scales, y * c, moved, direct=True) == pytest.approx(d, rel=1e-9)


def test_the_closed_form_and_the_loop_stop_together_on_the_new_rule(rng):
    X = rng.normal(size=(150, 3)) * [1.0, 5.0, 0.2] + 2.0
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=150)
    stats = SufficientStats.from_arrays(X, y[:, None])
    problem = StatsLeastSquares(stats, True, Penalty())
    stop = stopping_for(problem, stats)
    L, _ = problem.spectrum()

    class LoopOnly:
        def grad_mse(self, theta):
            return problem.grad_mse(theta)

    theta0 = np.ones((4, 1)) * 1e3  # a start far away: its size must not matter
    opt = Nesterov(beta=0.9)
    a = solve(problem, theta0, opt, Schedule(1 / L), 100_000, tol=1e-9, stop=stop)
    b = solve(LoopOnly(), theta0, opt, Schedule(1 / L), 100_000, tol=1e-9, stop=stop)
    assert a.stop_reason == b.stop_reason == "tol" and a.n_iter == b.n_iter > 1
    assert a.measure <= 1e-9 and a.measure == pytest.approx(b.measure, rel=1e-4)
    assert "within tol of the optimum" in a.message


# -- item 4: not-converged warnings, always --------------------------------------------------
def test_the_tutorials_1000_steps_stay_silent():
    X, y = make_tutorial_data()
    np.random.seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(**TUTORIAL_DEFAULTS).fit(X, y)
    assert model.loss_history_[-1] == pytest.approx(224.23628, abs=1e-4)


def test_the_default_fit_on_diabetes_warns_with_the_excess_gap_and_remedies():
    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(NotConvergedWarning) as record:
        model = LinearRegression().fit(X, y)
    assert model.score(X, y) < 0.1
    w = next(r.message for r in record if isinstance(r.message, NotConvergedWarning))
    text = str(w)
    assert "far from the least-squares optimum" in text
    assert "training MSE is" in text and "above the optimum's" in text
    assert "largest coefficient gap" in text
    assert w.fields["excess"] > MATERIAL_EXCESS * w.fields["optimum"]
    assert w.fields["tol"] is None
    for remedy in ("lr='auto'", "optimizer='nesterov'", "tol=1e-10", "n_iters"):
        assert remedy in text
    cli = w.render("cli")
    for option in ("--lr auto", "--optimizer nesterov", "--tol 1e-10", "--n-iters"):
        assert option in cli
    # following the advice converges, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-10, n_iters=10_000)
        fixed.fit(X, y)
    assert fixed.converged_ and fixed.score(X, y) == pytest.approx(0.5177, abs=1e-4)


def test_remedies_already_set_are_never_suggested():
    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(NotConvergedWarning) as record:
        LinearRegression(lr="auto", optimizer="nesterov", tol=1e-10, n_iters=20).fit(X, y)
    text = str(record[0].message)
    assert "use lr=" not in text and "optimizer='nesterov'" not in text
    assert "lr='auto'" not in text and "Set tol=" not in text
    assert "Increase n_iters" in text and "At these settings it needs about" in text


def test_iteration_estimates_beyond_float64_are_not_quoted():
    X, y = _false_convergence_design()
    # descending the raw columns (no preconditioner), whose condition number float64 cannot hold
    model, caught = _quiet_fit(
        X, y, lr="auto", optimizer="nesterov", n_iters=100, precondition="none", random_state=0
    )
    w = next(m for m in caught if isinstance(m, NotConvergedWarning))
    assert "beyond what float64 resolves" in str(w) and "More iterations will not help" in str(w)
    assert "about" not in str(w)
    # feasible for Nesterov, not for plain GD at a small lr: say so instead of a number
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * [1.0, 1e-5]
    y = X @ [1.0, 1e5] + rng.normal(size=200)
    model, caught = _quiet_fit(X, y, random_state=0)
    w = next(m for m in caught if isinstance(m, NotConvergedWarning))
    assert model.diagnostics_.est_iters_gd > 1e9
    assert "Plain GD at this lr needs more than 1e+09 iterations, more than is feasible" in str(w)
    assert f"{int(model.diagnostics_.est_iters_gd):,}" not in str(w)


def test_a_recovered_divergence_that_runs_out_far_from_the_optimum_warns():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LinearRegression(lr=1e4, n_iters=20, random_state=0).fit(X, y)
    kinds = [type(w.message) for w in caught]
    assert DivergenceWarning in kinds and NotConvergedWarning in kinds


def test_tol_none_on_the_direct_engine_warns_too(rng):
    X = rng.normal(size=(300, 4))
    y = X @ [1.0, 2.0, 3.0, 4.0] + rng.normal(size=300)
    with pytest.warns(NotConvergedWarning, match="an estimated"):
        LinearRegression(engine="direct", n_iters=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LinearRegression(engine="direct", lr="auto", n_iters=500).fit(X, y)


def test_the_command_line_prints_one_warning_line_in_its_own_syntax(tmp_path):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from lingrad import cli

    X, y = load_diabetes(return_X_y=True)
    path = tmp_path / "diabetes.csv"
    names = [f"x{j}" for j in range(X.shape[1])]
    rows = [",".join([*names, "target"])] + [
        ",".join(repr(float(v)) for v in (*r, t)) for r, t in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(
        cli.app, ["fit", str(path), "-t", "target", "-o", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 0
    err = result.stderr if hasattr(result, "stderr") else result.output
    lines = [line for line in err.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 1 and "far from the least-squares optimum" in lines[0]
    for option in ("--lr auto", "--optimizer nesterov", "--tol 1e-10"):
        assert option in lines[0]
    assert "lr='auto'" not in lines[0]


# -- item 5: correct diagnosis ---------------------------------------------------------------
def test_badly_scaled_columns_are_not_called_collinear():
    X, y = _false_convergence_design()
    with pytest.warns(IllConditionedWarning) as record:
        _quiet = LinearRegression(lr="auto", n_iters=10, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotConvergedWarning)
            _quiet.fit(X, y)
    w = record[0].message
    assert "badly scaled" in str(w) and "collinear:" not in str(w) and "singular" not in str(w)
    assert "StandardScaler" in str(w)
    assert w.fields["collinear_columns"] == []
    assert w.fields["condition_number"] > 1e20 and w.fields["scaled_condition_number"] < 1e4


def test_collinear_columns_are_named():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3)) * [1e-3, 1.0, 1e4]
    Xd = np.column_stack([X, 2e3 * X[:, 0] - 3e-4 * X[:, 2], np.full(100, 7.0)])
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=100)
    with pytest.warns(IllConditionedWarning) as record:
        _quiet_fit_ignoring_convergence(Xd, y)
    w = next(r.message for r in record if isinstance(r.message, IllConditionedWarning))
    assert "collinear: columns" in str(w) and "Drop the redundant columns" in str(w)
    cols = w.fields["collinear_columns"]
    assert {0, 2, 3, 4} <= set(cols) and 1 not in cols


def test_nearly_collinear_columns_say_so():
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    X = np.column_stack([x, x + 1e-7 * rng.normal(size=200), rng.normal(size=200)])
    y = X @ [1.0, 1.0, 1.0] + rng.normal(size=200)
    with pytest.warns(IllConditionedWarning) as record:
        _quiet_fit_ignoring_convergence(X, y)
    w = next(r.message for r in record if isinstance(r.message, IllConditionedWarning))
    assert "nearly collinear" in str(w) and w.fields["collinear_columns"] == []
    assert "alpha" in str(w)


def _quiet_fit_ignoring_convergence(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotConvergedWarning)
        return LinearRegression(lr="auto", n_iters=10, random_state=0).fit(X, y)
