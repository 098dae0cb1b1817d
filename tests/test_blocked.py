"""Sparse products in fixed chunks on threads (lingrad._blocked) and the passes of a "cg" fit.

Oracles: SciPy's own sparse products (to 1e-13), the same product or fit on one thread
(bit for bit: the chunks depend on X alone and are summed in chunk order), and
scipy.sparse.linalg.lsqr driven to atol=btol=1e-15 for the diagnostics' gap.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr
from threadpoolctl import threadpool_limits

import lingrad._blocked as blocked_mod
from lingrad import LinearRegression
from lingrad._blocked import Blocked, add_product, blocked_of, chunks_of, threads
from lingrad._operator import Design

CG = {"lr": "auto", "optimizer": "cg", "engine": "direct", "random_state": 0, "n_iters": 500}


def _sparse(n, f, density, seed, fmt="csr"):
    rng = np.random.default_rng(seed)
    X = sp.random_array(
        (n, f), density=density, format=fmt, rng=rng, data_sampler=rng.standard_normal
    )
    return X, X @ rng.standard_normal(f) + 3.0 + rng.standard_normal(n)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunk matrices of a few thousand stored entries (the defaults start at 2^18)."""
    monkeypatch.setattr(blocked_mod, "PARALLEL_MIN_NNZ", 1000)
    monkeypatch.setattr(blocked_mod, "CHUNK_MIN_NNZ", 500)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("k", [None, 3])
def test_products_have_the_same_bits_on_any_thread_count(fmt, k):
    X, _ = _sparse(600, 80, 0.1, seed=1, fmt=fmt)
    rng = np.random.default_rng(2)
    v = rng.standard_normal(80 if k is None else (80, k))
    r = rng.standard_normal(600 if k is None else (600, k))
    one, many = Blocked(X, 6), Blocked(X, 6)
    one.workers, many.workers = 1, 4
    for V, transpose, ref in ((v, False, X @ v), (r, True, X.T @ r)):
        got = many.product(V, transpose)
        np.testing.assert_array_equal(got, one.product(V, transpose))
        for _ in range(5):  # whichever thread takes which chunk: the same bits
            np.testing.assert_array_equal(many.product(V, transpose), got)
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)


def test_initial_and_mapped_values_cost_no_pass_of_their_own():
    X, _ = _sparse(500, 60, 0.1, seed=3)
    w = np.random.default_rng(4).uniform(0.5, 2.0, 500)
    v = np.arange(60.0)
    B = Blocked(X, 4)
    np.testing.assert_allclose(B.product(v, False, initial=2.5), 2.5 + X @ v, rtol=1e-13)
    X2 = X.copy()
    X2.data = X.data**2
    np.testing.assert_allclose(B.product(w, True, values=np.square), X2.T @ w, rtol=1e-13)


def test_the_kernels_fall_back_to_scipys_products(monkeypatch):
    """Where SciPy's private kernels do not apply (float32 values with float64 vectors,
    a strided result) or failed their check, the public products give the same."""
    X, _ = _sparse(300, 40, 0.2, seed=5)
    v = np.random.default_rng(6).standard_normal(40)
    out = np.ones(300)
    add_product(X, v, out)
    np.testing.assert_allclose(out, 1.0 + X @ v, rtol=1e-13)
    X32 = X.astype(np.float32)
    out = np.zeros(300)
    add_product(X32, v, out)
    np.testing.assert_allclose(out, X32 @ v, rtol=1e-6)
    strided = np.zeros((300, 2))[:, 0]
    add_product(X, v, strided)
    np.testing.assert_allclose(strided, X @ v, rtol=1e-13)
    monkeypatch.setattr(blocked_mod, "_DIRECT", [False])
    np.testing.assert_allclose(Blocked(X, 3).product(v, False, 1.0), 1.0 + X @ v, rtol=1e-13)


def test_threads_follow_the_users_limits():
    assert 1 <= threads() <= 8
    with threadpool_limits(1):
        assert threads() == 1
        X, _ = _sparse(2000, 300, 0.2, seed=7)  # 120,000 stored entries
        assert Blocked(X, 4).workers == 1


def test_chunks_depend_on_x_alone(small_chunks):
    X, _ = _sparse(2000, 50, 0.1, seed=8)
    assert chunks_of(X) == blocked_mod.MAX_CHUNKS
    assert chunks_of(X.toarray()) == 1 and chunks_of(X[:50]) == 1  # dense; small
    with threadpool_limits(1):
        assert chunks_of(X) == blocked_mod.MAX_CHUNKS  # not the thread count
    tall = sp.csc_array(X)  # CSC: one partial n-vector per chunk, kept to a quarter of nnz
    assert chunks_of(tall) * tall.shape[0] <= max(tall.nnz // 4, 2 * tall.shape[0])
    assert blocked_of(X).spans[0][0] == 0 and blocked_of(X).spans[-1][1] == 2000


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_a_cg_fit_has_the_same_bits_under_a_thread_limit(small_chunks, fmt):
    X, y = _sparse(3000, 60, 0.05, seed=9, fmt=fmt)
    assert blocked_of(X) is not None
    fit = LinearRegression(**CG, tol=1e-12).fit(X, y)
    with threadpool_limits(1):
        alone = LinearRegression(**CG, tol=1e-12).fit(X, y)
    np.testing.assert_array_equal(fit.coef_, alone.coef_)
    assert fit.intercept_ == alone.intercept_
    A = sp.hstack([X, np.ones((3000, 1))], format="csr")
    ref = lsqr(A, y, atol=1e-15, btol=1e-15, conlim=1e15, iter_lim=10_000)[0]
    got = np.append(fit.coef_, fit.intercept_)
    assert np.abs(got - ref).max() <= 1e-8 * np.abs(ref).max()


def test_a_fit_reads_x_once_per_product_it_needs(small_chunks, monkeypatch):
    """Products with X: two for the column moments, two for the start, two per
    iteration, and at most three for the reference on well-conditioned data."""
    X, y = _sparse(4000, 40, 0.05, seed=10)
    calls = []
    real = Blocked.product

    def counted(self, *args, **kwargs):
        calls.append(args[1])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Blocked, "product", counted)
    model = LinearRegression(**CG, tol=1e-8).fit(X, y)
    assert model.converged_ and model.n_iter_ >= 3
    assert len(calls) <= 2 + 2 + 2 * model.n_iter_ + 3


def test_the_reported_gap_is_within_a_fifth_of_the_true_gap():
    """The reference continues CG to a fifth of the fit's measure, then one line search:
    the gap it reports is the true gap (to tight lsqr) to 20%."""
    X, y = _sparse(5000, 200, 0.02, seed=11)
    model = LinearRegression(**CG, tol=1e-6).fit(X, y)
    A = sp.hstack([X, np.ones((5000, 1))], format="csr")
    ref = lsqr(A, y, atol=1e-15, btol=1e-15, conlim=1e15, iter_lim=10_000)[0]
    got = np.append(model.coef_, model.intercept_)
    true = np.abs(got - ref).max() / np.abs(ref).max()
    d = model.diagnostics_
    assert true > 1e-9  # a gap well above the reference's own error
    assert 0.8 * true <= d.rel_coef_gap <= 1.2 * true


def test_design_products_equal_the_dense_centred_design(small_chunks):
    """``A z`` and ``A^T r`` of the chunked operator equal the dense
    ``diag(sq) [(X - 1 mu^T) D, 1]`` (scalar and per-row weights)."""
    X, y = _sparse(1500, 30, 0.1, seed=12)
    rng = np.random.default_rng(13)
    mu, d = rng.standard_normal(30), rng.uniform(0.5, 2.0, 30)
    for sq in (0.3, rng.uniform(0.1, 1.0, (1500, 1))):
        A = Design(X, y[:, None], sq, mu, d, np.zeros((31, 1)))
        assert A.blocked is not None
        dense = np.broadcast_to(sq, (1500, 1)) * np.hstack(
            [(X.toarray() - mu) * d, np.ones((1500, 1))]
        )
        z, r = rng.standard_normal((31, 2)), rng.standard_normal((1500, 2))
        np.testing.assert_allclose(A.matvec(z), dense @ z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(A.rmatvec(r), dense.T @ r, rtol=1e-12, atol=1e-11)
