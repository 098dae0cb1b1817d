"""Raw products (lingrad._raw): small batches in one syrk of [x - s, y - t, 1], large
ones in three products; both add up to the statistics of all rows."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from lingrad._stats import RawAccumulator, SufficientStats


def _batches(rng, sizes, f, k, offset):
    X = rng.standard_normal((sum(sizes), f)) * np.arange(1, f + 1) + offset
    Y = X @ rng.standard_normal((f, k)) + 0.3 + rng.standard_normal((len(X), k))
    cuts = np.cumsum([0, *sizes])
    return X, Y, [(X[a:b], Y[a:b]) for a, b in itertools.pairwise(cuts)]


@pytest.mark.parametrize("offset", [0.0, 1e3])  # zero shift (X read as is) and shifted
@pytest.mark.parametrize("k", [1, 2])
def test_small_and_large_batches_add_up_to_the_statistics_of_all_rows(offset, k, rng):
    # 1000 x 20: the one-product path (n f^2 <= 500,000); 3000 x 20: three products.
    X, Y, batches = _batches(rng, [1000, 3000, 7, 1000], 20, k, offset)
    acc = RawAccumulator.start(*batches[0])
    assert acc._zero_x == (offset == 0.0)
    for Xb, Yb in batches:
        assert acc.add(Xb, Yb)
    got, want = acc.stats(), SufficientStats.from_arrays(X, Y)
    assert got.n_samples == want.n_samples == len(X)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.scatter, want.scatter, rtol=1e-9, atol=1e-9 * len(X))
    np.testing.assert_array_equal(got.scatter, got.scatter.T)


@pytest.mark.parametrize("bad", ["nan_x", "inf_y", "squares_overflow"])
def test_a_refused_small_batch_leaves_the_products_as_they_were(bad, rng):
    X, Y, batches = _batches(rng, [50, 50], 3, 1, 0.0)
    acc = RawAccumulator.start(*batches[0])
    assert acc.add(*batches[0])
    before = acc.stats()
    Xb, Yb = batches[1][0].copy(), batches[1][1].copy()
    if bad == "nan_x":
        Xb[7, 1] = np.nan
    elif bad == "inf_y":
        Yb[3, 0] = np.inf
    else:
        Xb *= 1e200
    assert not acc.add(Xb, Yb)
    after = acc.stats()
    assert after.n_samples == before.n_samples == 50
    np.testing.assert_array_equal(after.scatter, before.scatter)
    np.testing.assert_array_equal(after.mean, before.mean)
    assert acc.add(*batches[1])  # and it keeps adding
    np.testing.assert_allclose(acc.stats().scatter, SufficientStats.from_arrays(X, Y).scatter)


def _path(acc):
    """Which small-batch path the products took: the one syrk fills S, NumPy's leaves it 0."""
    return "syrk" if np.any(acc._S) else "numpy"


@pytest.mark.parametrize("offset", [0.0, 1e3])
@pytest.mark.parametrize(
    ("rows", "f", "k", "path"),
    [
        (1000, 20, 1, "numpy"),  # partial_fit's usual batch: NumPy's syrk of X
        (300, 5, 1, "numpy"),
        (100, 20, 1, "syrk"),  # few rows: one call costs less
        (1000, 22, 1, "syrk"),  # wide: NumPy's BLAS would run it on every core
        (1000, 20, 2, "syrk"),  # several targets
    ],
)
def test_both_small_paths_give_the_statistics_of_all_rows(offset, rows, f, k, path, rng):
    X, Y, batches = _batches(rng, [rows] * 4, f, k, offset)
    acc = RawAccumulator.start(*batches[0])
    for Xb, Yb in batches:
        assert acc.add(Xb, Yb)
    assert _path(acc) == path
    got, want = acc.stats(), SufficientStats.from_arrays(X, Y)
    assert got.n_samples == want.n_samples == len(X)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.scatter, want.scatter, rtol=1e-9, atol=1e-9 * len(X))
    np.testing.assert_array_equal(got.scatter, got.scatter.T)
    # the same sums as the one-syrk path, to rounding
    other = RawAccumulator(acc.x_shift, acc.y_shift)
    for Xb, Yb in batches:
        assert other._add_syrk(Xb, Yb, True)
    np.testing.assert_allclose(acc.products()[2], other.products()[2], rtol=1e-13, atol=1e-9)


@pytest.mark.parametrize("bad", ["nan_x", "inf_x", "nan_y", "inf_y", "squares", "cumulative"])
def test_a_refused_numpy_path_batch_leaves_the_products_as_they_were(bad, rng):
    batches = _batches(rng, [400, 400], 4, 1, 0.0)[2]
    acc = RawAccumulator.start(*batches[0])
    Xb, Yb = batches[1][0].copy(), batches[1][1].copy()
    if bad == "cumulative":  # each batch's squares fit in float64, their sum does not
        unit = [b[0] / np.sqrt((b[0] ** 2).sum(axis=0)) for b in batches]  # sum x^2 = 1
        batches = [(u * 1e154, b[1]) for u, b in zip(unit, batches, strict=True)]
        Xb = batches[1][0]
        acc = RawAccumulator(np.zeros(4), np.zeros(1))
    assert acc.add(*batches[0])
    assert _path(acc) == "numpy"
    n, _, s2, _ = acc.products()
    if bad in ("nan_x", "inf_x"):
        Xb[7, 1] = np.nan if bad == "nan_x" else -np.inf
    elif bad in ("nan_y", "inf_y"):
        Yb[3, 0] = np.nan if bad == "nan_y" else np.inf
    elif bad == "squares":
        Xb[:, 2] = 1e160
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused quietly: no floating-point warning
        assert not acc.add(Xb, Yb)
    assert acc.products()[0] == n == 400
    np.testing.assert_array_equal(acc.products()[2], s2)
    assert acc.add(rng.standard_normal((300, 4)), rng.standard_normal((300, 1)))  # keeps adding
    assert acc.products()[0] == 700 and np.isfinite(acc.products()[2]).all()
