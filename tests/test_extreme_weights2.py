"""Weights of extreme scale, second pass (issue 11): Dask's direct engine, saved statistics, TSQR.

All-equal weights (5e-324, 1e308) must give the unweighted fit; unequal weights of extreme scale the
fit with the same weights rescaled by a power of two (exact). Oracles: the in-memory unweighted or
rescaled fit at 1e-9 relative, and the exact rational least squares (tests/_exact.py) for the
reference optimum from the rows.
"""

import json
import math
import warnings

import numpy as np
import pytest
from _exact import digits, exact_lstsq, polynomial
from sklearn.datasets import make_regression

from lingrad import LinearRegression, SufficientStats, load_model, open_dataset
from lingrad._optimum import reference_theta
from lingrad._tsqr import rows_at_scale

EXACT = {"lr": "auto", "tol": 1e-12, "n_iters": 100_000, "random_state": 0}
EQUAL = [5e-324, 1e308]


@pytest.fixture(scope="module")
def data():
    return make_regression(60, 3, noise=5.0, random_state=0)


@pytest.fixture(scope="module")
def unweighted(data):
    return LinearRegression(**EXACT).fit(*data)


def _close(model, reference, rtol=1e-9):
    scale = max(np.abs(reference.coef_).max(), abs(float(reference.intercept_)))
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=rtol * scale)


def _unequal(scale):
    rel = np.random.default_rng(1).uniform(0.25, 1.0, 60)
    rel = np.ldexp(np.round(np.ldexp(rel, 8)), -8)  # 8 bits: exact at power-of-two scales
    return rel, rel * 2.0 ** math.frexp(scale)[1]


@pytest.mark.parametrize("scale", EQUAL)
def test_dask_direct_engine_with_equal_extreme_weights_gives_the_unweighted_fit(
    data, unweighted, scale, capfd
):
    da = pytest.importorskip("dask.array", reason="the Dask direct engine")
    X, y = data
    w = np.full(60, scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no convergence warning
        model = LinearRegression(**EXACT, engine="direct").fit(
            da.from_array(X, chunks=20), da.from_array(y, chunks=20), da.from_array(w, chunks=20)
        )
    assert model.converged_
    _close(model, unweighted)
    assert capfd.readouterr().err == ""  # LAPACK's DLASCL complaint on 1e308 is gone


@pytest.mark.parametrize("scale", [2.0**-1060, 1e-300, 1e300, 2.0**1020])
def test_dask_direct_engine_with_unequal_extreme_weights_equals_the_rescaled_fit(data, scale):
    da = pytest.importorskip("dask.array", reason="the Dask direct engine")
    X, y = data
    rel, w = _unequal(scale)
    reference = LinearRegression(**EXACT).fit(X, y, sample_weight=rel)
    model = LinearRegression(**EXACT, engine="direct").fit(
        da.from_array(X, chunks=20), da.from_array(y, chunks=20), da.from_array(w, chunks=20)
    )
    _close(model, reference)


@pytest.mark.parametrize("scale", [*EQUAL, 1e-300, 1e300])
def test_a_saved_model_of_extreme_weights_keeps_its_statistics_and_continues(data, scale, tmp_path):
    X, y = data
    rel, w = (np.ones(60), np.full(60, scale)) if scale in EQUAL else _unequal(scale)
    model = LinearRegression(**EXACT).fit(X[:40], y[:40], sample_weight=w[:40])
    assert model.stats_.weight_exponent != 0
    model.save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["stats"]["weight_exponent"] == model.stats_.weight_exponent
    loaded = load_model(tmp_path / "m.json")
    assert loaded.stats_.weight_exponent == model.stats_.weight_exponent
    np.testing.assert_array_equal(loaded.stats_.scatter, model.stats_.scatter)
    loaded.partial_fit(X[40:], y[40:], sample_weight=w[40:])  # continues on the same scale
    _close(loaded, LinearRegression(**EXACT).fit(X, y, sample_weight=rel))


def test_files_of_ordinary_weights_have_no_weight_exponent_and_old_files_load(data, tmp_path):
    X, y = data
    model = LinearRegression(**EXACT).fit(X, y, sample_weight=np.full(60, 2.0))
    model.save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert "weight_exponent" not in doc["stats"]  # files written before the field: the same
    assert load_model(tmp_path / "m.json").stats_.weight_exponent == 0


@pytest.mark.parametrize("bad", [1.5, "3", True, -2000, 2000, None])
def test_a_tampered_weight_exponent_is_refused_at_load(data, tmp_path, bad):
    from lingrad._modelfile import ModelFileError

    X, y = data
    LinearRegression(**EXACT).fit(X, y, sample_weight=np.full(60, 1e308)).save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["stats"]["weight_exponent"] = bad
    (tmp_path / "m.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="weight_exponent"):
        load_model(tmp_path / "m.json")


def _design():
    """A degree-6 polynomial in raw x on [1, 21]: the scaled condition calls for TSQR."""
    return polynomial(1.0, 21.0, 6, n=40, noise=1.0)


class _Rows:
    """A file-like source: ``iter_chunks()`` yields the raw (unscaled) weights."""

    def __init__(self, X, Y, w):
        self.X, self.Y, self.w = X, Y, w

    def iter_chunks(self):
        for i in range(0, len(self.X), 16):
            yield self.X[i : i + 16], self.Y[i : i + 16], self.w[i : i + 16]


@pytest.mark.parametrize("scale", [*EQUAL, 1e-300, 1e300])
def test_the_tsqr_reference_reads_weights_at_the_statistics_scale(scale):
    X, y = _design()
    Y = y[:, None]
    times = np.ones(40, int) if scale in EQUAL else np.arange(40) % 3 + 1  # whole weights
    w = times * 2.0 ** math.frexp(scale)[1] / 4 if scale not in EQUAL else np.full(40, scale)
    stats = SufficientStats.from_arrays(X, Y, w)
    assert stats.weight_exponent != 0
    ref = reference_theta(stats, True, data=rows_at_scale(_Rows(X, Y, w), stats))
    assert ref.method != "normal equations"  # the rows were read (TSQR), not refused
    exact = exact_lstsq(np.repeat(X, times, axis=0), np.repeat(y, times))  # weights as copies
    assert digits(ref.theta[:, 0], exact) >= 9


@pytest.mark.parametrize("scale", EQUAL)
def test_streamed_fits_of_extreme_weights_reach_the_tsqr_reference(scale, tmp_path):
    X, y = _design()
    w = np.full(40, scale)
    rows = [",".join([f"x{j}" for j in range(X.shape[1])] + ["y", "w"])] + [
        ",".join(repr(float(v)) for v in (*x, t, s)) for x, t, s in zip(X, y, w, strict=True)
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    ds = open_dataset(tmp_path / "d.csv", target="y", weight="w", chunk_rows=16)
    model = LinearRegression(**EXACT).fit(ds)
    assert model.diagnostics_.reference_method != "normal equations"
    exact = exact_lstsq(X, y)
    got = np.r_[model.diagnostics_.exact_coef, model.diagnostics_.exact_intercept]
    assert digits(got, exact) >= 9
