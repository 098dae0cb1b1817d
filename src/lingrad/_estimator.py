"""``LinearRegression``: a thin scikit-learn shell over :func:`lingrad._solve.solve`: ``fit``
validates (``_validation``, ``_params``), plans (``_plan``), runs (``_fitting``), applies the
``FittedState``; ``partial_fit``: ``_online``; ``predict``: ``_predict``. Defaults are the
tutorial's: weights ``rand(n_features)``, bias 0, ``n_iters`` GD steps at ``lr=0.01``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._design.apply import design_input
from ._fit_args import (
    NO_STATS_TO_CONTINUE,
    add_batch,
    attach_freq,
    fit_intake,
    freq_input,
)
from ._fitted import LAZY_ATTRIBUTES
from ._fitting import run
from ._modelfile import write_model
from ._online import OnlineState, lean_partial_fit, online_plan, param_snapshot, sgd_step
from ._params import PARAMETERS, Params, check_params
from ._plan import plan_fit_arrays, plan_source
from ._predict import predict
from ._score import ScoreMixin
from ._sources.missing import drop_batch, record_dropped
from ._validation import validate_xy

__all__ = ["LinearRegression"]


class LinearRegression(ScoreMixin, RegressorMixin, BaseEstimator):
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
        None runs all ``n_iters`` (the tutorial). A float stops once the fit is
        within ``tol`` of the optimum by a measure independent of the random
        start and of the units of X and y: ``sqrt(MSE - MSE*) / std(y)`` (its
        square is the R² lost; exact on the "stats" engine, estimated from the
        Jacobi-scaled gradient on "direct"). ``converged_`` is True only then.
        Ending short of it, or (also with ``tol=None``) with a training MSE over
        0.1% above the optimum's, gives a ``NotConvergedWarning`` with the
        excess, the coefficient gap and a remedy not already set.
    engine : {"auto", "stats", "direct"}, default="auto"
        ``"stats"``: one pass over X for the sufficient statistics, then each
        iteration costs O(n_features^2). ``"direct"``: each iteration is a pass
        over X (best for wide or sparse data). ``"auto"`` picks the cheaper
        from n, f, ``n_iters``, sparsity and memory; the choice is ``engine_``.
    optimizer : {"gd", "momentum", "nesterov", "adam", "cg"}, default="gd"
        ``"cg"``: conjugate gradients on the centred, scaled rows (engine "direct", data in
        memory; no learning rate), tens of passes on sparse or wide data. ``lr="auto"``
        with the default "gd" runs "cg" when ``engine="auto"`` picks "direct", unless an
        L1 penalty, mini-batches or ``precondition="none"`` need gradient steps.
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
    precondition : {"auto", "diagonal", "full", "none"}, default="auto"
        Descend in well-scaled coordinates ``theta = T z`` and map back exactly.
        ``"diagonal"``: the columns centred (the intercept decoupled) and scaled
        to unit variance. ``"full"``: also whitened by the eigenvectors of the
        scaled covariance (engine "stats" only), so the descended Hessian is the
        identity. ``"auto"``: with ``lr="auto"``, diagonal, or full where the
        scaled problem's condition number stays above 1e3 (engine "stats");
        with a numeric ``lr``, none: the tutorial's iterates exactly. A
        preconditioned fit ends at the minimum-norm solution when the
        coefficients are not unique (duplicated or collinear columns, more
        parameters than rows): the null-space part the random start leaves is
        projected out of the result (engine "stats"). ``lr_``, the loss history
        and ``diagnostics_`` (``precondition``, ``condition_number``,
        ``raw_condition_number``) describe the problem descended. Mini-batch
        SGD and L1 penalties are never preconditioned.
    missing : {"raise", "drop"}, default="raise"
        Rows with a missing value in X, y or the weights: an error, or dropped (statsmodels' habit;
        ``n_dropped_`` counts them; ``predict`` gives NaN there): :mod:`lingrad._sources.missing`.
    positive : bool, default=False
    bounds : (lower, upper) or None, default=None
        Coefficients kept in a box (``positive``: >= 0), by projected steps: :mod:`lingrad._bounds`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Iterations (epochs in mini-batch mode) run.
    loss_history_ : ndarray of shape (n_iter_ + 1,)
        Mean squared error at the start and after every iteration.
    converged_ : bool
    stop_reason_ : {"tol", "max_iter", "zero_gradient", "statistics-limited"}
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
        precondition: str = "auto",
        missing: str = "raise",
        positive: bool = False,
        bounds=None,
    ) -> None:
        self.lr, self.n_iters = lr, n_iters
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
        self.precondition = precondition
        self.missing = missing
        self.positive, self.bounds = positive, bounds

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
    def _check_params(self) -> Params:
        return check_params(type(self).__name__, {name: getattr(self, name) for name in PARAMETERS})

    def _feature_names(self) -> np.ndarray | None:
        return self.__dict__.get("feature_names_in_")

    # -- fitting -------------------------------------------------------------------
    def fit(
        self, X, y=None, sample_weight=None, *, freq_weights=None, callback: Callable | None = None
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
        freq_weights : array-like of shape (n_samples,), default=None
            Counts: row i stands for that many observations; see :mod:`lingrad._freq`.
        callback : callable, default=None
            ``callback(iteration, mse)`` after every iteration (progress bars).

        Returns
        -------
        self : LinearRegression
        """
        params = self._check_params()
        for name in ("_online", "_pending_solve", "design_"):  # lingrad.ols sets design_ after
            self.__dict__.pop(name, None)
        w, fw, miss = sample_weight, freq_weights, params.missing
        source, (X, y, sample_weight), dropped, pending = fit_intake(X, y, w, fw, miss)
        if source is not None:
            plan = plan_source(params, source)
        else:
            plan = plan_fit_arrays(self, params, X, y, sample_weight)
        run(plan, callback).apply(self)
        return record_dropped(attach_freq(self, pending), source, dropped)

    # -- inference ---------------------------------------------------------------------
    def summary(
        self,
        X=None,
        y=None,
        *,
        sample_weight=None,
        freq_weights=None,
        cov_type: str = "nonrobust",
        alpha: float = 0.05,
        use_t: bool | None = None,
        groups=None,
        maxlags: int | None = None,
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
        freq_weights : array-like of shape (n_samples,), default=None
            The frequency weights given to ``fit``, likewise.
        cov_type : {"nonrobust", "HC0", ..., "HC3", "cluster", "cluster-crv3", "HAC"}, \
default="nonrobust"
        alpha : float, default=0.05
            Confidence intervals are at level ``1 - alpha``.
        use_t : bool or None, default=None
            t (True) or normal (False) reference distribution; None follows
            statsmodels (t for nonrobust, normal for HC types).
        groups, maxlags
            Cluster ids (or dataset columns) and HAC lags: see
            :func:`lingrad.inference.summarize`.

        Returns
        -------
        Summary or list of Summary
            One per target; prints as a table.
        """
        from .inference import summarize_model

        check_is_fitted(self)
        X = design_input(self, X, targets=y is None)  # raw data of a formula model
        options = dict(cov_type=cov_type, alpha=alpha, use_t=use_t, groups=groups, maxlags=maxlags)
        options["freq_weights"] = freq_weights
        return summarize_model(self, X, y, sample_weight, **options)

    def get_prediction(self, X, *, weights=None):
        """Predictions with standard errors and intervals (statsmodels' ``get_prediction``).

        ``.summary_frame(alpha=0.05)`` gives ``mean``, ``mean_se``, ``mean_ci_*`` and
        ``obs_ci_*``; see :func:`lingrad._inference_predict.get_prediction`.
        """
        from ._inference_predict import get_prediction

        return get_prediction(self, X, weights)

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
        return write_model(self, path, target_names=target_names)

    # -- online learning ---------------------------------------------------------------
    def partial_fit(self, X, y, sample_weight=None, *, freq_weights=None):
        """Learn from one more batch of rows (see ``partial_fit_mode``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
        freq_weights : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LinearRegression
        """
        if sample_weight is None and freq_weights is None and lean_partial_fit(self, X, y):
            return self  # a plain float64 batch, parameters unchanged: nothing to validate
        miss = getattr(self, "missing", "raise")
        sample_weight, pending = freq_input(X, y, sample_weight, freq_weights, miss)
        X, y, sample_weight = drop_batch(self, X, y, sample_weight)
        on: OnlineState | None = self.__dict__.get("_online")
        same = on is not None and on.snapshot == param_snapshot(self)
        params = on.params if same else self._check_params()  # unchanged: not re-validated
        if on is None and "coef_" in self.__dict__:  # fitted (or loaded): continue from it
            sgd = params.partial_fit_mode == "sgd"
            if self.__dict__.get("stats_") is None and not sgd:
                raise ValueError(NO_STATS_TO_CONTINUE.format(engine=self.engine_))
            on = self._online = OnlineState.after_fit(self, sgd)
        X, y, sw = validate_xy(self, X, y, sample_weight, reset=on is None)
        if on is None:
            on = self._online = OnlineState.start(self.random_state, X, y, params.fit_intercept)
        else:
            on.check_targets(y)
        on.snapshot, on.params = param_snapshot(self), params
        Y = y.reshape(len(y), -1)
        add_batch(on, X, Y, sw, pending)
        if params.partial_fit_mode == "exact":
            self._invalidate()
        else:
            sgd_step(on, X, Y, sw, params, feature_names_in=self._feature_names()).apply(self)
        return self

    def _invalidate(self) -> None:
        for name in LAZY_ATTRIBUTES:
            self.__dict__.pop(name, None)
        self.__dict__["_pending_solve"] = True

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: solve a deferred partial_fit.
        if name in LAZY_ATTRIBUTES and self.__dict__.get("_pending_solve"):
            self.__dict__["_pending_solve"] = False
            plan = online_plan(
                self._online, self._check_params(), self.n_features_in_, self._feature_names()
            )
            run(plan).apply(self)
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

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
        return predict(self, design_input(self, X))
