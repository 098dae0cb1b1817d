"""The online state of ``partial_fit``: merged statistics, the start, the SGD state.

Exact mode (``partial_fit_mode="exact"``) merges each batch's sufficient
statistics into :class:`OnlineState` and defers the solve to the next use of
the model (:func:`online_plan`). SGD mode makes one epoch of mini-batch
updates per batch (:func:`sgd_step`), keeping the optimizer state and the
learning-rate schedule in :class:`SGDState` across calls.

Examples
--------
>>> import numpy as np
>>> X, y = np.arange(6.0).reshape(3, 2), np.arange(3.0)
>>> state = OnlineState.start(0, X, y, fit_intercept=True)
>>> state.add(X, y.reshape(-1, 1), None)
>>> int(state.stats().n_samples)
3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ._fitted import FittedState
from ._fitting import fitted_state
from ._messages import Set
from ._objective import DirectLeastSquares, StatsLeastSquares
from ._optimizers import Optimizer, Schedule, auto_lr, make_optimizer
from ._params import ParameterError, Params
from ._plan import Minibatch, Plan, penalty_of, shuffled_batches
from ._solve import solve
from ._stats import RawAccumulator, SufficientStats
from ._theta import init_theta, join_theta, split_theta

__all__ = [
    "OnlineState",
    "SGDState",
    "lean_partial_fit",
    "online_plan",
    "param_snapshot",
    "sgd_step",
]


@dataclass
class SGDState:
    """What SGD-mode ``partial_fit`` carries from one batch to the next.

    Attributes
    ----------
    theta : ndarray of shape (n_params, n_targets)
        The current iterate.
    optimizer : Optimizer
    state : Any
        The optimizer's state (None before the first update).
    updates : int
        Updates made so far (the schedule's step count).
    schedule : Schedule
    history : list of float
        The MSE after each batch.
    lipschitz : float
        Curvature bound of the first batch (for the stable-rate guard).
    """

    theta: np.ndarray
    optimizer: Optimizer
    schedule: Schedule
    lipschitz: float
    state: Any = None
    updates: int = 0
    history: list[float] = field(default_factory=list)


class BatchOverflowError(ValueError):
    """A ``partial_fit`` batch whose values overflow float64 when squared (refused)."""


_BATCH_OVERFLOW = (
    "This partial_fit batch was refused: its values are too large for float64 arithmetic "
    "(their squares exceed 1e308). The model still holds the {n} rows of the earlier batches "
    "and stays usable. Rescale X and y (e.g. divide by a power of 10) before partial_fit."
)


@dataclass
class OnlineState:
    """The statistics and start that ``partial_fit`` has gathered.

    Attributes
    ----------
    one_d : bool
        One target given as 1-D ``y``.
    n_targets : int
    extra : SufficientStats
        Merged statistics of batches taken by the general path.
    theta0 : ndarray of shape (n_params, n_targets)
        The start (exact mode re-solves from it; SGD starts from it).
    rng : RandomState
        Shuffles the SGD batches.
    acc : RawAccumulator or None
        Raw sums of plain float64 batches (the lean path).
    sgd : SGDState or None
    snapshot : tuple or None
        The hyperparameters when last validated.
    params : Params or None
        Their validated values.
    """

    one_d: bool
    n_targets: int
    extra: SufficientStats
    theta0: np.ndarray
    rng: np.random.RandomState
    acc: RawAccumulator | None = None
    sgd: SGDState | None = None
    snapshot: tuple | None = None
    params: Params | None = None

    @classmethod
    def start(cls, random_state: Any, X: Any, y: np.ndarray, fit_intercept: bool) -> OnlineState:
        """A fresh state for validated first-batch ``X``, ``y`` (nothing added yet)."""
        rng = check_random_state(random_state)
        f, k, one_d = X.shape[1], y.reshape(len(y), -1).shape[1], y.ndim == 1
        theta0 = init_theta(rng, f, k, one_d, fit_intercept, np.float64)
        return cls(one_d, k, SufficientStats.empty(f, k), theta0, rng)

    @classmethod
    def after_fit(cls, model: Any, sgd: bool) -> OnlineState:
        """``partial_fit`` after ``fit``: keep the fitted data's statistics and start."""
        # SGD resumes from the fitted coefficients; exact mode re-solves from the start
        # (a model file without its starting point: from the fitted coefficients).
        start = model.coef_init_ is not None and not sgd
        coef = model.coef_init_ if start else model.coef_
        intercept = model.intercept_init_ if start else model.intercept_
        stats = model.stats_
        one_d = np.ndim(model.intercept_) == 0
        k = 1 if one_d else len(model.intercept_)
        return cls(
            one_d=one_d,
            n_targets=k,
            extra=stats if stats is not None else SufficientStats.empty(model.n_features_in_, k),
            theta0=join_theta(coef, intercept, model.fit_intercept),
            rng=check_random_state(model.random_state),
        )

    def check_targets(self, y: np.ndarray) -> None:
        """Refuse a batch whose targets differ from the earlier batches'."""
        if (y.ndim == 1) != self.one_d or y.reshape(len(y), -1).shape[1] != self.n_targets:
            expected = "1-D y" if self.one_d else f"{self.n_targets} target columns"
            raise ValueError(
                "y has a different number of targets than in earlier partial_fit calls: "
                f"expected {expected}, got shape {y.shape}. "
                "Pass every batch with the same target columns."
            )

    def add(self, X: Any, Y: np.ndarray, sw: np.ndarray | None) -> None:
        """Merge a validated batch (``Y`` of shape (n_samples, n_targets)).

        A batch whose squares overflow float64 is refused before anything is
        merged (:class:`BatchOverflowError`): the state keeps the earlier batches.
        So is every batch of an SGD-mode fit with ``optimizer="cg"`` (a
        :class:`ParameterError` naming the fix): CG has no per-batch update.
        """
        p = self.params
        if p is not None and p.partial_fit_mode == "sgd" and p.optimizer == "cg":
            raise ParameterError(
                (
                    Set("optimizer", "'cg'"),
                    " (conjugate gradients) fits all rows at once and has no per-batch update, "
                    "so it cannot run with ",
                    Set("partial_fit_mode", "'sgd'"),
                    ". Use ",
                    Set("partial_fit_mode", "'exact'"),
                    " (the exact optimum of every batch so far), or ",
                    Set("optimizer", "'nesterov'"),
                    " (or 'gd', 'momentum', 'adam') for mini-batch SGD.",
                ),
                param="optimizer",
                value="cg",
            )
        if sw is None and type(X) is np.ndarray and X.dtype == np.float64:
            acc = self.acc if self.acc is not None else RawAccumulator.start(X, Y)
            if not acc.add(X, Y.astype(np.float64, copy=False)):
                raise BatchOverflowError(_BATCH_OVERFLOW.format(n=self.stats().n_samples))
            self.acc = acc
            return
        with np.errstate(over="ignore", invalid="ignore"):
            batch = SufficientStats.from_arrays(X, Y, sw)
        if not (np.isfinite(batch.scatter).all() and np.isfinite(batch.mean).all()):
            raise BatchOverflowError(_BATCH_OVERFLOW.format(n=self.stats().n_samples))
        self.extra = self.extra.merge(batch)

    def add_plain(self, X: Any, y: Any, n_features: int) -> bool:
        """The lean path of exact ``partial_fit``: a plain float64 array batch.

        Taken only when validation could change nothing (float64 ndarrays of
        the fitted width, no weights; the caller checks there are no feature
        names); a batch with NaN or inf is refused here and then explained by
        the full validation. Returns whether the batch was taken.
        """
        if (
            type(X) is not np.ndarray
            or type(y) is not np.ndarray
            or X.dtype != np.float64
            or y.dtype != np.float64
            or X.ndim != 2
            or X.shape[1] != n_features
            or X.shape[0] == 0
            or y.shape[0] != X.shape[0]
            or (y.ndim == 1) != self.one_d
            or (y.ndim == 2 and y.shape[1] != self.n_targets)
        ):
            return False
        Y = y.reshape(len(y), -1)
        if self.acc is None:
            if not (np.isfinite(X).all() and np.isfinite(Y).all()):
                return False
            self.acc = RawAccumulator.start(X, Y)
        return self.acc.add(X, Y)

    def stats(self) -> SufficientStats:
        """The statistics of every batch so far."""
        return self.extra if self.acc is None else self.extra.merge(self.acc.stats())


def param_snapshot(model: Any) -> tuple:
    """The hyperparameters' current values (to skip re-validating unchanged ones)."""
    cls = type(model)
    get = cls.__dict__.get("_param_getter_cache")
    if get is None:  # inspect.signature is slow: once per class
        names = tuple(model._get_param_names())
        get = cls._param_getter_cache = itemgetter(*names) if len(names) > 1 else _one(names)
    return get(model.__dict__)


def _one(names: tuple) -> Any:
    return lambda d: tuple(d[name] for name in names)


def lean_partial_fit(model: Any, X: Any, y: Any) -> bool:
    """Exact ``partial_fit``'s lean path: a plain batch taken without re-validation.

    Taken when validation could change nothing: the hyperparameters are the
    ones validated at the previous call (``partial_fit_mode="exact"``), the
    model has no feature names, and ``X``, ``y`` are float64 ndarrays of the
    fitted width and targets (:meth:`OnlineState.add_plain`; the caller passes
    no weights). A batch with NaN, inf or overflowing squares is refused by the
    products, adding nothing; the full path then explains it. The fitted
    attributes are dropped once, at the first batch after they were computed.

    Parameters
    ----------
    model : LinearRegression
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)

    Returns
    -------
    bool
        Whether the batch was taken.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegression
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> model = LinearRegression(lr="auto").partial_fit(X, X @ [1.0, 2.0])
    >>> lean_partial_fit(model, X, X @ [1.0, 2.0]), lean_partial_fit(model, X, [0.0] * 50)
    (True, False)
    """
    d = model.__dict__
    on = d.get("_online")
    if on is None or on.params is None or on.params.partial_fit_mode != "exact":
        return False
    if "feature_names_in_" in d or on.snapshot != param_snapshot(model):
        return False
    if not on.add_plain(X, y, d["n_features_in_"]):
        return False
    if on.params.missing == "drop" and "n_dropped_" not in d:
        d["n_dropped_"] = 0  # as the full path's drop_batch counts a started model's
    if not d.get("_pending_solve"):  # else the fitted attributes are already dropped
        model._invalidate()
    return True


def online_plan(on: OnlineState, params: Params, n_features_in: int, names: Any) -> Plan:
    """The deferred exact solve: the merged statistics, from the first start."""
    stats = on.stats()
    full = StatsLeastSquares(stats, params.fit_intercept, penalty_of(params))
    theta0 = on.theta0
    if theta0.shape[0] != full.n_params:  # fit_intercept changed since the first batch
        theta0 = np.zeros((full.n_params, theta0.shape[1]))
        theta0[: stats.n_features] = on.theta0[: stats.n_features]
    return Plan(params, full, theta0, "stats", on.one_d, np.float64, stats, n_features_in, names)


def _start_sgd(on: OnlineState, params: Params) -> SGDState:
    full = StatsLeastSquares(on.stats(), params.fit_intercept, penalty_of(params))
    L, _ = full.spectrum()
    lr = auto_lr(params.optimizer, L, None) if params.lr == "auto" else params.lr
    opt = make_optimizer(params.optimizer, params.momentum, None)
    return SGDState(on.theta0.copy(), opt, Schedule(lr, params.learning_rate), L)


def sgd_step(
    on: OnlineState,
    X: Any,
    Y: np.ndarray,
    sw: np.ndarray | None,
    params: Params,
    *,
    feature_names_in: np.ndarray | None = None,
) -> FittedState:
    """One epoch of mini-batch updates over this batch, resuming the optimizer.

    Parameters
    ----------
    on : OnlineState
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sw : ndarray of shape (n_samples,) or None
    params : Params
    feature_names_in : ndarray or None
        The model's feature names (kept in the fitted state).

    Returns
    -------
    FittedState
    """
    penalty = penalty_of(params)
    batch = DirectLeastSquares(
        X, Y.astype(np.float64, copy=False), sw, params.fit_intercept, penalty
    )
    if on.sgd is None:
        on.sgd = _start_sgd(on, params)
    sgd = on.sgd
    n = X.shape[0]
    bs = params.batch_size or n
    sgd.schedule.start = sgd.updates
    res = solve(
        Minibatch(batch, batch),
        sgd.theta,
        sgd.optimizer,
        sgd.schedule,
        1,
        prox=penalty.prox_for(X.shape[1]),
        batches=shuffled_batches(on.rng, n, bs),
        state=sgd.state,
        stable_lr=sgd.optimizer.stable_lr(sgd.lipschitz),
    )
    sgd.theta, sgd.state = res.theta, res.state
    sgd.updates += -(-n // bs)  # batches in this epoch
    sgd.history.append(res.loss_history[-1])
    # What the fitted state reports: this batch's problem, the first start.
    f, stats = X.shape[1], on.stats()
    plan = Plan(
        params, batch, on.theta0, "direct", on.one_d, np.float64, stats, f, feature_names_in
    )
    coef_init, intercept_init = split_theta(
        on.theta0, f, one_d=on.one_d, fit_intercept=params.fit_intercept
    )
    return fitted_state(
        plan,
        res,
        coef_init=coef_init,
        intercept_init=intercept_init,
        n_iter=len(sgd.history),
        loss_history=np.asarray(sgd.history),
        converged=False,
        stop_reason="max_iter",
        lr=float(sgd.schedule.lr),
    )
