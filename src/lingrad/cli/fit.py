"""``lingrad fit``: a data file to a model file, by gradient descent.

The command is four steps: check the options, open the data, build (and fit)
the model, report (a table, or ``--json``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lingrad import Dataset, LinearRegression, render, stop_explanation

from .app import command, examples
from .design import CategoricalOpt, FormulaOpt, UnseenOpt, fit_design
from .io import _data_path as data_path
from .io import check_out_file, open_training
from .options import (
    DEFAULTS,
    AlphaOpt,
    BatchSizeOpt,
    BoundsOpt,
    ChunkRowsOpt,
    EngineOpt,
    FreqWeightOpt,
    JsonOpt,
    L1RatioOpt,
    LrOpt,
    MissingOpt,
    NItersOpt,
    OnDivergenceOpt,
    OptimizerOpt,
    PositiveOpt,
    PreconditionOpt,
    SeedOpt,
    TolOpt,
    check,
    check_param,
    check_rows,
    check_seed,
    out_option,
    parse_bounds,
    parse_lr,
    weight_option,
)
from .render import coef_table, diagnostics_table, fmt, key_value_table, print_json
from .render import console as make_console
from .training import fit_dataset

__all__ = ["fit"]

_FIT_EXAMPLES = examples(
    "lingrad fit data.csv --target y -o model.json",
    "lingrad fit data.parquet -t y --features x1,x2 --lr auto --optimizer nesterov "
    "--tol 1e-10 --n-iters 10000 -o model.json",
    "lingrad fit data.csv -t y1,y2 --weight w --alpha 0.1 --l1-ratio 0.5 -o model.json --json",
    "lingrad fit data.npy --target -1 -o model.json",
    "lingrad fit sales.csv --formula 'price ~ area + C(city) + np.log(age)' -o model.json",
    "lingrad fit sales.parquet -t price --categorical city,kind --lr auto -o model.json",
    "lingrad fit data.csv -t y --missing drop -o model.json",
    'lingrad fit "data/*.parquet" -t y -o model.json',
)
#: The hyperparameters ``fit`` takes from its options, checked against lingrad.PARAMETERS.
_CHECKED = (
    "n_iters",
    "tol",
    "optimizer",
    "engine",
    "alpha",
    "l1_ratio",
    "batch_size",
    "precondition",
    "missing",
    "positive",
)

# fit's own argument and options (the hyperparameters' are lingrad.cli.options')
DataArg = Annotated[
    Path,
    typer.Argument(
        help="CSV (header row), Parquet or .npy file, or a folder or quoted glob of CSV and "
        "Parquet files (hive key=value folders become columns); read in chunks, so any size.",
        show_default=False,
    ),
]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target column; repeat it or give a comma list for several targets.",
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path | None,
    out_option("Model file to write (JSON), atomically; optional with --json (inspect a fit)."),
]
FeaturesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--features",
        "-f",
        help="Feature columns in this order (comma list or repeated); default: every column "
        "but the target(s) and the weight.",
        show_default=False,
    ),
]
FitWeightOpt = Annotated[str | None, weight_option("Column of non-negative sample weights.")]


def _check_options(
    options: dict[str, Any], seed: int, chunk_rows: int, out: Path | None, data: Path
) -> dict:
    """The hyperparameters of the options, checked in the order the user reads them."""
    params = {"lr": parse_lr(options["lr"])}
    for name in _CHECKED:
        params[name] = check_param(name, options[name])
    params["random_state"] = check_seed(seed)
    params["on_divergence"] = check_param("on_divergence", options["on_divergence"])
    check_rows("--chunk-rows", chunk_rows)
    if out is not None:
        check_out_file(out, "model.json", inputs=[data])
    return params


def _by_target(values: np.ndarray, features: list[str], targets: list[str]) -> dict[str, Any]:
    """Coefficients as ``{feature: value}``, or ``{target: {feature: value}}`` for several."""
    C = np.atleast_2d(np.asarray(values, dtype=np.float64))
    per = [dict(zip(features, map(float, row), strict=True)) for row in C]
    return per[0] if np.ndim(values) == 1 else dict(zip(targets, per, strict=True))


def _json_report(
    model: LinearRegression, out: Path | None, ds: Dataset, n_rows: int | None, names: tuple
) -> dict[str, Any]:
    """The fitted model as ``--json`` prints it (``names``: features, targets)."""
    feats, targets = names
    return {
        "model": None if out is None else os.fspath(out),
        "data": ds.path,
        "n_samples": n_rows,
        "n_dropped": int(getattr(model, "n_dropped_", 0)),
        "features": feats,
        "targets": targets,
        "coefficients": _by_target(model.coef_, feats, targets),
        "intercept": (
            float(model.intercept_)
            if np.ndim(model.intercept_) == 0
            else dict(zip(targets, map(float, model.intercept_), strict=True))
        ),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "stop_reason": model.stop_reason_,
        "stop_explanation": render(stop_explanation(model).parts, "cli"),
        "lr": float(model.lr_),
        "engine": model.engine_,
        "optimizer": model.optimizer,
        "loss": float(model.loss_history_[-1]),
        "diagnostics": model.diagnostics_.to_dict(),
    }


def _rows_text(n_rows: int | None, n_dropped: int) -> str:
    """`` (N rows)``, with the rows dropped for a missing value (``--missing drop``)."""
    if n_rows is None:
        return f" ({n_dropped} rows with a missing value dropped)" if n_dropped else ""
    dropped = f"; {n_dropped} with a missing value dropped" if n_dropped else ""
    return f" ({n_rows} rows used{dropped})" if n_dropped else f" ({n_rows} rows)"


def _print_report(
    model: LinearRegression, out: Path, ds: Dataset, n_rows: int | None, names: tuple
) -> None:
    """The coefficients, the training and the diagnostics, as tables."""
    feats, targets = names
    console = make_console()
    console.print(coef_table(model, feats, targets))
    epochs = " epochs" if model.batch_size else ""
    rows = [
        ("data", ds.path + _rows_text(n_rows, int(getattr(model, "n_dropped_", 0)))),
        ("iterations", f"{model.n_iter_} of {model.n_iters}{epochs}"),
        ("stop reason", f"{model.stop_reason_} (converged: {'yes' if model.converged_ else 'no'})"),
        ("final MSE (training)", fmt(float(model.loss_history_[-1]))),
        ("engine", model.engine_),
        ("optimizer", model.optimizer),
        ("learning rate used", f"{model.lr_:.6g}"),
    ]
    console.print(key_value_table("Training", rows))
    why = render(stop_explanation(model).parts, "cli")
    console.print(why, markup=False, soft_wrap=True)
    console.print(diagnostics_table(model))
    console.print(f"Saved the model to {os.fspath(out)}", markup=False, soft_wrap=True)


@command(epilog=_FIT_EXAMPLES)
def fit(
    data: DataArg,
    out: OutOpt = None,
    target: TargetOpt = None,
    formula: FormulaOpt = None,
    categorical: CategoricalOpt = None,
    unseen: UnseenOpt = None,
    features: FeaturesOpt = None,
    weight: FitWeightOpt = None,
    freq_weight: FreqWeightOpt = None,
    lr: LrOpt = DEFAULTS["lr"],
    n_iters: NItersOpt = DEFAULTS["n_iters"],
    tol: TolOpt = DEFAULTS["tol"],
    optimizer: OptimizerOpt = DEFAULTS["optimizer"],
    alpha: AlphaOpt = DEFAULTS["alpha"],
    l1_ratio: L1RatioOpt = DEFAULTS["l1_ratio"],
    batch_size: BatchSizeOpt = DEFAULTS["batch_size"],
    engine: EngineOpt = DEFAULTS["engine"],
    precondition: PreconditionOpt = DEFAULTS["precondition"],
    seed: SeedOpt = 0,
    on_divergence: OnDivergenceOpt = DEFAULTS["on_divergence"],
    missing: MissingOpt = DEFAULTS["missing"],
    positive: PositiveOpt = DEFAULTS["positive"],
    bounds: BoundsOpt = None,
    chunk_rows: ChunkRowsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit a linear model on a data file by gradient descent and save it as a model file.

    The file is streamed in chunks of --chunk-rows rows: files larger than memory
    fit exactly (from their sufficient statistics) in constant memory. Prints the
    coefficients with the feature names, the iterations and stopping reason, the
    final training MSE, the engine, the learning rate used and the diagnostics
    (curvature, stable learning rates, gap to the exact optimum); --json prints
    them as one JSON object. A learning rate too large for the data is reported
    (Warning: ...) and replaced by lr=auto, or an error with --on-divergence raise.
    With --json, -o is optional: the fit is printed without being saved.
    """
    options = dict(
        lr=lr,
        n_iters=n_iters,
        tol=tol,
        optimizer=optimizer,
        engine=engine,
        alpha=alpha,
        l1_ratio=l1_ratio,
        batch_size=batch_size,
        on_divergence=on_divergence,
        precondition=precondition,
        missing=missing,
        positive=positive,
    )
    if out is None and not json_out:
        raise ValueError(
            "Nothing to do without -o/--out: give -o model.json to save the model, or --json "
            "to print the fit without saving it."
        )
    params = _check_options(options, seed, chunk_rows, out, data)
    params["bounds"] = parse_bounds(bounds)
    if formula is not None or categorical:  # a design: lingrad.ols, one streamed pass
        if freq_weight is not None:
            raise ValueError("--freq-weight does not combine with --formula or --categorical yet.")
        more = dict(categorical=categorical, features=features, weight=weight, unseen=unseen)
        fitted = fit_design(
            data_path(data), formula, target, {**params, **more, "chunk_rows": chunk_rows}
        )
        model, ds, n_rows, (feats, targets) = fitted
    else:
        check(bool(target), "--target", "a column name (or give --formula)", "")
        ds, feats, targets = open_training(data, target, features, weight, chunk_rows, freq_weight)
        model = LinearRegression(**params)
        n_rows = fit_dataset(model, ds, make_console(stderr=json_out))
    if out is not None:
        model.save(out, target_names=targets)
    if json_out:
        print_json(_json_report(model, out, ds, n_rows, (feats, targets)))
    else:
        _print_report(model, out, ds, n_rows, (feats, targets))
