"""Checks at the public boundary, with one message format.

Every message names the parameter, what was expected, what was received and
what to do about it. Internals trust their inputs; only public entry points
call into this module. Arrays are validated on one path,
:func:`validate_xy` (training data) and :func:`validate_x` (data to predict),
with scikit-learn's checks plus lingrad's remedies; parameters against the
table in :mod:`lingrad._params`.

Examples
--------
>>> import numpy as np
>>> X, y, sw = validate_xy(None, [[1.0], [2.0]], [1.0, 2.0])
>>> X.shape, y.shape, sw
((2, 1), (2,), None)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from sklearn.utils.validation import _check_sample_weight, check_array, check_X_y, validate_data

from ._messages import LingradMessage
from ._sources.nonnumeric import refuse_non_numeric

__all__ = [
    "FeatureNamesError",
    "NonFiniteX",
    "add_hint",
    "check_sample_weight",
    "validate_x",
    "validate_xy",
    "validated_plan",
]

T = TypeVar("T")

#: What lingrad accepts as X: dense or CSR/CSC sparse, float64 or float32.
_ACCEPT = {"accept_sparse": ("csr", "csc"), "dtype": [np.float64, np.float32]}


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


class FeatureNamesError(LingradMessage, ValueError):
    """X's column names differ from those at fit time (scikit-learn's rule), with the fix.

    ``fields``: ``expected`` (``feature_names_in_``), ``got`` (X's columns),
    ``missing`` and ``unexpected`` (lists of names).
    """


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:8])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 8 else "")


def feature_names_hint(estimator: Any, X: Any, err: Exception) -> Exception:
    """scikit-learn's feature-name mismatch, kept, plus how to fix it for this X."""
    expected = [str(c) for c in getattr(estimator, "feature_names_in_", [])]
    got = [str(c) for c in getattr(X, "columns", [])]
    missing = [c for c in expected if c not in got]
    unexpected = [c for c in got if c not in expected]
    select = f"X[{expected!r}]" if len(expected) <= 8 else "X[list(model.feature_names_in_)]"
    if missing:
        fix = (
            f"X lacks the fitted column{'s' if len(missing) > 1 else ''} {_listed(missing)}"
            f"{' (and has ' + _listed(unexpected) + ' instead)' if unexpected else ''}: give "
            "every feature the model was fitted on, under the same names, then select them in "
            f"the fitted order: X[model.feature_names_in_] ({select})."
        )
    elif unexpected:
        fix = (
            f"X has column{'s' if len(unexpected) > 1 else ''} {_listed(unexpected)} that the "
            "model was not fitted on: select the fitted columns, in order: "
            f"X[model.feature_names_in_] ({select})."
        )
    else:
        fix = (
            "X has the fitted columns in another order: select them in the fitted order, "
            f"X[model.feature_names_in_] ({select})."
        )
    text = str(err)  # kept as is: scikit-learn's checks match its lines
    parts = (
        text if text.endswith("\n") else text + " ",
        fix,
    )
    return FeatureNamesError(
        parts, expected=expected, got=got, missing=missing, unexpected=unexpected
    )


def check_sample_weight(sample_weight: Any, X: Any) -> np.ndarray | None:
    """One non-negative, finite float64 weight per row of ``X`` (None stays None).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    try:
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as err:
        raise ValueError(f"{err} Pass one non-negative, finite weight per sample.") from err


def validate_xy(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    reset: bool = True,
    defer_x_finite: bool = False,
) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """The one validation of training data (scikit-learn's checks, lingrad's remedies).

    Parameters
    ----------
    estimator : estimator or None
        With an estimator, scikit-learn's ``validate_data``: ``reset=True``
        records ``n_features_in_`` (and ``feature_names_in_``), ``reset=False``
        checks X against them. None checks the arrays alone.
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : array-like of shape (n_samples,), default=None
    reset : bool, default=True
    defer_x_finite : bool, default=False
        Leave the NaN/inf check of a plain float64 ndarray X to the caller, whose own
        pass over X sees such values for free (the statistics' column sums); see
        :func:`validated_plan`. Other inputs are always checked here.

    Returns
    -------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float64 or float32
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if y is None:
        owner = type(estimator).__name__ if estimator is not None else "lingrad"
        raise ValueError(
            f"{owner} requires y to be passed, but the target y is None. "
            "Pass the targets as y (or a dataset from lingrad.open_dataset, which holds them)."
        )
    if _plain_float64(estimator, X, y, reset, not defer_x_finite):  # the common case, fast
        return X, y, check_sample_weight(sample_weight, X)
    _refuse_text_target(y)
    refuse_non_numeric(X, "X")  # dates, text, categories in frames: named, with a fix
    refuse_non_numeric(y, "y")
    kw = {**_ACCEPT, "multi_output": True, "y_numeric": True}
    try:  # (scikit-learn's sum of X warns on inf - inf; its error says more)
        with np.errstate(over="ignore", invalid="ignore"):
            if estimator is None:
                X, y = check_X_y(X, y, **kw)
            else:
                X, y = validate_data(estimator, X, y, reset=reset, **kw)
    except ValueError as err:
        if "feature names should match" in str(err):
            raise feature_names_hint(estimator, X, err) from err
        raise add_hint(err) from err
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(
            "y has no target columns. Pass y of shape (n_samples,) or "
            "(n_samples, n_targets) with n_targets >= 1."
        )
    return X, y, check_sample_weight(sample_weight, X)


def _plain_float64(estimator: Any, X: Any, y: Any, reset: bool, check_x: bool = True) -> bool:
    """True (recording ``n_features_in_`` as scikit-learn does) for what passes its checks as is.

    Plain, contiguous, finite float64 ndarrays of matching, non-empty shapes: scikit-learn's
    ``validate_data`` returns them unchanged, after some 100 us of generic checks (dataframe
    protocols, dtype inspection) that dominate a fit of tutorial size. Anything else
    (False) takes the full path, which raises its usual messages.
    """
    if not (
        type(X) is np.ndarray
        and type(y) is np.ndarray
        and X.dtype == np.float64
        and y.dtype == np.float64
        and X.ndim == 2
        and y.ndim in (1, 2)
        and X.shape[0] == y.shape[0] >= 1
        and X.shape[1] >= 1
        and (y.ndim == 1 or y.shape[1] >= 1)
        and (X.flags.c_contiguous or X.flags.f_contiguous)
    ):
        return False
    with np.errstate(over="ignore", invalid="ignore"):  # a huge finite sum: the full path
        if not ((not check_x or np.isfinite(X.sum())) and np.isfinite(y.sum())):
            return False
    if estimator is None:
        return True
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return True
    # predicting-style checks against a fit: the full path words every mismatch
    return getattr(estimator, "n_features_in_", None) == X.shape[1] and not hasattr(
        estimator, "feature_names_in_"
    )


class NonFiniteX(Exception):
    """Raised by a consumer of X whose NaN/inf check ``validate_xy(defer_x_finite=True)``
    left to it, on finding such a value (or a sum that overflows): the caller then
    validates again in full, for scikit-learn's message (see :func:`validated_plan`)."""


def validated_plan(
    estimator: Any, X: Any, y: Any, sample_weight: Any, make_plan: Callable[..., T]
) -> T:
    """``make_plan(X, y, sw, x_checked)`` on validated training data, the NaN/inf check
    of X fused into the plan's own pass over it.

    ``make_plan`` gets ``x_checked=False`` when X has not been checked for NaN and
    inf; it raises :class:`NonFiniteX` when it meets one, and then this validates in
    full (raising scikit-learn's message, with lingrad's remedy) and plans again with
    ``x_checked=True`` (finite values whose products overflow: the plan's own checks).
    The check costs a tenth of a pass over X; fused, nothing.

    Returns
    -------
    The plan: what ``make_plan`` returns.

    Examples
    --------
    >>> import numpy as np
    >>> def plan(X, y, sw, x_checked):
    ...     if not x_checked and not np.isfinite(X.sum()):
    ...         raise NonFiniteX
    ...     return X.shape
    >>> validated_plan(None, np.ones((3, 2)), np.ones(3), None, plan)
    (3, 2)
    >>> validated_plan(None, np.array([[np.nan], [1.0]]), np.ones(2), None, plan)
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN. Remove or impute missing values (e.g. ...).
    """
    X, y, sw = validate_xy(estimator, X, y, sample_weight, reset=True, defer_x_finite=True)
    try:
        return make_plan(X, y, sw, False)
    except NonFiniteX:
        X, y, sw = validate_xy(estimator, X, y, sample_weight, reset=True)
        return make_plan(X, y, sw, True)


def _refuse_text_target(y: Any) -> None:
    """A target of strings (NumPy's text dtypes) gets a message, not NumPy's TypeError."""
    dtype = getattr(y if hasattr(y, "dtype") else np.asarray(y), "dtype", None)
    if getattr(dtype, "kind", "") in ("U", "S"):
        raise ValueError(
            f"y holds text (dtype {dtype}), but the target must be numeric. Convert it first: "
            "y.astype(float) for numbers stored as strings; categories cannot be a "
            "regression target."
        )


def validate_x(estimator: Any, X: Any) -> Any:
    """The one validation of data to predict on (against a fitted ``estimator``, or alone).

    Returns
    -------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float64 or float32
    """
    refuse_non_numeric(X, "X")
    try:
        if estimator is None:
            return check_array(X, **_ACCEPT)
        return validate_data(estimator, X, reset=False, **_ACCEPT)
    except ValueError as err:
        if "feature names should match" in str(err):
            raise feature_names_hint(estimator, X, err) from err
        raise add_hint(err) from err
