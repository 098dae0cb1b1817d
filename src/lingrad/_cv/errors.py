"""The errors of cross-validation, and the checks of its parameters.

Scalar constraints come from the one table, :data:`lingrad._params_cv.CV_PARAMETERS`;
each entry of an ``alphas`` or ``l1_ratio`` list is checked against
``LinearRegression``'s own ``alpha`` and ``l1_ratio`` constraints
(:data:`lingrad._params.PARAMETERS`), so the same words judge both estimators.

Examples
--------
>>> try:
...     check_cv_param("cv", 1)
... except ParameterError as err:
...     print(err.fields["param"], err.fields["value"])
cv 1
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._messages import LingradMessage, Part, Set
from .._params import PARAMETERS, ParameterError, param_error
from .._params_cv import CV_PARAMETERS
from .folds import HashFolds

__all__ = ["CVError", "check_alphas", "check_cv_param", "check_l1_ratios", "cv_error"]

OWNER = "LinearRegressionCV"


class CVError(LingradMessage, ValueError):
    """Cross-validation that cannot be done as asked (an empty fold, groups of the wrong length)."""


def cv_error(problem: str, fix: str | tuple[Part, ...]) -> CVError:
    """``LinearRegressionCV: <problem> <fix>``; ``fix`` a short remedy or message parts."""
    if isinstance(fix, str):
        fix = (f"Use {fix}: e.g. ", Set("cv", "3"), ", or more rows (or groups).")
    return CVError((f"{OWNER}: ", problem, *fix))


def check_cv_param(name: str, value: Any) -> Any:
    """``value`` checked against :data:`CV_PARAMETERS` (``cv`` also as a splitter)."""
    if name == "cv" and not isinstance(value, numbers.Integral):
        if hasattr(value, "split") and hasattr(value, "get_n_splits"):
            return value
        if isinstance(value, list | tuple):  # explicit (train, test) pairs, as scikit-learn
            from sklearn.model_selection import check_cv

            return check_cv(list(value))
        raise CV_PARAMETERS["cv"].error(
            OWNER,
            value,
            "an int >= 2, a scikit-learn splitter or a list of (train, test) index pairs",
        )
    return CV_PARAMETERS[name].check(OWNER, value)


def check_alphas(value: Any) -> int | np.ndarray:
    """An int >= 1 (a grid of that many), or a non-empty list of alphas >= 0, sorted down."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return CV_PARAMETERS["alphas"].check(OWNER, int(value))
    try:
        items = list(np.ravel(np.asarray(value, dtype=object)))
    except TypeError:
        items = []
    if not items:
        raise param_error(
            OWNER,
            "alphas",
            "an int >= 1 or a non-empty list of alphas >= 0",
            value,
            ("Use e.g. ", Set("alphas", "100"), " or ", Set("alphas", "[0.1, 1.0, 10.0]"), "."),
        )
    bad = [a for a in items if not PARAMETERS["alpha"].accepts(a)]
    if bad:
        raise param_error(
            OWNER,
            "alphas",
            "an int >= 1 or a list of finite alphas >= 0",
            value,
            (f"{bad[0]!r} is not one. ", "Use e.g. ", Set("alphas", "[0.1, 1.0, 10.0]"), "."),
        )
    checked = [float(a) for a in items]
    return np.sort(np.asarray(checked, dtype=np.float64))[::-1]


def check_l1_ratios(value: Any) -> tuple[list[float], bool]:
    """``(ratios, was_a_list)``: each in [0, 1] by ``LinearRegression``'s constraint."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [PARAMETERS["l1_ratio"].check(OWNER, value)], False
    items = list(value) if isinstance(value, list | tuple | np.ndarray) else None
    if not items:
        raise param_error(
            OWNER,
            "l1_ratio",
            "a float in [0, 1] or a non-empty list of them",
            value,
            ("Use e.g. ", Set("l1_ratio", "0.5"), " or ", Set("l1_ratio", "[0.1, 0.5, 1.0]"), "."),
        )
    return [PARAMETERS["l1_ratio"].check(OWNER, r) for r in items], True


def folds_for(cv: Any, n_rows: int | None, in_memory: bool) -> Any:
    """The splitter: ``HashFolds(cv)`` for an int; other splitters only in memory."""
    if isinstance(cv, numbers.Integral):
        if n_rows is not None and cv > n_rows:
            raise ParameterError(
                (
                    f"{OWNER}: cv={int(cv)} folds need at least {int(cv)} rows; "
                    f"got n_samples={n_rows}. ",
                    "Use fewer folds, e.g. ",
                    Set("cv", str(max(2, min(5, n_rows)))),
                    ".",
                ),
                owner=OWNER,
                param="cv",
                value=cv,
                expected=f"an integer in [2, {n_rows}] (the number of rows)",
            )
        return HashFolds(int(cv))
    if not in_memory and not isinstance(cv, HashFolds):
        raise cv_error(
            f"the splitter {cv!r} needs the rows in memory; a file or Dask collection is "
            "read once, with rows hashed to folds. ",
            ("Pass ", Set("cv", "5"), " (or lingrad.HashFolds) for streamed data."),
        )
    return cv
