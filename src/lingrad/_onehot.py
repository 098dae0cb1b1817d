"""The dummy-variable trap, found in the statistics: one-hot columns that sum to the intercept.

A categorical column one-hot encoded with every level (scikit-learn's
``OneHotEncoder()`` without ``drop``, ``pandas.get_dummies`` without
``drop_first``) gives 0/1 columns that sum to 1 on every row: the intercept's
column. With ``fit_intercept=True`` the design is then singular, and the cure
is to drop a level, not to standardise. :func:`one_hot_groups` finds such
groups from the sufficient statistics alone (whatever built the columns): a
column is 0/1 when its mean square equals its mean; two are mutually
exclusive when the mean of their product is zero; a group of mutually
exclusive 0/1 columns whose means sum to 1 sums to 1 on every row.

Examples
--------
>>> import numpy as np
>>> from lingrad._stats import SufficientStats
>>> city = np.array([0, 1, 2, 0, 1, 2, 2])
>>> X = np.column_stack([np.eye(3)[city], np.arange(7.0)])  # three dummies, then x
>>> one_hot_groups(SufficientStats.from_arrays(X, np.arange(7.0)))
[[0, 1, 2]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._messages import Alt, Part

__all__ = ["one_hot_groups", "one_hot_parts", "traps"]

#: Relative tolerance of the 0/1, exclusivity and sum-to-one tests (rounding of the sums).
_TOL = 1e-9


def _raw_moments(stats: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(E[x], E[x x^T])`` (weighted) from the centred statistics."""
    S = float(stats.sum_weights)
    m = np.asarray(stats.x_mean, dtype=np.float64)
    return m, np.asarray(stats.xx, dtype=np.float64) / S + np.outer(m, m)


def one_hot_groups(stats: Any) -> list[list[int]]:
    """Groups of 0/1 columns, mutually exclusive, summing to 1 on every row (full one-hot).

    Columns are taken in order and each joins the first group it is exclusive
    with (the usual contiguous layout of encoders); groups of two or more whose
    means sum to 1 are returned.
    """
    if stats is None or not float(stats.sum_weights) > 0:
        return []
    mean, second = _raw_moments(stats)
    if not (np.isfinite(mean).all() and np.isfinite(second).all()):
        return []
    square = np.diag(second)
    binary = (mean > 0) & (mean < 1) & (np.abs(square - mean) <= _TOL * np.maximum(mean, _TOL))
    groups: list[list[int]] = []
    for j in np.flatnonzero(binary):
        for g in groups:
            if all(abs(second[j, i]) <= _TOL * min(mean[i], mean[j]) for i in g):
                g.append(int(j))
                break
        else:
            groups.append([int(j)])
    return [g for g in groups if len(g) > 1 and abs(mean[g].sum() - 1.0) <= _TOL * len(g)]


def traps(stats: Any, fit_intercept: bool) -> list[list[int]]:
    """The groups that make the design singular: any with an intercept, else from the second."""
    groups = one_hot_groups(stats)
    return groups if fit_intercept or len(groups) > 1 else []


def _no_intercept(applies: bool) -> tuple[Part, ...]:
    """``, or fit_intercept=False`` (Python only: the command line always fits one)."""
    return (Alt(", or fit without the intercept (fit_intercept=False)", ""),) if applies else ()


def one_hot_parts(groups: list[list[int]], fit_intercept: bool) -> tuple[Part, ...]:
    """The explanation and the fixes of the dummy-variable trap."""
    shown = "; ".join(
        ", ".join(map(str, g[:10])) + (", ..." if len(g) > 10 else "") for g in groups
    )
    each = "each group" if len(groups) > 1 else "the group"
    partner = "the intercept's column of ones" if fit_intercept else "each other's sum"
    return (
        f"Ill-conditioned problem: one-hot columns sum to 1 on every row (columns {shown}: "
        f"every level of a categorical encoded), which equals {partner}, so the coefficients "
        "are not unique (the dummy-variable trap). Drop one level of ",
        each,
        Alt(
            ': OneHotEncoder(drop="first") or pandas.get_dummies(..., drop_first=True)',
            " (leave one of its columns out of --features, or give the text column with "
            "--categorical, which codes a reference level)",
        ),
        *_no_intercept(fit_intercept and len(groups) == 1),
        ". Standardising does not help.",
    )
