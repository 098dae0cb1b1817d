"""Converged fits against the exact rational oracle: in memory, from files, on Dask, by batches.

``LinearRegression(lr="auto", optimizer="nesterov", tol=1e-12, n_iters=100_000)``
on the raw columns of tests/_exact.py's ill-conditioned designs. A converged
preconditioned fit finishes at the reference optimum (``_fitting.finish``), so
its coefficients have the reference's digits (at least 7, never 0.5 digit
behind ``numpy.linalg.lstsq``); ``summary()`` gives standard errors, residual
SD and R² to at least 6 digits. Streamed fits (files, Dask) read the rows again
where the merged statistics hold too few digits (the offsets design among them)
and finish there. ``partial_fit`` keeps no rows, so its reference is the
statistics' normal equations: it promises those digits only where the scaled
condition number is at most ``NORMAL_EQUATIONS_MAX_KAPPA``, and elsewhere says
``stop_reason_ == 'statistics-limited'`` (not converged) rather than claim digits
the statistics do not hold (docs/guarantees.md).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _exact import digits, exact_inference, exact_lstsq, exact_normal_solve, scaled_digits
from test_accuracy import DESIGNS, _design, _lstsq

from lingrad import LinearRegression, load_model, save_model
from lingrad._convergence import STATISTICS_LIMITED, StatisticsLimitedWarning
from lingrad._diagnostics import NotConvergedWarning
from lingrad._inference_compute import fit_ssr
from lingrad._optimum import (
    NORMAL_EQUATIONS,
    NORMAL_EQUATIONS_MAX_KAPPA,
    NORMAL_REFINED,
    QR_REFINED,
    REFINE_MIN_KAPPA,
    STATISTICS_MAX_ERROR,
    TSQR_REFINED,
    scaled_condition,
    statistics_error,
)
from lingrad._sources.files import open_dataset
from lingrad._stats import SufficientStats

CONVERGE = {"lr": "auto", "optimizer": "nesterov", "tol": 1e-12, "n_iters": 100_000}
MIN_COEF_DIGITS, MIN_INFERENCE_DIGITS = 7.0, 6.0
CASES = [(name, fi) for name in sorted(DESIGNS) for fi in (True, False)]
#: Streamed fits (files, Dask) on every design: the offsets design's merged statistics
#: hold about 8 digits, so the reference reads the rows again and the fit finishes there.
STREAMED = CASES
OFFSETS = "offsets 1e6, scales 1e-3..1e5"


def _fit(X, y, fi, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # conditioning warnings: not the point here
        return LinearRegression(fit_intercept=fi, random_state=0, **CONVERGE, **kw).fit(X, y)


def _theta(model, fi):
    return np.append(model.coef_, model.intercept_) if fi else np.asarray(model.coef_)


def _check_coef(name, fi, model):
    """At least 7 digits; never 0.5 digit behind lstsq where the reference read the rows
    (or refined from them); on the statistics alone, the normal equations' bound."""
    X, y = _design(name)
    exact = exact_lstsq(X, y, fi)
    ours = digits(_theta(model, fi), exact)
    theirs = digits(_lstsq(X, y, fi), exact)
    assert model.converged_, name
    assert ours >= MIN_COEF_DIGITS, f"{name}: {ours:.1f} digits (lstsq {theirs:.1f})"
    if model.diagnostics_.reference_method == NORMAL_EQUATIONS:
        # streamed, well-conditioned: no second pass; kappa**2 eps, two digits of margin
        kappa = scaled_condition(model.stats_, fi)
        assert ours >= 14.0 - 2 * math.log10(kappa), f"{name}: {ours:.1f}, kappa {kappa:.3g}"
    else:
        assert ours >= min(theirs, 15.0) - 0.5, f"{name}: {ours:.1f} digits, lstsq {theirs:.1f}"


def _inference_digits(summary, name, fi):
    X, y = _design(name)
    ex = exact_inference(X, y, fi)
    bse = np.asarray(summary.bse)  # a Series indexed by name when pandas is installed
    se = np.append(bse[1:], bse[0]) if fi else bse
    r2 = ex.r2_centred if summary.k_constant else ex.r2_uncentred
    return {
        "se": scaled_digits(se, ex.se, ex.se_scale),
        "resid_sd": scaled_digits(summary.resid_std_err, ex.resid_sd, ex.sd_scale),
        "r2": digits(summary.rsquared, r2),
    }


def _check_inference(summary, name, fi):
    got = _inference_digits(summary, name, fi)
    assert min(got.values()) >= MIN_INFERENCE_DIGITS, (name, got)


# -- in memory ------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "fi"), CASES)
def test_converged_fit_finishes_at_the_reference(name, fi):
    X, y = _design(name)
    model = _fit(X, y, fi)
    _check_coef(name, fi, model)
    d = model.diagnostics_
    np.testing.assert_array_equal(model.coef_, d.exact_coef)
    assert d.max_coef_gap == 0.0 and model.fit_result_.measure == 0.0
    assert d.refined == (d.reference_method != NORMAL_EQUATIONS)
    assert model.n_iter_ == model.fit_result_.n_iter  # the descent's count


@pytest.mark.parametrize(("name", "fi"), CASES)
def test_summary_of_the_converged_fit_has_six_digits(name, fi):
    X, y = _design(name)
    _check_inference(_fit(X, y, fi).summary(), name, fi)


def test_the_offsets_design_without_intercept_converges():
    # the stopping rule measures from the optimum the descent can reach (its statistics'),
    # the rows' more accurate one is where it finishes: it used to run out of iterations
    X, y = _design("offsets 1e6, scales 1e-3..1e5")
    model = _fit(X, y, False)
    assert model.converged_ and model.n_iter_ < 100
    assert model.diagnostics_.reference_method == QR_REFINED
    _check_coef("offsets 1e6, scales 1e-3..1e5", False, model)


def test_raw_settings_keep_the_descents_own_answer():
    X, y = _design("poly2[1,21]")
    model = _fit(X, y, True, precondition="none")
    assert not model.diagnostics_.refined
    assert model.diagnostics_.max_coef_gap > 0  # not moved to the reference


def test_moderate_conditioning_in_memory_refines_the_normal_equations_once():
    X, y = _design("poly2[1,21]")
    stats = SufficientStats.from_arrays(X, y[:, None])
    kappa = scaled_condition(stats, True)
    assert REFINE_MIN_KAPPA < kappa <= NORMAL_EQUATIONS_MAX_KAPPA
    d = _fit(X, y, True).diagnostics_
    assert d.reference_method == NORMAL_REFINED and d.refined
    rng = np.random.default_rng(0)
    Xw = rng.normal(size=(200, 5))
    easy = _fit(Xw, Xw @ np.arange(1.0, 6.0) + rng.normal(size=200), True).diagnostics_
    assert easy.reference_method == NORMAL_EQUATIONS and not easy.refined


# -- the residual sum of squares from the rows ----------------------------------------------
def test_rows_ssr_is_the_exact_one_and_is_saved(tmp_path):
    X, y = _design("poly5[1,21]")
    model = _fit(X, y, False)
    _, _, theta, _ = exact_normal_solve(X, y, False)
    ssr = model.diagnostics_.exact_ssr
    exact = float(
        sum(
            (v - sum(float(t) * x for t, x in zip(theta, r, strict=True))) ** 2
            for v, r in zip(y, X, strict=True)
        )
    )
    assert isinstance(ssr, float) and ssr == pytest.approx(exact, rel=1e-6)
    loaded = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded.diagnostics_.exact_ssr == ssr
    _check_inference(loaded.summary(), "poly5[1,21]", False)


def test_rows_ssr_per_target_round_trips(tmp_path):
    X, y = _design("poly5[1,21]")
    Y = np.column_stack([y, 2 * y])
    model = _fit(X, Y, False)
    ssr = model.diagnostics_.exact_ssr
    assert ssr.shape == (2,) and ssr[1] == pytest.approx(4 * ssr[0], rel=1e-9)
    loaded = load_model(save_model(model, tmp_path / "m.json"))
    np.testing.assert_array_equal(loaded.diagnostics_.exact_ssr, ssr)


def test_rows_ssr_is_only_used_for_the_coefficients_it_was_summed_for():
    X, y = _design("poly5[1,21]")
    model = _fit(X, y, False)
    theta = np.asarray(model.coef_, dtype=np.float64)
    assert fit_ssr(model, 0, theta, False) == model.diagnostics_.exact_ssr
    moved = theta.copy()
    moved[0] = np.nextafter(moved[0], math.inf)
    assert fit_ssr(model, 0, moved, False) is None


# -- files ------------------------------------------------------------------------------------
def _write_csv(path, X, y):
    cols = [f"x{j}" for j in range(X.shape[1])]
    lines = [",".join([*cols, "y"])]
    lines += [",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_parquet(path, X, y):
    pa = pytest.importorskip("pyarrow", reason="Parquet files need pyarrow")
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet files need pyarrow")
    cols = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    pq.write_table(pa.table({**cols, "y": y}), path, row_group_size=9)
    return path


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("name", "fi"), STREAMED)
def test_converged_fit_from_a_file(tmp_path, fmt, name, fi):
    X, y = _design(name)
    write = _write_csv if fmt == "csv" else _write_parquet
    ds = open_dataset(write(tmp_path / f"d.{fmt}", X, y), target="y", chunk_rows=7)
    model = _fit(ds, None, fi)
    _check_coef(name, fi, model)
    d = model.diagnostics_
    kappa = scaled_condition(model.stats_, fi)
    # the rule: the scaled condition number, or the digits the merged chunks' means cost
    second_pass = statistics_error(model.stats_, kappa, merged=True) > STATISTICS_MAX_ERROR
    assert d.reference_method == (TSQR_REFINED if second_pass else NORMAL_EQUATIONS)
    if kappa > NORMAL_EQUATIONS_MAX_KAPPA:
        assert second_pass
    assert d.refined == second_pass  # converged: finished at the second pass's reference
    _check_inference(model.summary(ds), name, fi)  # with the file: its residuals


# -- Dask ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "fi"), STREAMED)
def test_converged_fit_on_dask(name, fi):
    da = pytest.importorskip("dask.array", reason="Dask fits need dask")
    X, y = _design(name)
    rows = max(4, len(X) // 5)
    Xd, yd = da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)
    model = _fit(Xd, yd, fi)
    _check_coef(name, fi, model)
    kappa = scaled_condition(model.stats_, fi)
    if kappa > NORMAL_EQUATIONS_MAX_KAPPA:
        assert model.diagnostics_.reference_method == TSQR_REFINED
    second_pass = statistics_error(model.stats_, kappa, merged=True) > STATISTICS_MAX_ERROR
    assert model.diagnostics_.refined == second_pass


# -- partial_fit: no second pass ------------------------------------------------------------------
#: The designs whose statistics alone hold the reference's digits.
WELL_SCALED = [
    (n, fi)
    for n, fi in CASES
    if scaled_condition(SufficientStats.from_arrays(*_design(n)), fi) <= NORMAL_EQUATIONS_MAX_KAPPA
]


def _batches(name, fi, record=None, **kw):
    X, y = _design(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(fit_intercept=fi, random_state=0, **{**CONVERGE, **kw})
        for i in range(0, len(X), 10):
            model.partial_fit(X[i : i + 10], y[i : i + 10])
        model.diagnostics_  # noqa: B018  (the deferred solve runs here, warnings and all)
    if record is not None:
        record.extend(w.message for w in caught)
    return model


def test_partial_fit_cases_cover_the_easy_and_the_hard():
    assert len(WELL_SCALED) >= 6 and len(WELL_SCALED) < len(CASES)


@pytest.mark.parametrize(("name", "fi"), WELL_SCALED)
def test_partial_fit_reaches_the_digits_where_the_statistics_hold_them(name, fi):
    model = _batches(name, fi)
    _check_coef(name, fi, model)
    assert model.diagnostics_.reference_method == NORMAL_EQUATIONS  # no rows kept
    _check_inference(model.summary(), name, fi)


@pytest.mark.parametrize("name", ["poly10[-9,-3]", "poly5[1,21]"])
def test_partial_fit_says_its_reference_is_the_statistics_and_summary_takes_the_rows(name):
    model = _batches(name, True)
    X, y = _design(name)
    assert model.diagnostics_.reference_method == NORMAL_EQUATIONS
    assert scaled_condition(model.stats_, True) > NORMAL_EQUATIONS_MAX_KAPPA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = model.summary(X, y)  # with the rows the summary factors them and says so
    _check_inference(s, name, True)
    assert model.diagnostics_.exact_ssr is None  # no rows were kept to sum


@pytest.mark.parametrize("tol", [1e-12, 1e-6])
@pytest.mark.parametrize(("name", "fi"), CASES)
def test_partial_fit_never_says_converged_with_fewer_digits_than_tol(name, fi, tol):
    caught = []
    model = _batches(name, fi, caught, tol=tol)
    X, y = _design(name)
    ours = digits(_theta(model, fi), exact_lstsq(X, y, fi))
    d = model.diagnostics_
    limited = [w for w in caught if isinstance(w, StatisticsLimitedWarning)]
    assert d.reference_digits <= ours + 0.1  # the estimate never claims digits not there
    if model.converged_:
        assert ours >= -math.log10(tol), f"{name}: converged with {ours:.1f} digits"
        assert not limited
    else:
        assert model.stop_reason_ == STATISTICS_LIMITED, (name, model.stop_reason_)
        assert len(limited) == 1 and limited[0].fields["digits"] == d.reference_digits
        text = str(limited[0])
        assert f"about {d.reference_digits:.1f} correct digits" in text
        assert "in memory" in text and "open_dataset" in text
        assert d.reference_digits < -math.log10(tol)
    if (name, fi) in WELL_SCALED:
        assert model.converged_  # well-conditioned statistics hold the digits


def test_partial_fit_of_the_offsets_design_is_statistics_limited_and_says_how_to_fix_it(
    tmp_path,
):
    caught = []
    model = _batches(OFFSETS, False, caught)
    X, y = _design(OFFSETS)
    assert digits(_theta(model, False), exact_lstsq(X, y, False)) < 1.0  # nothing right
    assert not model.converged_ and model.stop_reason_ == STATISTICS_LIMITED
    assert "statistics" in model.fit_result_.message
    (warning,) = [w for w in caught if isinstance(w, StatisticsLimitedWarning)]
    assert isinstance(warning, NotConvergedWarning)  # a scikit-learn ConvergenceWarning
    assert "centre the columns" in str(warning)  # without an intercept, offsets are the cause
    assert model.diagnostics_.reference_digits < 1.0
    assert "correct digits (est.)" in str(model.diagnostics_)
    # the same rows fitted in memory or streamed from a file do reach the digits
    _check_coef(OFFSETS, False, _fit(X, y, False))
    # saved and loaded, the verdict stays
    assert load_model(save_model(model, tmp_path / "m.json")).stop_reason_ == STATISTICS_LIMITED


def test_streamed_offsets_fit_says_a_second_pass_was_made(tmp_path):
    X, y = _design(OFFSETS)
    ds = open_dataset(_write_csv(tmp_path / "d.csv", X, y), target="y", chunk_rows=7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(random_state=0, **CONVERGE).fit(ds)
    assert not [w for w in caught if isinstance(w.message, NotConvergedWarning)]
    d = model.diagnostics_
    assert model.converged_ and d.reference_method == TSQR_REFINED and d.refined
    assert "second pass" in model.fit_result_.message
    assert ("exact optimum from", TSQR_REFINED) in d.rows()  # the CLI's diagnostics table
    # the statistics alone hold fewer digits than the rows' reference: the merge
    kappa = scaled_condition(model.stats_, True)
    assert kappa <= NORMAL_EQUATIONS_MAX_KAPPA
    assert statistics_error(model.stats_, kappa, merged=True) > STATISTICS_MAX_ERROR
    assert statistics_error(model.stats_, kappa) <= STATISTICS_MAX_ERROR


def test_a_streamed_fit_far_from_its_statistics_optimum_is_not_finished(tmp_path):
    X, y = _design(OFFSETS)
    ds = open_dataset(_write_csv(tmp_path / "d.csv", X, y), target="y", chunk_rows=7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(random_state=0, **{**CONVERGE, "n_iters": 3}).fit(ds)
    assert not model.converged_ and model.stop_reason_ == "max_iter"
    assert model.diagnostics_.max_coef_gap > 0 and not model.diagnostics_.refined
    assert [w for w in caught if isinstance(w.message, NotConvergedWarning)]


# -- dense wide data: one decomposition -------------------------------------------------------
def test_a_wide_well_conditioned_fit_decomposes_once(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 80)) * rng.uniform(0.1, 10.0, size=80) + 5.0
    y = X @ rng.normal(size=80) + rng.normal(size=2000)
    calls = {"eigh": 0, "eigvalsh": 0, "svd": 0}
    for name in calls:
        real = getattr(np.linalg, name)

        def counted(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(np.linalg, name, counted)
    model = _fit(X, y, True)
    monkeypatch.undo()
    # eigenvalues of the scaled Hessian (preconditioner, rank, reference's condition)
    # and of the raw one (its condition number); no eigenvectors, no SVD
    assert calls == {"eigh": 0, "eigvalsh": 2, "svd": 0}
    assert model.converged_ and model.diagnostics_.reference_method == NORMAL_EQUATIONS
    A = np.column_stack([X, np.ones(len(X))])
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(_theta(model, True), expected, rtol=1e-10, atol=1e-12)
    assert model.diagnostics_.raw_condition_number > 1e3  # offsets and scales: raw is poor


# -- diagnosis without an intercept: offsets are scale, not collinearity --------------------
def _ill_conditioned(X, y, fi):
    from lingrad._diagnostics import IllConditionedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LinearRegression(fit_intercept=fi, random_state=0, **CONVERGE).fit(X, y)
    return [w.message for w in caught if isinstance(w.message, IllConditionedWarning)]


def test_offsets_without_an_intercept_are_badly_scaled_not_collinear():
    X, y = _design(OFFSETS)
    (warning,) = _ill_conditioned(X, y, False)
    assert "badly scaled" in str(warning) and "not collinearity" in str(warning)
    assert not warning.fields["collinear_columns"]
    assert warning.fields["scaled_condition_number"] < 10  # once centred and scaled


def test_columns_collinear_once_centred_keep_the_collinear_diagnosis():
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    X = np.column_stack([x + 1e6, 2 * x + 2e6, rng.normal(size=40)])  # one column twice
    (warning,) = _ill_conditioned(X, X[:, 2] + rng.normal(size=40), False)
    assert "collinear" in str(warning) and warning.fields["collinear_columns"] == [0, 1]
