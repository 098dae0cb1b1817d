"""One chunk of rows to its design: categories coded, formula evaluated, values checked.

:func:`build_chunk` turns a pandas DataFrame of raw columns into float64
arrays ``X`` (the design, without the intercept column), ``Y`` (the
left-hand side) and ``w``, given the levels of every categorical column.
Missing values follow ``na``: ``"raise"`` (an error naming the column and the
row) or ``"drop"`` (listwise deletion over the columns the design reads, and
of rows whose design is NaN, e.g. ``np.log`` of a negative number:
statsmodels' ``missing="drop"``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import Alt, FormulaError, UnseenLevelError, listed, one_line
from .terms import ParsedFormula, formulaic

__all__ = ["NA", "SENTINEL", "Built", "build_chunk", "categorical_columns", "sort_levels"]

#: The missing-value policies: an error naming the column and row, or listwise deletion.
NA = ("raise", "drop")
#: The placeholder first level of streamed chunks: its treatment contrast keeps every real level.
SENTINEL = "\x00lingrad-no-level"
_STRINGS = ("object", "string", "category", "str")


@dataclass
class Built:
    """A chunk's design: names (f,), X (n, f), Y (n, n_targets), w (n,) or None."""

    names: list[str]
    X: np.ndarray
    Y: np.ndarray
    w: np.ndarray | None
    n_dropped: int


def _is_text(series: Any) -> bool:
    kind = getattr(series.dtype, "kind", "")
    return kind in ("O", "U", "S") or str(series.dtype) in _STRINGS or kind == "T"


def categorical_columns(p: ParsedFormula, frame: Any, strict: bool, description: str) -> list[str]:
    """The columns coded as categories: those in ``C()``, and (not ``strict``) text columns."""
    out = []
    for v in sorted(p.rhs_variables):
        if v in p.wrapped:
            out.append(v)
        elif v in frame.columns and _is_text(frame[v]):
            if strict:
                first = next((x for x in frame[v] if isinstance(x, str)), None)
                raise FormulaError(
                    (
                        f"{description}: column {v!r} holds text (e.g. {first!r}), not numbers. "
                        "One-hot encode it with ",
                        Alt(f"categorical=[{v!r}]", f"--categorical {v}"),
                        ", or leave it out of the features.",
                    ),
                    column=v,
                )
            out.append(v)
    return out


def _level_key(v: Any) -> tuple:
    return (0, v, "") if isinstance(v, int | float | np.number) else (1, 0, str(v))


def sort_levels(values: Any) -> list:
    """Distinct levels as plain Python values, sorted (numbers numerically, then text)."""
    plain = {v.item() if isinstance(v, np.generic) else v for v in values}
    return sorted(plain, key=_level_key)


def chunk_levels(series: Any) -> list:
    """The levels present in one chunk's column (missing values left out)."""
    import pandas as pd

    return sort_levels(v for v in pd.unique(series.dropna()))


def _missing(frame: Any, used: list[str], rows: np.ndarray, na: str, description: str):
    mask = frame[used].isna().to_numpy()
    bad = mask.any(axis=1)
    if not bad.any():
        return frame, rows, 0
    if na == "raise":
        i, j = np.argwhere(mask)[0]
        raise FormulaError(
            (
                f"{description}: column {used[j]!r} is missing a value (empty, NA or NaN) at "
                f"row {int(rows[i]) + 1}. Fill it, or drop the rows with missing values.",
            ),
            column=used[j],
            row=int(rows[i]) + 1,
        )
    return frame[~bad], rows[~bad], int(bad.sum())


def _categories(frame: Any, categories: dict[str, list], unseen: str, description: str):
    import pandas as pd

    out = {}
    for v, cats in categories.items():
        values = frame[v].astype(object)  # (dictionary columns: any level may be put in)
        new = ~values.isin(cats).to_numpy()
        if new.any():
            level = values.to_numpy()[np.argmax(new)]
            level = level.item() if isinstance(level, np.generic) else level
            if unseen == "error":
                real = [c for c in cats if c != SENTINEL]
                raise UnseenLevelError(
                    (
                        f"{description}: column {v!r} has the level {level!r}, which the model "
                        f"never saw while fitting (its levels: {listed(real)}). Fit on data with "
                        "that level, or map unseen levels to the reference with ",
                        Alt("unseen='reference'", "--unseen reference"),
                        ".",
                    ),
                    column=v,
                    level=level,
                )
            values = values.where(~new, cats[0])
        out[v] = pd.Categorical(values.to_numpy(dtype=object), categories=cats)
    return frame.assign(**out) if out else frame


def _evaluate(formula: Any, frame: Any, text: str) -> tuple[list[str], np.ndarray]:
    fl = formulaic()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            mm = fl.model_matrix(formula, frame, na_action="ignore", context={})
    except Exception as exc:  # formulaic wraps every evaluation error in its own
        raise FormulaError(
            (
                f"The formula {text!r} cannot be evaluated on the data: {one_line(exc)}. "
                "Use numeric columns in arithmetic and transforms; code text columns as "
                "categories with C(column).",
            ),
            formula=text,
        ) from None
    names = [str(c) for c in mm.columns]
    X = np.asarray(mm, dtype=np.float64).reshape(len(frame), len(names))
    return names, X


def _nonfinite(X: np.ndarray, names: list[str], rows: np.ndarray, description: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise FormulaError(
            (
                f"{description}: the design column {names[j]!r} is {X[i, j]} at row "
                f"{int(rows[i]) + 1} (a transform outside its domain, e.g. np.log of a number "
                "<= 0). Change the transform or drop those rows.",
            ),
            column=names[j],
            row=int(rows[i]) + 1,
        )


def build_chunk(
    p: ParsedFormula,
    frame: Any,
    categories: dict[str, list],
    *,
    na: str = "raise",
    row0: int = 0,
    description: str = "data",
    targets: bool = True,
    unseen: str = "error",
    weight: str | None = None,
    check: bool = True,
) -> Built:
    """The design of one chunk (see the module docstring); rows count from ``row0``."""
    used = sorted(p.rhs_variables | (p.lhs_variables if targets else frozenset()))
    used += [weight] if weight is not None and weight not in used else []
    rows = np.arange(row0, row0 + len(frame))
    frame, rows, dropped = _missing(frame, used, rows, na, description)
    frame = _categories(frame, categories, unseen, description)
    names, X = _evaluate(p.rhs, frame, p.text)
    keep = [j for j, n in enumerate(names) if n != "Intercept"]
    names, X = [names[j] for j in keep], X[:, keep]
    ynames, Y = [], np.empty((len(frame), 0))
    if targets and p.lhs is not None:
        _numeric_target(p, frame, description)
        ynames, Y = _evaluate(p.lhs, frame, p.text)
    w = None if weight is None else frame[weight].to_numpy(dtype=np.float64)
    both = np.hstack([X, Y])
    if na == "drop" and np.isnan(both).any():
        ok = ~np.isnan(both).any(axis=1)
        X, Y, rows, dropped = X[ok], Y[ok], rows[ok], dropped + int((~ok).sum())
        w = None if w is None else w[ok]
    if check:
        _nonfinite(np.hstack([X, Y]), names + ynames, rows, description)
    if w is not None and (w < 0).any():
        i = int(np.argmax(w < 0))
        raise FormulaError(
            (f"{description}: the weight {weight!r} is negative ({w[i]}) at row {rows[i] + 1}.",),
            column=weight,
        )
    return Built(names, np.ascontiguousarray(X), np.ascontiguousarray(Y), w, dropped)


def _numeric_target(p: ParsedFormula, frame: Any, description: str) -> None:
    """A target holding text is refused by name (one-hot targets are not a regression)."""
    for v in sorted(p.lhs_variables):
        if v in frame.columns and _is_text(frame[v]):
            first = next((x for x in frame[v] if isinstance(x, str)), None)
            raise FormulaError(
                (
                    f"{description}: the target {v!r} holds text (e.g. {first!r}), not numbers. "
                    "A linear regression needs a numeric target: convert the column to numbers "
                    "(or pick a numeric column as the target).",
                ),
                column=v,
            )


def finite_level(v: Any) -> bool:
    """True for a level a model file can hold (text, a bool, an int or a finite float)."""
    return isinstance(v, str | bool | int) or (isinstance(v, float) and math.isfinite(v))
