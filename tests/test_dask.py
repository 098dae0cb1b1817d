"""Dask collections as a source: Dask equals NumPy, on any scheduler, through a lost worker."""

import logging
import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from lingrad import LinearRegression  # noqa: E402
from lingrad._sources import as_source  # noqa: E402
from lingrad._sources.dask import DaskSource, _tree_reduce  # noqa: E402
from lingrad._stats import SufficientStats  # noqa: E402

RTOL = 1e-10


def _data(n=2_000, f=4, k=None, seed=0, weights=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f)) + np.linspace(-2.0, 3.0, f)
    beta = rng.normal(size=(f,) if k is None else (f, k))
    y = X @ beta + 0.5 + 0.1 * rng.normal(size=(n,) if k is None else (n, k))
    w = rng.uniform(0.1, 2.0, size=n) if weights else None
    return X, y, w


def _model(engine, **kw):
    params = dict(lr="auto", n_iters=150, engine=engine, random_state=0)
    params.update(kw)
    return LinearRegression(**params)


def _assert_same_fit(a, b, rtol=RTOL):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=0)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=0)
    np.testing.assert_allclose(a.loss_history_, b.loss_history_, rtol=rtol, atol=0)
    assert a.n_iter_ == b.n_iter_
    assert a.engine_ == b.engine_


# -- Dask equals NumPy -------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("k", [None, 3])
def test_dask_array_fit_equals_numpy_fit(engine, weighted, k):
    X, y, w = _data(k=k, weights=weighted)
    chunks = 300  # 7 blocks: an odd count, and a short last block
    Xd = da.from_array(X, chunks=(chunks, 2))  # column chunks too: rechunked to whole rows
    yd = da.from_array(y, chunks=(chunks, *y.shape[1:]))
    wd = None if w is None else da.from_array(w, chunks=chunks)
    got = _model(engine).fit(Xd, yd, sample_weight=wd)
    want = _model(engine).fit(X, y, sample_weight=w)
    _assert_same_fit(got, want)
    assert got.coef_.shape == want.coef_.shape
    assert not hasattr(got, "feature_names_in_")


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_dask_dataframe_fit_equals_pandas_fit_and_keeps_column_names(engine):
    X, y, w = _data(f=3, weights=True)
    names = ["alpha", "beta", "gamma"]
    pdf = pd.DataFrame(X, columns=names).assign(target=y, weight=w)
    ddf = dd.from_pandas(pdf, npartitions=5)
    got = _model(engine).fit(ddf[names], ddf["target"], sample_weight=ddf["weight"])
    want = _model(engine).fit(pdf[names], pdf["target"], sample_weight=pdf["weight"])
    _assert_same_fit(got, want)
    assert list(got.feature_names_in_) == names
    np.testing.assert_allclose(got.predict(pdf[names]), want.predict(pdf[names]), rtol=RTOL)


def test_dask_dataframe_multi_output_target():
    X, y, _ = _data(f=3, k=2)
    pdf = pd.DataFrame(np.column_stack([X, y]), columns=["a", "b", "c", "y1", "y2"])
    ddf = dd.from_pandas(pdf, npartitions=4)
    got = _model("stats").fit(ddf[["a", "b", "c"]], ddf[["y1", "y2"]])
    want = _model("stats").fit(X, y)
    _assert_same_fit(got, want)
    assert got.coef_.shape == (2, 3)


def test_unknown_chunk_sizes_and_misaligned_blocks_are_aligned():
    X, y, w = _data()
    ddf = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    Xd = ddf.values  # row chunks of unknown size
    assert np.isnan(Xd.chunks[0][0])
    yd = da.from_array(y, chunks=450)  # blocks that do not line up with X's
    wd = da.from_array(w if w is not None else np.ones(len(y)), chunks=700)
    got = _model("stats").fit(Xd, yd, sample_weight=wd)
    want = _model("stats").fit(X, y)
    _assert_same_fit(got, want)
    assert not hasattr(got, "feature_names_in_")  # integer column names are not names


def test_numpy_target_with_dask_X_and_dask_target_with_numpy_X():
    X, y, _ = _data()
    want = _model("stats").fit(X, y)
    _assert_same_fit(_model("stats").fit(da.from_array(X, chunks=512), y), want)
    _assert_same_fit(_model("stats").fit(X, da.from_array(y, chunks=512)), want)


def test_integer_and_bool_blocks_are_cast_per_block():
    rng = np.random.default_rng(1)
    X = rng.integers(-5, 6, size=(1_000, 3))
    X[:, 2] = X[:, 2] > 0
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=1_000)
    Xd = da.from_array(X, chunks=200)
    for engine in ("stats", "direct"):
        got = _model(engine).fit(Xd, da.from_array(y, chunks=200))
        want = _model(engine).fit(X.astype(float), y)
        _assert_same_fit(got, want)


def test_float32_blocks_match_numpy_statistics():
    X, y, _ = _data()
    X32 = X.astype(np.float32)
    got = _model("stats").fit(da.from_array(X32, chunks=400), da.from_array(y, chunks=400))
    want = _model("stats").fit(X32, y)
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-6)


def test_sufficient_stats_equal_in_memory_statistics():
    X, y, w = _data(n=3_001, weights=True)
    src = as_source(da.from_array(X, chunks=250), da.from_array(y, chunks=250), w)
    assert isinstance(src, DaskSource)
    assert (src.n_samples, src.n_features, src.n_targets, src.one_d) == (3_001, 4, 1, True)
    assert src.n_blocks == 13
    got = src.sufficient_stats()
    want = SufficientStats.from_arrays(X, y, w)
    assert got.n_samples == want.n_samples
    np.testing.assert_allclose(got.sum_weights, want.sum_weights, rtol=1e-13)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12)
    np.testing.assert_allclose(got.scatter, want.scatter, rtol=1e-11)


def test_iter_chunks_yields_the_rows_block_by_block():
    X, y, w = _data(n=1_000, k=2, weights=True)
    src = DaskSource(da.from_array(X, chunks=300), da.from_array(y, chunks=300), w)
    chunks = list(src.iter_chunks())
    assert [len(c[0]) for c in chunks] == [300, 300, 300, 100]
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), X)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y)
    np.testing.assert_array_equal(np.concatenate([c[2] for c in chunks]), w)
    one_d = DaskSource(da.from_array(X, chunks=300), da.from_array(y[:, 0], chunks=300))
    _, Yb, wb = next(one_d.iter_chunks())
    assert Yb.shape == (300, 1) and wb is None


def test_a_dask_source_can_be_passed_to_fit_directly():
    X, y, _ = _data()
    src = DaskSource(da.from_array(X, chunks=500), da.from_array(y, chunks=500))
    _assert_same_fit(_model("stats").fit(src), _model("stats").fit(X, y))
    with pytest.raises(ValueError, match="already holds the target"):
        _model("stats").fit(src, y)


def test_columns_of_one_dataframe_are_counted_in_one_pass():
    from lingrad._sources.dask_input import partition_lengths as _partition_lengths

    pdf = pd.DataFrame({"a": np.arange(10.0), "y": np.arange(10.0)})
    ddf = dd.from_pandas(pdf, npartitions=3)
    lengths = _partition_lengths(ddf[["a"]], ddf["y"], None)
    assert lengths[0] == lengths[1] and sum(lengths[0]) == 10 and lengths[2] is None


def test_tree_reduce_is_pairwise_and_logarithmic():
    import dask

    def add(a, b):  # (sum, depth of the merge tree below)
        return a[0] + b[0], max(a[1], b[1]) + 1

    for n in (1, 2, 5, 8, 13):
        total, depth = _tree_reduce([dask.delayed((i, 0)) for i in range(n)], add).compute()
        assert total == sum(range(n))
        assert depth == int(np.ceil(np.log2(n)))


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["stats", "direct"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_a_block_is_a_clear_error(engine, bad):
    X, y, _ = _data(n=800)
    X[650, 1] = bad  # block 3 of 4
    with pytest.raises(
        ValueError, match=r"NaN or infinity in the Dask collection \(row block 3 of 4\)"
    ):
        _model(engine).fit(da.from_array(X, chunks=200), da.from_array(y, chunks=200))
    X, y, _ = _data(n=800)
    y[10] = bad
    with pytest.raises(ValueError, match=r"row block 0 of 4\)\. Remove or impute"):
        _model(engine).fit(da.from_array(X, chunks=200), da.from_array(y, chunks=200))


def test_bad_weights_are_a_clear_error():
    X, y, w = _data(n=800, weights=True)
    w[401] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight contains negative.*row block 2 of 4"):
        _model("stats").fit(da.from_array(X, chunks=200), y, sample_weight=w)


def test_mismatched_lengths_are_a_clear_error():
    X, y, w = _data(n=800, weights=True)
    Xd = da.from_array(X, chunks=200)
    with pytest.raises(ValueError, match="X has 800 rows in 4 blocks but y has 799"):
        _model("stats").fit(Xd, da.from_array(y[:-1], chunks=200))
    with pytest.raises(ValueError, match="but y has 801"):
        _model("stats").fit(Xd, np.append(y, 0.0))
    with pytest.raises(ValueError, match="but sample_weight has 700"):
        _model("stats").fit(Xd, y, sample_weight=da.from_array(w[:700], chunks=200))


def test_bad_shapes_and_types_are_clear_errors():
    X, y, _ = _data(n=100)
    Xd, yd = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    with pytest.raises(ValueError, match=r"Expected 2D array for X, got a 1-D collection"):
        _model("stats").fit(Xd[:, 0], yd)
    with pytest.raises(ValueError, match="requires y to be passed"):
        _model("stats").fit(Xd)
    with pytest.raises(ValueError, match=r"y must be of shape"):
        _model("stats").fit(Xd, da.zeros((100, 2, 2), chunks=50))
    with pytest.raises(ValueError, match=r"sample_weight must be of shape \(n_samples,\)"):
        _model("stats").fit(Xd, yd, sample_weight=da.ones((100, 2), chunks=50))
    frame = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "s": ["x"] * 100}), npartitions=2)
    with pytest.raises(ValueError, match=r"non-numeric columns \['s'\]"):
        _model("stats").fit(frame, yd)
    with pytest.raises(ValueError, match="got dtype complex128"):
        _model("stats").fit(Xd.astype(complex), yd)
    bag = pytest.importorskip("dask.bag").from_sequence([1, 2])
    with pytest.raises(ValueError, match="X must be a Dask array, DataFrame or Series"):
        _model("stats").fit(bag, yd)
    with pytest.raises(ValueError, match="batch_size"):
        _model("stats", batch_size=10).fit(Xd, yd)


# -- real clusters ---------------------------------------------------------------------------
def test_fit_on_a_distributed_cluster_runs_on_the_workers():
    distributed = pytest.importorskip("distributed")
    X, y, w = _data(weights=True)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as stream,
    ):
        Xd = da.from_array(X, chunks=250)
        yd = da.from_array(y, chunks=250)
        wd = da.from_array(w, chunks=250)
        stats_fit = _model("stats").fit(Xd, yd, sample_weight=wd)
        direct_fit = _model("direct", n_iters=20).fit(Xd, yd, sample_weight=wd)
    names = {t["key"][0] if isinstance(t["key"], tuple) else t["key"] for t in stream.data}
    assert any(str(k).startswith("_summarise_block") for k in names)
    assert any(str(k).startswith("_block_sums") for k in names)
    assert any(str(k).startswith("_merge_summaries") for k in names)
    _assert_same_fit(stats_fit, _model("stats").fit(X, y, sample_weight=w))
    _assert_same_fit(direct_fit, _model("direct", n_iters=20).fit(X, y, sample_weight=w))


def test_fit_survives_a_killed_worker():
    """SIGKILL one of two worker processes mid-fit: Dask recomputes the lost blocks from
    the seeded graph and the fit ends with NumPy's coefficients."""
    import dask

    distributed = pytest.importorskip("distributed")
    n_blocks, rows, f, delay = 30, 2_000, 5, 0.1

    def slow(block):  # nested, so cloudpickle ships it by value to the worker processes
        time.sleep(delay)
        return block

    def make(wrap=None):
        rs = da.random.RandomState(0)  # the data come from a seed inside the graph
        X = rs.normal(size=(n_blocks * rows, f), chunks=(rows, f))
        noise = rs.normal(size=n_blocks * rows, chunks=rows)
        if wrap is not None:
            X = X.map_blocks(wrap, dtype=X.dtype)
        return X, X @ np.arange(1.0, f + 1) + noise

    def recomputed(dask_scheduler):  # tasks that reached memory more than once
        counts = {}
        for t in dask_scheduler.transition_log:
            if t.finish == "memory":
                counts[t.key] = counts.get(t.key, 0) + 1
        return sum(c > 1 for c in counts.values())

    X_ref, y_ref = da.compute(*make(), scheduler="threads")
    X, y = make(slow)  # the same values, 0.1 s per block: 1.5 s on two workers
    with (
        dask.config.set({"distributed.admin.low-level-log-length": 100_000}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            preload=["lingrad._sources.dask"],  # a restarted worker joins ready to work
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        victim_addr, victim_pid = sorted(pids.items())[0]
        done, killed = threading.Event(), threading.Event()

        def killer():
            # Kill once the victim holds finished blocks (so they are lost), before the end.
            while not done.is_set():
                if len(client.has_what().get(victim_addr, ())) >= 3:
                    os.kill(victim_pid, signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        model = _model("stats", n_iters=5).fit(X, y)  # not yet at machine precision
        done.set()
        thread.join(timeout=5)
        assert killed.is_set(), "the worker was not killed while the fit ran"
        # The victim is really gone (its nanny may have started a new process since)...
        assert victim_pid not in client.run(os.getpid, on_error="ignore").values()
        # ... and the blocks it held were computed again.
        assert client.run_on_scheduler(recomputed) >= 1
    _assert_same_fit(model, _model("stats", n_iters=5).fit(X_ref, y_ref))
