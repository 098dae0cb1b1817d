"""Raw products (lingrad._raw): small batches in one syrk of [x - s, y - t, 1], large
ones in three products; both add up to the statistics of all rows."""

from __future__ import annotations

import itertools

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
