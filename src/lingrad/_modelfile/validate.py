"""Typed reads of a parsed model file: each names the field and refuses what does not fit.

:class:`Fields` is bound to one file; every failure is a
:class:`~lingrad._modelfile.errors.ModelFileError` naming that file, the field
and the fix. :func:`check_header` validates the fields every file starts with.

Examples
--------
>>> v = Fields("m.json")
>>> v.int_({"n_iter": 3}, "n_iter", low=0)
3
>>> v.array({"coef": [[1, 2.5]]}, "coef", (1, 2), ("n_targets", "n_features_in"))
array([[1. , 2.5]])
>>> try:
...     v.bool_({"converged": "yes"}, "converged")
... except ModelFileError as err:
...     print(err.fields["problem"])
'converged' must be true or false; got a string 'yes'
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import numpy as np

from .._messages import Part
from .._version import __version__
from .errors import PASS_MODEL_FILE, RESAVE, ModelFileError, file_error, type_name
from .schema import FIELD_ORDER, FLOAT64_MAX, FORMAT, NONFINITE, REQUIRED, SCHEMA_VERSION

__all__ = ["Fields", "check_header"]


class Fields:
    """Validating reads of one file's fields; ``where`` overrides how a field is named."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = path

    def fail(self, what: str, fix: tuple[Part, ...] | str = RESAVE) -> ModelFileError:
        """The error for this file (raise it)."""
        return file_error(self.path, what, fix)

    def int_(self, doc: dict, key: str, *, low: int, where: str | None = None) -> int:
        value = doc[key]
        where = where or f"'{key}'"
        if type(value) is not int or value < low:
            raise self.fail(f"{where} must be an integer >= {low}; got {value!r}")
        return value

    def bool_(self, doc: dict, key: str) -> bool:
        value = doc[key]
        if type(value) is not bool:
            raise self.fail(f"'{key}' must be true or false; got {type_name(value)} {value!r}")
        return value

    def str_(self, doc: dict, key: str, where: str | None = None) -> str:
        value = doc[key]
        if not isinstance(value, str) or not value:
            where = where or f"'{key}'"
            raise self.fail(f"{where} must be a non-empty string; got {value!r}")
        return value

    def option(self, doc: dict, key: str, options: tuple[str, ...]) -> str:
        value = doc[key]
        if value not in options or not isinstance(value, str):
            raise self.fail(
                f"'{key}' must be one of {', '.join(map(repr, options))}; got {value!r}"
            )
        return value

    def number(self, value: Any, where: str, *, tokens: bool = False) -> float | int:
        """A JSON number; with ``tokens``, also "nan", "inf" or "-inf" (as floats)."""
        if type(value) is float:
            return value
        if type(value) is int:
            if abs(value) > FLOAT64_MAX:  # a whole number no float64 can hold
                raise self.fail(f"{where} is {len(str(abs(value)))} digits long: too large")
            return value
        if tokens and isinstance(value, str) and value in NONFINITE:
            return NONFINITE[value]
        extra = ' (or "nan", "inf", "-inf")' if tokens else ""
        raise self.fail(f"{where} must be a number{extra}; got {type_name(value)} {value!r}")

    def array(
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
        """Nested lists of numbers of exactly ``shape`` (``dims`` names each axis) as ``dtype``."""
        label = label or key

        def walk(value: Any, depth: int, loc: str) -> Any:
            if depth == len(shape):
                return self.number(value, f"'{label}'{loc}", tokens=tokens)
            if not isinstance(value, list):
                raise self.fail(
                    f"'{label}'{loc} must be a list of {shape[depth]} numbers; got "
                    f"{type_name(value)}"
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

    def intercept(self, doc: dict, key: str, y_ndim: int, k: int, dtype: str) -> Any:
        """A float (``y_ndim`` 1) or an array of shape ``(k,)``, finite as ``dtype``."""
        if key not in doc or doc[key] is None:
            raise self.fail(f"'{key}' is missing")
        if y_ndim == 1:
            value = doc[key]
            if type(value) not in (int, float):
                raise self.fail(
                    f"'{key}' must be a number (y_ndim is 1); got {type_name(value)} {value!r}"
                )
            value = self.number(value, f"'{key}'")
            with np.errstate(over="ignore"):
                b = np.asarray(value, dtype=np.float64).astype(dtype)
            if not np.isfinite(b):
                raise self.fail(f"'{key}' has a value too large for {dtype}")
            return float(b)
        return self.array(doc, key, (k,), ("n_targets",), dtype=dtype)

    def str_list(self, doc: dict, key: str, n: int, dim: str) -> list[str] | None:
        """``n`` strings (``dim`` names ``n``), or None when absent or null."""
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of strings or null; got {value!r}")
        if len(value) != n:
            raise self.fail(f"'{key}' has {len(value)} names, but {dim} is {n}")
        return value


def check_header(v: Fields, doc: Any) -> None:
    """A JSON object of this format and a readable version, with known and required fields."""
    if not isinstance(doc, dict):
        raise v.fail(
            f"it holds {type_name(doc)}, not a JSON object, so it is not a lingrad model file",
            PASS_MODEL_FILE,
        )
    fmt = doc.get("format")
    if fmt != FORMAT:
        got = "it has no 'format' field" if "format" not in doc else f"its 'format' is {fmt!r}"
        raise v.fail(
            f"it is not a lingrad model file: {got}, expected 'format': {FORMAT!r}",
            PASS_MODEL_FILE,
        )
    version = doc.get("schema_version")
    if type(version) is not int or version < 1:
        raise v.fail(f"'schema_version' must be a positive integer; got {version!r}")
    if version > SCHEMA_VERSION:
        raise v.fail(
            f"it has schema version {version}, written by lingrad "
            f"{doc.get('lingrad_version', 'unknown')}, but this lingrad ({__version__}) reads "
            f"schema version {SCHEMA_VERSION} only",
            "Upgrade lingrad (pip install --upgrade lingrad) to load it.",
        )
    unknown = sorted(set(doc) - set(FIELD_ORDER))
    if unknown:
        raise v.fail(
            f"it has unknown field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; a schema {SCHEMA_VERSION} file has only "
            f"{', '.join(FIELD_ORDER)}"
        )
    missing = [key for key in REQUIRED if key not in doc]
    if missing:
        raise v.fail(f"required field(s) {', '.join(map(repr, missing))} are missing")
    for key in ("lingrad_version", "created"):
        v.str_(doc, key)
    try:
        datetime.fromisoformat(doc["created"])
    except ValueError as err:
        raise v.fail(f"'created' is not an ISO 8601 time: {doc['created']!r}") from err
