"""Which columns of a data file are the features, the target(s) and the weight.

:func:`column_keys` checks the types of ``open_dataset``'s column arguments
(and turns ``.npy`` indices into names); :func:`select` checks the chosen
columns against the file's and fills in the default features (every column
but the target and weight, in file order).

Examples
--------
>>> select("d.csv", ["a", "b", "y", "w"], "y", None, "w")
(['a', 'b'], ['y'])
>>> try:
...     select("d.csv", ["a", "y"], "y", ["a", "a"], None)
... except ValueError as err:
...     print(err.render("cli"))
--features names 'a' more than once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .errors import ParameterTypeError, data_error, listed, open_dataset_error

__all__ = ["column_keys", "select"]


def _npy_keys(reader: Any, target: Any, features: Any, weight: Any, one_d: bool) -> tuple:
    if target is not None:
        target = (
            reader.key(target, "target") if one_d else [reader.key(t, "target") for t in target]
        )
    features = None if features is None else [reader.key(c, "feature") for c in features]
    weight = None if weight is None else reader.key(weight, "weight")
    return target, features, weight


def column_keys(
    reader: Any,
    target: str | int | Sequence[str | int] | None,
    features: Sequence[str | int] | None,
    weight: str | int | None,
) -> tuple[Any, list[str] | None, str | None]:
    """Check the column arguments' types; ``.npy`` indices become names.

    Returns
    -------
    target : str, list of str, or None
        A list when ``target`` was a list or tuple.
    features : list of str or None
    weight : str or None

    Raises
    ------
    ParameterTypeError
        (a TypeError) ``features`` is one string, or a header file's column is
        not named by a string.
    DataFileError
        A ``.npy`` column index out of range.
    """
    one_d = not isinstance(target, list | tuple)
    if isinstance(features, str):
        raise open_dataset_error(
            "features",
            " must be a list of columns, not one "
            f"string. Got {features!r}; pass [{features!r}] for one feature.",
            features,
            "a list of columns",
            cls=ParameterTypeError,
        )
    if reader.format == "npy":
        target, features, weight = _npy_keys(reader, target, features, weight, one_d)
    else:
        _check_names(reader.format, target, features, weight)
    return (
        target if one_d else list(target),
        None if features is None else list(features),
        weight,
    )


def _check_names(fmt: str, target: Any, features: Any, weight: Any) -> None:
    """Columns of a file with a header are named by strings."""
    for name, value in (("target", target), ("weight", weight)):
        vals = value if isinstance(value, list | tuple) else [value]
        if any(v is not None and not isinstance(v, str) for v in vals):
            raise open_dataset_error(
                name,
                f" must be a column name (str) for {fmt} files. Got {value!r}.",
                value,
                "a column name (str)",
                cls=ParameterTypeError,
            )
    if features is not None and any(not isinstance(c, str) for c in features):
        raise open_dataset_error(
            "features",
            f" must be a list of column names. Got {features!r}.",
            features,
            "a list of column names",
            cls=ParameterTypeError,
        )


def _duplicates(names: list[str]) -> list[str]:
    return [c for c, n in Counter(names).items() if n > 1]


def _targets(target: str | list[str] | None, need: Any) -> list[str]:
    """The target column(s), checked: present, at least one, distinct."""
    if target is None:  # features only: data to predict on
        return []
    targets = list(target) if isinstance(target, list | tuple) else [target]
    if not targets:
        raise open_dataset_error("target", " must name a column. Got [].", [], "a column")
    for t in targets:
        need(t, "target")
    if len(set(targets)) < len(targets):
        raise open_dataset_error(
            "target", f" must name distinct columns. Got {targets}.", targets, "distinct columns"
        )
    return targets


def _features(features: list[str], targets: list[str], weight: str | None, need: Any) -> list[str]:
    """The chosen feature columns, checked: present, not empty, distinct, not a target."""
    feats = list(features)
    if not feats:
        raise open_dataset_error("features", " must not be empty. Got [].", [], "not empty")
    for c in feats:
        need(c, "feature")
        if c in targets or c == weight:
            role = "target" if c in targets else "weight"
            raise ValueError(f"Column {c!r} cannot be both a feature and the {role}.")
    dup_f = _duplicates(feats)
    if dup_f:
        raise open_dataset_error(
            "features", f" names {listed(dup_f)} more than once.", feats, "distinct columns"
        )
    return feats


def select(
    where: str,
    columns: list[str],
    target: str | list[str] | None,
    features: list[str] | None,
    weight: str | None,
) -> tuple[list[str], list[str]]:
    """Check the chosen columns against the file's.

    Parameters
    ----------
    where : str
        The file, as messages name it.
    columns : list of str
        The file's columns, in file order.
    target, features, weight
        As returned by :func:`column_keys`.

    Returns
    -------
    features : list of str
        The feature columns (by default every column but the target and weight).
    targets : list of str
        The target columns (empty for ``target=None``).

    Raises
    ------
    DataFileError
        A duplicated header name, a missing column, or no feature left.
    ParameterError
        (a ValueError) An empty or repeated ``target`` or ``features``.
    ValueError
        A column chosen for two roles.
    """
    dups = _duplicates(columns)
    if dups:
        raise data_error(
            where,
            f"the column name(s) {listed(dups)} appear more than once in the "
            "header; give every column a distinct name.",
        )
    have = set(columns)

    def need(name: str, role: str) -> None:
        if name not in have:
            raise data_error(
                where,
                f"no column {name!r} ({role}). The columns are: {listed(columns)}.",
                column=name,
            )

    targets = _targets(target, need)
    if weight is not None:
        need(weight, "weight")
        if weight in targets:
            raise ValueError(f"Column {weight!r} cannot be both the target and the weight.")
    if features is not None:
        return _features(features, targets, weight, need), targets
    feats = [c for c in columns if c not in targets and c != weight]
    if not feats:
        raise data_error(
            where,
            "no feature columns are left besides the target and weight "
            f"(columns: {listed(columns)}).",
        )
    return feats, targets
