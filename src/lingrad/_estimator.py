"""``LinearRegression``: a thin scikit-learn shell over :func:`lingrad._solve.solve`.

``fit`` validates, builds the problem (statistics or direct), calls one solve
and unpacks its :class:`~lingrad._solve.FitResult`. Defaults reproduce the
tutorial exactly: weights from ``rand(n_features)``, bias 0, ``n_iters`` plain
gradient-descent steps at ``lr=0.01``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackError
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _validation as V
from ._diagnostics import (
    DEFAULT_ESTIMATE_TOL,
    ILL_CONDITIONED,
    Diagnostics,
    IllConditionedWarning,
    ill_conditioned_message,
    iterations_to,
)
from ._objective import DirectLeastSquares, Penalty, StatsLeastSquares
from ._optimizers import GD, OPTIMIZERS, SCHEDULES, Schedule, auto_lr, make_optimizer
from ._solve import (
    OVERFLOW_MESSAGE,
    DivergenceError,
    DivergenceWarning,
    FitResult,
    divergence_message,
    solve,
)
from ._sources import _is_dask, as_source
from ._stats import RawAccumulator, SufficientStats

__all__ = ["LinearRegression"]

ENGINES = ("auto", "stats", "direct")
# Dense feature-space work above this many parameters costs more memory than
# it saves (an f x f float64 matrix of 8192^2 is 512 MiB).
_STATS_MAX_PARAMS = 8192


def _condition(L: float, mu: float) -> float:
    if math.isnan(mu):
        return math.nan
    return L / mu if mu > 0 else math.inf


def _shuffled_batches(rng, n: int, batch_size: int):
    """``batches(epoch)``: row indices in batches, reshuffled every epoch with ``rng``."""

    def batches(epoch):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield np.sort(order[start : start + batch_size])

    return batches


class _Minibatch:
    """Batch gradients from the data, full-data monitoring from ``monitor``."""

    def __init__(self, direct: DirectLeastSquares, monitor) -> None:
        self.batch_grad = direct.batch_grad
        self.grad_mse = monitor.grad_mse


class LinearRegression(RegressorMixin, BaseEstimator):
    """Linear regression trained by gradient descent on the mean squared error.

    With the defaults this is exactly the classic from-scratch tutorial: the
    weights start at ``rand(n_features)`` (uniform on [0, 1)), the bias at 0,
    and each of ``n_iters`` iterations does ``r = X w + b - y``,
    ``w <- w - lr X^T r / n``, ``b <- b - lr mean(r)``. The same iterates are
    computed from sufficient statistics when that is faster (``engine``).

    Parameters
    ----------
    lr : float or "auto", default=0.01
        Learning rate. ``"auto"`` uses ``1/L`` (L the largest curvature of the
        loss, computed from the data); the rate used is ``lr_``. Plain gradient
        descent diverges for ``lr >= 2/L``, where the tutorial's loop returns
        inf/NaN; lingrad detects it *before iterating* (and, for the other
        optimizers, as soon as the loss blows up) and acts as ``on_divergence``
        says.
    n_iters : int, default=1000
        Iteration budget. In mini-batch mode (``batch_size`` set) it counts
        epochs: passes over the data.
    fit_intercept : bool, default=True
        Learn the bias. When False the bias stays 0 and is never updated.
    random_state : None, int or RandomState, default=None
        Seeds the starting weights (and mini-batch shuffling). None draws from
        NumPy's global RandomState, as ``np.random.rand`` in the tutorial does.
    verbose : bool or int, default=False
        Print the MSE about ten times during training.
    tol : float or None, default=None
        None runs all ``n_iters`` (the tutorial). A float stops when the
        gradient norm falls below ``tol`` times its starting value; running out
        of budget first gives a ``ConvergenceWarning``.
    engine : {"auto", "stats", "direct"}, default="auto"
        ``"stats"``: one pass over X for the sufficient statistics, then each
        iteration costs O(n_features^2). ``"direct"``: each iteration is a pass
        over X (best for wide or sparse data). ``"auto"`` picks the cheaper
        from n, f, ``n_iters``, sparsity and memory; the choice is ``engine_``.
    optimizer : {"gd", "momentum", "nesterov", "adam"}, default="gd"
    momentum : float or None, default=None
        Momentum of "momentum" and "nesterov". None uses the optimal value for
        the data's condition number when known (engine "stats"), otherwise 0.9
        for heavy ball and FISTA's schedule with restarts for Nesterov.
    batch_size : int or None, default=None
        None is full-batch gradient descent. An int runs mini-batch SGD,
        reshuffling every epoch with ``random_state``; ``n_iters`` counts epochs.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the learning rate over updates: constant ``lr``,
        ``lr / (t + 1) ** 0.25``, or ``lr / 5`` each time the loss stalls for 5
        epochs.
    alpha : float, default=0.0
        Penalty strength (elastic net, below).
    l1_ratio : float, default=0.0
        Share of L1 in the penalty. The objective minimised is
        ``1/(2 S) sum_i s_i (x_i w + b - y_i)^2 + alpha (l1_ratio |w|_1 +
        (1 - l1_ratio)/2 |w|_2^2)`` with ``S`` the sum of sample weights. This
        is scikit-learn's ``ElasticNet(alpha, l1_ratio)`` and ``Lasso(alpha)``
        (``l1_ratio=1``) exactly, and ``Ridge(alpha=a)`` for ``alpha = a / S``
        (``l1_ratio=0``). L1 is applied by a proximal step (ISTA; FISTA with
        Nesterov).
    on_divergence : {"recover", "raise"}, default="recover"
        What a too-large ``lr`` gets. ``"recover"``: a :class:`DivergenceWarning`
        naming the ``lr`` given, the stable limit and the remedies, then the fit
        restarts from the same starting point with ``lr="auto"`` (recorded in
        ``lr_``). ``"raise"``: :class:`DivergenceError` with the same message.
        Either way no NaN or inf ever reaches ``coef_``.
    record_path : bool, default=False
        Keep every iterate in ``coef_path_`` and ``intercept_path_`` (for plots
        of the descent path); costs ``n_iters * n_features`` numbers.
    partial_fit_mode : {"exact", "sgd"}, default="exact"
        What :meth:`partial_fit` does with each batch. ``"exact"`` merges the
        batch's sufficient statistics and re-solves from the same starting
        point: after any number of batches the model equals ``fit`` on their
        concatenation (to rounding). The solve is deferred until the model is
        next used (``coef_``, ``predict``, ...), so ingesting a batch costs one
        pass over it. ``"sgd"`` makes one epoch of mini-batch updates over the
        batch (``batch_size`` rows at a time, the whole batch when None),
        keeping the optimizer state and the learning-rate schedule across calls.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Iterations (epochs in mini-batch mode) run.
    loss_history_ : ndarray of shape (n_iter_ + 1,)
        Mean squared error at the start and after every iteration.
    converged_ : bool
    stop_reason_ : {"tol", "max_iter", "zero_gradient"}
    lr_ : float
        Learning rate used (resolved from ``"auto"``).
    engine_ : {"stats", "direct"}
    diagnostics_ : Diagnostics
        Curvature, condition number, stable learning rates, iteration
        estimates and the gap to the exact optimum.
    fit_result_ : FitResult
        The solver's full result (starting point, optimizer state, ...).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when fitted on a DataFrame with string column names.
    coef_init_, intercept_init_ : like ``coef_``, ``intercept_``
        The starting point (the tutorial's "line at the random start").
    coef_path_ : ndarray of shape (n_iter_ + 1, n_features) or (n_iter_ + 1, n_targets, n_features)
        Every iterate, only with ``record_path=True``.
    intercept_path_ : ndarray of shape (n_iter_ + 1,) or (n_iter_ + 1, n_targets)
        Every intercept iterate, only with ``record_path=True``.

    Examples
    --------
    >>> from lingrad import LinearRegression
    >>> from lingrad.datasets import make_tutorial_data
    >>> X, y = make_tutorial_data()
    >>> model = LinearRegression(random_state=0).fit(X, y)
    >>> print(f"{model.coef_[0]:.2f} {model.intercept_:.2f}")
    65.94 0.52
    >>> print(f"{model.diagnostics_.max_coef_gap:.1e}")  # the tutorial stops short of lstsq
    6.4e-03
    """

    def __init__(
        self,
        lr: float | str = 0.01,
        n_iters: int = 1000,
        *,
        fit_intercept: bool = True,
        random_state=None,
        verbose: bool | int = False,
        tol: float | None = None,
        engine: str = "auto",
        optimizer: str = "gd",
        momentum: float | None = None,
        batch_size: int | None = None,
        learning_rate: str = "constant",
        alpha: float = 0.0,
        l1_ratio: float = 0.0,
        on_divergence: str = "recover",
        record_path: bool = False,
        partial_fit_mode: str = "exact",
    ) -> None:
        self.lr = lr
        self.n_iters = n_iters
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.verbose = verbose
        self.tol = tol
        self.engine = engine
        self.optimizer = optimizer
        self.momentum = momentum
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.on_divergence = on_divergence
        self.record_path = record_path
        self.partial_fit_mode = partial_fit_mode

    # -- tutorial aliases ------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """The tutorial's name for ``coef_`` (read-only)."""
        check_is_fitted(self)
        return self.coef_

    @property
    def bias(self):
        """The tutorial's name for ``intercept_`` (read-only)."""
        check_is_fitted(self)
        return self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    # -- validation --------------------------------------------------------------
    def _check_params(self) -> dict:
        me = type(self).__name__
        p = {}
        if isinstance(self.lr, str):
            if self.lr != "auto":
                raise V.param_error(
                    me,
                    "lr",
                    "a positive float or 'auto'",
                    self.lr,
                    "Use e.g. lr=0.01 or lr='auto'.",
                )
            p["lr"] = "auto"
        else:
            p["lr"] = V.check_real(
                me,
                "lr",
                self.lr,
                low=0.0,
                low_open=True,
                fix="Use a positive learning rate such as lr=0.01, or lr='auto'.",
            )
        p["n_iters"] = V.check_int(
            me, "n_iters", self.n_iters, low=0, fix="Use a whole number of iterations, e.g. 1000."
        )
        if self.tol is not None:
            p["tol"] = V.check_real(
                me,
                "tol",
                self.tol,
                low=0.0,
                low_open=True,
                fix="Use a small positive tolerance such as tol=1e-6, or None.",
            )
        else:
            p["tol"] = None
        p["engine"] = V.check_option(me, "engine", self.engine, ENGINES)
        p["optimizer"] = V.check_option(me, "optimizer", self.optimizer, OPTIMIZERS)
        if self.momentum is not None:
            p["momentum"] = V.check_real(
                me,
                "momentum",
                self.momentum,
                low=0.0,
                high=1.0,
                high_open=True,
                fix="Use a momentum in [0, 1), e.g. 0.9, or None for the data-driven default.",
            )
        else:
            p["momentum"] = None
        if self.batch_size is not None:
            p["batch_size"] = V.check_int(
                me,
                "batch_size",
                self.batch_size,
                low=1,
                fix="Use a positive number of rows per batch, or None for full batch.",
            )
        else:
            p["batch_size"] = None
        p["on_divergence"] = V.check_option(
            me, "on_divergence", self.on_divergence, ("recover", "raise")
        )
        p["partial_fit_mode"] = V.check_option(
            me, "partial_fit_mode", self.partial_fit_mode, ("exact", "sgd")
        )
        p["learning_rate"] = V.check_option(me, "learning_rate", self.learning_rate, SCHEDULES)
        p["alpha"] = V.check_real(
            me, "alpha", self.alpha, low=0.0, fix="Use alpha >= 0 (0 means no penalty)."
        )
        p["l1_ratio"] = V.check_real(
            me,
            "l1_ratio",
            self.l1_ratio,
            low=0.0,
            high=1.0,
            fix="Use l1_ratio between 0 (ridge) and 1 (lasso).",
        )
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise V.param_error(
                me,
                "fit_intercept",
                "True or False",
                self.fit_intercept,
                "Pass fit_intercept=True or fit_intercept=False.",
            )
        return p

    def _validate_xy(self, X, y, sample_weight, *, reset: bool):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. "
                "Pass the targets as y (or a dataset from lingrad.open_dataset, which holds them)."
            )
        try:
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse=("csr", "csc"),
                dtype=[np.float64, np.float32],
                multi_output=True,
                y_numeric=True,
            )
        except ValueError as err:
            raise V.add_hint(err) from err
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError(
                "y has no target columns. Pass y of shape (n_samples,) or "
                "(n_samples, n_targets) with n_targets >= 1."
            )
        sw = None
        if sample_weight is not None:
            try:
                sw = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            except ValueError as err:
                raise ValueError(f"{err} Pass one non-negative, finite weight per sample.") from err
        return X, y, sw

    # -- fitting -------------------------------------------------------------------
    def _choose_engine(self, X, n_targets: int, p: dict) -> str:
        if p["engine"] != "auto":
            return p["engine"]
        n, f = X.shape
        if f + 1 > _STATS_MAX_PARAMS:
            return "direct"
        passes = p["n_iters"] if p["tol"] is None else max(p["n_iters"], 1)
        if sp.issparse(X):
            nnz_row = X.nnz / max(n, 1)
            stats_cost = n * nnz_row * nnz_row + f * f * (passes + f)
            direct_cost = 2.0 * X.nnz * n_targets * passes
        else:
            stats_cost = n * (f + n_targets) ** 2 / 2 + f * f * (n_targets * passes + f)
            direct_cost = 2.0 * n * f * n_targets * passes
        return "stats" if stats_cost <= direct_cost else "direct"

    def _init_theta(self, rng, f: int, k: int, one_d: bool, dtype) -> np.ndarray:
        W = rng.rand(f) if one_d else rng.rand(k, f).T
        theta = np.zeros((f + int(self.fit_intercept), k), dtype=dtype)
        theta[:f] = W.reshape(f, k)
        return theta

    def fit(
        self, X, y=None, sample_weight=None, *, callback: Callable[[int, float], None] | None = None
    ):
        """Fit by gradient descent.

        Parameters
        ----------
        X : array-like, sparse matrix, dataset or Dask collection of shape (n_samples, n_features)
            Arrays, DataFrames (pandas, polars), SciPy sparse matrices, a dataset
            from :func:`lingrad.open_dataset` (then ``y`` is None: the file holds
            it), or Dask arrays/DataFrames.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is the weighted mean squared error.
        callback : callable, default=None
            ``callback(iteration, mse)`` after every iteration (progress bars).

        Returns
        -------
        self : LinearRegression
        """
        p = self._check_params()
        self.__dict__.pop("_online", None)
        self.__dict__.pop("_pending_solve", None)
        source = as_source(X, y, sample_weight)
        if source is not None:
            return self._fit_source(source, p, callback)
        X, y, sw = self._validate_xy(X, y, sample_weight, reset=True)
        one_d = y.ndim == 1
        Y = y.reshape(len(y), -1)
        n, f = X.shape
        k = Y.shape[1]
        engine = self._choose_engine(X, k, p)
        penalty = Penalty(p["alpha"], p["l1_ratio"])
        stats = None
        if engine == "stats":
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked in _run
                stats = SufficientStats.from_arrays(X, Y, sw)
            full = StatsLeastSquares(stats, self.fit_intercept, penalty)
            work_dtype = np.float64
        else:
            work_dtype = X.dtype
            Y = Y.astype(work_dtype, copy=False)
            full = DirectLeastSquares(X, Y, sw, self.fit_intercept, penalty)
        rng = check_random_state(self.random_state)
        theta0 = self._init_theta(rng, f, k, one_d, work_dtype)
        batches = None
        if p["batch_size"] is not None:
            direct = (
                full
                if engine == "direct"
                else DirectLeastSquares(
                    X, Y.astype(theta0.dtype, copy=False), sw, self.fit_intercept, penalty
                )
            )
            batches = _shuffled_batches(rng, n, p["batch_size"])
        self.stats_ = stats
        return self._run(
            full,
            penalty,
            theta0,
            p,
            engine,
            one_d,
            X.dtype,
            callback,
            None if batches is None else (_Minibatch(direct, full), batches),
        )

    def _fit_source(self, source, p: dict, callback):
        """Fit from a data source (file, Dask collection): statistics in one pass."""
        if p["batch_size"] is not None:
            raise ValueError(
                "batch_size (mini-batch SGD) needs the data in memory; a file or Dask source "
                "is fitted exactly from its statistics. Drop batch_size, or call "
                "partial_fit on chunks with partial_fit_mode='sgd'."
            )
        f, k = source.n_features, source.n_targets
        if k == 0:
            raise ValueError(
                f"{source.description} was opened without a target column, so there is nothing "
                "to fit: open it with open_dataset(path, target='column'). (A dataset without "
                "a target is for predict.)"
            )
        self.n_features_in_ = f
        if source.feature_names is not None:
            self.feature_names_in_ = np.asarray(source.feature_names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        engine = p["engine"]
        if engine == "auto":
            engine = "stats" if f + 1 <= _STATS_MAX_PARAMS else "direct"
        penalty = Penalty(p["alpha"], p["l1_ratio"])
        stats = None
        if engine == "stats":
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked in _run
                stats = source.sufficient_stats()
            full = StatsLeastSquares(stats, self.fit_intercept, penalty)
        else:
            full = source.direct_problem(self.fit_intercept, penalty)
        rng = check_random_state(self.random_state)
        theta0 = self._init_theta(rng, f, k, source.one_d, np.float64)
        self.stats_ = stats
        return self._run(full, penalty, theta0, p, engine, source.one_d, np.float64, callback)

    def _run(self, full, penalty, theta0, p, engine, one_d, dtype, callback, minibatch=None):
        """Resolve lr and optimizer from the curvature, solve, unpack, diagnose."""
        name = p["optimizer"]
        problem, batches = (full, None) if minibatch is None else minibatch
        # Curvature: exact from the statistics; by Lanczos (a few passes) for "direct".
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                L, mu = full.spectrum()
            except (np.linalg.LinAlgError, ArpackError):
                L = mu = math.nan  # Lanczos on overflowing data
        if not math.isfinite(L):
            raise ValueError(OVERFLOW_MESSAGE)
        kappa = _condition(L, mu)
        opt = make_optimizer(name, p["momentum"], kappa if engine == "stats" else None)
        lr = auto_lr(name, L, mu if engine == "stats" else None) if p["lr"] == "auto" else p["lr"]
        stable = opt.stable_lr(L) if math.isfinite(L) else math.nan
        safe_lr = auto_lr(name, L, mu if engine == "stats" else None)
        if isinstance(opt, GD) and lr * L >= 2.0 and p["n_iters"] > 0:
            lr = self._diverged(lr, stable, safe_lr, name, 0, p)
        f = theta0.shape[0] - int(self.fit_intercept)
        prox = penalty.prox_for(f)
        cb = self._verbose_callback(p["n_iters"], callback)

        def run(rate):
            return solve(
                problem,
                theta0,
                opt,
                Schedule(rate, p["learning_rate"]),
                p["n_iters"],
                tol=p["tol"],
                stable_lr=stable,
                prox=prox,
                batches=batches,
                callback=cb,
                record_path=bool(self.record_path),
            )

        # Overflow shows up as non-finite losses, which solve checks and explains.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                res = run(lr)
            except DivergenceError as err:
                lr = self._diverged(lr, stable, safe_lr, name, err.iteration, p)
                res = run(lr)
        if kappa > ILL_CONDITIONED:  # nan (not computed) compares False
            warnings.warn(ill_conditioned_message(kappa), IllConditionedWarning, stacklevel=3)
        self._unpack(res, f, one_d, dtype)
        self.engine_ = engine
        self.lr_ = float(lr)
        self.diagnostics_ = self._diagnose(full, res, engine, name, lr, L, mu, stable, p, one_d)
        if p["tol"] is not None and not res.converged:
            warnings.warn(self._not_converged_message(res, p), ConvergenceWarning, stacklevel=3)
        return self

    def _diverged(self, lr, stable, safe_lr, name, iteration, p) -> float:
        """Raise, or warn and return the safe learning rate (``on_divergence``)."""
        msg = divergence_message(lr, stable, name, iteration)
        if p["on_divergence"] == "raise":
            raise DivergenceError(msg, lr, stable, iteration)
        warnings.warn(
            f"{msg} Recovered: refitted from the same start with lr={safe_lr:.6g} "
            "(lr='auto'); see lr_. Pass on_divergence='raise' to get an error instead.",
            DivergenceWarning,
            stacklevel=4,
        )
        return safe_lr

    def _verbose_callback(self, n_iters, callback):
        if not self.verbose:
            return callback
        every = max(1, n_iters // 10)

        def cb(it, mse):
            if it % every == 0 or it == n_iters:
                print(f"[lingrad] iteration {it:>7d}/{n_iters}  mse={mse:.6g}")
            if callback is not None:
                callback(it, mse)

        return cb

    def _split_theta(self, theta: np.ndarray, f: int, one_d: bool, dtype):
        """``theta`` (n_params, n_targets) -> (coef, intercept) in scikit-learn's shapes."""
        theta = theta.astype(dtype, copy=False)
        W = theta[:f]
        b = theta[f] if self.fit_intercept else np.zeros(theta.shape[1], dtype=dtype)
        if one_d:
            return W[:, 0].copy(), float(b[0])
        return W.T.copy(), b.copy()

    def _unpack(self, res: FitResult, f: int, one_d: bool, dtype) -> None:
        self.coef_, self.intercept_ = self._split_theta(res.theta, f, one_d, dtype)
        self.coef_init_, self.intercept_init_ = self._split_theta(res.theta_init, f, one_d, dtype)
        for stale in ("coef_path_", "intercept_path_"):
            self.__dict__.pop(stale, None)
        if res.path is not None:
            path = res.path.astype(dtype, copy=False)  # (n_iter + 1, n_params, n_targets)
            W = path[:, :f]
            b = path[:, f] if self.fit_intercept else np.zeros((len(path), path.shape[2]), dtype)
            self.coef_path_ = W[:, :, 0].copy() if one_d else np.swapaxes(W, 1, 2).copy()
            self.intercept_path_ = b[:, 0].copy() if one_d else b.copy()
        self.n_iter_ = res.n_iter
        self.loss_history_ = res.loss_history
        self.converged_ = res.converged
        self.stop_reason_ = res.stop_reason
        self.fit_result_ = res

    def _not_converged_message(self, res: FitResult, p: dict) -> str:
        d = self.diagnostics_
        rel = res.grad_norm / res.grad_norm_init if res.grad_norm_init else 0.0
        rate_needed = ""
        if math.isfinite(d.est_iters_gd) and d.est_iters_gd > res.n_iter:
            rate_needed = f" Plain GD at this lr needs about {int(d.est_iters_gd):,} iterations"
            if math.isfinite(d.est_iters_nesterov):
                rate_needed += (
                    f"; optimizer='nesterov' with lr='auto' about {int(d.est_iters_nesterov):,}"
                )
            rate_needed += "."
        return (
            f"lingrad did not converge in n_iters={res.n_iter}: the gradient norm is "
            f"{rel:.3g} of its start, above tol={p['tol']:g}.{rate_needed} Increase n_iters, "
            "use lr='auto' or optimizer='nesterov', or standardise the features."
        )

    def _diagnose(self, full, res, engine, name, lr, L, mu, stable, p, one_d) -> Diagnostics:
        tol = p["tol"] if p["tol"] is not None else DEFAULT_ESTIMATE_TOL
        kappa = _condition(L, mu)
        rate_gd = max(abs(1 - lr * L), abs(1 - lr * mu)) if math.isfinite(mu) else math.nan
        it_gd = iterations_to(rate_gd, tol)
        it_nag = (
            math.ceil(math.sqrt(kappa) * math.log(1 / tol)) if math.isfinite(kappa) else math.inf
        )
        gap = rel_gap = obj_gap = math.nan
        exact_coef = exact_b = None
        if engine == "stats":
            theta_star = self._exact_theta(full, L, mu)
            f = full.n_features
            diff = np.abs(res.theta - theta_star)
            gap = float(diff.max()) if diff.size else 0.0
            scale = float(np.abs(theta_star).max()) if theta_star.size else 0.0
            rel_gap = gap / scale if scale > 0 else gap
            obj_gap = max(self._objective(full, res.theta) - self._objective(full, theta_star), 0.0)
            W = theta_star[:f]
            b = theta_star[f] if self.fit_intercept else np.zeros(theta_star.shape[1])
            exact_coef = W[:, 0].copy() if one_d else W.T.copy()
            exact_b = float(b[0]) if one_d else b.copy()
        return Diagnostics(
            engine=engine,
            optimizer=name,
            lr=float(lr),
            lipschitz=float(L),
            smallest_eigenvalue=float(mu),
            condition_number=float(kappa),
            stable_lr=2.0 / L if L > 0 else math.inf,
            stable_lr_optimizer=float(stable),
            tol=float(tol),
            est_iters_gd=it_gd,
            est_iters_nesterov=it_nag,
            grad_norm=float(res.grad_norm),
            grad_norm_rel=float(res.grad_norm / res.grad_norm_init) if res.grad_norm_init else 0.0,
            max_coef_gap=gap,
            rel_coef_gap=rel_gap,
            objective_gap=float(obj_gap),
            exact_coef=exact_coef,
            exact_intercept=exact_b,
        )

    @staticmethod
    def _objective(full, theta) -> float:
        f = full.n_features
        return 0.5 * full.mse(theta) + full.penalty.value(theta[:f]) / full.n_targets

    def _exact_theta(self, full: StatsLeastSquares, L: float, mu: float) -> np.ndarray:
        """The exact optimum from the statistics: minimum-norm least squares or
        ridge in closed form; with L1, accelerated proximal gradient in feature
        space (O(f^2) per step) down to the precision the statistics allow."""
        theta = full.solve_exact()
        if full.penalty.l1 == 0:
            return theta
        prox = full.penalty.prox_for(full.n_features)
        kappa = _condition(L, mu)
        opt = make_optimizer("nesterov", None, kappa if math.isfinite(kappa) else None)
        res = solve(full, theta, opt, Schedule(1.0 / L), 20_000, tol=1e-11, prox=prox)
        return res.theta

    # -- inference ---------------------------------------------------------------------
    def summary(
        self,
        X=None,
        y=None,
        *,
        sample_weight=None,
        cov_type: str = "nonrobust",
        alpha: float = 0.05,
        use_t: bool | None = None,
    ):
        """statsmodels-grade inference for the fitted coefficients.

        Standard errors, t statistics, p-values, confidence intervals, R², F,
        log-likelihood, AIC/BIC and more, under statsmodels' names (``params``,
        ``bse``, ``pvalues``, ``conf_int()``, ...), intercept first as ``const``.
        Computed from the sufficient statistics kept by ``fit`` (``stats_``), so
        it works for files and Dask too; penalised or unconverged fits are
        flagged as not supporting classical inference.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or dataset, default=None
            The training data. Needed for robust covariances (``cov_type`` HC0-HC3,
            a second pass) and when the fit kept no statistics (engine "direct").
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        sample_weight : array-like of shape (n_samples,), default=None
            The weights given to ``fit``, when passing the data of a weighted fit.
        cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}, default="nonrobust"
        alpha : float, default=0.05
            Confidence intervals are at level ``1 - alpha``.
        use_t : bool or None, default=None
            t (True) or normal (False) reference distribution; None follows
            statsmodels (t for nonrobust, normal for HC types).

        Returns
        -------
        Summary or list of Summary
            One per target; prints as a table.
        """
        from .inference import summarize

        check_is_fitted(self)
        stats = self.stats_
        if stats is None:
            source = None if X is None else as_source(X, y, sample_weight)
            if source is not None:
                stats = source.sufficient_stats()
            elif X is not None and y is not None:
                Xv, yv, sw = self._validate_xy(X, y, sample_weight, reset=False)
                stats = SufficientStats.from_arrays(Xv, yv.reshape(len(yv), -1), sw)
            else:
                raise ValueError(
                    "This model kept no sufficient statistics (it was fitted with the 'direct' "
                    "engine), so summary() needs the training data: call summary(X, y)."
                )
        names = getattr(self, "feature_names_in_", None)
        return summarize(
            self,
            stats,
            X,
            y,
            sample_weight=sample_weight,
            cov_type=cov_type,
            alpha=alpha,
            feature_names=None if names is None else list(names),
            use_t=use_t,
        )

    # -- model files -------------------------------------------------------------------
    def save(self, path, *, target_names=None):
        """Write the fitted model to a JSON model file (see :func:`lingrad.save_model`).

        Parameters
        ----------
        path : str or path-like
        target_names : list of str, default=None

        Returns
        -------
        pathlib.Path
            The path written (atomically: a temporary file, then a rename).
        """
        from .persist import save_model  # persist imports this module

        return save_model(self, path, target_names=target_names)

    # -- online learning ---------------------------------------------------------------
    def partial_fit(self, X, y, sample_weight=None):
        """Learn from one more batch of rows (see ``partial_fit_mode``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LinearRegression
        """
        on = self.__dict__.get("_online")
        if on is not None and on["snapshot"] == self._param_snapshot():
            p = on["params"]  # unchanged since the last call: no need to re-validate
            if p["partial_fit_mode"] == "exact" and self._add_plain_batch(X, y, sample_weight):
                self._invalidate()
                return self
        else:
            p = self._check_params()
        if on is None and self.__dict__.get("stats_") is not None:
            on = self._continue_from_fit()
        X, y, sw = self._validate_xy(X, y, sample_weight, reset=on is None)
        Y = y.reshape(len(y), -1)
        if on is None:
            rng = check_random_state(self.random_state)
            on = self._online = {
                "one_d": y.ndim == 1,
                "n_targets": Y.shape[1],
                "acc": None,
                "extra": SufficientStats.empty(X.shape[1], Y.shape[1]),
                "theta0": self._init_theta(rng, X.shape[1], Y.shape[1], y.ndim == 1, np.float64),
                "rng": rng,
                "sgd": None,
            }
        elif (y.ndim == 1) != on["one_d"] or Y.shape[1] != on["n_targets"]:
            expected = "1-D y" if on["one_d"] else f"{on['n_targets']} target columns"
            raise ValueError(
                "y has a different number of targets than in earlier partial_fit calls: "
                f"expected {expected}, got shape {y.shape}. "
                "Pass every batch with the same target columns."
            )
        on["snapshot"], on["params"] = self._param_snapshot(), p
        if sw is None and type(X) is np.ndarray and X.dtype == np.float64:
            if on["acc"] is None:
                on["acc"] = RawAccumulator.start(X, Y)
            on["acc"].add(X, Y.astype(np.float64, copy=False), check=False)
        else:
            on["extra"] = on["extra"].merge(SufficientStats.from_arrays(X, Y, sw))
        if p["partial_fit_mode"] == "exact":
            self._invalidate()
        else:
            self._sgd_step(X, Y, sw, p)
        return self

    def _param_snapshot(self) -> tuple:
        names = type(self).__dict__.get("_param_names_cache")
        if names is None:  # inspect.signature is slow: once per class
            names = tuple(self._get_param_names())
            type(self)._param_names_cache = names
        d = self.__dict__
        return tuple(d[name] for name in names)

    def _add_plain_batch(self, X, y, sample_weight) -> bool:
        """The lean path of exact partial_fit: a plain float64 array batch.

        Taken only when validation could change nothing (float64 ndarrays of
        the fitted width, no feature names, no weights); a batch with NaN or
        inf is refused here and then explained by the full validation.
        """
        on = self._online
        if (
            sample_weight is not None
            or type(X) is not np.ndarray
            or type(y) is not np.ndarray
            or X.dtype != np.float64
            or y.dtype != np.float64
            or X.ndim != 2
            or X.shape[1] != self.n_features_in_
            or X.shape[0] == 0
            or y.shape[0] != X.shape[0]
            or (y.ndim == 1) != on["one_d"]
            or (y.ndim == 2 and y.shape[1] != on["n_targets"])
            or "feature_names_in_" in self.__dict__
        ):
            return False
        Y = y.reshape(len(y), -1)
        if on["acc"] is None:
            if not (np.isfinite(X).all() and np.isfinite(Y).all()):
                return False
            on["acc"] = RawAccumulator.start(X, Y)
        return on["acc"].add(X, Y)

    def _online_stats(self) -> SufficientStats:
        on = self._online
        return on["extra"] if on["acc"] is None else on["extra"].merge(on["acc"].stats())

    def _continue_from_fit(self) -> dict:
        """partial_fit after fit: keep the fitted data's statistics and starting point."""
        sgd = self.partial_fit_mode == "sgd"
        res = self.fit_result_
        self._online = {
            "one_d": np.ndim(self.intercept_) == 0,
            "n_targets": self.stats_.n_targets,
            "acc": None,
            "extra": self.stats_,
            # SGD resumes from the fitted coefficients; exact mode re-solves from the start
            "theta0": (res.theta if sgd else res.theta_init).astype(np.float64),
            "rng": check_random_state(self.random_state),
            "sgd": None,
        }
        return self._online

    _LAZY = frozenset(
        {
            "coef_",
            "intercept_",
            "n_iter_",
            "loss_history_",
            "converged_",
            "stop_reason_",
            "fit_result_",
            "coef_init_",
            "intercept_init_",
            "engine_",
            "lr_",
            "diagnostics_",
            "stats_",
        }
    )

    def _invalidate(self) -> None:
        for name in self._LAZY:
            self.__dict__.pop(name, None)
        self.__dict__["_pending_solve"] = True

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: solve a deferred partial_fit.
        if name in LinearRegression._LAZY and self.__dict__.get("_pending_solve"):
            self.__dict__["_pending_solve"] = False
            self._solve_online()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _solve_online(self) -> None:
        p = self._check_params()
        on = self._online
        stats = self._online_stats()
        penalty = Penalty(p["alpha"], p["l1_ratio"])
        full = StatsLeastSquares(stats, self.fit_intercept, penalty)
        theta0 = on["theta0"]
        if theta0.shape[0] != full.n_params:  # fit_intercept changed since the first batch
            theta0 = np.zeros((full.n_params, theta0.shape[1]))
            theta0[: stats.n_features] = on["theta0"][: stats.n_features]
        self.stats_ = stats
        self._run(full, penalty, theta0, p, "stats", on["one_d"], np.float64, None)

    def _sgd_step(self, X, Y, sw, p) -> None:
        """One epoch of mini-batch updates over this batch, resuming the optimizer."""
        on = self._online
        penalty = Penalty(p["alpha"], p["l1_ratio"])
        Yw = Y.astype(np.float64, copy=False)
        batch = DirectLeastSquares(X, Yw, sw, self.fit_intercept, penalty)
        sgd = on["sgd"]
        if sgd is None:
            L, _ = StatsLeastSquares(self._online_stats(), self.fit_intercept, penalty).spectrum()
            lr = auto_lr(p["optimizer"], L, None) if p["lr"] == "auto" else p["lr"]
            opt = make_optimizer(p["optimizer"], p["momentum"], None)
            sgd = on["sgd"] = {
                "theta": on["theta0"].copy(),
                "opt": opt,
                "state": None,
                "updates": 0,
                "schedule": Schedule(lr, p["learning_rate"]),
                "history": [],
                "L": L,
            }
        n = X.shape[0]
        bs = p["batch_size"] or n
        batches = _shuffled_batches(on["rng"], n, bs)
        prox = penalty.prox_for(X.shape[1])
        schedule = sgd["schedule"]
        schedule.start = sgd["updates"]
        res = solve(
            _Minibatch(batch, batch),
            sgd["theta"],
            sgd["opt"],
            schedule,
            1,
            prox=prox,
            batches=batches,
            state=sgd["state"],
            stable_lr=sgd["opt"].stable_lr(sgd["L"]),
        )
        sgd["theta"], sgd["state"] = res.theta, res.state
        sgd["updates"] += -(-n // bs)
        sgd["history"].append(res.loss_history[-1])
        one_d = on["one_d"]
        f = X.shape[1]
        self._unpack(res, f, one_d, np.float64)
        self.coef_init_, self.intercept_init_ = self._split_theta(
            on["theta0"], f, one_d, np.float64
        )
        self.n_iter_ = len(sgd["history"])
        self.loss_history_ = np.asarray(sgd["history"])
        self.converged_ = False
        self.stop_reason_ = "max_iter"
        self.engine_ = "direct"
        self.lr_ = float(schedule.lr)
        self.stats_ = self._online_stats()
        self.__dict__.pop("diagnostics_", None)

    # -- prediction ------------------------------------------------------------------
    def predict(self, X):
        """Predict with the fitted line.

        Parameters
        ----------
        X : array-like, sparse matrix, dataset or Dask collection of shape (n_samples, n_features)
            A dataset from :func:`lingrad.open_dataset` is streamed chunk by
            chunk; a Dask array or DataFrame gives a lazy Dask array, computed
            block by block where the blocks live.

        Returns
        -------
        y_pred : ndarray (or Dask array) of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        if getattr(X, "__lingrad_source__", False):
            self._check_source_columns(X)
            parts = [self._linear(np.asarray(Xc)) for Xc, _, _ in X.iter_chunks()]
            if parts:
                return np.concatenate(parts)
            return np.empty((0,) if np.ndim(self.coef_) == 1 else (0, self.coef_.shape[0]))
        if _is_dask(X):
            return self._predict_dask(X)
        try:
            X = validate_data(
                self, X, reset=False, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32]
            )
        except ValueError as err:
            raise V.add_hint(err) from err
        return self._linear(X)

    def _linear(self, X):
        coef = self.coef_.astype(X.dtype, copy=False)
        out = X @ (coef if coef.ndim == 1 else coef.T)
        return np.asarray(out) + np.asarray(self.intercept_, dtype=out.dtype)

    def _check_source_columns(self, source) -> None:
        names = getattr(self, "feature_names_in_", None)
        got = source.feature_names
        if source.n_features != self.n_features_in_:
            raise ValueError(
                f"{source.description} has {source.n_features} feature columns, but "
                f"{type(self).__name__} was fitted with {self.n_features_in_}. Open it with "
                "the same features=... as at fit time."
            )
        if names is not None and got is not None and list(got) != list(names):
            raise ValueError(
                f"{source.description} has feature columns {list(got)}, but the model was "
                f"fitted on {list(names)}. Pass features={list(names)!r} to open_dataset."
            )

    def _predict_dask(self, X):
        """Lazy predictions for a Dask array or DataFrame, one block at a time."""

        if hasattr(X, "columns"):  # a Dask DataFrame: check the names, keep the partitions
            names = getattr(self, "feature_names_in_", None)
            if names is not None and list(X.columns) != list(names):
                raise ValueError(
                    f"The Dask DataFrame has columns {list(X.columns)}, but the model was "
                    f"fitted on {list(names)}. Select them in that order: X[{list(names)!r}]."
                )
            X = X.to_dask_array(lengths=True)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input. Pass a 2-D Dask array with the "
                "columns used at fit time."
            )
        X = X.rechunk({1: -1})
        one_d = np.ndim(self.coef_) == 1
        dtype = np.result_type(X.dtype, np.float32)

        def block(b):
            return self._linear(np.asarray(b, dtype=dtype))

        if one_d:
            return X.map_blocks(block, drop_axis=1, dtype=dtype)
        k = self.coef_.shape[0]
        return X.map_blocks(block, chunks=(X.chunks[0], (k,)), dtype=dtype)
