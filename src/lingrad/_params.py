"""One declarative table of parameter constraints, read by every boundary.

The estimator validates its hyperparameters with :data:`PARAMETERS`, the
command line takes its option checks, choices and help from it, and the
model-file loader validates saved hyperparameters against it (in the manner of
scikit-learn's ``_parameter_constraints``). No option list is written twice: the
optimizer and schedule names come from their registries in :mod:`lingrad._optimizers`.

Examples
--------
>>> PARAMETERS["engine"].options
('auto', 'stats', 'direct')
>>> PARAMETERS["n_iters"].check("LinearRegression", 50)
50
>>> try:
...     PARAMETERS["l1_ratio"].check("LinearRegression", 2.0)
... except ParameterError as err:
...     print(err.fields["param"], err.fields["value"])
l1_ratio 2.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from ._messages import LingradMessage, Part, Set, shorten
from ._optimizers import OPTIMIZER_NAMES, SCHEDULES

__all__ = [
    "CLUSTER_COV_TYPES",
    "COV_TYPES",
    "ENGINES",
    "PARAMETERS",
    "PRECONDITIONERS",
    "SUMMARY_PARAMETERS",
    "Constraint",
    "ParameterError",
    "Params",
    "check_params",
]

ENGINES = ("auto", "stats", "direct")
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "cluster-crv3", "HAC")
#: The covariance types that need ``groups`` (cluster-robust, CR1 and CR3).
CLUSTER_COV_TYPES = ("cluster", "cluster-crv3")
PRECONDITIONERS = ("auto", "diagonal", "full", "none")

Kind = Literal["real", "int", "option", "bool", "lr", "any"]


def _fmt(value: Any) -> str:
    return shorten(repr(value) if not isinstance(value, np.generic) else repr(value.item()))


class ParameterError(LingradMessage, ValueError):
    """A parameter outside its constraint.

    Attributes
    ----------
    fields : dict
        ``owner`` (the class or function), ``param``, ``value`` (as given),
        ``expected`` (text) and, for intervals, ``low`` and ``high``.
    """


def param_error(
    owner: str, name: str, expected: str, value: Any, fix: Part | tuple[Part, ...], **limits: Any
) -> ParameterError:
    """The one error format for bad parameters (names, expectation, value, fix)."""
    fix_parts = fix if isinstance(fix, tuple) else (fix,)
    parts = (
        f"The {name!r} parameter of {owner} must be {expected}; got {_fmt(value)}. ",
        *fix_parts,
    )
    return ParameterError(parts, owner=owner, param=name, value=value, expected=expected, **limits)


@dataclass(frozen=True)
class Constraint:
    """What one parameter accepts, and what to say when it gets something else.

    Attributes
    ----------
    name : str
    kind : {"real", "int", "option", "bool", "lr", "any"}
        "lr" is a positive real or the string ``"auto"``; "any" is not checked
        here (``random_state``, ``verbose``).
    default : object
    low, high : float or None
        Interval bounds ("real", "int"); ``low_open``/``high_open`` exclude them.
    options : tuple of str
        Choices of an "option".
    none_ok : bool
        None is accepted (and means the documented default behaviour).
    fix : tuple of parts
        The remedy appended to the error (see :mod:`lingrad._messages`).
    help : str
        One line for the command line's ``--help``.
    """

    name: str
    kind: Kind
    default: Any
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    options: tuple[str, ...] = ()
    none_ok: bool = False
    fix: tuple[Part, ...] = ()
    help: str = ""

    @property
    def expected(self) -> str:
        """What the parameter must be, in words."""
        if self.kind == "option":
            return "one of " + ", ".join(repr(o) for o in self.options)
        if self.kind == "int":
            return f"an integer >= {self.low:g}"
        if self.kind == "bool":
            return "True or False"
        if self.kind == "lr":
            return "a positive float or 'auto'"
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        lo_v = "-inf" if self.low is None else repr(self.low)
        hi_v = "inf" if self.high is None else repr(self.high)
        return f"a finite real number in {lo}{lo_v}, {hi_v}{hi}"

    def _fix(self) -> tuple[Part, ...]:
        if self.fix:
            return self.fix
        return (f"Use {self.expected}.",) if self.kind == "option" else ()

    def error(self, owner: str, value: Any, expected: str | None = None) -> ParameterError:
        """The error for ``value`` (``expected`` overrides the constraint's wording)."""
        limits = {"low": self.low, "high": self.high} if self.kind in ("real", "int") else {}
        return param_error(
            owner, self.name, expected or self.expected, value, self._fix(), **limits
        )

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies the constraint (without raising)."""
        try:
            self.check("", value)
        except ParameterError:
            return False
        return True

    def check(self, owner: str, value: Any) -> Any:
        """``value`` normalised (floats as float, ints as int), or a :class:`ParameterError`."""
        if value is None and self.none_ok:
            return None
        kind = self.kind
        if kind == "any":
            return value
        if kind == "bool":
            if not isinstance(value, bool | np.bool_):
                raise self.error(owner, value)
            return bool(value)
        if kind == "option":
            if not isinstance(value, str) or value not in self.options:
                raise self.error(owner, value)
            return value
        if kind == "int":
            ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
            if not ok or (self.low is not None and int(value) < self.low):
                raise self.error(owner, value)
            return int(value)
        if kind == "lr" and isinstance(value, str):
            if value != "auto":
                fix = ("Use e.g. ", Set("lr", "0.01"), " or ", Set("lr", "'auto'"), ".")
                raise param_error(owner, self.name, self.expected, value, fix)
            return "auto"
        return self._check_real(owner, value, kind == "lr")

    def _check_real(self, owner: str, value: Any, is_lr: bool) -> float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        v = float(value) if ok else math.nan
        ok = ok and math.isfinite(v)
        if ok and self.low is not None:
            ok = v > self.low if self.low_open else v >= self.low
        if ok and self.high is not None:
            ok = v < self.high if self.high_open else v <= self.high
        if not ok:
            # An lr that is a number is judged as a number: say which interval.
            interval = Constraint(self.name, "real", None, self.low, self.high, self.low_open)
            raise self.error(owner, value, interval.expected if is_lr else None)
        return v


def _real(name: str, default: Any, fix: tuple[Part, ...], help: str = "", **kw: Any) -> Constraint:
    return Constraint(name, "real", default, fix=fix, help=help, **kw)


#: Hyperparameters of :class:`lingrad.LinearRegression`, in signature order.
PARAMETERS: Mapping[str, Constraint] = MappingProxyType(
    {
        c.name: c
        for c in (
            Constraint(
                "lr",
                "lr",
                0.01,
                low=0.0,
                low_open=True,
                fix=(
                    "Use a positive learning rate such as ",
                    Set("lr", "0.01"),
                    ", or ",
                    Set("lr", "'auto'"),
                    ".",
                ),
                help="Learning rate: a positive number, or 'auto' (1/L, from the data).",
            ),
            Constraint(
                "n_iters",
                "int",
                1000,
                low=0,
                fix=("Use a whole number of iterations, e.g. 1000.",),
                help="Iteration budget (epochs with --batch-size).",
            ),
            Constraint(
                "fit_intercept",
                "bool",
                True,
                fix=(
                    "Pass ",
                    Set("fit_intercept", "True"),
                    " or ",
                    Set("fit_intercept", "False"),
                    ".",
                ),
                help="Learn the bias.",
            ),
            Constraint(
                "random_state",
                "any",
                None,
                none_ok=True,
                help="Seed of the random starting weights (and SGD shuffling).",
            ),
            Constraint("verbose", "any", False, help="Print the MSE about ten times."),
            _real(
                "tol",
                None,
                ("Use a small positive tolerance such as ", Set("tol", "1e-6"), ", or None."),
                "Stop once the gradient norm is below TOL times its start; default: run every "
                "iteration.",
                low=0.0,
                low_open=True,
                none_ok=True,
            ),
            Constraint(
                "engine",
                "option",
                "auto",
                options=ENGINES,
                help="stats (one pass, then O(f²) per iteration), direct (a pass per "
                "iteration) or auto.",
            ),
            Constraint(
                "optimizer",
                "option",
                "gd",
                options=tuple(OPTIMIZER_NAMES),
                help="gd, momentum, nesterov, adam or cg (conjugate gradients; lr auto picks "
                "it where engine auto picks direct).",
            ),
            _real(
                "momentum",
                None,
                ("Use a momentum in [0, 1), e.g. 0.9, or None for the data-driven default.",),
                low=0.0,
                high=1.0,
                high_open=True,
                none_ok=True,
            ),
            Constraint(
                "batch_size",
                "int",
                None,
                low=1,
                none_ok=True,
                fix=("Use a positive number of rows per batch, or None for full batch.",),
                help="Mini-batch SGD with this many rows per batch.",
            ),
            Constraint("learning_rate", "option", "constant", options=tuple(SCHEDULES)),
            _real(
                "alpha",
                0.0,
                ("Use alpha between 0 (no penalty) and 1e300 (beyond, float64 overflows).",),
                "Penalty strength (elastic net); 0: no penalty.",
                low=0.0,
                high=1e300,
            ),
            _real(
                "l1_ratio",
                0.0,
                ("Use l1_ratio between 0 (ridge) and 1 (lasso).",),
                "Share of L1 in the penalty: 0 ridge, 1 lasso.",
                low=0.0,
                high=1.0,
            ),
            Constraint(
                "on_divergence",
                "option",
                "recover",
                options=("recover", "raise"),
                help="A learning rate too large for the data: recover (warn, refit with "
                "lr=auto) or raise (an error).",
            ),
            Constraint("record_path", "any", False),
            Constraint("partial_fit_mode", "option", "exact", options=("exact", "sgd")),
            Constraint(
                "precondition",
                "option",
                "auto",
                options=PRECONDITIONERS,
                help="Descend in well-scaled coordinates: auto (with --lr auto: diagonal, or "
                "full where still ill-conditioned; with a numeric lr: none), diagonal (centre "
                "and scale the columns), full (whiten them) or none.",
            ),
            Constraint(
                "missing",
                "option",
                "raise",
                options=("raise", "drop"),
                help="Rows with a missing value (empty cell, NA, NaN, null) in a column the "
                "model uses: raise (an error) or drop (leave them out; the count is reported).",
            ),
            Constraint(
                "positive",
                "bool",
                False,
                fix=("Pass ", Set("positive", "True"), " or ", Set("positive", "False"), "."),
                help="Coefficients >= 0 (projected steps; the intercept is free).",
            ),
            Constraint(
                "bounds", "any", None, none_ok=True, help="Coefficient box LOW,HIGH: _bounds.Box."
            ),
        )
    }
)

#: Parameters of :meth:`lingrad.LinearRegression.summary` (and ``Summary.conf_int``).
SUMMARY_PARAMETERS: Mapping[str, Constraint] = MappingProxyType(
    {
        "cov_type": Constraint(
            "cov_type",
            "option",
            "nonrobust",
            options=COV_TYPES,
            fix=(
                "Use 'nonrobust' for classical errors, 'HC0'...'HC3' for "
                "heteroscedasticity-robust ones, 'cluster' (CR1) or 'cluster-crv3' (CR3) with ",
                Set("groups"),
                " for cluster-robust ones, or 'HAC' with ",
                Set("maxlags"),
                " for Newey-West errors of ordered rows.",
            ),
            help="Covariance of the estimates: nonrobust, HC0-HC3 (robust), cluster (CR1), "
            "cluster-crv3 (CR3) or HAC (Newey-West).",
        ),
        "groups": Constraint(
            "groups",
            "any",
            None,
            none_ok=True,
            help="Cluster ids: one column, or two for two-way clustering.",
        ),
        "maxlags": Constraint(
            "maxlags",
            "int",
            None,
            low=0,
            none_ok=True,
            fix=("Use a whole number of lags >= 0, e.g. ", Set("maxlags", "4"), "."),
            help="Lags of the Newey-West (Bartlett) HAC covariance.",
        ),
        "alpha": _real(
            "alpha",
            0.05,
            (
                "Use a significance level in (0, 1), e.g. ",
                Set("alpha", "0.05"),
                " for 95% intervals.",
            ),
            "Significance level: intervals at 1 - ALPHA.",
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
        ),
    }
)


@dataclass(frozen=True)
class Params:
    """The validated hyperparameters of one fit (see :data:`PARAMETERS`)."""

    lr: float | str
    n_iters: int
    fit_intercept: bool
    random_state: Any
    verbose: Any
    tol: float | None
    engine: str
    optimizer: str
    momentum: float | None
    batch_size: int | None
    learning_rate: str
    alpha: float
    l1_ratio: float
    on_divergence: str
    record_path: Any
    partial_fit_mode: str
    precondition: str
    missing: str
    positive: bool = False
    bounds: Any = None


assert tuple(f.name for f in fields(Params)) == tuple(PARAMETERS)  # one list, in one order


def check_params(owner: str, values: Mapping[str, Any]) -> Params:
    """Validate every hyperparameter of :data:`PARAMETERS`; first failure raises.

    Parameters
    ----------
    owner : str
        Named in messages (``"LinearRegression"``).
    values : mapping
        Parameter name to value (``estimator.get_params(deep=False)``).

    Returns
    -------
    Params
    """
    return Params(**{name: c.check(owner, values[name]) for name, c in PARAMETERS.items()})
