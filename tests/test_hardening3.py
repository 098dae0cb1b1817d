"""Hardening, third pass (issue 11): weights of any scale, extreme valid parameters, wide data.

Each class is tested with several inputs, not one example: all-equal weights at six scales
(subnormal to the largest float64) on every path that takes weights, unequal weights of
extreme scale against the same weights rescaled, and every numeric parameter of
``lingrad._params.PARAMETERS`` at both ends of its range.
"""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from lingrad import LinearRegression, SufficientStats, open_dataset
from lingrad._params import PARAMETERS
from lingrad._stats import normalised_weights, weight_exponent

SCALES = [5e-324, 1e-300, 1e-200, 1.0, 1e200, 1e308]
EXACT = {"lr": "auto", "tol": 1e-12, "n_iters": 100_000, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(60, 3, noise=5.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def unweighted(data):
    return LinearRegression(**EXACT).fit(*data)


def _close(model, reference, rtol=1e-9):
    scale = max(np.abs(reference.coef_).max(), abs(float(reference.intercept_)))
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=rtol * scale)


def _write_csv(path, X, y, w):
    rows = ["a,b,c,y,w"] + [
        ",".join(repr(float(v)) for v in (*x, t, s)) for x, t, s in zip(X, y, w, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def _quiet_fit(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return make()


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_equal_weights_of_any_scale_give_the_unweighted_fit_in_memory(
    data, unweighted, scale, engine, capfd
):
    X, y = data
    model = _quiet_fit(
        lambda: LinearRegression(**EXACT, engine=engine).fit(X, y, sample_weight=np.full(60, scale))
    )
    _close(model, unweighted, 1e-9)
    assert capfd.readouterr().err == ""  # LAPACK printed "DLASCL parameter 4" on 1e308


@pytest.mark.parametrize("scale", SCALES)
def test_equal_weights_of_any_scale_in_partial_fit_files_and_summary(
    data, unweighted, scale, tmp_path, capfd
):
    X, y = data
    w = np.full(60, scale)
    online = LinearRegression(**EXACT)
    for start in range(0, 60, 20):
        online.partial_fit(X[start : start + 20], y[start : start + 20], w[start : start + 20])
    _close(online, unweighted)
    path = _write_csv(tmp_path / "w.csv", X, y, w)
    for engine in ("stats", "direct"):  # direct: every pass, the stopping measure, the scaling
        ds = open_dataset(path, target="y", weight="w", chunk_rows=16)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # converges, and says nothing
            _close(LinearRegression(**EXACT, engine=engine).fit(ds), unweighted)
    model = LinearRegression(**EXACT).fit(X, y, sample_weight=w)
    got, want = model.summary(X, y, sample_weight=w), unweighted.summary(X, y)
    # analytic weights: standard errors, R^2 and the log-likelihood do not see their scale
    np.testing.assert_allclose(got.bse, want.bse, rtol=1e-9)
    np.testing.assert_allclose(got.rsquared, want.rsquared, rtol=1e-12)
    np.testing.assert_allclose(got.llf, want.llf, rtol=1e-12)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("scale", SCALES)
def test_equal_weights_of_any_scale_on_dask(data, unweighted, scale):
    da = pytest.importorskip("dask.array", reason="Dask statistics path")
    X, y = data
    w = np.full(60, scale)
    model = LinearRegression(**EXACT, engine="stats").fit(
        da.from_array(X, chunks=20), da.from_array(y, chunks=20), da.from_array(w, chunks=20)
    )
    _close(model, unweighted)


@pytest.mark.parametrize("scale", [2.0**-1060, 1e-300, 1e-150, 1e150, 1e300, 2.0**1020])
def test_unequal_weights_of_extreme_scale_equal_the_rescaled_fit(data, scale, capfd):
    X, y = data
    rel = np.random.default_rng(1).uniform(0.25, 1.0, 60)
    rel = np.ldexp(np.round(np.ldexp(rel, 8)), -8)  # 8 bits: exact at these power-of-two scales
    w = rel * 2.0 ** math.frexp(scale)[1]
    reference = LinearRegression(**EXACT).fit(X, y, sample_weight=rel)
    for engine in ("stats", "direct"):
        model = _quiet_fit(
            lambda e=engine: LinearRegression(**EXACT, engine=e).fit(X, y, sample_weight=w)
        )
        _close(model, reference)
    assert capfd.readouterr().err == ""


def test_batches_of_different_extreme_scales_keep_their_relative_weights(data):
    X, y = data
    rel = np.r_[np.full(30, 1.0), np.full(30, 4.0)]
    reference = LinearRegression(**EXACT).fit(X, y, sample_weight=rel)
    online = LinearRegression(**EXACT)
    online.partial_fit(X[:30], y[:30], np.full(30, 1e-310))
    online.partial_fit(X[30:], y[30:], np.full(30, 4e-310))
    _close(online, reference, 1e-6)  # 1e-310 is subnormal: about 11 digits of each weight
    a = SufficientStats.from_arrays(X[:30], y[:30], np.full(30, 2.0**-1000))
    b = SufficientStats.from_arrays(X[30:], y[30:], np.full(30, 2.0**-998))
    merged, whole = a.merge(b), SufficientStats.from_arrays(X, y, np.ldexp(rel, -1000))
    assert merged.weight_exponent == whole.weight_exponent
    np.testing.assert_allclose(merged.scatter, whole.scatter, rtol=1e-12)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-13)


def test_normal_weights_are_used_exactly_as_given(data):
    X, y = data
    for w in (np.full(60, 3.0), np.linspace(0.0, 1e9, 60), np.full(60, 1e-12)):
        assert weight_exponent(w) == 0 and normalised_weights(w) is w
        stats = SufficientStats.from_arrays(X, y, w)
        assert stats.weight_exponent == 0
        np.testing.assert_allclose(stats.sum_weights, w.sum(), rtol=1e-14)
    assert weight_exponent(np.full(3, 1e308)) == 1024 and weight_exponent(np.zeros(3)) == 0


# -- every numeric parameter at the ends of its range ----------------------------------------
def _extremes():
    """(parameter, value, extra settings) at both ends of every numeric parameter's range."""
    out = []
    for name, c in PARAMETERS.items():
        if c.kind not in ("real", "int", "lr"):
            continue
        if c.kind == "int":
            values = [v for v in (c.low, c.low + 1 if c.low is not None else None) if v is not None]
            values += [10**12, 10**18, 2**62]
        else:
            lo = 0.0 if c.low is None else c.low
            values = [5e-324, 1e-300] if c.low_open or lo > 0 else [lo, 5e-324, 1e-300]
            if c.high is not None:
                values += [np.nextafter(c.high, 0.0)] if c.high_open else [c.high]
            else:
                values += [1e300, 1.7e308]
        out += [(name, v) for v in values]
    return out


#: Diagnostics that stay finite whenever the default fit's are (iteration estimates may say
#: "never", inf; condition numbers beyond float64 are inf, e.g. alpha=1e300 beside an intercept).
_FINITE = (
    "lr", "lipschitz", "stable_lr", "tol", "grad_norm", "grad_norm_rel",
    "max_coef_gap", "rel_coef_gap", "objective_gap",
)  # fmt: skip


def _settings(name, value):
    """Settings that keep each extreme fast: a tol that converges, a budget that is small."""
    kw = {"random_state": 0, name: value}
    if name == "n_iters":
        kw.update(lr="auto", tol=1e-6)
        if value >= 10**12:
            kw["optimizer"] = "nesterov"
    elif name == "batch_size":
        kw.update(n_iters=2)
    elif name == "momentum":
        kw.update(optimizer="nesterov", n_iters=30)
    elif name == "l1_ratio":
        kw.update(alpha=0.1, n_iters=30)
    elif name in ("lr", "alpha", "tol"):
        kw.setdefault("n_iters", 30)
    return kw


@pytest.mark.parametrize(("name", "value"), _extremes(), ids=lambda v: repr(v))
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_extreme_valid_parameters_warn_of_nothing_numeric_and_report_finite_numbers(
    data, name, value, engine
):
    X, y = data
    kw = _settings(name, value)
    baseline = LinearRegression(engine=engine, **{**kw, name: PARAMETERS[name].default})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = baseline.set_params(
            **({name: 1000} if name == "n_iters" else {name: 1e-6} if name == "tol" else {})
        ).fit(X, y)
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("always")
        model = LinearRegression(engine=engine, **kw).fit(X, y)
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not numeric, [str(w.message) for w in numeric]
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    d, b = model.diagnostics_, base.diagnostics_
    for field in _FINITE:
        got, had = getattr(d, field, None), getattr(b, field, None)
        if isinstance(had, float) and math.isfinite(had):
            assert isinstance(got, float) and math.isfinite(got), (field, got)
    str(d)  # the printed diagnostics format every number
    assert len(model.loss_history_) == model.n_iter_ + 1


# -- budgets and sizes that cannot run: refused in seconds, naming the size and the fix ------
@pytest.mark.parametrize("n_iters", [10**12, 10**18, 2**62])
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_an_absurd_budget_with_tol_runs_only_what_it_needs(data, n_iters, engine):
    model = LinearRegression(n_iters=n_iters, tol=1e-6, lr="auto", engine=engine).fit(*data)
    assert model.converged_ and model.n_iter_ < 10_000
    assert len(model.loss_history_) == model.n_iter_ + 1


@pytest.mark.parametrize("n_iters", [2**31 + 1, 10**12, 2**62, 2**70])
def test_an_absurd_budget_without_tol_is_refused_naming_n_iters(data, n_iters):
    from lingrad import ParameterError

    with pytest.raises(ParameterError, match=r"n_iters=\d+ with tol=None .* GiB .*Set tol=1e-8"):
        LinearRegression(n_iters=n_iters).fit(*data)


@pytest.mark.parametrize("alpha", [1e301, 1.7e308])
def test_alpha_beyond_float64s_reach_is_refused_by_the_table(data, alpha):
    from lingrad import ParameterError

    with pytest.raises(ParameterError, match=r"'alpha'.*1e\+300"):
        LinearRegression(alpha=alpha).fit(*data)


@pytest.mark.parametrize("n_features", [8_192, 20_000])
def test_wide_data_is_routed_or_refused_in_seconds(n_features):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, n_features)), rng.standard_normal(10)
    with pytest.raises(ValueError, match=rf"engine='stats' at {n_features:,} features.*GiB"):
        LinearRegression(engine="stats").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearRegression(lr="auto", n_iters=5).fit(X, y)
    assert model.engine_ == "direct"
    with pytest.raises(ValueError, match=rf"summary\(\) at {n_features:,} features.*GiB.*Select"):
        model.summary(X, y)


# -- the same classes through the command line: one line, exit 1, no traceback --------------
CLI_REFUSED = {
    # name: (extra options, needles in the one error line)
    "n_iters 10**12 without tol": (["--n-iters", str(10**12)], ["--n-iters", "GiB", "--tol"]),
    "n_iters 2**62 without tol": (["--n-iters", str(2**62)], ["--n-iters", "--tol"]),
    "alpha 1e301": (["--alpha", "1e301"], ["alpha", "1e+300"]),
    "alpha 1.7e308": (["--alpha", "1.7e308"], ["alpha", "1e+300"]),
}


@pytest.fixture(scope="module")
def weighted_csv(tmp_path_factory, data):
    X, y = data
    folder = tmp_path_factory.mktemp("weights")
    return {s: _write_csv(folder / f"w{i}.csv", X, y, np.full(60, s)) for i, s in enumerate(SCALES)}


@pytest.mark.parametrize("case", sorted(CLI_REFUSED))
def test_cli_refuses_absurd_parameters_in_one_line(weighted_csv, case, tmp_path):
    typer_testing = pytest.importorskip("typer.testing", reason="the command line")
    from lingrad import cli

    extra, needles = CLI_REFUSED[case]
    out = tmp_path / "model.json"
    args = ["fit", str(weighted_csv[1.0]), "-t", "y", *extra, "-o", str(out)]
    result = typer_testing.CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output and not out.exists()
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("scale", SCALES)
def test_cli_fits_a_weight_column_of_any_scale(weighted_csv, unweighted, scale, tmp_path):
    typer_testing = pytest.importorskip("typer.testing", reason="the command line")
    from lingrad import cli, load_model

    out = tmp_path / "model.json"
    args = ["fit", str(weighted_csv[scale]), "-t", "y", "-w", "w", "--lr", "auto"]
    args += ["--tol", "1e-12", "--n-iters", "100000", "--engine", "stats", "-o", str(out)]
    result = typer_testing.CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    _close(load_model(out), unweighted)


@pytest.mark.parametrize("scale", [5e-324, 1e308])
def test_a_saved_model_of_extreme_weights_continues_on_its_own_scale(data, scale, tmp_path):
    from lingrad import load_model

    X, y = data
    w = np.full(60, scale)
    model = LinearRegression(**EXACT).fit(X, y, sample_weight=w)
    model.save(tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    got = loaded.summary(X, y, sample_weight=w)  # from the data: the same inference
    np.testing.assert_allclose(got.bse, model.summary(X, y, sample_weight=w).bse, rtol=1e-9)
    # the file keeps the statistics' weight_exponent: partial_fit continues on the same scale
    assert loaded.stats_.weight_exponent == model.stats_.weight_exponent != 0
    loaded.partial_fit(X, y, sample_weight=w)
    _close(loaded, LinearRegression(**EXACT).fit(np.r_[X, X], np.r_[y, y]))
