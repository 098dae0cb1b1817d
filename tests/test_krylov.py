"""optimizer="cg": conjugate gradients on the normal equations (lingrad._krylov, _design).

Oracles: scipy.sparse.linalg.lsqr driven to atol=btol=1e-15 on ``[X, 1]`` (and on the
centred, weighted design), numpy.linalg.lstsq on dense data (the minimum-norm
solution when not unique), scikit-learn's LinearRegression and Ridge. Coefficients are
compared to 1e-8 relative to the largest (8 digits); the fits use ``tol=1e-13``.
"""

import math
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import textbook_gd
from scipy.sparse.linalg import lsqr
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge

from lingrad import LinearRegression
from lingrad._krylov import KRYLOV_REFERENCE
from lingrad._operator import column_moments
from lingrad._optimizers import choose_optimizer
from lingrad._params import ParameterError

# cg on the direct engine, asked for: "auto" takes the statistics for most of these small f
CONVERGE = {"lr": "auto", "tol": 1e-13, "n_iters": 500, "random_state": 0, "engine": "direct"}
CONVERGE["optimizer"] = "cg"
DIGITS8 = 1e-8


def _sparse(n, f, density, seed, fmt="csr", k=None):
    rng = np.random.default_rng(seed)
    X = sp.random_array(
        (n, f), density=density, format=fmt, rng=rng, data_sampler=rng.standard_normal
    )
    coef = rng.standard_normal(f if k is None else (f, k))
    noise = rng.standard_normal(n if k is None else (n, k))
    return X, X @ coef + 3.0 + noise


def _lsqr(X, y, fit_intercept=True, w=None):
    """The tight reference: lsqr on sqrt(w) [X, 1], one target at a time."""
    A = sp.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else sp.csr_array(X)
    sq = np.ones(X.shape[0]) if w is None else np.sqrt(w)
    A = sp.csr_array(sp.diags_array(sq) @ A)
    Y = y.reshape(len(y), -1)
    tight = {"atol": 1e-15, "btol": 1e-15, "conlim": 1e15, "iter_lim": 10_000}
    return np.column_stack([lsqr(A, sq * Y[:, j], **tight)[0] for j in range(Y.shape[1])])


def _theta(model):
    coef = np.atleast_2d(model.coef_).T
    return np.vstack([coef, np.atleast_1d(model.intercept_)[None, :]])


def _rel(got, ref):
    return float(np.abs(got - ref).max() / np.abs(ref).max())


# -- the optimum: sparse, wide dense, weights, multi-output, ridge --------------------------
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_matches_tight_lsqr_and_sklearn(fmt):
    X, y = _sparse(3000, 400, 0.01, seed=1, fmt=fmt)
    model = LinearRegression(**{**CONVERGE, "engine": "auto", "optimizer": "gd"}).fit(X, y)
    assert (model.engine_, model.diagnostics_.optimizer) == ("direct", "cg")
    assert model.converged_ and model.stop_reason_ == "tol" and model.n_iter_ < 60
    assert _rel(_theta(model), _lsqr(X, y)) <= DIGITS8
    sk = SkLinearRegression(tol=1e-14).fit(X, y)
    assert _rel(_theta(model), _theta(sk)) <= 1e-7  # sklearn's own lsqr stops near 1e-10


def test_without_intercept_matches_lsqr():
    X, y = _sparse(2000, 300, 0.02, seed=2)
    model = LinearRegression(**CONVERGE, fit_intercept=False).fit(X, y)
    assert model.diagnostics_.optimizer == "cg" and model.intercept_ == 0.0
    ref = _lsqr(X, y, fit_intercept=False)[:, 0]
    assert np.abs(model.coef_ - ref).max() <= DIGITS8 * np.abs(ref).max()


def test_wide_dense_direct_matches_lstsq():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((600, 300)) * rng.uniform(0.1, 100, 300) + rng.uniform(-50, 50, 300)
    y = X @ rng.standard_normal(300) + 1.0 + rng.standard_normal(600)
    model = LinearRegression(**CONVERGE).fit(X, y)
    assert model.diagnostics_.optimizer == "cg"
    A = np.column_stack([X, np.ones(600)])
    ref = np.linalg.lstsq(A, y, rcond=None)[0][:, None]
    assert _rel(_theta(model), ref) <= DIGITS8


def test_weights_scale_rows_by_their_square_root():
    X, y = _sparse(2500, 200, 0.02, seed=4)
    w = np.random.default_rng(5).uniform(0.0, 3.0, 2500)
    model = LinearRegression(**CONVERGE).fit(X, y, sample_weight=w)
    assert _rel(_theta(model), _lsqr(X, y, w=w)) <= DIGITS8
    sk = SkLinearRegression(tol=1e-14).fit(X.toarray(), y, sample_weight=w)
    assert _rel(_theta(model), _theta(sk)) <= DIGITS8


def test_multi_output_is_one_cg_per_target():
    X, Y = _sparse(2000, 150, 0.03, seed=6, k=3)
    model = LinearRegression(**CONVERGE).fit(X, Y)
    assert model.coef_.shape == (3, 150) and model.intercept_.shape == (3,)
    assert _rel(_theta(model), _lsqr(X, Y)) <= DIGITS8
    one = LinearRegression(**CONVERGE).fit(X, Y[:, 1])
    assert np.abs(one.coef_ - model.coef_[1]).max() <= DIGITS8 * np.abs(one.coef_).max()


@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_folds_into_the_damping_and_matches_sklearn_ridge(weighted):
    X, y = _sparse(1500, 120, 0.03, seed=7)
    w = np.random.default_rng(8).uniform(0.5, 2.0, 1500) if weighted else None
    S = 1500.0 if w is None else float(w.sum())
    a = 5.0  # sklearn's Ridge(alpha=a) is lingrad's alpha = a / S
    model = LinearRegression(**CONVERGE, alpha=a / S).fit(X, y, sample_weight=w)
    assert model.diagnostics_.optimizer == "cg"
    ridge = Ridge(alpha=a, solver="cholesky").fit(X.toarray(), y, sample_weight=w)
    assert _rel(_theta(model), _theta(ridge)) <= DIGITS8


def test_constant_and_empty_columns_get_the_minimum_norm_zero():
    X, y = _sparse(1000, 50, 0.05, seed=9)
    X = sp.hstack([X, sp.csr_array(np.full((1000, 1), 0.1)), sp.csr_array((1000, 1))]).tocsr()
    model = LinearRegression(**CONVERGE).fit(X, y)
    assert model.coef_[-2] == 0.0 and model.coef_[-1] == 0.0
    Xd = X.toarray()
    coef = np.linalg.lstsq(Xd - Xd.mean(axis=0), y - y.mean(), rcond=None)[0]  # minimum norm
    ref = np.r_[coef, y.mean() - Xd.mean(axis=0) @ coef]  # as sklearn's centred fit
    assert _rel(_theta(model)[:, 0], ref) <= DIGITS8


def test_fewer_rows_than_columns_ends_at_the_minimum_norm_solution():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((40, 120))
    y = rng.standard_normal(40)
    model = LinearRegression(**CONVERGE).fit(X, y)
    assert model.diagnostics_.coef_unique is False
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    ref = np.linalg.lstsq(Xc, yc, rcond=None)[0]  # minimum norm
    assert np.abs(model.coef_ - ref).max() <= DIGITS8 * np.abs(ref).max()


def test_large_offsets_are_centred_without_cancellation():
    X, y = _sparse(2000, 30, 0.2, seed=11)
    X = X.toarray()
    X[:, 0] = 1e6 + np.random.default_rng(12).standard_normal(2000)  # a timestamp-like column
    model = LinearRegression(**CONVERGE).fit(sp.csr_array(X), y)
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(2000)]), y, rcond=None)[0]
    assert np.abs(model.coef_ - ref[:30]).max() <= 1e-6 * np.abs(ref[:30]).max()
    mean, var = column_moments(sp.csr_array(X), None, centre=True)
    np.testing.assert_allclose(var, X.var(axis=0), rtol=1e-9)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14)


def test_float32_sparse_runs_in_float32_to_its_precision():
    X, y = _sparse(2000, 100, 0.05, seed=13)
    model = LinearRegression(**{**CONVERGE, "tol": 1e-5}).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.converged_
    assert _rel(_theta(model).astype(np.float64), _lsqr(X, y)) <= 1e-4


# -- honesty: history, stopping, diagnostics, path ---------------------------------------
def test_history_stopping_and_diagnostics_are_honest():
    X, y = _sparse(3000, 300, 0.01, seed=14)
    calls = []
    model = LinearRegression(**CONVERGE, record_path=True).fit(
        X, y, callback=lambda it, mse: calls.append((it, mse))
    )
    h = model.loss_history_
    assert len(h) == model.n_iter_ + 1 == len(calls) + 1
    assert [c[0] for c in calls] == list(range(1, model.n_iter_ + 1))
    np.testing.assert_allclose([c[1] for c in calls], h[1:], rtol=0)
    assert np.all(np.diff(h) <= 1e-12 * h[0])  # CGLS never increases the residual
    start = X @ model.coef_init_ + model.intercept_init_ - y
    end = X @ model.coef_ + model.intercept_ - y
    np.testing.assert_allclose([h[0], h[-1]], [np.mean(start**2), np.mean(end**2)], rtol=1e-10)
    assert model.coef_path_.shape == (model.n_iter_ + 1, 300)
    np.testing.assert_array_equal(model.coef_path_[0], model.coef_init_)
    np.testing.assert_allclose(model.coef_path_[-1], model.coef_, rtol=0, atol=1e-15)
    d = model.diagnostics_
    assert (d.engine, d.optimizer, d.precondition) == ("direct", "cg", "diagonal")
    assert d.reference_method == KRYLOV_REFERENCE
    true = _rel(_theta(model), _lsqr(X, y))
    assert 0.5 * true <= d.rel_coef_gap <= 2.0 * true  # the reference measures the real gap
    assert d.objective_gap >= 0 and math.isfinite(d.condition_number)
    assert model.lr_ == d.lr == 1.0 / d.lipschitz


def test_ritz_values_bracket_inside_the_descended_spectrum():
    X, y = _sparse(800, 40, 0.1, seed=15)
    d = LinearRegression(**CONVERGE).fit(X, y).diagnostics_
    Xd = X.toarray()
    Z = (Xd - Xd.mean(axis=0)) / Xd.std(axis=0) / math.sqrt(800)
    ev = np.linalg.eigvalsh(Z.T @ Z)
    ev = np.r_[ev, 1.0]  # the intercept's own direction
    assert ev.min() * (1 - 1e-8) <= d.smallest_eigenvalue <= d.lipschitz
    assert d.lipschitz <= ev.max() * (1 + 1e-8)
    assert d.lipschitz >= 0.999 * ev.max() and d.smallest_eigenvalue <= 1.001 * ev.min()


def test_budget_short_of_tol_is_not_converged_and_says_so():
    X, y = _sparse(3000, 300, 0.01, seed=16)
    with pytest.warns(Warning, match="did not converge"):
        model = LinearRegression(**{**CONVERGE, "n_iters": 2}).fit(X, y)
    assert (model.converged_, model.stop_reason_, model.n_iter_) == (False, "max_iter", 2)
    assert model.diagnostics_.rel_coef_gap > 1e-6  # far, and the diagnostics know it


def test_no_densification_memory_stays_far_below_the_dense_size():
    X, y = _sparse(200_000, 5_000, 1e-3, seed=17)
    dense_bytes = 8 * X.shape[0] * X.shape[1]  # 8 GB
    sparse_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    model = LinearRegression(lr="auto", tol=1e-8, random_state=0)
    tracemalloc.start()
    try:
        model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert model.diagnostics_.optimizer == "cg" and model.converged_
    assert peak < 2 * sparse_bytes + 20 * 8 * X.shape[0]  # a few n-vectors, no copy of X
    assert peak < dense_bytes / 200


# -- when cg is chosen, and the tutorial's semantics --------------------------------------
def test_choice_rule():
    from types import SimpleNamespace

    def chosen(resolved="direct", **changes):
        base = {"optimizer": "gd", "lr": "auto", "alpha": 0.0, "l1_ratio": 0.0}
        base |= {"batch_size": None, "precondition": "auto", "engine": "auto"}
        return choose_optimizer(SimpleNamespace(**{**base, **changes}), resolved)

    assert chosen() == "cg" and chosen(precondition="diagonal") == "cg"
    assert chosen(alpha=0.1) == "cg"  # ridge folds into the damping
    assert chosen("stats") == "gd"
    assert chosen(lr=0.01) == "gd"
    assert chosen(optimizer="nesterov") == "nesterov"
    assert chosen(alpha=0.1, l1_ratio=0.5) == "gd"
    assert chosen(batch_size=10) == "gd"
    assert chosen(precondition="none") == "gd"
    assert chosen("stats", optimizer="cg") == "cg"  # asked for: plan_arrays takes "direct"
    assert chosen(engine="direct") == "gd"  # an explicit direct engine keeps gradient steps


def test_tall_dense_lr_auto_stays_on_the_statistics():
    rng = np.random.default_rng(18)
    X = rng.standard_normal((2000, 5))
    model = LinearRegression(lr="auto", tol=1e-10, random_state=0).fit(X, X @ np.ones(5))
    assert (model.engine_, model.diagnostics_.optimizer) == ("stats", "gd")


def test_explicit_cg_takes_the_direct_engine_when_auto():
    rng = np.random.default_rng(19)
    X = rng.standard_normal((500, 4))
    y = X @ np.arange(4.0) + 1
    model = LinearRegression(**{**CONVERGE, "engine": "auto", "optimizer": "cg"}).fit(X, y)
    assert (model.engine_, model.diagnostics_.optimizer) == ("direct", "cg")
    np.testing.assert_allclose(model.coef_, np.arange(4.0), atol=1e-9)


def test_numeric_lr_keeps_the_textbook_iterates_on_sparse_data():
    X, y = _sparse(400, 30, 0.1, seed=20)
    model = LinearRegression(lr=0.01, n_iters=50, random_state=np.random.RandomState(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    np.random.seed(0)
    w, b, history = textbook_gd(X.toarray(), y, lr=0.01, n_iters=50)
    assert model.diagnostics_.optimizer == "gd" and model.n_iter_ == 50
    np.testing.assert_allclose(model.coef_, w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-12)
    np.testing.assert_allclose(model.loss_history_, history, rtol=1e-12)


@pytest.mark.parametrize(
    ("settings", "param"),
    [
        ({"lr": 0.01}, "lr"),
        ({"learning_rate": "invscaling"}, "learning_rate"),
        ({"alpha": 0.1, "l1_ratio": 0.5}, "l1_ratio"),
        ({"batch_size": 10}, "batch_size"),
        ({"engine": "stats"}, "optimizer"),
        ({"precondition": "full"}, "precondition"),
    ],
)
def test_cg_refuses_what_it_cannot_do_with_a_remedy(settings, param):
    X, y = _sparse(300, 20, 0.2, seed=21)
    kw = {**CONVERGE, "optimizer": "cg", **settings}
    with pytest.raises(ParameterError) as err:
        LinearRegression(**kw).fit(X, y)
    assert err.value.fields["param"] == param
    assert "Use" in str(err.value)  # a remedy
    assert "'cg'" in str(err.value) or param == "precondition"  # (that one: the direct engine's)


def test_cg_model_saves_and_loads(tmp_path):
    from lingrad.persist import load_model

    X, y = _sparse(500, 40, 0.1, seed=22)
    model = LinearRegression(**CONVERGE).fit(X, y)
    model.save(tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(back.coef_, model.coef_)
    assert back.diagnostics_.optimizer == "cg" and back.stop_reason_ == model.stop_reason_


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("k", [None, 3])
def test_blocked_products_equal_scipys(fmt, k):
    from lingrad._operator import Blocked

    X, _ = _sparse(300, 70, 0.1, seed=23, fmt=fmt)
    rng = np.random.default_rng(24)
    blocked = Blocked(X, 3)
    assert len(blocked.blocks) == 3 and blocked.blocks[0].data.base is not None  # views
    v = rng.standard_normal(70 if k is None else (70, k))
    r = rng.standard_normal(300 if k is None else (300, k))
    np.testing.assert_allclose(blocked.product(v, False), X @ v, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(blocked.product(r, True), X.T @ r, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_blocks_share_xs_arrays_and_take_other_values(fmt):
    """Blocks (and their transposes) are views of X's arrays, even a block of less than
    half of X (SciPy's constructors would copy those); ``with_data`` reuses the pattern."""
    from lingrad._operator import Blocked

    X, _ = _sparse(400, 60, 0.1, seed=25, fmt=fmt)
    blocked = Blocked(X, 3)
    for B in (*blocked.blocks, *blocked.blocks_t):
        assert np.shares_memory(B.data, X.data) and np.shares_memory(B.indices, X.indices)
    squares = X.data**2
    X2 = X.copy()
    X2.data = squares
    other = blocked.with_data(squares)
    assert all(np.shares_memory(B.data, squares) for B in other.blocks_t)
    r = np.random.default_rng(26).standard_normal(400)
    np.testing.assert_allclose(other.product(r, True), X2.T @ r, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(blocked.product(r, True), X.T @ r, rtol=1e-13, atol=1e-13)
