"""Iteration estimates consistent with lingrad's stopping rule and the methods that run.

Both estimates (``diagnostics_.est_iters_gd``, ``est_iters_nesterov``) are upper
bounds on the iterations to bring the stopping measure from the fit's start to
``tol``; the printed report says which ``tol`` they refer to and where it came from.
"""

import math
import warnings

import numpy as np
import pytest

from lingrad import LinearRegression, load_model
from lingrad._estimates import gd_iterations, nesterov_iterations
from lingrad.datasets import make_tutorial_data

TOLS = [1e-6, 1e-8, 1e-10, 1e-12]


def _fit(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LinearRegression(random_state=np.random.RandomState(4), **kw).fit(X, y)


@pytest.mark.parametrize("tol", TOLS)
def test_on_the_tutorial_nesterov_is_estimated_faster_and_both_bound_the_runs(tol):
    X, y = make_tutorial_data()
    kw = dict(lr="auto", precondition="none", tol=tol, n_iters=10_000)
    gd, nag = _fit(X, y, **kw), _fit(X, y, optimizer="nesterov", **kw)
    assert gd.converged_ and nag.converged_ and nag.n_iter_ <= gd.n_iter_  # Nesterov is faster
    d = gd.diagnostics_
    assert d.est_iters_nesterov <= d.est_iters_gd  # ... and its estimate says so
    assert nag.diagnostics_.est_iters_nesterov == d.est_iters_nesterov  # same problem, same bound
    # upper bounds, and tight here (two modes; the start's error lies mostly along the slow one)
    assert gd.n_iter_ <= d.est_iters_gd <= gd.n_iter_ + 2
    assert nag.n_iter_ <= d.est_iters_nesterov <= nag.n_iter_ + 2


def test_the_tutorials_classic_fit_estimates_its_own_run():
    X, y = make_tutorial_data()
    model = _fit(X, y, lr=0.01, tol=1e-10, n_iters=10_000)
    d = model.diagnostics_
    assert model.n_iter_ <= d.est_iters_gd <= 1.02 * model.n_iter_
    assert d.est_iters_nesterov < 20 < d.est_iters_gd


@pytest.mark.parametrize("kappa", [3.0, 50.0, 2000.0])
def test_the_estimates_bound_the_iterations_on_conditioned_designs(kappa):
    rng = np.random.default_rng(int(kappa))
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    X = rng.normal(size=(400, 4))
    X = (X - X.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(X.T, bias=True)).T)
    X = X @ np.diag(np.sqrt(np.geomspace(1.0, 1.0 / kappa, 4))) @ Q.T  # Hessian eigenvalues
    y = X @ rng.normal(size=4) + 0.1 * rng.normal(size=400)
    for tol in (1e-6, 1e-10):
        kw = dict(lr="auto", precondition="none", tol=tol, n_iters=200_000)
        gd, nag = _fit(X, y, **kw), _fit(X, y, optimizer="nesterov", **kw)
        assert gd.converged_ and nag.converged_
        assert gd.diagnostics_.condition_number == pytest.approx(kappa, rel=0.05)
        assert gd.n_iter_ <= gd.diagnostics_.est_iters_gd
        assert nag.n_iter_ <= gd.diagnostics_.est_iters_nesterov
        assert gd.diagnostics_.est_iters_nesterov <= gd.diagnostics_.est_iters_gd


def test_the_formulas_against_brute_force():
    for kappa in (1.18, 4.0, 100.0, 1e4):
        r = 1 - 1 / math.sqrt(kappa)
        for start, tol in ((0.97, 1e-10), (3.0, 1e-4), (1e-3, 1e-12)):
            k = 1
            while r**k * (1 + k * (1 - r)) * start > tol:
                k += 1
            assert nesterov_iterations(kappa, start, tol) == k
            rho, k = 1 - 1 / kappa, 1
            while rho**k * start > tol:
                k += 1
            assert gd_iterations(1.0, 1.0, 1 / kappa, start, tol) == k
    assert nesterov_iterations(1.0, 1.0, 1e-10) == 1 == gd_iterations(1.0, 1.0, 1.0, 1.0, 1e-10)
    assert nesterov_iterations(4.0, 1e-12, 1e-10) == 0  # the start is within tol already
    assert gd_iterations(2.5, 1.0, 0.5, 1.0, 1e-8) == math.inf  # lr beyond 2/L
    assert math.isnan(gd_iterations(0.1, 1.0, math.nan, 1.0, 1e-8))
    assert math.isinf(nesterov_iterations(math.inf, 1.0, 1e-8))
    assert 2e16 < nesterov_iterations(1e30, 1.0, 1e-10) < 3e16  # float-safe at any kappa


def test_the_printed_report_says_which_tol_and_why():
    X, y = make_tutorial_data()
    untold = str(_fit(X, y).diagnostics_)
    assert "iteration estimates to" in untold
    assert "tol=1e-08 (default for the estimate: no tol set)" in untold
    assert untold.count("tol=") == 1
    told = str(_fit(X, y, lr="auto", tol=1e-10).diagnostics_)
    assert "tol=1e-10 (the fit's)" in told and "default" not in told
    assert "GD at this lr, at most" in told and "Nesterov at lr=1/L, at most" in told
    direct = str(_fit(X, y, engine="direct", n_iters=10).diagnostics_)
    assert "unknown (no smallest eigenvalue)" in direct


def test_the_fits_tol_round_trips_through_model_files(tmp_path):
    X, y = make_tutorial_data()
    for tol in (None, 1e-9):
        model = _fit(X, y, lr="auto", tol=tol)
        model.save(tmp_path / "m.json")
        loaded = load_model(tmp_path / "m.json").diagnostics_
        assert str(loaded) == str(model.diagnostics_)
        assert (math.isnan(loaded.fit_tol) and tol is None) or loaded.fit_tol == tol
