"""The reference optimum everywhere: in memory, from files, from Dask; the diagnostics' gap.

The designs and the exact rational oracle are tests/_exact.py's (the same as
tests/test_accuracy.py). Where the scaled condition number exceeds
``NORMAL_EQUATIONS_MAX_KAPPA`` the reference goes back to the rows: a QR of
the in-memory data refined once, or, for files and Dask, a TSQR pass and
refinement passes in double-double. Well-conditioned data stays on the
normal equations (no extra pass).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _exact import digits, exact_lstsq
from test_accuracy import DESIGNS, MIN_DIGITS, _design, _lstsq

from lingrad import LinearRegression
from lingrad._objective import Penalty, StatsLeastSquares
from lingrad._optimum import (
    NORMAL_EQUATIONS,
    NORMAL_EQUATIONS_MAX_KAPPA,
    QR_REFINED,
    TSQR_REFINED,
    reference_theta,
    scaled_condition,
)
from lingrad._sources import ChunkedSource
from lingrad._sources.files import open_dataset
from lingrad._stats import SufficientStats


def _xy(name):
    X, y = _design(name)
    return X, y[:, None]


#: Designs whose scaled condition number sends the reference to the rows.
HARD = [
    (name, fi)
    for name in sorted(DESIGNS)
    for fi in (True, False)
    if scaled_condition(SufficientStats.from_arrays(*_xy(name)), fi) > NORMAL_EQUATIONS_MAX_KAPPA
]
#: Streamed digits on the degree-10 polynomial on [-9, -3] with an intercept
#: (scaled condition number 3.8e9): measured 7.3 to 8.3 with chunks of 7 rows,
#: where numpy.linalg.lstsq gets 0. Every other design reaches MIN_DIGITS.
STREAMED_FLOOR = {("poly10[-9,-3]", True): 7.0}


def _write_csv(path, X, y):
    cols = [f"x{j}" for j in range(X.shape[1])]
    lines = [",".join([*cols, "y"])]
    lines += [",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _check_digits(name, fi, theta):
    X, y = _design(name)
    exact = exact_lstsq(X, y, fi)
    ours = digits(theta[:, 0], exact)
    theirs = digits(_lstsq(X, y, fi), exact)
    floor = STREAMED_FLOOR.get((name, fi), MIN_DIGITS)
    assert ours >= floor, f"{name}: {ours:.1f} digits (lstsq {theirs:.1f})"
    assert ours >= min(theirs, 15.0) - 0.5, f"{name}: {ours:.1f} digits, lstsq {theirs:.1f}"
    return ours


def test_the_hard_designs_are_the_ill_conditioned_ones():
    names = {name for name, _ in HARD}
    assert {"poly10[-9,-3]", "poly10[1,21]", "poly5[1,21]", "poly5 noisy"} <= names
    assert ("perfect fit", True) not in HARD and ("poly2[1,21]", True) not in HARD


@pytest.mark.parametrize(("name", "fi"), HARD)
def test_reference_from_a_file_reaches_the_in_memory_digits(tmp_path, name, fi):
    X, y = _design(name)
    ds = open_dataset(_write_csv(tmp_path / "d.csv", X, y), target="y", chunk_rows=7)
    stats = ds.sufficient_stats()
    ref = reference_theta(stats, fi, data=ds)
    assert ref.method == TSQR_REFINED and ref.passes >= 2
    _check_digits(name, fi, ref.theta)


@pytest.mark.parametrize(("name", "fi"), HARD)
def test_reference_from_dask_reaches_the_in_memory_digits(name, fi):
    da = pytest.importorskip("dask.array")
    from lingrad._sources import as_source

    X, y = _design(name)
    rows = max(4, len(X) // 5)
    source = as_source(da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows))
    assert source.n_blocks >= 4
    ref = reference_theta(source.sufficient_stats(), fi, data=source)
    assert ref.method == TSQR_REFINED
    _check_digits(name, fi, ref.theta)


@pytest.mark.parametrize(("name", "fi"), HARD)
def test_in_memory_reference_is_qr_refined_to_the_exact_digits(name, fi):
    X, Y = _xy(name)
    ref = reference_theta(SufficientStats.from_arrays(X, Y), fi, data=(X, Y, None))
    assert ref.method == QR_REFINED
    _check_digits(name, fi, ref.theta)


def _fit(X, y, fi):
    params = {"lr": "auto", "optimizer": "nesterov", "n_iters": 200, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ill-conditioned, not converged: not the point here
        return LinearRegression(fit_intercept=fi, **params).fit(X, y)


def _exact_of(model):
    d = model.diagnostics_
    coef = np.atleast_1d(d.exact_coef)
    return np.append(coef, d.exact_intercept) if model.fit_intercept else coef


@pytest.mark.parametrize(("name", "fi"), HARD)
def test_diagnostics_exact_coef_reaches_the_reference_digits(name, fi):
    X, y = _design(name)
    model = _fit(X, y, fi)
    assert model.diagnostics_.reference_method == QR_REFINED
    exact = exact_lstsq(X, y, fi)
    assert digits(_exact_of(model), exact) >= MIN_DIGITS


@pytest.mark.parametrize(("name", "fi"), HARD)
def test_diagnostics_from_a_file_say_they_read_it_again(tmp_path, name, fi):
    X, y = _design(name)
    ds = open_dataset(_write_csv(tmp_path / "d.csv", X, y), target="y", chunk_rows=16)
    model = _fit(ds, None, fi)
    assert model.diagnostics_.reference_method == TSQR_REFINED
    exact = exact_lstsq(X, y, fi)
    assert digits(_exact_of(model), exact) >= STREAMED_FLOOR.get((name, fi), MIN_DIGITS)


def test_well_conditioned_data_take_no_extra_pass():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 5)) + 3.0
    y = X @ rng.standard_normal(5) + rng.standard_normal(500)
    assert scaled_condition(SufficientStats.from_arrays(X, y[:, None]), True) < 10
    assert _fit(X, y, True).diagnostics_.reference_method == NORMAL_EQUATIONS
    passes = []

    def chunks():
        passes.append(1)
        yield X, y[:, None], None

    source = ChunkedSource(chunks, 5)
    ref = reference_theta(source.sufficient_stats(), True, data=source)
    assert ref.method == NORMAL_EQUATIONS and ref.passes == 0 and len(passes) == 1


def test_rows_that_are_not_the_statistics_fall_back_to_the_normal_equations():
    X, Y = _xy("poly5[1,21]")
    stats = SufficientStats.from_arrays(X, Y)
    source = ChunkedSource(lambda: iter([(X[:-1], Y[:-1], None)]), X.shape[1])
    ref = reference_theta(stats, True, data=source)
    assert ref.method == NORMAL_EQUATIONS


# -- the diagnostics' gap -------------------------------------------------------------------------
#: Relative gaps above which the reported gap is within a factor of 10 of the true one: 1e-12
#: (the issue's target) on every design but the degree-10 polynomial on [-9, -3] without
#: intercept, whose in-memory reference is accurate to 3e-10 relative (9.4 digits): its gaps
#: are reported within 10x from 1e-9 up.
GAP_FLOOR = {("poly10[-9,-3]", False): 1e-10}


def _diagnose_at(X, y, fi, theta):
    from lingrad._diagnostics import Solved, diagnose
    from lingrad._solve import FitResult

    Y = y[:, None]
    stats = SufficientStats.from_arrays(X, Y)
    res = FitResult(theta, theta, 1, False, "max_iter", np.zeros(1), 1.0, 1.0, 1.0)
    problem = StatsLeastSquares(stats, fi, Penalty())
    return diagnose(
        Solved(problem, res, stats, "stats", "gd", 1.0, 1.0, 0.5, 2.0, None, True, (X, Y, None))
    )


@pytest.mark.parametrize("fi", [True, False])
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_reported_gap_is_within_10x_of_the_true_gap(name, fi):
    X, y = _design(name)
    exact = exact_lstsq(X, y, fi)
    scale = float(np.abs(exact).max())
    u = np.random.default_rng(3).uniform(-1, 1, exact.size)
    u[np.argmax(np.abs(u))] = 1.0
    for rel in (1e-3, 1e-6, 1e-9, 1e-12):
        theta = exact + rel * scale * u
        true = float(np.abs(theta - exact).max())
        if true <= GAP_FLOOR.get((name, fi), 1e-12) * scale:
            continue
        d = _diagnose_at(X, y, fi, theta[:, None])
        assert true / 10 <= d.max_coef_gap <= 10 * true, f"{name} at {rel:g}: {d.max_coef_gap}"


# -- model files ----------------------------------------------------------------------------------
def test_reference_method_is_saved_and_old_files_without_it_load(tmp_path):
    from lingrad._modelfile.build import build
    from lingrad._modelfile.encode import document
    from lingrad._modelfile.validate import Fields

    X, y = _design("poly5[1,21]")
    model = _fit(X, y, True)
    doc = document(model)
    assert doc["diagnostics"]["reference_method"] == QR_REFINED
    assert build(Fields("new"), doc).state.diagnostics.reference_method == QR_REFINED
    del doc["diagnostics"]["reference_method"]  # a file saved before the field existed
    old = build(Fields("old"), doc).state.diagnostics
    assert old.reference_method == NORMAL_EQUATIONS
    np.testing.assert_array_equal(old.exact_coef, model.diagnostics_.exact_coef)


def test_direct_engine_has_no_reference():
    X, y = _design("poly2[1,21]")
    d = LinearRegression(engine="direct", lr="auto", n_iters=5).fit(X, y).diagnostics_
    assert d.reference_method == "none" and np.isnan(d.max_coef_gap)


# -- weights, several targets, penalties ------------------------------------------------------
def _chunked(X, Y, w, rows=6):
    def chunks():
        for i in range(0, len(X), rows):
            yield X[i : i + rows], Y[i : i + rows], None if w is None else w[i : i + rows]

    return ChunkedSource(chunks, X.shape[1], Y.shape[1], one_d=False)


def test_weighted_multi_target_reference_from_chunks():
    X, y = _design("poly5[1,21]")
    w = np.linspace(0.5, 2.0, len(y))
    Y = np.column_stack([y, 2 * y - X[:, 0]])
    source = _chunked(X, Y, w)
    ref = reference_theta(source.sufficient_stats(), True, data=source)
    assert ref.method == TSQR_REFINED
    sw = np.sqrt(w)
    A = np.column_stack([X, np.ones(len(X))]) * sw[:, None]
    for j in range(2):
        exact = exact_lstsq(A, Y[:, j] * sw, fit_intercept=False)
        assert digits(ref.theta[:, j], exact) >= MIN_DIGITS


@pytest.mark.parametrize("fi", [True, False])
def test_ridge_reference_adds_the_penalty_rows(fi):
    X, y = _design("poly5[1,21]")
    S, l2 = len(y), 1e-3
    stats = SufficientStats.from_arrays(X, y[:, None])
    assert scaled_condition(stats, fi, l2) > NORMAL_EQUATIONS_MAX_KAPPA
    penalty = Penalty(l2, 0.0)
    ref = reference_theta(stats, fi, penalty, data=_chunked(X, y[:, None], None))
    assert ref.method == TSQR_REFINED
    # the oracle: rows sqrt(S l2) e_j (coefficients only) under the design, targets 0
    f = X.shape[1]
    A = np.column_stack([X, np.ones(len(X))]) if fi else X
    rows = np.zeros((f, A.shape[1]))
    rows[:, :f] = np.eye(f) * np.sqrt(S * l2)
    exact = exact_lstsq(np.vstack([A, rows]), np.append(y, np.zeros(f)), fit_intercept=False)
    assert digits(ref.theta[:, 0], exact) >= MIN_DIGITS


def test_l1_reference_starts_from_the_accurate_smooth_optimum():
    """The proximal solve in feature space runs from the rows' smooth optimum and converges
    where it can (here a moderately conditioned design; on the raw polynomials the L1 solve
    itself, O(f^2) iterations in raw coordinates, is the limit)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 4)) @ np.diag([1.0, 10.0, 0.1, 3.0]) + 5.0
    y = X @ np.array([1.0, 0.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(80)
    stats = SufficientStats.from_arrays(X, y[:, None])
    problem = StatsLeastSquares(stats, True, Penalty(1e-2, 0.5))
    ref = reference_theta(stats, True, problem.penalty, (X, y[:, None], None), accurate=True)
    assert ref.method == QR_REFINED
    # optimality of the elastic net: the smooth gradient is -l1 sign(W) where W is nonzero
    g = problem.grad_mse(ref.theta)[0][:, 0]
    W = ref.theta[:-1, 0]
    on = W != 0
    assert on.any() and abs(g[-1]) < 1e-9
    np.testing.assert_allclose(g[:-1][on], -problem.penalty.l1 * np.sign(W[on]), rtol=1e-6)
    assert (np.abs(g[:-1][~on]) <= problem.penalty.l1 * (1 + 1e-6)).all()
