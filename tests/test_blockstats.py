"""Statistics of a stream of blocks (one running product per shift) against the whole."""

import numpy as np
import pytest
from test_stats import _reference  # centred statistics in extended precision

from lingrad import SufficientStats
from lingrad._blockstats import BlockStats, StatsKernel


def _stream(X, Y, w=None, rows=500):
    acc = BlockStats()
    for a in range(0, len(X), rows):
        acc.add(X[a : a + rows], Y[a : a + rows], None if w is None else w[a : a + rows])
    return acc


def _check(stats, X, Y, w=None, rtol=1e-12):
    sw, mean, scatter = _reference(X, Y, w)
    assert stats.sum_weights == pytest.approx(sw, rel=1e-14)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-13, atol=1e-13 * np.abs(mean).max())
    atol = rtol * np.abs(scatter).max()
    np.testing.assert_allclose(stats.scatter, scatter, rtol=rtol, atol=atol)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_a_stream_of_blocks_gives_the_statistics_of_the_whole(offset, rng):
    X = rng.normal(size=(5000, 6)) + offset
    Y = X @ np.arange(1.0, 7.0)[:, None] + rng.normal(size=(5000, 1))
    acc = _stream(X, Y)
    assert acc._acc is not None and acc._acc.n_samples == 4500  # one running product
    _check(acc.result(), X, Y, rtol=1e-12 if offset == 0 else 1e-9)


def test_blocks_drifting_from_the_shift_start_a_new_product_and_keep_their_digits(rng):
    X = rng.normal(size=(20000, 2))
    X[:, 0] += np.repeat(np.arange(20.0) * 1e5, 1000)  # each block 1e5 spreads further
    Y = X @ np.array([[1.0], [2.0]]) + rng.normal(size=(20000, 1))
    acc = BlockStats()
    restarts = 0
    for a in range(0, len(X), 1000):
        before = acc._acc
        acc.add(X[a : a + 1000], Y[a : a + 1000])
        restarts += acc._acc is not before
    assert restarts == 20  # every block sits 1e5 spreads from the one before
    _check(acc.result(), X, Y, rtol=1e-9)
    # while data that stays near the first block's shift never restarts
    steady = BlockStats()
    for a in range(0, 20000, 1000):
        before = steady._acc
        steady.add(X[a : a + 1000, 1:], Y[a : a + 1000])
        restarts -= steady._acc is not before
    assert restarts == 19


def test_weighted_and_float32_blocks_are_merged_one_by_one(rng):
    X = rng.normal(size=(3000, 3)) + 10.0
    Y = rng.normal(size=(3000, 2))
    w = rng.uniform(0.0, 2.0, size=3000)
    acc = _stream(X, Y, w)
    assert acc._acc is None
    _check(acc.result(), X, Y, w, rtol=1e-11)
    mixed = BlockStats()
    mixed.add(X[:1000], Y[:1000])
    mixed.add(X[1000:2000].astype(np.float32), Y[1000:2000])
    mixed.add(X[2000:], Y[2000:])
    X32 = np.vstack([X[:1000], X[1000:2000].astype(np.float32), X[2000:]])
    _check(mixed.result(), X32, Y, rtol=1e-11)


def test_no_blocks_give_none_and_the_kernel_summarises_one_block(rng):
    assert BlockStats().result() is None
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=50)
    one = StatsKernel()(X, Y, None)
    whole = SufficientStats.from_arrays(X, Y)
    np.testing.assert_array_equal(one.scatter, whole.scatter)
    assert isinstance(StatsKernel().accumulator(), BlockStats)
