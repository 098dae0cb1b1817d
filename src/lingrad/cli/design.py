"""Formulas and categorical columns on the command line: ``fit --formula``, ``--categorical``.

``fit`` hands the file to :func:`lingrad.ols` (one streamed pass: levels
discovered, statistics merged by column name); ``predict``, ``evaluate`` and
``summary`` rebuild the model's columns from the design saved in its model file
(:func:`lingrad.formula.design_data`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lingrad import design_data, ols

from .columns import split_names

if TYPE_CHECKING:
    from lingrad import LinearRegression
    from lingrad.persist import ModelFile

__all__ = ["CategoricalOpt", "FormulaOpt", "UnseenOpt", "fit_design", "open_design"]

FormulaOpt = Annotated[
    str | None,
    typer.Option(
        "--formula",
        help="Wilkinson formula, as in statsmodels: 'y ~ x1 + C(city) + x1:x2 + np.log(x3)' "
        "(then --target is not needed). Categories: treatment coding, first level (sorted) "
        "as the reference.",
        show_default=False,
    ),
]
CategoricalOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--categorical",
        help="One-hot encode this text column (repeat it or give a comma list): treatment "
        "coding, columns named C(city)[T.rome].",
        show_default=False,
    ),
]
UnseenOpt = Annotated[
    str | None,
    typer.Option(
        "--unseen",
        help="A category level unseen at fit time: error (the default) or reference "
        "(coded as the reference level).",
        show_default=False,
    ),
]


class _Data:
    """What fit's report needs of the data: its path."""

    def __init__(self, path: str) -> None:
        self.path = path


def fit_design(
    path: str,
    formula: str | None,
    target: Sequence[str] | None,
    options: dict[str, Any],
) -> tuple[LinearRegression, _Data, int | None, tuple[list[str], list[str]]]:
    """``lingrad fit`` with --formula or --categorical: (model, data, rows, (features, targets))."""
    targets = split_names(target) or None
    target_arg = None if targets is None else ",".join(targets)
    categorical = split_names(options.pop("categorical")) or None
    options["features"] = split_names(options["features"]) or None
    options["unseen"] = options["unseen"] or "error"
    model = ols(formula, path, target=target_arg, categorical=categorical, **options)
    names = (list(model.feature_names_in_), list(model.design_.targets))
    n_rows, n_dropped = model.design_rows_
    used = None if n_rows is None else n_rows - (n_dropped or 0)
    return model, _Data(path), used, names


def open_design(
    mf: ModelFile, data: Path, target: Sequence[str] | None, weight: str | None, **opts: Any
) -> tuple[Any, list[str]]:
    """DATA as the saved model's design: (source, target names)."""
    spec = mf.model.design_
    given = split_names(target)
    if given and list(given) != list(spec.targets):
        raise ValueError(
            f"The model's formula {spec.formula!r} has the target {list(spec.targets)}, but "
            f"--target says {given}: drop --target (the model file names the target)."
        )
    where = os.fspath(data)
    if not data.exists():
        raise FileNotFoundError(f"DATA {where!r} does not exist. Check the path.")
    src = design_data(mf.model, where, weight=weight, **opts)
    return src, list(spec.targets)
