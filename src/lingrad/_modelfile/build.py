"""From a parsed model file to what a model is made of: hyperparameters and a FittedState.

:func:`build` validates a whole document (shapes, types, finiteness, symmetry
of the scatter matrix, hyperparameters against :data:`lingrad._params.PARAMETERS`)
and returns a :class:`ModelDocument`; ``lingrad.persist`` makes the model:
``LinearRegression(**doc.params)``, then ``doc.state.apply(model)``.

Examples
--------
>>> import numpy as np
>>> from lingrad.datasets import make_tutorial_data
>>> from lingrad import LinearRegression
>>> from lingrad._modelfile.encode import document
>>> X, y = make_tutorial_data()
>>> model = LinearRegression(random_state=0, n_iters=50).fit(X, y)
>>> doc = build(Fields("in-memory"), document(model))
>>> doc.params["n_iters"], doc.state.coef.shape
(50, (1,))
>>> bool(np.array_equal(doc.state.coef, model.coef_))
True
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any

import numpy as np

from .._bounds import BoundsError, bounds_from_json
from .._design import DesignSpec, FormulaError
from .._diagnostics import Diagnostics
from .._fitted import FittedState
from .._params import PARAMETERS, Constraint
from .._solve import STOP_REASONS
from .._stats import SufficientStats
from .errors import RESAVE, type_name
from .schema import (
    DTYPES,
    ENGINES,
    NOT_STORED,
    OPTIONAL_STATS_FIELDS,
    STATS_FIELDS,
    STATS_OPTIONAL_FIELDS,
    SYMMETRY_RTOL,
    WEIGHT_EXPONENT_RANGE,
)
from .validate import Fields, check_header

__all__ = ["ModelDocument", "build"]

_DIAG_STR = tuple(f.name for f in fields(Diagnostics) if f.type in ("str", str))
#: Diagnostics that are true, false (or, where the type allows, null).
_DIAG_BOOL = {
    f.name: "None" in str(f.type) for f in fields(Diagnostics) if str(f.type).startswith("bool")
}
#: What a file saved before ``precondition`` existed was fitted with (no preconditioning).
OLD_FILES_PRECONDITION = "none"


@dataclass(frozen=True)
class ModelDocument:
    """A validated model file: everything needed to rebuild the model, and its metadata.

    Attributes
    ----------
    params : dict
        Hyperparameters (``LinearRegression(**params)``); absent ones take their
        default, except ``precondition``: a file without it was saved before it
        existed, by a fit that was never preconditioned, so it reads "none".
    state : FittedState
        The fitted attributes (``fit_result`` and recorded paths are None).
    design : DesignSpec or None
        The design of a formula fit (``design_``; absent from older files).
    metadata : dict
        The other fields of :class:`lingrad.persist.ModelFile`: ``target_names``,
        ``lingrad_version``, ``created``, ``schema_version``, ``notes`` (a tuple).
    """

    params: dict[str, Any]
    state: FittedState
    metadata: dict[str, Any]
    design: DesignSpec | None = None


def build(v: Fields, doc: Any) -> ModelDocument:
    """Validate the parsed document ``doc`` of the file ``v`` names; every failure says why.

    Fields are checked in a fixed order, so a file with several faults always
    reports the same one; the hyperparameters' values are checked last.
    """
    check_header(v, doc)
    f = _Fitted(v, doc)
    state = FittedState(
        coef=f.coef(),
        intercept=f.intercept(),
        coef_init=f.coef_init(),
        intercept_init=f.intercept_init(),
        n_features_in=f.n_features,
        feature_names_in=f.feature_names_in(),
        n_iter=v.int_(doc, "n_iter", low=0),
        converged=v.bool_(doc, "converged"),
        stop_reason=v.option(doc, "stop_reason", STOP_REASONS),
        lr=f.lr(),
        engine=v.option(doc, "engine", ENGINES),
        loss_history=f.loss_history(),
        diagnostics=_diagnostics(v, doc["diagnostics"], f),
        stats=_stats(v, doc.get("stats"), f.n_features, f.k),
        **dict.fromkeys(NOT_STORED),
    )
    notes = doc.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise v.fail("'notes' must be a list of strings")
    _check_values(v, f.params)
    metadata = {
        "target_names": f.target_names,
        "lingrad_version": doc["lingrad_version"],
        "created": doc["created"],
        "schema_version": doc["schema_version"],
        "notes": tuple(notes),
        "n_dropped": None if doc.get("n_dropped") is None else v.int_(doc, "n_dropped", low=0),
    }
    design = _design(v, doc.get("design"), state.feature_names_in)
    return ModelDocument(params=f.params, state=state, metadata=metadata, design=design)


def _design(v: Fields, d: Any, names: Any) -> DesignSpec | None:
    """The optional design spec, consistent with the feature names."""
    if d is None:
        return None
    try:
        spec = DesignSpec.from_json(d)
    except FormulaError as err:
        raise v.fail(f"'design' is not a design: {err}") from None
    if names is None or list(spec.columns) != [str(n) for n in names]:
        raise v.fail("'design' columns differ from 'feature_names'")
    return spec


class _Fitted:
    """The shape of the model a file describes, and its fields that depend on it."""

    def __init__(self, v: Fields, doc: dict) -> None:
        self.v, self.doc = v, doc
        self.n_features = f = v.int_(doc, "n_features_in", low=1)
        self.k = v.int_(doc, "n_targets", low=1)
        self.y_ndim = v.int_(doc, "y_ndim", low=1)
        if self.y_ndim > 2:
            raise v.fail(f"'y_ndim' must be 1 or 2; got {self.y_ndim}")
        if self.y_ndim == 1 and self.k != 1:
            raise v.fail(f"'y_ndim' is 1 (a 1-D target) but 'n_targets' is {self.k}")
        self.dtype = v.option(doc, "dtype", DTYPES)
        one_d = self.y_ndim == 1
        self.coef_shape = (f,) if one_d else (self.k, f)
        self.coef_dims = ("n_features_in",) if one_d else ("n_targets", "n_features_in")
        self.params = _params(v, doc["params"])
        self.target_names: list[str] | None = None

    def coef(self, key: str = "coef") -> np.ndarray:
        return self.v.array(self.doc, key, self.coef_shape, self.coef_dims, dtype=self.dtype)

    def intercept(self, key: str = "intercept") -> Any:
        b = self.v.intercept(self.doc, key, self.y_ndim, self.k, self.dtype)
        fit_intercept = self.params.get("fit_intercept", PARAMETERS["fit_intercept"].default)
        if key == "intercept" and not fit_intercept and np.any(b != 0):
            raise self.v.fail("'intercept' is not 0 although params has fit_intercept=false")
        return b

    def coef_init(self) -> np.ndarray | None:
        doc = self.doc
        has_init = (doc.get("coef_init") is not None, doc.get("intercept_init") is not None)
        if has_init[0] != has_init[1]:
            raise self.v.fail(
                "'coef_init' and 'intercept_init' must be given together or not at all"
            )
        return self.coef("coef_init") if all(has_init) else None

    def intercept_init(self) -> Any:
        if self.doc.get("intercept_init") is None:
            return None
        return self.intercept("intercept_init")

    def feature_names_in(self) -> np.ndarray | None:
        """The feature names; the target names (metadata) are checked with them."""
        names = self.v.str_list(self.doc, "feature_names", self.n_features, "n_features_in")
        self.target_names = self.v.str_list(self.doc, "target_names", self.k, "n_targets")
        return None if names is None else np.asarray(names, dtype=object)

    def lr(self) -> float:
        lr = self.v.number(self.doc["lr"], "'lr'")
        if not lr > 0:
            raise self.v.fail(f"'lr' must be a positive number; got {lr!r}")
        return float(lr)

    def loss_history(self) -> np.ndarray:
        history = self.doc["loss_history"]
        if not isinstance(history, list) or not history:
            raise self.v.fail(
                f"'loss_history' must be a non-empty list of numbers; got {type_name(history)}"
            )
        return self.v.array(self.doc, "loss_history", (len(history),), ("its length",), tokens=True)


def _accepts(constraint: Constraint, value: Any) -> bool:
    try:
        return constraint.accepts(value)
    except OverflowError:  # an integer beyond float64 where a real goes
        return False


def _params(v: Fields, params: Any) -> dict[str, Any]:
    """Saved hyperparameters: known names (of :data:`PARAMETERS`), JSON scalars."""
    if not isinstance(params, dict):
        raise v.fail(f"'params' must be an object; got {type_name(params)}")
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise v.fail(
            f"'params' has unknown hyperparameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; this lingrad's LinearRegression accepts "
            f"{', '.join(sorted(PARAMETERS))}",
            ("If the file comes from a newer lingrad, upgrade lingrad; otherwise ", *RESAVE),
        )
    for name, value in params.items():
        if name == "bounds" and value is not None:  # the box (lingrad._bounds)
            try:
                params = {**params, "bounds": bounds_from_json(value)}
            except BoundsError as err:
                raise v.fail(f"hyperparameter 'bounds': {err}") from None
            continue
        if value is not None and type(value) not in (bool, int, float, str):
            raise v.fail(
                f"hyperparameter {name!r} must be null, a boolean, a number or a string; "
                f"got {type_name(value)}"
            )
    return {"precondition": OLD_FILES_PRECONDITION, **params}


def _check_values(v: Fields, params: dict[str, Any]) -> None:
    """Each saved hyperparameter within its constraint (what ``fit`` would accept)."""
    for name, value in params.items():
        constraint = PARAMETERS[name]
        if not _accepts(constraint, value):
            raise v.fail(f"hyperparameter {name!r} must be {constraint.expected}; got {value!r}")


def _diagnostics(v: Fields, d: Any, fitted: _Fitted) -> Diagnostics:
    if not isinstance(d, dict):
        raise v.fail(f"'diagnostics' must be an object; got {type_name(d)}")
    spec = {fl.name: fl for fl in fields(Diagnostics)}
    unknown = sorted(set(d) - set(spec))
    if unknown:
        raise v.fail(f"'diagnostics' has unknown field(s) {', '.join(map(repr, unknown))}")
    missing = [
        n
        for n, fl in spec.items()
        if n not in d and fl.default is MISSING and fl.default_factory is MISSING
    ]
    if missing:
        raise v.fail(f"'diagnostics' lacks field(s) {', '.join(map(repr, missing))}")
    return Diagnostics(**{name: _diagnostic(v, d, name, fitted) for name in d})


def _diagnostic(v: Fields, d: dict, name: str, fitted: _Fitted) -> Any:
    value, where, label = d[name], f"'diagnostics.{name}'", f"diagnostics.{name}"
    if name in _DIAG_STR:
        return v.str_(d, name, where)
    if name in _DIAG_BOOL:
        if type(value) is bool or (value is None and _DIAG_BOOL[name]):
            return value
        allowed = "true, false or null" if _DIAG_BOOL[name] else "true or false"
        raise v.fail(f"{where} must be {allowed}; got {type_name(value)} {value!r}")
    if name == "exact_coef" and value is not None:
        return v.array(d, name, fitted.coef_shape, fitted.coef_dims, tokens=True, label=label)
    if name == "exact_intercept" and value is not None:
        if fitted.y_ndim == 1:
            return float(v.number(value, where, tokens=True))
        return v.array(d, name, (fitted.k,), ("n_targets",), tokens=True, label=label)
    if name == "exact_ssr" and value is not None:
        if fitted.y_ndim == 1:
            return float(v.number(value, where, tokens=True))
        return v.array(d, name, (fitted.k,), ("n_targets",), tokens=True, label=label)
    if name in ("exact_coef", "exact_intercept", "exact_ssr"):
        return None
    return v.number(value, where, tokens=True)


def _stats(v: Fields, s: Any, f: int, k: int) -> SufficientStats | None:
    if s is None:
        return None
    if not isinstance(s, dict):
        raise v.fail(f"'stats' must be an object or null; got {type_name(s)}")
    required = set(STATS_FIELDS) - set(OPTIONAL_STATS_FIELDS)
    if not required <= set(s) <= set(STATS_FIELDS + STATS_OPTIONAL_FIELDS):
        raise v.fail(
            f"'stats' must have exactly the fields {', '.join(STATS_FIELDS)} ("
            f"{', '.join(OPTIONAL_STATS_FIELDS + STATS_OPTIONAL_FIELDS)} optional); "
            f"got {', '.join(sorted(s))}"
        )
    n_features = v.int_(s, "n_features", low=1, where="'stats.n_features'")
    if n_features != f:
        raise v.fail(f"'stats.n_features' is {n_features}, but n_features_in is {f}")
    # a fitted model's statistics hold at least one row of positive total weight
    n_samples = v.int_(s, "n_samples", low=1, where="'stats.n_samples'")
    sum_weights = v.number(s["sum_weights"], "'stats.sum_weights'")
    if not sum_weights > 0:
        raise v.fail(f"'stats.sum_weights' must be > 0; got {sum_weights!r}")
    dims = ("n_features_in + n_targets",) * 2
    mean = v.array(s, "mean", (f + k,), dims, label="stats.mean")
    scatter = v.array(s, "scatter", (f + k, f + k), dims, label="stats.scatter")
    if scatter.size and not (np.diag(scatter) >= 0).all():
        raise v.fail("'stats.scatter' has a negative variance on its diagonal")
    scale = float(np.abs(scatter).max()) if scatter.size else 0.0
    asym = float(np.abs(scatter - scatter.T).max()) if scatter.size else 0.0
    if asym > SYMMETRY_RTOL * scale:
        raise v.fail(
            f"'stats.scatter' is not symmetric (largest |S - S^T| is {asym:.3g}, relative "
            f"{asym / scale:.3g})"
        )
    sum_log_weights = v.number(s["sum_log_weights"], "'stats.sum_log_weights'")
    if not isinstance(s["weighted"], bool):
        raise v.fail(f"'stats.weighted' must be true or false; got {s['weighted']!r}")
    return SufficientStats(
        n_samples=n_samples,
        sum_weights=float(sum_weights),
        mean=mean,
        scatter=scatter,
        n_features=n_features,
        sum_log_weights=float(sum_log_weights),
        weighted=s["weighted"],
        sum_freq=_sum_freq(v, s.get("sum_freq")),
        weight_exponent=_weight_exponent(v, s),
    )


def _sum_freq(v: Fields, value: Any) -> float | None:
    """The optional frequency total: None (absent or null) or a positive number."""
    if value is None:
        return None
    total = v.number(value, "'stats.sum_freq'")
    if not total > 0:
        raise v.fail(f"'stats.sum_freq' must be > 0; got {total!r}")
    return float(total)


def _weight_exponent(v: Fields, s: dict) -> int:
    """``stats.weight_exponent``: missing means 0 (files written before it, ordinary weights)."""
    if "weight_exponent" not in s:
        return 0
    low, high = WEIGHT_EXPONENT_RANGE
    k = v.int_(s, "weight_exponent", low=low, where="'stats.weight_exponent'")
    if k > high:
        raise v.fail(f"'stats.weight_exponent' must be an integer <= {high}; got {k!r}")
    return k
