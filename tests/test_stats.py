"""Sufficient statistics: one pass, exact merges, no accuracy lost to offsets."""

import numpy as np
import pytest
import scipy.sparse as sp

from lingrad import SufficientStats


def _reference(X, Y, w=None):
    """Centred statistics in extended precision, the slow and obvious way."""
    Xl = np.asarray(X, dtype=np.longdouble)
    Yl = np.asarray(Y, dtype=np.longdouble).reshape(len(Y), -1)
    w = np.ones(len(Xl), dtype=np.longdouble) if w is None else np.asarray(w, np.longdouble)
    Z = np.column_stack([Xl, Yl])
    mean = (w[:, None] * Z).sum(axis=0) / w.sum()
    Zc = Z - mean
    return float(w.sum()), mean.astype(float), ((Zc * w[:, None]).T @ Zc).astype(float)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("offset", [0.0, 1e6])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_extended_precision_reference(weighted, offset, order, dtype, rng):
    X = (rng.normal(size=(3000, 4)) + offset).astype(dtype)
    X = np.asarray(X, order=order)
    Y = (X.astype(float) @ np.arange(1.0, 5.0))[:, None] + rng.normal(size=(3000, 1))
    w = rng.uniform(0.0, 3.0, size=3000) if weighted else None
    stats = SufficientStats.from_arrays(X, Y, w, chunk_rows=256)
    sw, mean, scatter = _reference(X, Y, w)
    assert stats.sum_weights == pytest.approx(sw, rel=1e-13)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-13)
    np.testing.assert_allclose(stats.scatter, scatter, rtol=1e-9, atol=1e-9 * np.abs(scatter).max())


def test_offset_data_keeps_its_digits_where_raw_products_would_not(rng):
    Z = rng.normal(size=(20000, 2))
    X = Z + 1e6
    Y = Z @ np.array([[1.0], [2.0]])
    stats = SufficientStats.from_arrays(X, Y)
    _, _, scatter = _reference(X, Y)
    rel = np.abs(stats.xx - scatter[:2, :2]).max() / np.abs(scatter[:2, :2]).max()
    assert rel < 1e-10
    naive = X.T @ X - len(X) * np.outer(X.mean(0), X.mean(0))  # the cancellation we avoid
    assert np.abs(naive - scatter[:2, :2]).max() / np.abs(scatter[:2, :2]).max() > 1e-6


def test_trending_data_is_caught_after_a_raw_pass(rng):
    X = rng.normal(size=(50000, 2))
    X[:, 0] += np.linspace(0.0, 1e6, len(X))  # first rows near 0, the rest far away
    Y = X @ np.array([[1.0], [2.0]])
    stats = SufficientStats.from_arrays(X, Y)
    _, mean, scatter = _reference(X, Y)
    np.testing.assert_allclose(stats.scatter, scatter, rtol=1e-10)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
def test_halves_merge_to_the_whole(weighted, rng):
    X = rng.normal(size=(1001, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 1e4]
    Y = rng.normal(size=(1001, 2))
    w = rng.uniform(0, 1, 1001) if weighted else None
    whole = SufficientStats.from_arrays(X, Y, w)
    parts = [slice(0, 1), slice(1, 400), slice(400, 1001)]
    merged = SufficientStats.empty(3, 2)
    for sl in parts:
        merged = merged + SufficientStats.from_arrays(X[sl], Y[sl], None if w is None else w[sl])
    assert merged.n_samples == whole.n_samples == 1001
    assert merged.sum_weights == pytest.approx(whole.sum_weights, rel=1e-14)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-13)
    # Both agree with the extended-precision reference, entry by entry relative
    # to the scale of their row and column (a correlation-scaled comparison).
    _, _, ref = _reference(X, Y, w)
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    for got in (merged, whole):
        assert np.abs((got.scatter - ref) / scale).max() < 1e-12


def test_merge_rejects_other_columns():
    a = SufficientStats.empty(3, 1)
    with pytest.raises(ValueError, match="same columns"):
        a.merge(SufficientStats.empty(2, 1))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(fmt, rng):
    Xd = sp.random(500, 30, density=0.1, format="csr", random_state=1).toarray()
    X = sp.csr_matrix(Xd) if fmt == "csr" else sp.csc_matrix(Xd)
    Y = rng.normal(size=(500, 1))
    w = rng.uniform(0, 2, 500)
    for weights in (None, w):
        s = SufficientStats.from_arrays(X, Y, weights)
        d = SufficientStats.from_arrays(Xd, Y, weights)
        np.testing.assert_allclose(s.mean, d.mean, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.scatter, d.scatter, rtol=1e-10, atol=1e-12)


def test_one_pass_reads_x_without_copying_it(rng):
    import tracemalloc

    X = rng.normal(size=(200_000, 20))
    X32 = X.astype(np.float32)
    Y = rng.normal(size=(200_000, 1))
    for data in (X, np.asfortranarray(X), X32, np.asfortranarray(X32), X + 1e6):
        tracemalloc.start()
        SufficientStats.from_arrays(data, Y)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= 0.10 * data.nbytes + 8 * 64 * 64 + 200_000 * 8, (data.dtype, peak)


@pytest.mark.parametrize("zero_rows", [70_000, 199_990])
def test_weighted_statistics_far_from_the_origin_when_the_first_weights_are_zero(zero_rows):
    """The accumulation shift no longer falls back to 0 when the first chunk weighs nothing."""
    rng = np.random.default_rng(0)
    n = 200_000
    X = 1e6 + rng.standard_normal((n, 3))
    Y = ((X - 1e6) @ [1.0, 2.0, 3.0] + rng.standard_normal(n))[:, None]
    w = rng.random(n)
    w[:zero_rows] = 0.0
    s = SufficientStats.from_arrays(X, Y, w)
    Xl, wl = X.astype(np.longdouble), w.astype(np.longdouble)
    mean = (wl @ Xl) / wl.sum()
    C = ((Xl - mean) * wl[:, None]).T @ (Xl - mean)
    assert np.abs(s.xx - C.astype(float)).max() <= 1e-9 * np.abs(C.astype(float)).max()
    np.testing.assert_allclose(s.x_mean, mean.astype(float), rtol=1e-13)
