"""Formulas and categorical columns: ``lingrad.ols``, statsmodels' habit, on any data size.

``ols("y ~ x1 + C(city) + x1:x2 + np.log(x3)", data)`` returns a fitted
:class:`~lingrad.LinearRegression`, on pandas and polars DataFrames, files
(a path or a dataset of :func:`~lingrad.open_dataset`, streamed) and Dask
DataFrames (one task per partition). The design is built by formulaic
(``pip install -e ".[formula]"`` in lingrad's clone) chunk by chunk, and the categorical levels
are discovered during the one pass that gathers the sufficient statistics:
a level first seen late in a file is a column that is zero on every earlier
row, so the statistics are zero-padded and merged by column name (exact).

Coding
    Treatment (dummy) coding with the first level, sorted, as the reference
    (numbers numerically, text by code point), as statsmodels and R do; without
    an intercept (``- 1``, ``+ 0`` or ``0 +``) the first categorical term keeps
    every level. Columns are named as statsmodels prints them
    (``C(city)[T.rome]``, ``x1:x2``, ``np.log(x3)``); the intercept is not a
    column but ``fit_intercept`` (True unless the formula removes it).
    Text columns used bare (``y ~ city``) are categorical too (``city[T.rome]``).
Saved design
    The model keeps ``design_`` (a :class:`DesignSpec`: formula, levels,
    columns), written to model files; ``predict``, ``score`` and ``summary``
    given raw data build the same columns from it. A level unseen at fit time
    raises :class:`UnseenLevelError` naming the column and the level, or, with
    ``unseen="reference"``, is coded as the reference level (all its dummies 0).
Not supported
    Transforms that learn a state from the data (``center``, ``scale``,
    splines: per chunk they would learn different states) and contrasts other
    than treatment are refused with a clear error.

Why a function and not a scikit-learn transformer: a transformer in a
``Pipeline`` materialises the whole design before the estimator sees it, so it
can neither stream a file nor discover levels while the statistics are
gathered. ``ols`` returns a plain ``LinearRegression`` (``feature_names_in_``
are the design's columns), which then predicts raw frames as scikit-learn
users expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._design import UNSEEN, DesignSpec, FormulaError, UnseenLevelError
from ._design.errors import Alt, listed
from ._design.inputs import as_raw_input
from ._design.stream import DesignSource
from ._design.terms import parse_formula, quote
from ._estimator import LinearRegression

__all__ = [
    "DesignSpec",
    "FormulaError",
    "UnseenLevelError",
    "categorical_formula",
    "design_data",
    "ols",
]


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return [s.strip() for item in items for s in str(item).split(",") if s.strip()]


def categorical_formula(
    columns: Sequence[str],
    target: str,
    features: Sequence[str] | None = None,
    categorical: str | Sequence[str] | None = None,
    weight: str | None = None,
) -> str:
    """The formula of a design without one: every feature, the categorical ones in ``C()``.

    Parameters
    ----------
    columns : list of str
        The data's columns.
    target : str
    features : list of str, default=None
        None takes every column but the target and the weight.
    categorical : str or list of str, default=None
        Columns to one-hot encode (treatment coding; a comma list is accepted).
    weight : str, default=None

    Returns
    -------
    str

    Examples
    --------
    >>> categorical_formula(["y", "x1", "city", "my col"], "y", categorical="city")
    'y ~ x1 + C(city) + `my col`'
    """
    cats = _names(categorical) or []
    feats = _names(features)
    if feats is None:
        feats = [c for c in columns if c not in (target, weight)]
    for c in [target, *feats, *cats]:
        if c not in columns:
            raise FormulaError(
                (f"There is no column {c!r} in the data (its columns: {listed(list(columns))}).",),
                column=c,
            )
    stray = [c for c in cats if c not in feats]
    if stray:
        raise FormulaError(
            (f"The categorical column {stray[0]!r} is not one of the features {listed(feats)}.",),
            column=stray[0],
        )
    if not feats:
        raise FormulaError((f"There are no feature columns besides {target!r}.",))
    terms = [f"C({quote(c)})" if c in cats else quote(c) for c in feats]
    return f"{quote(target)} ~ " + " + ".join(terms)


def _formula(
    formula: Any, columns: list[str], target: Any, features: Any, categorical: Any, weight
):
    """The formula to fit, and whether it is strict (built from ``categorical=``)."""
    if formula is None:
        if target is None:
            raise FormulaError(
                (
                    "Give a formula ('y ~ x1 + C(city)'), or the ",
                    Alt("target=", "--target"),
                    " column (then every other column is a feature).",
                )
            )
        return categorical_formula(columns, target, features, categorical, weight), True
    p = parse_formula(formula)
    if p.lhs is None:
        raise FormulaError(
            (
                f"The formula {formula!r} has no left-hand side: write the target first, "
                "as in 'y ~ x1 + C(city)'.",
            ),
            formula=formula,
        )
    if len(list(p.lhs)) != 1:
        raise FormulaError(
            (
                f"The formula {formula!r} has {len(list(p.lhs))} targets; lingrad.ols fits "
                "one: write one column (or transform) left of '~'.",
            ),
            formula=formula,
        )
    if target is not None and _names(target) != [p.targets_side]:
        raise FormulaError(
            (
                f"The formula's target is {p.targets_side!r} but ",
                Alt("target=", "--target"),
                f" says {target!r}: drop ",
                Alt("target=", "--target"),
                " (the formula names the target) or make them agree.",
            ),
            formula=formula,
        )
    if features is not None or categorical is not None:
        raise FormulaError(
            (
                "With a formula, list the features in it and write categorical columns as "
                "C(column); drop ",
                Alt("features= and categorical=", "--features and --categorical"),
                ".",
            ),
            formula=formula,
        )
    return formula, False


def ols(
    formula: str | None = None,
    data: Any = None,
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    categorical: str | Sequence[str] | None = None,
    weight: str | None = None,
    unseen: str = "error",
    chunk_rows: int | None = None,
    **params: Any,
) -> LinearRegression:
    """Fit a linear model given by a formula (or categorical columns), in one pass.

    Parameters
    ----------
    formula : str or None
        Wilkinson formula, as in statsmodels: ``"y ~ x1 + C(city) + x1:x2 +
        np.log(x3) + I(x1**2) - 1"``. None builds it from ``target``,
        ``features`` and ``categorical``.
    data : DataFrame, dict, path, Dataset or Dask DataFrame
        pandas or polars DataFrame, a dict of columns, a CSV/Parquet/.npy path
        or a dataset of :func:`lingrad.open_dataset` (streamed in record
        batches of ``chunk_rows`` rows), a folder, glob or list of CSV/Parquet
        files (hive ``key=value`` folders are columns: numbers, or text coded
        as categories), a pyarrow ``RecordBatchReader`` or ``Dataset``, a polars
        ``LazyFrame`` or a DuckDB relation (streamed, never collected), or a
        Dask DataFrame (one task per partition).
    target : str, default=None
        Without a formula, the target column; with one it must agree with it.
    features : list of str, default=None
        Without a formula, the features (default: every other column).
    categorical : str or list of str, default=None
        Without a formula, the columns to one-hot encode (treatment coding,
        named ``C(city)[T.rome]``); any other text column is an error.
    weight : str, default=None
        A column of non-negative sample weights.
    unseen : {"error", "reference"}, default="error"
        What a level unseen at fit time gets in predictions on new data.
    chunk_rows : int or None, default=None
        Rows per chunk for frames and files.
    **params
        :class:`LinearRegression` parameters (``lr="auto"``, ``tol=1e-12``, ...);
        ``fit_intercept`` follows the formula (giving a contrary value is an error).
        ``missing="drop"`` (statsmodels' ``missing``) deletes, listwise, the rows
        with a missing value in a column the design reads; the default
        ``"raise"`` is an error naming the column and row. ``n_dropped_`` counts
        the rows dropped.

    Returns
    -------
    LinearRegression
        Fitted, with ``design_`` (the :class:`DesignSpec`) and
        ``feature_names_in_`` the design's columns.

    Examples
    --------
    >>> import pandas as pd, lingrad
    >>> df = pd.DataFrame({"y": [3.0, 5.1, 7.2, 6.0, 9.1, 11.0],
    ...                    "x": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
    ...                    "city": ["oslo", "oslo", "oslo", "rome", "rome", "rome"]})
    >>> m = lingrad.ols("y ~ x + C(city)", df, lr="auto", tol=1e-12, n_iters=5000)
    >>> list(m.feature_names_in_)
    ['x', 'C(city)[T.rome]']
    >>> print(round(float(m.coef_[1]), 6))  # statsmodels: C(city)[T.rome] 3.6
    3.6
    >>> m.predict(pd.DataFrame({"x": [2.0], "city": ["rome"]})).round(6).tolist()
    [8.7]
    """
    if unseen not in UNSEEN:
        raise FormulaError(
            (f"unseen must be one of {UNSEEN}; got {unseen!r}.",), param="unseen", value=unseen
        )
    na = LinearRegression(**params)._check_params().missing  # the one constraints table
    raw = as_raw_input(data, chunk_rows)
    text, strict = _formula(formula, raw.columns, target, features, categorical, weight)
    src = DesignSource(
        raw, parse_formula(text), None, na=na, unseen=unseen, strict=strict, weight=weight
    )
    return _fit(src, params, weight)


def _fit(src: DesignSource, params: dict[str, Any], weight: str | None) -> LinearRegression:
    """Discover the design in one pass, fit it, keep the spec."""
    p = src.p
    if "fit_intercept" in params and bool(params["fit_intercept"]) != p.intercept:
        raise FormulaError(
            (
                f"fit_intercept={params['fit_intercept']} contradicts the formula {p.text!r}, "
                "which says whether there is an intercept (remove it with '- 1'): drop "
                "fit_intercept.",
            ),
            formula=p.text,
        )
    model = LinearRegression(**{**params, "fit_intercept": p.intercept})
    model._check_params()
    src.discover()
    if model.batch_size is not None:  # mini-batch SGD shuffles rows: the design in memory
        import pandas as pd

        chunks = list(src.iter_chunks())
        X, Y = (np.concatenate([c[j] for c in chunks]) for j in (0, 1))
        w = None if weight is None else np.concatenate([c[2] for c in chunks])
        model.fit(pd.DataFrame(X, columns=src.feature_names), Y[:, 0], w)
    else:
        model.fit(src)
    model.design_ = src.spec
    model.design_rows_ = (src.n_rows, src.n_dropped)
    return model


def design_data(
    model: LinearRegression,
    data: Any,
    *,
    targets: bool = True,
    weight: str | None = None,
    unseen: str | None = None,
    chunk_rows: int | None = None,
) -> DesignSource:
    """New data as the design of a formula model: a source to predict, evaluate, summarise.

    Parameters
    ----------
    model : LinearRegression
        Fitted by :func:`ols` (or loaded from its model file): it has ``design_``.
    data : DataFrame, dict, path, Dataset or Dask DataFrame
    targets : bool, default=True
        Build the target too (evaluation, summaries); False for predictions.
    weight : str, default=None
    unseen : {"error", "reference"}, default=None
        Overrides the model's ``design_.unseen``.
    chunk_rows : int or None, default=None

    Returns
    -------
    DesignSource
        A lingrad data source: ``iter_chunks()`` yields ``(X, Y, w)`` with the
        model's columns; ``path`` names the data.

    Examples
    --------
    >>> import pandas as pd, lingrad
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "g": ["a", "b", "b", "a"]})
    >>> m = lingrad.ols("y ~ C(g)", df, lr="auto", tol=1e-12, n_iters=1000)
    >>> X, Y, _ = next(design_data(m, df).iter_chunks())
    >>> X.ravel().tolist(), Y.ravel().tolist()
    ([0.0, 1.0, 1.0, 0.0], [1.0, 2.0, 4.0, 3.0])
    """
    spec = model.__dict__.get("design_")
    if spec is None:
        raise FormulaError(
            ("This model was not fitted with a formula (it has no design_); pass its columns.",)
        )
    if unseen is not None and unseen not in UNSEEN:
        raise FormulaError((f"unseen must be one of {UNSEEN}; got {unseen!r}.",), param="unseen")
    raw = as_raw_input(data, chunk_rows)
    return DesignSource(
        raw, parse_formula(spec.formula), spec, targets=targets, weight=weight, unseen=unseen
    )
