"""The plan of a fit: which engine, which problem, which start, which rates.

``fit`` validates its inputs, then builds a :class:`Plan` here (arrays:
:func:`plan_arrays`; files and Dask: :func:`plan_source`), and
:func:`lingrad._fitting.run` carries it out. The engine is chosen by one rule,
:func:`choose_engine`, for every kind of data; the learning rate and the
optimizer are resolved from the curvature by :func:`resolve_rates`.

Examples
--------
>>> choose_engine("auto", n_features=3, n_targets=1, n_iters=1000, tol=None, n_samples=100)
'stats'
>>> choose_engine("auto", n_features=3, n_targets=1, n_iters=1000, tol=None)  # a stream
'stats'
>>> choose_engine("auto", n_features=10_000, n_targets=1, n_iters=1, tol=None)
'direct'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackError
from sklearn.utils import check_random_state

from ._bounds import box_of
from ._diagnostics import condition
from ._messages import Set
from ._objective import DirectLeastSquares, Penalty, StatsLeastSquares
from ._optimizers import Optimizer, auto_lr, choose_optimizer, make_optimizer
from ._params import ParameterError, Params
from ._solve import OVERFLOW_MESSAGE, DataOverflowError
from ._stats import SufficientStats, normalised_weights
from ._theta import init_theta
from ._validation import NonFiniteX, validated_plan

__all__ = ["Plan", "Rates", "choose_engine", "plan_arrays", "plan_source", "resolve_rates"]

#: Dense feature-space work above this many parameters costs more memory than
#: it saves (an f x f float64 matrix of 8192^2 is 512 MiB).
STATS_MAX_PARAMS = 8192


def choose_engine(
    requested: str,
    n_features: int,
    n_targets: int,
    n_iters: int,
    tol: float | None,
    *,
    n_samples: int | None = None,
    nnz: int | None = None,
) -> str:
    """The one engine rule: "stats" or "direct" for ``engine=requested``.

    "auto" takes "direct" when the feature-space matrices would be too large
    (more than :data:`STATS_MAX_PARAMS` parameters); otherwise the cheaper of
    the two by an operation count. A stream (file, Dask: ``n_samples`` None)
    is read once for the statistics rather than once per iteration.

    Parameters
    ----------
    requested : {"auto", "stats", "direct"}
    n_features, n_targets, n_iters : int
    tol : float or None
    n_samples : int or None, default=None
        Rows of in-memory data; None for a stream.
    nnz : int or None, default=None
        Stored entries of a sparse X; None for dense.

    Returns
    -------
    {"stats", "direct"}
    """
    if requested != "auto":
        return requested
    f = n_features
    if f + 1 > STATS_MAX_PARAMS:
        return "direct"
    if n_samples is None:
        return "stats"
    n = n_samples
    passes = n_iters if tol is None else max(n_iters, 1)
    if nnz is not None:
        nnz_row = nnz / max(n, 1)
        stats_cost = n * nnz_row * nnz_row + f * f * (passes + f)
        direct_cost = 2.0 * nnz * n_targets * passes
    else:
        stats_cost = n * (f + n_targets) ** 2 / 2 + f * f * (n_targets * passes + f)
        direct_cost = 2.0 * n * f * n_targets * passes
    return "stats" if stats_cost <= direct_cost else "direct"


#: With ``tol=None`` every iteration runs and records its loss: beyond this many the
#: history alone (8 bytes each) passes 16 GiB, and the run would not end in a lifetime.
MAX_ITERS_WITHOUT_TOL = 2**31


def check_feasible(params: Params, engine: str, n_features: int, n_targets: int) -> None:
    """Refuse, in one clear message, what could only run out of memory or time.

    ``n_iters`` beyond :data:`MAX_ITERS_WITHOUT_TOL` with ``tol=None``, and an explicit
    ``engine="stats"`` beyond :data:`STATS_MAX_PARAMS` parameters (its dense
    feature-space matrix and O(f^3) decompositions).
    """
    if params.tol is None and params.n_iters > MAX_ITERS_WITHOUT_TOL:
        gib = 8 * (params.n_iters + 1) / 2**30
        raise ParameterError(
            (
                Set("n_iters", str(params.n_iters)),
                " with ",
                Set("tol", "None"),
                f" runs every iteration and records each loss ({gib:.3g} GiB of history): "
                "it cannot finish. Set ",
                Set("tol", "1e-8"),
                " to stop once converged (the budget is then only a bound), or keep ",
                Set("n_iters"),
                f" at most {MAX_ITERS_WITHOUT_TOL}.",
            ),
            param="n_iters",
            value=params.n_iters,
        )
    p = n_features + n_targets
    if engine == "stats" and n_features + 1 > STATS_MAX_PARAMS:
        raise ParameterError(
            (
                Set("engine", "'stats'"),
                f" at {n_features:,} features needs dense {p:,} x {p:,} feature-space "
                f"matrices ({8 * p * p / 2**30:.3g} GiB each) and "
                f"O(f^3) decompositions; it is limited to {STATS_MAX_PARAMS - 1:,} features. "
                "Use ",
                Set("engine", "'direct'"),
                " (a pass over the rows per iteration) or ",
                Set("engine", "'auto'"),
                ", which takes it for wide data.",
            ),
            param="engine",
            value=engine,
        )


def shuffled_batches(
    rng: np.random.RandomState, n: int, batch_size: int
) -> Callable[[int], Iterator[np.ndarray]]:
    """``batches(epoch)``: row indices in batches, reshuffled every epoch with ``rng``."""

    def batches(epoch: int) -> Iterator[np.ndarray]:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield np.sort(order[start : start + batch_size])

    return batches


class Minibatch:
    """Batch gradients from the data, full-data monitoring from ``monitor``."""

    def __init__(self, direct: DirectLeastSquares, monitor: Any) -> None:
        self.batch_grad = direct.batch_grad
        self.grad_mse = monitor.grad_mse


@dataclass
class Plan:
    """Everything one solve needs (cf. glum's ``IRLSData``).

    Attributes
    ----------
    params : Params
        The validated hyperparameters.
    problem : StatsLeastSquares, DirectLeastSquares or StreamedLeastSquares
        The full objective (all rows).
    theta0 : ndarray of shape (n_params, n_targets)
        The starting point.
    engine : {"stats", "direct"}
    one_d : bool
        One target given as 1-D ``y``.
    dtype : dtype
        Of the fitted coefficients (X's float type).
    stats : SufficientStats or None
        Behind ``problem`` for engine "stats"; kept as ``stats_``.
    n_features_in : int
    feature_names_in : ndarray of shape (n_features_in,) or None
    minibatch : (Minibatch, batches) or None
        Mini-batch SGD: the problem the steps use and ``batches(epoch)``.
    data : (X, Y, sample_weight), a data source, or None
        The rows behind ``problem``: dense in-memory arrays (for the reference
        optimum's QR and the refinement step of :class:`~lingrad._descent.Descent`)
        or a file or Dask source (the reference optimum's second pass); None for
        sparse data.
    """

    params: Params
    problem: Any
    theta0: np.ndarray
    engine: str
    one_d: bool
    dtype: Any
    stats: SufficientStats | None
    n_features_in: int
    feature_names_in: np.ndarray | None = None
    minibatch: tuple[Minibatch, Callable[[int], Iterator[Any]]] | None = None
    data: Any = None


def plan_fit_arrays(estimator: Any, params: Params, X: Any, y: Any, sample_weight: Any) -> Plan:
    """``fit``'s plan for in-memory X and y: validated (recording ``n_features_in_`` and
    ``feature_names_in_`` on ``estimator``), X's NaN/inf check fused into the statistics."""

    def make(X: Any, y: np.ndarray, sw: np.ndarray | None, x_checked: bool) -> Plan:
        names = estimator.__dict__.get("feature_names_in_")
        return plan_arrays(params, X, y, sw, names, x_checked)

    return validated_plan(estimator, X, y, sample_weight, make)


def penalty_of(params: Params) -> Penalty:
    """The elastic-net penalty of ``params`` (with its box: ``positive``, ``bounds``)."""
    return Penalty(params.alpha, params.l1_ratio, box_of(params))


def plan_arrays(
    params: Params,
    X: Any,
    y: np.ndarray,
    sw: np.ndarray | None,
    feature_names_in: Any = None,
    x_checked: bool = True,
) -> Plan:
    """The plan for validated in-memory arrays (X float64/float32, dense or sparse).

    ``x_checked=False``: X was not checked for NaN/inf (:func:`lingrad._validation.
    validated_plan`); the statistics' column sums see them, other engines sum X, and
    :class:`~lingrad._validation.NonFiniteX` is raised on finding one."""
    Y = y.reshape(len(y), -1)
    (n, f), k = X.shape, Y.shape[1]
    nnz = X.nnz if sp.issparse(X) else None
    engine = choose_engine(params.engine, f, k, params.n_iters, params.tol, n_samples=n, nnz=nnz)
    if choose_optimizer(params, engine) == "cg":  # lr="auto" on "direct", or asked for
        engine = "direct" if params.engine == "auto" else engine
        params = replace(params, optimizer="cg")
    check_feasible(params, engine, f, k)
    box_of(params, f)  # the box's length, and optimizers that cannot honour it
    penalty, fi = penalty_of(params), params.fit_intercept
    stats, raw_sw = None, sw
    sw = normalised_weights(sw)  # extreme scales divided by a power of two, as in the stats
    if engine == "stats":
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked by the run
            stats = SufficientStats.from_arrays(X, Y, raw_sw)
        if not (x_checked or np.isfinite(stats.mean[:f]).all()):
            raise NonFiniteX  # column sums poisoned by a NaN/inf in X (or overflowed)
        full = StatsLeastSquares(stats, fi, penalty)
        work_dtype = np.float64
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            if not (x_checked or np.isfinite(X.sum())):
                raise NonFiniteX
        work_dtype = X.dtype
        Y = Y.astype(work_dtype, copy=False)
        full = DirectLeastSquares(X, Y, sw, fi, penalty)
    rng = check_random_state(params.random_state)
    theta0 = init_theta(rng, f, k, y.ndim == 1, fi, work_dtype)
    plan = Plan(params, full, theta0, engine, y.ndim == 1, X.dtype, stats, f, feature_names_in)
    if not sp.issparse(X):
        plan.data = (X, Y, sw)
    if params.batch_size is not None:
        direct = full
        if engine != "direct":
            direct = DirectLeastSquares(X, Y.astype(theta0.dtype, copy=False), sw, fi, penalty)
        plan.minibatch = (Minibatch(direct, full), shuffled_batches(rng, n, params.batch_size))
    return plan


def plan_source(params: Params, source: Any) -> Plan:
    """The plan for a data source (file, Dask collection): statistics in one pass."""
    if params.batch_size is not None:
        raise ParameterError(
            (
                Set("batch_size"),
                " (mini-batch SGD) needs the data in memory; a file or Dask source is fitted "
                "exactly from its statistics. Drop ",
                Set("batch_size"),
                ", or call partial_fit on chunks with ",
                Set("partial_fit_mode", "'sgd'"),
                ".",
            ),
            param="batch_size",
            value=params.batch_size,
        )
    f, k = source.n_features, source.n_targets
    if k == 0:
        raise ValueError(
            f"{source.description} was opened without a target column, so there is nothing "
            "to fit: open it with open_dataset(path, target='column'). (A dataset without "
            "a target is for predict.)"
        )
    names = source.feature_names
    names = None if names is None else np.asarray(names, dtype=object)
    engine = choose_engine(params.engine, f, k, params.n_iters, params.tol)
    check_feasible(params, engine, f, k)
    box_of(params, f)
    penalty = penalty_of(params)
    stats = None
    if engine == "stats":
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked by the run
            stats = source.sufficient_stats()
        full = StatsLeastSquares(stats, params.fit_intercept, penalty)
    else:
        full = source.direct_problem(params.fit_intercept, penalty)
    rng = check_random_state(params.random_state)
    theta0 = init_theta(rng, f, k, source.one_d, params.fit_intercept, np.float64)
    plan = Plan(params, full, theta0, engine, source.one_d, np.float64, stats, f, names)
    plan.data = source if stats is not None else None
    return plan


@dataclass(frozen=True)
class Rates:
    """The optimizer and learning rates resolved from the curvature.

    Attributes
    ----------
    optimizer : Optimizer
    lr : float
        The rate to start with (``lr``, or what ``lr='auto'`` means).
    stable_lr : float
        Largest stable rate of ``optimizer`` for curvature ``lipschitz``.
    safe_lr : float
        What ``lr='auto'`` means: the rate a divergent fit recovers with.
    lipschitz, smallest_eigenvalue : float
        Curvature bounds (``smallest_eigenvalue`` nan when not computed).
    """

    optimizer: Optimizer
    lr: float
    stable_lr: float
    safe_lr: float
    lipschitz: float
    smallest_eigenvalue: float


def curvature(problem: Any) -> tuple[float, float]:
    """(L, mu): exact from the statistics, by Lanczos (a few passes) for "direct"."""
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            L, mu = problem.spectrum()
        except (np.linalg.LinAlgError, ArpackError):
            L = mu = math.nan  # Lanczos on overflowing data
    if not math.isfinite(L):
        raise DataOverflowError(OVERFLOW_MESSAGE)
    return L, mu


def resolve_rates(params: Params, engine: str, L: float, mu: float) -> Rates:
    """Optimizer, learning rate and stable limit for ``params`` at curvature (L, mu).

    The smallest eigenvalue is exact only for engine "stats"; it then sets the
    momentum and ``lr='auto'`` of the accelerated methods.
    """
    exact = engine == "stats"
    opt = make_optimizer(params.optimizer, params.momentum, condition(L, mu) if exact else None)
    safe_lr = auto_lr(params.optimizer, L, mu if exact else None)
    lr = safe_lr if params.lr == "auto" else params.lr
    return Rates(opt, lr, opt.stable_lr(L), safe_lr, L, mu)
