"""Checks at the public boundary, with one message format.

Every message names the parameter, what was expected, what was received and
what to do about it. Internals trust their inputs; only public entry points
call into this module.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np


def _fmt(value: Any) -> str:
    return repr(value) if not isinstance(value, np.generic) else repr(value.item())


def param_error(owner: str, name: str, expected: str, value: Any, fix: str) -> ValueError:
    """Build the one error format used for bad parameters."""
    return ValueError(
        f"The {name!r} parameter of {owner} must be {expected}; got {_fmt(value)}. {fix}"
    )


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    fix: str,
) -> float:
    """Validate a real number in an interval and return it as float."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = np.isfinite(v)
        if ok and low is not None:
            ok = v > low if low_open else v >= low
        if ok and high is not None:
            ok = v < high if high_open else v <= high
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        lo_v = "-inf" if low is None else repr(low)
        hi_v = "inf" if high is None else repr(high)
        raise param_error(
            owner, name, f"a finite real number in {lo}{lo_v}, {hi_v}{hi}", value, fix
        )
    return v


def check_int(owner: str, name: str, value: Any, *, low: int, fix: str) -> int:
    """Validate an integer >= low (bools are rejected)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or int(value) < low:
        raise param_error(owner, name, f"an integer >= {low}", value, fix)
    return int(value)


def check_option(owner: str, name: str, value: Any, options: Iterable[str], fix: str = "") -> str:
    """Validate a string among a fixed set of options."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        choices = ", ".join(repr(o) for o in options)
        raise param_error(owner, name, f"one of {choices}", value, fix or f"Use one of {choices}.")
    return value


# Hints appended to scikit-learn's own data-validation messages. Their text is
# kept (tools and scikit-learn's checks match on it); we add the remedy.
_DATA_HINTS = (
    ("inconsistent numbers of samples", "Pass X and y with one row per sample: the same length."),
    ("minimum of 1 is required", "Pass at least one sample (row) and one feature (column)."),
    ("Expected 2D array", "lingrad needs X as a 2-D array of shape (n_samples, n_features)."),
    (
        "could not convert",
        "X and y must be numeric: convert or one-hot encode text/categorical columns first.",
    ),
    ("must be a string", "X and y must be numeric: convert object columns to numbers first."),
    ("contains NaN", "Remove or impute missing values (e.g. sklearn.impute.SimpleImputer)."),
    ("contains infinity", "Remove or clip infinite values before fitting."),
    ("Complex data not supported", "Pass real-valued data (e.g. take .real or abs())."),
)


def add_hint(err: Exception) -> Exception:
    """Return a copy of a scikit-learn validation error with a remedy appended."""
    msg = str(err)
    for key, hint in _DATA_HINTS:
        if key in msg and hint not in msg:
            return type(err)(f"{msg} {hint}")
    return err
