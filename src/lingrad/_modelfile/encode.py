"""Writing model files: fitted model -> JSON document -> text -> atomic file.

:func:`write_model` reads what to save through :class:`~lingrad._fitted.FittedState`
and ``get_params()``, so it needs no estimator class: ``LinearRegression.save``
and :func:`lingrad.persist.save_model` both end here. Every float is written as
its shortest exact decimal (``repr``), non-finite diagnostics as the strings
"nan", "inf", "-inf"; a document that :func:`~lingrad._modelfile.build.build`
would refuse is never written.

Examples
--------
>>> encode_nonfinite([1.5, float("inf"), {"gap": float("nan")}])
[1.5, 'inf', {'gap': 'nan'}]
>>> print("".join(chunks({"format": FORMAT, "coef": [[1.0, 2.0], [3.0, 4.0]]})))
{
  "format": "lingrad-model",
  "coef": [
    [1.0, 2.0],
    [3.0, 4.0]
  ]
}
<BLANKLINE>
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._bounds import bounds_to_json
from .._fitted import FittedState
from .._messages import Set
from .._params import PARAMETERS
from .._version import __version__
from ..atomic import atomic_path, check_output_path
from .build import build
from .errors import ModelFileError, UnsavableModelError
from .schema import DTYPES, FIELD_ORDER, FORMAT, SCHEMA_VERSION, STATE_OF_FIELD
from .validate import Fields

__all__ = ["chunks", "document", "encode_nonfinite", "write_model"]


def write_model(model: Any, path: str | os.PathLike, *, target_names: Any = None) -> Path:
    """Write a fitted model to a JSON model file, atomically: :func:`lingrad.persist.save_model`.

    The same parameters, return value and errors, without the type check: any
    estimator with lingrad's fitted attributes (``FittedState``) and
    ``get_params`` is written, so ``LinearRegression.save`` needs no import of
    ``lingrad.persist``. A ``NotFittedError`` for an unfitted ``model``; a
    ``ValueError`` for what a file cannot hold; an ``OSError`` (a previous
    file intact) when ``path`` cannot be written. Returns ``path`` as a Path.
    """
    check_is_fitted(
        model,
        msg=(
            "This %(name)s is not fitted yet, so there is nothing to save. "
            "Call fit(X, y) before save_model."
        ),
    )
    path = Path(os.fspath(path))
    doc = document(model, target_names)
    try:  # never write a file that load_model would refuse
        build(Fields(path), doc)
    except ModelFileError as err:
        raise UnsavableModelError(
            (
                f"Refusing to save the model to '{path}': the file would not load back (",
                *err.parts,
                "). This is a lingrad bug; please report it.",
            )
        ) from err
    _atomic_write(path, chunks(doc))
    return path


def document(model: Any, target_names: Any = None) -> dict[str, Any]:
    """The JSON document of a fitted model (plain Python, every number finite or a token)."""
    getattr(model, "coef_")  # noqa: B009 - runs a solve that partial_fit deferred
    state = FittedState.of(model)
    coef = np.asarray(state.coef)
    if coef.dtype.name not in DTYPES or coef.ndim not in (1, 2):
        raise ValueError(
            f"model.coef_ must be a float64 or float32 array of 1 or 2 dimensions; got "
            f"{coef.dtype} with shape {coef.shape}. Refit the model."
        )
    y_ndim = coef.ndim
    n_targets = 1 if y_ndim == 1 else coef.shape[0]
    notes: list[str] = []
    doc: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "lingrad_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "notes": notes,
        "params": _json_params(type(model).__name__, model.get_params(deep=False), notes),
        "n_targets": int(n_targets),
        "y_ndim": int(y_ndim),
        "dtype": coef.dtype.name,
        "target_names": _target_names(target_names, n_targets),
    }
    for key, name in STATE_OF_FIELD.items():
        doc[key] = _ENCODE[name](state, name, y_ndim)
    design = getattr(model, "__dict__", {}).get("design_")  # a formula's design (lingrad.ols)
    if design is not None:  # only formula fits: other files are as before
        doc["design"] = design.to_json()
    if model.__dict__.get("n_dropped_") is not None:  # rows left out by missing="drop"
        doc["n_dropped"] = int(model.n_dropped_)
    return doc


def _json_params(owner: str, params: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if name == "random_state" and isinstance(
            value, np.random.RandomState | np.random.Generator
        ):
            notes.append(
                f"random_state was a {type(value).__name__} instance, which a JSON file cannot "
                "hold; it is saved as null, so refitting the loaded model draws a new random "
                "start. Fit with an integer random_state to make refits reproducible."
            )
            value = None
        if name == "bounds" and value is not None:  # the box: lists, infinities as null
            out[name] = bounds_to_json(value)
            continue
        setting = Set(name, repr(value))
        if value is not None and not isinstance(value, bool | int | float | str):
            raise UnsavableModelError(
                (
                    "Cannot save the hyperparameter ",
                    setting,
                    f" of type {type(value).__name__}: a model file holds only None, bool, int, "
                    "float and str hyperparameters. Set ",
                    Set(name),
                    " to one of those and refit.",
                ),
                param=name,
                value=value,
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise UnsavableModelError(
                (
                    "Cannot save the hyperparameter ",
                    setting,
                    ": model files hold finite numbers only. Use a finite value (or None where "
                    "allowed) and refit.",
                ),
                param=name,
                value=value,
            )
        if name in PARAMETERS:  # what fit would refuse, the file does not hold either
            PARAMETERS[name].check(owner, value)
        out[name] = value
    return out


def _target_names(names: Any, n_targets: int) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, Sequence | np.ndarray) or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"target_names must be a sequence of strings; got {names!r}. "
            "Pass e.g. target_names=['price']."
        )
    names = [str(n) for n in names]
    if len(names) != n_targets:
        raise ValueError(
            f"target_names has {len(names)} names but the model has {n_targets} "
            f"target{'s' if n_targets != 1 else ''}. Pass one name per target."
        )
    return names


def _finite_list(name: str, a: Any) -> list:
    a = np.asarray(a)
    if not np.all(np.isfinite(a)):
        raise ValueError(
            f"Cannot save a model whose {name} contains NaN or inf: model files hold finite "
            "coefficients only. Refit the model (see lr_ and diagnostics_ for why it diverged)."
        )
    return a.tolist()


def _finite_float(name: str, x: Any) -> float:
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(
            f"Cannot save a model whose {name} is {x!r}: model files hold finite numbers "
            "there. Refit the model."
        )
    return x


def _intercept(b: Any, y_ndim: int, name: str) -> float | list:
    if y_ndim == 1:
        return _finite_float(name, b)
    return _finite_list(name, b)


def _stats_doc(stats: Any) -> dict[str, Any] | None:
    # Statistics of weights rescaled by 2**-k (extreme scales) carry k as "weight_exponent",
    # written only when not 0: files of weights of ordinary scale stay as they were
    if stats is None:
        return None
    freq = getattr(stats, "sum_freq", None)
    extra = {} if freq is None else {"sum_freq": _finite_float("stats_.sum_freq", freq)}
    doc = {
        "n_samples": int(stats.n_samples),
        "sum_weights": _finite_float("stats_.sum_weights", stats.sum_weights),
        "mean": _finite_list("stats_.mean", np.asarray(stats.mean, dtype=np.float64)),
        "scatter": _finite_list("stats_.scatter", np.asarray(stats.scatter, dtype=np.float64)),
        "n_features": int(stats.n_features),
        "sum_log_weights": _finite_float("stats_.sum_log_weights", stats.sum_log_weights),
        "weighted": bool(stats.weighted),
        **extra,
    }
    k = int(getattr(stats, "weight_exponent", 0))
    if k:
        doc["weight_exponent"] = k
    return doc


def _init(s: FittedState, name: str, y_ndim: int) -> Any:
    """The starting point, kept only as a pair (a file from a loaded model may lack it)."""
    if s.coef_init is None:
        return None
    if name == "coef_init":
        return _finite_list(name + "_", s.coef_init)
    return _intercept(s.intercept_init, y_ndim, name + "_")


# How each stored FittedState field is written: (state, field name, y_ndim) -> JSON value.
_ENCODE: dict[str, Callable[[FittedState, str, int], Any]] = {
    "n_features_in": lambda s, n, nd: int(s.n_features_in),
    "feature_names_in": lambda s, n, nd: (
        None if s.feature_names_in is None else [str(v) for v in s.feature_names_in]
    ),
    "coef": lambda s, n, nd: _finite_list(n + "_", s.coef),
    "intercept": lambda s, n, nd: _intercept(s.intercept, nd, n + "_"),
    "coef_init": _init,
    "intercept_init": _init,
    "n_iter": lambda s, n, nd: int(s.n_iter),
    "converged": lambda s, n, nd: bool(s.converged),
    "stop_reason": lambda s, n, nd: str(s.stop_reason),
    "lr": lambda s, n, nd: _finite_float(n + "_", s.lr),
    "engine": lambda s, n, nd: str(s.engine),
    "loss_history": lambda s, n, nd: encode_nonfinite(
        np.asarray(s.loss_history, dtype=np.float64).tolist()
    ),
    "diagnostics": lambda s, n, nd: encode_nonfinite(s.diagnostics.to_dict()),
    "stats": lambda s, n, nd: _stats_doc(s.stats),
}


def encode_nonfinite(value: Any) -> Any:
    """Replace non-finite floats by the strings "nan", "inf", "-inf" (recursively)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return [encode_nonfinite(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_nonfinite(v) for k, v in value.items()}
    return value


def _dumps(value: Any, level: int) -> str:
    """Standard JSON, one field per line and one matrix row per line."""
    pad = "  " * (level + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {_dumps(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        rows = [pad + _dumps(v, level + 1) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + "  " * level + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def chunks(doc: dict[str, Any]) -> Iterator[str]:
    """The text of ``doc``, its fields in schema order (``FIELD_ORDER``), piece by piece."""
    yield "{\n"
    keys = [k for k in FIELD_ORDER if k in doc]
    for i, key in enumerate(keys):
        sep = ",\n" if i < len(keys) - 1 else "\n"
        yield f"  {json.dumps(key)}: {_dumps(doc[key], 1)}{sep}"
    yield "}\n"


def _atomic_write(path: Path, pieces: Iterator[str]) -> None:
    """Write ``pieces`` to a temporary file beside ``path``, fsync, rename over ``path``."""
    where = f"Cannot save the model to '{path}'"
    check_output_path(
        path, where, "model.json", f"os.makedirs({str(path.parent)!r}, exist_ok=True)"
    )
    with atomic_path(path, where) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for piece in pieces:
            out.write(piece)
