"""Column selection: which columns of a data file are the features, targets and weight.

``reader`` below is a :class:`lingrad.Dataset` opened for its columns
(``.columns``, ``.format``); the functions only check names and say which are
missing, in the command line's terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lingrad import LinearRegression
    from lingrad.persist import ModelFile

__all__ = [
    "column_name",
    "model_features",
    "model_targets",
    "n_targets",
    "need_columns",
    "shown",
    "split_names",
]


def split_names(values: Sequence[str] | None, columns: Sequence[str] = ()) -> list[str] | None:
    """Repeated options and comma lists as one list of names (None when not given).

    A value that is exactly one of ``columns`` is kept whole, so a column whose
    name holds a comma (or spaces) can still be named.
    """
    if values is None:
        return None
    names: list[str] = []
    for value in values:
        names.extend([value] if value in columns else [v.strip() for v in value.split(",")])
    return [n for n in names if n]


def shown(columns: Sequence[str], limit: int = 12) -> str:
    """Column names quoted and joined, the first ``limit`` of them."""
    more = len(columns) - limit
    return ", ".join(repr(c) for c in columns[:limit]) + (
        f", ... ({more} more)" if more > 0 else ""
    )


def n_targets(model: LinearRegression) -> int:
    """How many targets ``model`` predicts."""
    return 1 if np.ndim(model.coef_) == 1 else int(np.shape(model.coef_)[0])


def column_name(reader: Any, token: str) -> str:
    """The file's column that ``token`` names: itself, a ``.npy`` column by index
    (``0``, ``-1`` as ``x{j}``), or the one column whose name is ``token`` up to
    surrounding spaces (a header written ``a, b, y``); otherwise ``token`` unchanged."""
    columns = list(reader.columns)
    if token in columns:
        return token
    if reader.format == "npy" and re.fullmatch(r"-?\d+", token):
        j, p = int(token), len(columns)
        if -p <= j < p:
            return columns[j]
    padded = [c for c in columns if c.strip() == token.strip()]
    return padded[0] if len(padded) == 1 else token


def need_columns(
    path: str, reader: Any, names: Sequence[str], role: str, fix: str | None = None
) -> None:
    """Every name in ``names`` is a column of the file, or an error naming the missing ones."""
    missing = [n for n in names if n not in reader.columns]
    if missing:
        npy = ""
        if reader.format == "npy":
            npy = " (a .npy array's columns are x0, x1, ... or 0, 1, ...)"
        fix = fix or f"Pass {role} with columns of this file."
        raise ValueError(
            f"DATA {path!r} has no column{'s' if len(missing) > 1 else ''} {shown(missing)} "
            f"({role}). Its columns are: {shown(reader.columns)}{npy}. {fix}"
        )


def _named_features(names: list[str], path: str, reader: Any) -> list[str]:
    """The model's named features, each once among the file's columns."""
    missing = [n for n in names if n not in reader.columns]
    if missing:
        raise ValueError(
            f"DATA {path!r} lacks the model's feature column{'s' if len(missing) > 1 else ''} "
            f"{shown(missing)}. The model needs {shown(names)} (in any order, other "
            f"columns are ignored); the file has {shown(reader.columns)}. Give DATA with "
            "every feature the model was fitted on, under the same names."
        )
    dups = sorted({n for n in names if reader.columns.count(n) > 1})
    if dups:
        raise ValueError(
            f"DATA {path!r} has the column name(s) {shown(dups)} more than once in its "
            "header; give every column a distinct name."
        )
    return names


def model_features(
    model: LinearRegression, path: str, reader: Any, exclude: Sequence[str]
) -> list[str]:
    """The file's columns that are the model's features, in the model's order.

    A model with feature names takes its columns by name (any order; other columns
    are ignored). A model without (fitted on a ``.npy`` file or unnamed arrays)
    takes the file's columns in order after dropping ``exclude`` (the target and
    weight columns), and they must be exactly its number of features.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return _named_features([str(n) for n in names], path, reader)
    f = int(model.n_features_in_)
    cols = [c for c in reader.columns if c not in exclude]
    if len(cols) != f:
        besides = f" besides {shown(list(exclude))}" if exclude else ""
        raise ValueError(
            f"The model has no feature names (it was fitted on a .npy file or unnamed arrays), "
            f"so DATA's columns are taken in order: it needs exactly {f} feature column(s), but "
            f"DATA {path!r} has {len(cols)}{besides} ({shown(cols)}). Give DATA with exactly "
            "the model's features in order (and the target), or refit from a CSV/Parquet file "
            "so the model keeps its feature names."
        )
    return cols


def model_targets(mf: ModelFile, target: Sequence[str] | None, reader: Any) -> list[str]:
    """--target, or the target names saved in the model file."""
    k = n_targets(mf.model)
    targets = split_names(target, reader.columns)
    if targets:
        targets = [column_name(reader, t) for t in targets]
    elif mf.target_names:
        targets = list(mf.target_names)
    else:
        raise ValueError(
            "The model file holds no target name, so the target column is unknown. Pass it "
            "with --target COL."
        )
    if len(targets) != k:
        raise ValueError(
            f"--target names {len(targets)} column(s) ({shown(targets)}) but the model "
            f"predicts {k} target(s). Pass one --target column per target."
        )
    return targets
