"""Columns that are not numbers (dates, durations, text, categories, nested values): named.

A pandas or polars frame with such a column used to fail deep inside NumPy
(``DTypePromotionError`` for a date column, naming nothing) or with a message
that did not name the column. :func:`refuse_non_numeric` names every such
column, what it holds, and what to do about it; :func:`non_numeric_kind`
tells one dtype's kind (also for Dask frames, from their metadata).

Numbers are booleans, integers, floats and decimals, NumPy's and pandas'
nullable and Arrow-backed ones included; an object column passes when every
non-missing value converts to a number (``Decimal``, numbers stored as
objects). This module imports nothing from lingrad.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"x": [1.0, 2.0], "when": pd.to_datetime(["2026-01-01", "2026-02-01"])})
>>> try:
...     refuse_non_numeric(df, "X")
... except ValueError as err:
...     print(str(err).split(" (")[0])
X has a column that is not numbers: 'when' holds dates
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["non_numeric_kind", "refuse_non_numeric"]

_FIX = {
    "dates": "turn dates into numbers first, e.g. days since a start "
    "(X['{c}'] - X['{c}'].min()).dt.days, or parts such as .dt.year and .dt.month",
    "durations": "turn durations into numbers first, e.g. X['{c}'].dt.total_seconds()",
    "times of day": "turn times into numbers first, e.g. hours since midnight",
    "text": "convert numbers stored as text with pd.to_numeric (polars: .cast(pl.Float64)); "
    "one-hot encode categories, e.g. pd.get_dummies(X, columns=['{c}'], drop_first=True) "
    "(polars: X.to_dummies(['{c}'], drop_first=True))",
    "categories": "one-hot encode them, e.g. pd.get_dummies(X, columns=['{c}'], "
    "drop_first=True) (polars: X.to_dummies(['{c}'], drop_first=True))",
    "nested values": "expand them into numeric columns (explode, unnest)",
    "other values": "convert them to numbers",
}


def _pandas_kind(dtype: Any) -> str | None:
    import pandas as pd
    import pandas.api.types as pdt

    if pdt.is_bool_dtype(dtype) or pdt.is_numeric_dtype(dtype):
        return None  # complex numbers get scikit-learn's message
    if pdt.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "dates"
    if pdt.is_timedelta64_dtype(dtype):
        return "durations"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categories"
    text = str(dtype)
    if pdt.is_string_dtype(dtype) or text == "object":
        return "text"
    if text.startswith(("time", "date")):  # Arrow-backed times and dates
        return "times of day" if text.startswith("time64") else "dates"
    if text.startswith(("list", "struct", "large_list", "map")):
        return "nested values"
    return "other values"


def _polars_kind(dtype: Any) -> str | None:
    import polars as pl

    if dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null:
        return None
    if dtype == pl.Duration:
        return "durations"
    if dtype == pl.Time:
        return "times of day"
    if dtype.is_temporal():
        return "dates"
    if dtype in (pl.Categorical, pl.Enum):
        return "categories"
    if dtype in (pl.String, pl.Binary):
        return "text"
    if dtype.is_nested():
        return "nested values"
    return "other values"


def non_numeric_kind(dtype: Any) -> str | None:
    """What a column of ``dtype`` holds when it is not numbers, else None.

    Returns
    -------
    kind : {"dates", "durations", "times of day", "text", "categories",
        "nested values", "other values"} or None
        "text" for object columns: their values decide (see :func:`refuse_non_numeric`).
    """
    if type(dtype).__module__.split(".")[0] == "polars":
        return _polars_kind(dtype)
    try:
        if np.dtype(dtype).kind in "biufc":
            return None
    except TypeError:
        pass
    return _pandas_kind(dtype)


def _first_text(values: Any) -> tuple[int, Any] | None:
    """The first value of an object or string pandas column that is no number (None if all are)."""
    import pandas as pd

    try:
        num = pd.to_numeric(values, errors="coerce")
    except (TypeError, ValueError):  # lists, dicts, ...
        return 0, values.iloc[0]
    bad = np.flatnonzero(np.asarray(pd.isna(num)) & ~np.asarray(pd.isna(values)))
    return None if len(bad) == 0 else (int(bad[0]), values.iloc[bad[0]])


def _columns(obj: Any) -> list[tuple[str, Any, Any]]:
    """(name, dtype, values) of each column of a pandas/polars frame or series; [] otherwise."""
    module = type(obj).__module__.split(".")[0]
    if module == "polars":
        series = obj.get_columns() if hasattr(obj, "get_columns") else [obj]
        return [(s.name, s.dtype, s) for s in series]
    if module == "pandas" and hasattr(obj, "dtypes"):
        if hasattr(obj, "columns"):
            return [(str(c), obj[c].dtype, obj[c]) for c in obj.columns if obj[c].ndim == 1]
        return [(str(obj.name), obj.dtype, obj)]
    return []


def _describe(name: str, dtype: Any, values: Any) -> tuple[str, str, str] | None:
    kind = non_numeric_kind(dtype)
    if kind is None:
        return None
    if kind == "text" and type(values).__module__.split(".")[0] == "pandas":
        first = _first_text(values)
        if first is None:  # numbers stored as objects (Decimal, ...): fine
            return None
        if not isinstance(first[1], str):
            kind = "nested values" if isinstance(first[1], list | dict | tuple) else "other values"
        return kind, f"{name!r} holds {kind} ({dtype}, e.g. {first[1]!r} at row {first[0]})", name
    if kind == "text":
        return kind, f"{name!r} holds {kind} ({dtype}, e.g. {values[0]!r})", name
    return kind, f"{name!r} holds {kind} ({dtype})", name


def refuse_non_numeric(obj: Any, name: str) -> None:
    """Raise a ValueError naming every column of ``obj`` (a frame or series) that is not numbers.

    Parameters
    ----------
    obj : pandas or polars DataFrame or Series, or anything else (not checked)
    name : str
        How the message names ``obj`` ("X", "y").

    Raises
    ------
    ValueError
        Naming each such column, what it holds (with its dtype and a value),
        and what to do.
    """
    found = [d for d in (_describe(*col) for col in _columns(obj)) if d is not None]
    if not found:
        return
    what = "a column that is not numbers" if len(found) == 1 else "columns that are not numbers"
    fixes = []
    for kind, _, col in found:
        fix = _FIX[kind].format(c=col)
        if fix not in fixes:
            fixes.append(fix)
    raise ValueError(
        f"{name} has {what}: {'; '.join(text for _, text, _ in found)}. lingrad needs numbers: "
        f"{'; '.join(fixes)}; or drop the column."
    )
