"""Row blocks per BLAS thread (lingrad._rowpar) and the statistics computed with them."""

from __future__ import annotations

import itertools
import threading
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lingrad._rowpar import blas_threads, map_row_blocks
from lingrad._stats import SufficientStats


def _record(calls):
    def work(lo, hi):
        calls.append((lo, hi, threading.current_thread().name, blas_threads()))
        return lo, hi

    return work


def test_blocks_cover_the_rows_in_order_on_chunk_bounds():
    calls: list = []
    with threadpool_limits(2, user_api="blas"):
        out = map_row_blocks(_record(calls), 1003, chunk=10)
        threads = blas_threads()
    assert out[0][0] == 0 and out[-1][1] == 1003
    assert all(a[1] == b[0] for a, b in itertools.pairwise(out))  # contiguous, in order
    assert all(lo % 10 == 0 for lo, _ in out)
    assert len(out) == min(threads, 2)  # one block per BLAS thread (2 at most asked)
    if len(out) > 1:  # run on worker threads, BLAS single-threaded meanwhile
        assert all(name.startswith("lingrad") and n == 1 for *_, name, n in calls)


def test_a_blas_limit_of_one_thread_means_one_block_here():
    calls: list = []
    with threadpool_limits(1, user_api="blas"):
        out = map_row_blocks(_record(calls), 10_000, chunk=10)
    assert out == [(0, 10_000)]
    assert calls[0][2] == threading.current_thread().name


def test_few_chunks_are_not_split():
    calls: list = []
    assert map_row_blocks(_record(calls), 30, chunk=10) == [(0, 30)]


def test_blas_setting_is_restored():
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        map_row_blocks(lambda lo, hi: None, 1000, chunk=10)
        assert blas_threads() == before


@pytest.mark.parametrize("threads", [1, 2])
def test_statistics_equal_the_serial_sum_and_repeat_bitwise(threads):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50_000, 7))
    y = X @ np.arange(7.0) + rng.standard_normal(50_000)
    with threadpool_limits(threads, user_api="blas"):
        a = SufficientStats._from_raw_chunks(X, y[:, None], 1000)
        b = SufficientStats._from_raw_chunks(X, y[:, None], 1000)
    np.testing.assert_array_equal(a.scatter, b.scatter)  # deterministic
    Z = np.c_[X, y]
    mean = Z.mean(axis=0)
    scatter = (Z - mean).T @ (Z - mean)
    np.testing.assert_allclose(a.mean, mean, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a.scatter, scatter, rtol=1e-11)
    assert a.nobs == 50_000


def test_absorb_refuses_products_about_another_shift():
    from lingrad._raw import RawProducts

    a = RawProducts(np.zeros(2), np.zeros(1))
    b = RawProducts(np.ones(2), np.zeros(1))
    with pytest.raises(ValueError, match="same shift"):
        a.absorb(b)


def test_concurrent_callers_restore_the_blas_setting():
    """Callers on several threads at once (Dask's threaded scheduler does this) leave
    BLAS as it was, and each gets its own right answer."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    data = [rng.standard_normal((20_000, 5)) for _ in range(8)]
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        with ThreadPoolExecutor(4) as pool:
            got = list(
                pool.map(
                    lambda X: map_row_blocks(lambda lo, hi: X[lo:hi].sum(0), len(X), chunk=500),
                    data * 3,
                )
            )
        assert blas_threads() == before
    for X, parts in zip(data * 3, got, strict=True):
        np.testing.assert_allclose(np.sum(parts, axis=0), X.sum(0), rtol=1e-12)


def test_a_forked_child_gets_its_own_pool():
    """After fork the parent's worker threads do not exist in the child: it must not
    wait on them (multiprocessing's default start method on Linux is fork)."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork start method on this platform")
    X = np.random.default_rng(1).standard_normal((50_000, 4))
    map_row_blocks(lambda lo, hi: X[lo:hi].sum(0), len(X), chunk=500)  # the pool exists now
    with mp.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(_child_sum, (X,)).get(timeout=60)
    np.testing.assert_allclose(got, X.sum(0), rtol=1e-12)


def _child_sum(X):
    with threadpool_limits(2, user_api="blas"):
        return np.sum(map_row_blocks(lambda lo, hi: X[lo:hi].sum(0), len(X), chunk=500), axis=0)


def test_the_reference_qr_of_a_small_tall_design_runs_on_one_blas_thread(monkeypatch):
    """refined_lstsq (a QR: many small BLAS calls) limits BLAS to one thread below its
    size threshold, and gives the same answer as lstsq."""
    from lingrad import _normal

    seen = []
    real = _normal._refined_lstsq
    monkeypatch.setattr(
        _normal, "_refined_lstsq", lambda *a: (seen.append(blas_threads()), real(*a))[1]
    )
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, 5))
    y = X @ np.arange(5.0) + 1.0 + rng.standard_normal(2000)
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        theta = _normal.refined_lstsq(X, y, None, True)
        after = blas_threads()
    assert seen == [1] and after == before  # one thread inside, the setting restored
    ref = np.linalg.lstsq(np.c_[X, np.ones(2000)], y, rcond=None)[0]
    np.testing.assert_allclose(theta.ravel(), ref, rtol=1e-12)


def test_workers_run_under_the_callers_errstate():
    """np.errstate is thread-local: the blocks see the caller's, not the defaults."""
    X = np.full((10_000, 2), np.inf)
    with threadpool_limits(2, user_api="blas"), np.errstate(invalid="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parts = map_row_blocks(lambda lo, hi: (X[lo:hi] - X[lo:hi]).sum(0), len(X), chunk=100)
    assert np.isnan(np.sum(parts, axis=0)).all()
    with threadpool_limits(2, user_api="blas"), np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            map_row_blocks(lambda lo, hi: (X[lo:hi] - X[lo:hi]).sum(0), len(X), chunk=100)
