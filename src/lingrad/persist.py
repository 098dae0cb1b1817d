"""JSON model files: save a fitted ``LinearRegression``, load it back, never run code.

A model file is one UTF-8 JSON object (no pickle: loading parses numbers and
strings and executes nothing). Its top-level fields, schema version 1:

===================  ==========================================================
``format``           always ``"lingrad-model"``
``schema_version``   ``1``; a newer file asks for a newer lingrad
``lingrad_version``  the lingrad that wrote the file
``created``          ISO 8601 time of writing, UTC
``notes``            list of strings: what the file could not hold exactly
``params``           ``get_params()`` (``LinearRegression(**params)`` rebuilds it)
``n_features_in``    number of features
``n_targets``        number of targets (1 for a 1-D ``y``)
``y_ndim``           1: ``coef`` is ``(n_features,)``, ``intercept`` a number;
                     2: ``coef`` is ``(n_targets, n_features)``, ``intercept``
                     ``(n_targets,)``
``dtype``            ``"float64"`` or ``"float32"``: the dtype of ``coef_``
``feature_names``    list of column names, or null
``target_names``     list of target names, or null (metadata; see ``read_model_file``)
``coef``             ``coef_``
``intercept``        ``intercept_``
``coef_init``        ``coef_init_``, the random start (or null)
``intercept_init``   ``intercept_init_`` (or null)
``n_iter``           ``n_iter_``
``converged``        ``converged_``
``stop_reason``      ``stop_reason_``
``lr``               ``lr_``
``engine``           ``engine_``
``loss_history``     ``loss_history_``, complete
``diagnostics``      ``diagnostics_.to_dict()``
``stats``            ``stats_`` as ``{n_samples, sum_weights, sum_log_weights,
                     weighted, mean, scatter, n_features}``, or null
===================  ==========================================================

Numbers round-trip exactly: every float is written as its shortest exact
decimal (Python's ``repr``), and a float32 ``coef_`` is restored as float32, so
a loaded model predicts bit for bit what the saved one did.

Non-finite numbers. Coefficients, intercepts, ``lr`` and statistics must be
finite; a model with NaN or inf there is refused at saving. Diagnostics and
the loss history may legitimately hold ``inf`` or ``nan`` (an infinite
condition number, an estimate that was not computed); there they are written
as the JSON *strings* ``"inf"``, ``"-inf"`` and ``"nan"``. The non-standard
tokens ``NaN``/``Infinity`` are never written, and a file containing them is
rejected.

Saving is atomic: the file is written to a temporary file in the same
directory, flushed and fsynced, then renamed over ``path``. A failure at any
point removes the temporary file and leaves a previous file at ``path`` intact.

Loading validates everything (format, schema version, field names, types,
shapes, finiteness, symmetry of the scatter matrix, hyperparameter names) and
raises :class:`ModelFileError` naming the file, the problem and the fix.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._diagnostics import Diagnostics
from ._estimator import LinearRegression
from ._stats import SufficientStats
from ._version import __version__
from .atomic import atomic_path, check_output_path

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "ModelFile",
    "ModelFileError",
    "load_model",
    "read_model_file",
    "save_model",
]

#: Value of the ``format`` field of every lingrad model file.
FORMAT = "lingrad-model"
#: Schema version this lingrad writes and the newest it reads.
SCHEMA_VERSION = 1

_FIELD_ORDER = (
    "format",
    "schema_version",
    "lingrad_version",
    "created",
    "notes",
    "params",
    "n_features_in",
    "n_targets",
    "y_ndim",
    "dtype",
    "feature_names",
    "target_names",
    "coef",
    "intercept",
    "coef_init",
    "intercept_init",
    "n_iter",
    "converged",
    "stop_reason",
    "lr",
    "engine",
    "loss_history",
    "diagnostics",
    "stats",
)
#: Fields that may be absent or null; every other field of ``_FIELD_ORDER`` is required.
_OPTIONAL = frozenset(
    ("notes", "feature_names", "target_names", "coef_init", "intercept_init", "stats")
)
_REQUIRED = tuple(k for k in _FIELD_ORDER if k not in _OPTIONAL)
_FLOAT64_MAX = int(np.finfo(np.float64).max)

_STATS_FIELDS = (
    "n_samples",
    "sum_weights",
    "mean",
    "scatter",
    "n_features",
    "sum_log_weights",
    "weighted",
)
_DTYPES = ("float64", "float32")
_ENGINES = ("stats", "direct")
_DIAG_STR = ("engine", "optimizer")
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_SYMMETRY_RTOL = 1e-10

_RESAVE = (
    "The file was damaged or edited after it was saved: restore it from a backup, or refit "
    "the model and save it again with lingrad.persist.save_model."
)


class ModelFileError(ValueError):
    """A model file that cannot be loaded: corrupt, tampered, or from a newer lingrad.

    The message names the file, what is wrong with it and what to do.
    """


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file: the model and the metadata saved with it.

    Attributes
    ----------
    model : LinearRegression
        The fitted model, predicting exactly as the saved one did.
    target_names : list of str or None
        Names of the targets given to :func:`save_model`.
    lingrad_version : str
        Version of lingrad that wrote the file.
    created : str
        ISO 8601 time the file was written (UTC).
    schema_version : int
    notes : tuple of str
        What the file could not hold exactly (e.g. a ``RandomState`` seed).
    """

    model: LinearRegression
    target_names: list[str] | None
    lingrad_version: str
    created: str
    schema_version: int
    notes: tuple[str, ...]


# ---------------------------------------------------------------------------- saving


def save_model(model: LinearRegression, path: str | os.PathLike, *, target_names=None) -> Path:
    """Write a fitted model to a JSON model file, atomically.

    Parameters
    ----------
    model : LinearRegression
        A fitted model.
    path : str or path-like
        File to write (conventionally ``*.json``); its directory must exist.
        An existing file is replaced only once the new one is complete.
    target_names : str or sequence of str, default=None
        Names of the ``n_targets`` targets, stored as metadata (a single
        string is accepted for a single target).

    Returns
    -------
    path : Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    ValueError
        If the model holds non-finite coefficients or hyperparameters that a
        JSON file cannot represent, or ``target_names`` does not match.
    OSError
        If ``path`` cannot be written (missing directory, a directory, no
        permission, disk full); a previous file at ``path`` is left intact.

    Examples
    --------
    >>> import tempfile, os
    >>> from lingrad import LinearRegression
    >>> from lingrad.persist import load_model, save_model
    >>> from lingrad.datasets import make_tutorial_data
    >>> X, y = make_tutorial_data()
    >>> model = LinearRegression(random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(model, os.path.join(d, "model.json"))
    ...     same = load_model(path)
    >>> bool((same.predict(X) == model.predict(X)).all())
    True
    """
    if not isinstance(model, LinearRegression):
        raise TypeError(
            f"save_model saves a lingrad LinearRegression; got {type(model).__name__}. "
            "Pass a fitted lingrad.LinearRegression."
        )
    check_is_fitted(
        model,
        msg=(
            "This %(name)s is not fitted yet, so there is nothing to save. "
            "Call fit(X, y) before save_model."
        ),
    )
    path = Path(os.fspath(path))
    doc = _document(model, target_names)
    try:  # never write a file that load_model would refuse
        _Reader(path).build(doc)
    except ModelFileError as err:
        raise ValueError(
            f"Refusing to save the model to '{path}': the file would not load back "
            f"({err}). This is a lingrad bug; please report it."
        ) from err
    _atomic_write(path, _chunks(doc))
    return path


def _document(model: LinearRegression, target_names) -> dict[str, Any]:
    coef = np.asarray(model.coef_)
    if coef.dtype.name not in _DTYPES or coef.ndim not in (1, 2):
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
        "params": _json_params(model.get_params(deep=False), notes),
        "n_features_in": int(model.n_features_in_),
        "n_targets": int(n_targets),
        "y_ndim": int(y_ndim),
        "dtype": coef.dtype.name,
        "feature_names": _names(getattr(model, "feature_names_in_", None)),
        "target_names": _target_names(target_names, n_targets),
        "coef": _finite_list("coef_", coef),
        "intercept": _intercept(model.intercept_, y_ndim, "intercept_"),
        "coef_init": None,
        "intercept_init": None,
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "stop_reason": str(model.stop_reason_),
        "lr": _finite_float("lr_", model.lr_),
        "engine": str(model.engine_),
        "loss_history": _encode(np.asarray(model.loss_history_, dtype=np.float64).tolist()),
        "diagnostics": _encode(model.diagnostics_.to_dict()),
        "stats": _stats_doc(getattr(model, "stats_", None)),
    }
    if getattr(model, "coef_init_", None) is not None:
        doc["coef_init"] = _finite_list("coef_init_", np.asarray(model.coef_init_))
        doc["intercept_init"] = _intercept(model.intercept_init_, y_ndim, "intercept_init_")
    return doc


def _json_params(params: dict[str, Any], notes: list[str]) -> dict[str, Any]:
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
        if value is not None and not isinstance(value, bool | int | float | str):
            raise ValueError(
                f"Cannot save the hyperparameter {name}={value!r} of type "
                f"{type(value).__name__}: a model file holds only None, bool, int, float and "
                f"str hyperparameters. Set {name} to one of those and refit."
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(
                f"Cannot save the hyperparameter {name}={value!r}: model files hold finite "
                "numbers only. Use a finite value (or None where allowed) and refit."
            )
        out[name] = value
    return out


def _names(names) -> list[str] | None:
    return None if names is None else [str(n) for n in names]


def _target_names(names, n_targets: int) -> list[str] | None:
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


def _finite_list(name: str, a: np.ndarray) -> list:
    if not np.all(np.isfinite(a)):
        raise ValueError(
            f"Cannot save a model whose {name} contains NaN or inf: model files hold finite "
            "coefficients only. Refit the model (see lr_ and diagnostics_ for why it diverged)."
        )
    return a.tolist()


def _finite_float(name: str, x) -> float:
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(
            f"Cannot save a model whose {name} is {x!r}: model files hold finite numbers "
            "there. Refit the model."
        )
    return x


def _intercept(b, y_ndim: int, name: str):
    if y_ndim == 1:
        return _finite_float(name, b)
    return _finite_list(name, np.asarray(b))


def _stats_doc(stats) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "n_samples": int(stats.n_samples),
        "sum_weights": _finite_float("stats_.sum_weights", stats.sum_weights),
        "mean": _finite_list("stats_.mean", np.asarray(stats.mean, dtype=np.float64)),
        "scatter": _finite_list("stats_.scatter", np.asarray(stats.scatter, dtype=np.float64)),
        "n_features": int(stats.n_features),
        "sum_log_weights": _finite_float("stats_.sum_log_weights", stats.sum_log_weights),
        "weighted": bool(stats.weighted),
    }


def _encode(value):
    """Replace non-finite floats by the strings "nan", "inf", "-inf" (recursively)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _dumps(value, level: int) -> str:
    """Standard JSON, one field per line and one matrix row per line."""
    pad = "  " * (level + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {_dumps(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        rows = [pad + _dumps(v, level + 1) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + "  " * level + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def _chunks(doc: dict[str, Any]) -> Iterator[str]:
    yield "{\n"
    keys = [k for k in _FIELD_ORDER if k in doc]
    for i, key in enumerate(keys):
        sep = ",\n" if i < len(keys) - 1 else "\n"
        yield f"  {json.dumps(key)}: {_dumps(doc[key], 1)}{sep}"
    yield "}\n"


def _atomic_write(path: Path, chunks: Iterator[str]) -> None:
    """Write ``chunks`` to a temporary file beside ``path``, fsync, rename over ``path``."""
    where = f"Cannot save the model to '{path}'"
    check_output_path(
        path, where, "model.json", f"os.makedirs({str(path.parent)!r}, exist_ok=True)"
    )
    with atomic_path(path, where) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(chunk)


# --------------------------------------------------------------------------- loading


def load_model(path: str | os.PathLike) -> LinearRegression:
    """Load a fitted model from a JSON model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    model : LinearRegression
        Fitted; predicts bit for bit what the saved model predicted. The
        solver's internal ``fit_result_`` is not stored in files.

    Raises
    ------
    OSError
        If the file cannot be read (e.g. it does not exist).
    ModelFileError
        If the file is not a valid lingrad model file: corrupt, truncated,
        tampered with, or written by a newer lingrad.
    """
    return read_model_file(path).model


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Load a model file with its metadata (target names, version, notes).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ModelFile

    Raises
    ------
    OSError
        If the file cannot be read.
    ModelFileError
        If the file is not a valid lingrad model file.
    """
    path = Path(os.fspath(path))
    data = path.read_bytes()
    reader = _Reader(path)
    return reader.build(reader.parse(data))


def _reject_constant(token: str):
    raise _Token(token)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Token(text)
    return value


class _Token(ValueError):
    """A non-finite number in the JSON text (NaN, Infinity or an overflowing literal)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    """The same key twice in one JSON object (ambiguous; a sign of tampering)."""


def _type_name(value) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


class _Reader:
    """Validation of one file's contents; every failure names the file and the fix."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, what: str, fix: str = _RESAVE) -> ModelFileError:
        return ModelFileError(f"Cannot load the lingrad model file '{self.path}': {what}. {fix}")

    # -- text -> document ------------------------------------------------------
    def parse(self, data: bytes) -> Any:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise self.fail(
                f"it is not UTF-8 text (invalid byte at offset {err.start}): it is corrupted or "
                "not a model file"
            ) from err
        if not text.strip():
            raise self.fail("the file is empty")
        try:
            return json.loads(
                text,
                parse_constant=_reject_constant,
                parse_float=_parse_float,
                object_pairs_hook=_unique_keys,
            )
        except _Token as err:
            raise self.fail(
                f"it contains the non-finite number {err.args[0]!r}. Model files write "
                'non-finite diagnostics as the strings "nan", "inf", "-inf" and never hold '
                "non-finite coefficients"
            ) from err
        except _DuplicateKey as err:
            raise self.fail(f"the field {err.args[0]!r} appears twice in one object") from err
        except json.JSONDecodeError as err:
            cut = err.pos >= len(text.rstrip())
            why = (
                "it ends in the middle of the JSON document: the file is truncated"
                if cut
                else "it is not valid JSON: the file is corrupted or not a model file"
            )
            raise self.fail(
                f"{why} ({err.msg} at line {err.lineno}, column {err.colno})",
                "Restore the file from a backup, or refit the model and save it again.",
            ) from err
        except (ValueError, RecursionError) as err:
            raise self.fail(f"it is not valid JSON ({err})") from err

    # -- document -> model -----------------------------------------------------
    def build(self, doc: Any) -> ModelFile:
        self._header(doc)
        f = self._int(doc, "n_features_in", low=1)
        k = self._int(doc, "n_targets", low=1)
        y_ndim = self._int(doc, "y_ndim", low=1)
        if y_ndim > 2:
            raise self.fail(f"'y_ndim' must be 1 or 2; got {y_ndim}")
        if y_ndim == 1 and k != 1:
            raise self.fail(f"'y_ndim' is 1 (a 1-D target) but 'n_targets' is {k}")
        dtype = self._option(doc, "dtype", _DTYPES)
        coef_shape = (f,) if y_ndim == 1 else (k, f)
        coef_dims = ("n_features_in",) if y_ndim == 1 else ("n_targets", "n_features_in")

        params = self._params(doc["params"])
        model = LinearRegression(**params)
        model.coef_ = self._array(doc, "coef", coef_shape, coef_dims, dtype=dtype)
        model.intercept_ = self._intercept(doc, "intercept", y_ndim, k, dtype)
        if not params.get("fit_intercept", True) and np.any(model.intercept_ != 0):
            raise self.fail("'intercept' is not 0 although params has fit_intercept=false")
        has_init = (doc.get("coef_init") is not None, doc.get("intercept_init") is not None)
        if has_init[0] != has_init[1]:
            raise self.fail("'coef_init' and 'intercept_init' must be given together or not at all")
        if all(has_init):
            model.coef_init_ = self._array(doc, "coef_init", coef_shape, coef_dims, dtype=dtype)
            model.intercept_init_ = self._intercept(doc, "intercept_init", y_ndim, k, dtype)
        model.n_features_in_ = f
        names = self._str_list(doc, "feature_names", f, "n_features_in")
        if names is not None:
            model.feature_names_in_ = np.asarray(names, dtype=object)
        target_names = self._str_list(doc, "target_names", k, "n_targets")

        model.n_iter_ = self._int(doc, "n_iter", low=0)
        model.converged_ = self._bool(doc, "converged")
        model.stop_reason_ = self._str(doc, "stop_reason")
        lr = self._number(doc["lr"], "'lr'")
        if not lr > 0:
            raise self.fail(f"'lr' must be a positive number; got {lr!r}")
        model.lr_ = float(lr)
        model.engine_ = self._option(doc, "engine", _ENGINES)
        history = doc["loss_history"]
        if not isinstance(history, list) or not history:
            raise self.fail(
                f"'loss_history' must be a non-empty list of numbers; got {_type_name(history)}"
            )
        model.loss_history_ = self._array(
            doc, "loss_history", (len(history),), ("its length",), tokens=True
        )
        model.diagnostics_ = self._diagnostics(doc["diagnostics"], coef_shape, coef_dims, y_ndim, k)
        model.stats_ = self._stats(doc.get("stats"), f, k)
        notes = doc.get("notes") or []
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise self.fail("'notes' must be a list of strings")
        return ModelFile(
            model=model,
            target_names=target_names,
            lingrad_version=doc["lingrad_version"],
            created=doc["created"],
            schema_version=doc["schema_version"],
            notes=tuple(notes),
        )

    def _header(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise self.fail(
                f"it holds {_type_name(doc)}, not a JSON object, so it is not a lingrad model file",
                "Pass a file written by lingrad.persist.save_model.",
            )
        fmt = doc.get("format")
        if fmt != FORMAT:
            got = "it has no 'format' field" if "format" not in doc else f"its 'format' is {fmt!r}"
            raise self.fail(
                f"it is not a lingrad model file: {got}, expected 'format': {FORMAT!r}",
                "Pass a file written by lingrad.persist.save_model.",
            )
        version = doc.get("schema_version")
        if type(version) is not int or version < 1:
            raise self.fail(f"'schema_version' must be a positive integer; got {version!r}")
        if version > SCHEMA_VERSION:
            raise self.fail(
                f"it has schema version {version}, written by lingrad "
                f"{doc.get('lingrad_version', 'unknown')}, but this lingrad ({__version__}) reads "
                f"schema version {SCHEMA_VERSION} only",
                "Upgrade lingrad (pip install --upgrade lingrad) to load it.",
            )
        unknown = sorted(set(doc) - set(_FIELD_ORDER))
        if unknown:
            raise self.fail(
                f"it has unknown field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; a schema {SCHEMA_VERSION} file has only "
                f"{', '.join(_FIELD_ORDER)}"
            )
        missing = [key for key in _REQUIRED if key not in doc]
        if missing:
            raise self.fail(f"required field(s) {', '.join(map(repr, missing))} are missing")
        for key in ("lingrad_version", "created"):
            self._str(doc, key)
        try:
            datetime.fromisoformat(doc["created"])
        except ValueError as err:
            raise self.fail(f"'created' is not an ISO 8601 time: {doc['created']!r}") from err

    # -- typed fields ----------------------------------------------------------
    def _int(self, doc: dict, key: str, *, low: int, where: str | None = None) -> int:
        value = doc[key]
        where = where or f"'{key}'"
        if type(value) is not int or value < low:
            raise self.fail(f"{where} must be an integer >= {low}; got {value!r}")
        return value

    def _bool(self, doc: dict, key: str) -> bool:
        value = doc[key]
        if type(value) is not bool:
            raise self.fail(f"'{key}' must be true or false; got {_type_name(value)} {value!r}")
        return value

    def _str(self, doc: dict, key: str, where: str | None = None) -> str:
        value = doc[key]
        if not isinstance(value, str) or not value:
            where = where or f"'{key}'"
            raise self.fail(f"{where} must be a non-empty string; got {value!r}")
        return value

    def _option(self, doc: dict, key: str, options: tuple[str, ...]) -> str:
        value = doc[key]
        if value not in options or not isinstance(value, str):
            raise self.fail(
                f"'{key}' must be one of {', '.join(map(repr, options))}; got {value!r}"
            )
        return value

    def _number(self, value, where: str, *, tokens: bool = False) -> float | int:
        if type(value) is float:
            return value
        if type(value) is int:
            if abs(value) > _FLOAT64_MAX:  # a whole number no float64 can hold
                raise self.fail(f"{where} is {len(str(abs(value)))} digits long: too large")
            return value
        if tokens and isinstance(value, str) and value in _NONFINITE:
            return _NONFINITE[value]
        extra = ' (or "nan", "inf", "-inf")' if tokens else ""
        raise self.fail(f"{where} must be a number{extra}; got {_type_name(value)} {value!r}")

    def _array(
        self,
        doc: dict,
        key: str,
        shape: tuple[int, ...],
        dims: tuple[str, ...],
        *,
        dtype: str = "float64",
        tokens: bool = False,
        label: str | None = None,
    ) -> np.ndarray:
        label = label or key

        def walk(value, depth: int, loc: str):
            if depth == len(shape):
                return self._number(value, f"'{label}'{loc}", tokens=tokens)
            if not isinstance(value, list):
                raise self.fail(
                    f"'{label}'{loc} must be a list of {shape[depth]} numbers; got "
                    f"{_type_name(value)}"
                )
            if len(value) != shape[depth]:
                raise self.fail(
                    f"'{label}'{loc} has {len(value)} entries, but {dims[depth]} is {shape[depth]}"
                )
            return [walk(v, depth + 1, f"{loc}[{i}]") for i, v in enumerate(value)]

        out = np.array(walk(doc[key], 0, ""), dtype=np.float64).reshape(shape)
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf: reported below
            out = out.astype(dtype)
        if not tokens and not np.all(np.isfinite(out)):
            raise self.fail(f"'{label}' has a value too large for {dtype}")
        return out

    def _intercept(self, doc: dict, key: str, y_ndim: int, k: int, dtype: str):
        if key not in doc or doc[key] is None:
            raise self.fail(f"'{key}' is missing")
        if y_ndim == 1:
            value = doc[key]
            if type(value) not in (int, float):
                raise self.fail(
                    f"'{key}' must be a number (y_ndim is 1); got {_type_name(value)} {value!r}"
                )
            value = self._number(value, f"'{key}'")
            with np.errstate(over="ignore"):
                b = np.asarray(value, dtype=np.float64).astype(dtype)
            if not np.isfinite(b):
                raise self.fail(f"'{key}' has a value too large for {dtype}")
            return float(b)
        return self._array(doc, key, (k,), ("n_targets",), dtype=dtype)

    def _str_list(self, doc: dict, key: str, n: int, dim: str) -> list[str] | None:
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of strings or null; got {value!r}")
        if len(value) != n:
            raise self.fail(f"'{key}' has {len(value)} names, but {dim} is {n}")
        return value

    def _params(self, params: Any) -> dict[str, Any]:
        if not isinstance(params, dict):
            raise self.fail(f"'params' must be an object; got {_type_name(params)}")
        known = LinearRegression().get_params(deep=False)
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise self.fail(
                f"'params' has unknown hyperparameter{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; this lingrad's LinearRegression accepts "
                f"{', '.join(known)}",
                "If the file comes from a newer lingrad, upgrade lingrad; otherwise " + _RESAVE,
            )
        for name, value in params.items():
            if value is not None and type(value) not in (bool, int, float, str):
                raise self.fail(
                    f"hyperparameter {name!r} must be null, a boolean, a number or a string; "
                    f"got {_type_name(value)}"
                )
        return params

    def _diagnostics(self, d: Any, coef_shape, coef_dims, y_ndim: int, k: int) -> Diagnostics:
        if not isinstance(d, dict):
            raise self.fail(f"'diagnostics' must be an object; got {_type_name(d)}")
        spec = {fl.name: fl for fl in fields(Diagnostics)}
        unknown = sorted(set(d) - set(spec))
        if unknown:
            raise self.fail(f"'diagnostics' has unknown field(s) {', '.join(map(repr, unknown))}")
        missing = [
            n
            for n, fl in spec.items()
            if n not in d and fl.default is MISSING and fl.default_factory is MISSING
        ]
        if missing:
            raise self.fail(f"'diagnostics' lacks field(s) {', '.join(map(repr, missing))}")
        out: dict[str, Any] = {}
        for name, value in d.items():
            where = f"'diagnostics.{name}'"
            if name in _DIAG_STR:
                out[name] = self._str(d, name, where)
            elif name == "exact_coef":
                out[name] = (
                    None
                    if value is None
                    else self._array(
                        d, name, coef_shape, coef_dims, tokens=True, label=f"diagnostics.{name}"
                    )
                )
            elif name == "exact_intercept":
                if value is None:
                    out[name] = None
                elif y_ndim == 1:
                    out[name] = float(self._number(value, where, tokens=True))
                else:
                    out[name] = self._array(
                        d, name, (k,), ("n_targets",), tokens=True, label=f"diagnostics.{name}"
                    )
            else:
                out[name] = self._number(value, where, tokens=True)
        return Diagnostics(**out)

    def _stats(self, s: Any, f: int, k: int) -> SufficientStats | None:
        if s is None:
            return None
        if not isinstance(s, dict):
            raise self.fail(f"'stats' must be an object or null; got {_type_name(s)}")
        if set(s) != set(_STATS_FIELDS):
            raise self.fail(
                f"'stats' must have exactly the fields {', '.join(_STATS_FIELDS)}; got "
                f"{', '.join(sorted(s))}"
            )
        n_features = self._int(s, "n_features", low=1, where="'stats.n_features'")
        if n_features != f:
            raise self.fail(f"'stats.n_features' is {n_features}, but n_features_in is {f}")
        n_samples = self._int(s, "n_samples", low=0, where="'stats.n_samples'")
        sum_weights = self._number(s["sum_weights"], "'stats.sum_weights'")
        if sum_weights < 0:
            raise self.fail(f"'stats.sum_weights' must be >= 0; got {sum_weights!r}")
        m = f + k
        dims = ("n_features_in + n_targets",) * 2
        mean = self._array(s, "mean", (m,), dims, label="stats.mean")
        scatter = self._array(s, "scatter", (m, m), dims, label="stats.scatter")
        scale = float(np.abs(scatter).max()) if scatter.size else 0.0
        asym = float(np.abs(scatter - scatter.T).max()) if scatter.size else 0.0
        if asym > _SYMMETRY_RTOL * scale:
            raise self.fail(
                f"'stats.scatter' is not symmetric (largest |S - S^T| is {asym:.3g}, relative "
                f"{asym / scale:.3g})"
            )
        sum_log_weights = self._number(s["sum_log_weights"], "'stats.sum_log_weights'")
        if not isinstance(s["weighted"], bool):
            raise self.fail(f"'stats.weighted' must be true or false; got {s['weighted']!r}")
        return SufficientStats(
            n_samples=n_samples,
            sum_weights=float(sum_weights),
            mean=mean,
            scatter=scatter,
            n_features=n_features,
            sum_log_weights=float(sum_log_weights),
            weighted=s["weighted"],
        )
