"""``lingrad plot``: a figure of a saved model, drawn with :mod:`lingrad.plots`."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from lingrad import LinearRegression

from .app import command, examples
from .columns import n_targets
from .io import atomic_output, check_out_file, open_for_model, read_model
from .options import (
    ChunkRowsOpt,
    ModelArg,
    TargetsOpt,
    WeightOpt,
    check,
    check_rows,
    out_option,
)
from .render import console
from .training import fit_dataset

if TYPE_CHECKING:
    from rich.console import Console

    from lingrad import Dataset
    from lingrad.persist import ModelFile

__all__ = ["PLOT_KINDS", "plot", "sample_rows"]

#: The figures ``--kind`` draws.
PLOT_KINDS = ("fit", "loss", "residuals", "predicted", "path", "coef-paths", "animation")
#: The kinds that need every iterate of the fit: MODEL is refitted with record_path=True.
_REFIT_KINDS = ("path", "coef-paths", "animation")
#: Rows ``plot`` draws at most: a uniform random sample of larger files.
DEFAULT_MAX_POINTS = 20_000

_PLOT_EXAMPLES = examples(
    "lingrad plot model.json data.csv --kind residuals -o residuals.png",
    "lingrad plot model.json --kind loss -o loss.svg",
    "lingrad plot model.json data.csv --kind path -o descent.png",
    "lingrad plot model.json data.csv --kind animation -o training.gif",
)


def sample_rows(ds: Dataset, max_points: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A uniform random sample of at most ``max_points`` rows (X, Y), in file order, and n.

    One streamed pass: every row gets a random key and the rows with the smallest
    keys are kept (seeded: the same file gives the same figure).
    """
    rng = np.random.default_rng(0)
    X = Y = keys = rows = None
    n = 0
    for Xc, Yc, _ in ds.iter_chunks():
        kc, rc = rng.random(len(Xc)), np.arange(n, n + len(Xc))
        n += len(Xc)
        if X is None:
            X, Y, keys, rows = Xc, Yc, kc, rc
        else:
            X, Y = np.concatenate([X, Xc]), np.concatenate([Y, Yc])
            keys, rows = np.concatenate([keys, kc]), np.concatenate([rows, rc])
        if len(keys) > max_points:
            pick = np.argpartition(keys, max_points - 1)[:max_points]
            X, Y, keys, rows = X[pick], Y[pick], keys[pick], rows[pick]
    order = np.argsort(rows)
    return X[order], Y[order], n


def _refit_with_path(model: LinearRegression, ds: Dataset, console: Console) -> LinearRegression:
    """The saved model refitted on ``ds`` with its hyperparameters and ``record_path=True``."""
    params = model.get_params(deep=False)
    params.update(record_path=True, verbose=False)
    refit = LinearRegression(**params)
    fit_dataset(refit, ds, console)
    saved = np.concatenate([np.ravel(model.coef_), np.ravel(model.intercept_)])
    again = np.concatenate([np.ravel(refit.coef_), np.ravel(refit.intercept_)])
    gap = float(np.abs(saved - again).max())
    if not gap <= 1e-6 * max(float(np.abs(saved).max()), 1e-300):
        why = (
            "the model file has no integer random_state, so the refit started elsewhere"
            if params.get("random_state") is None
            else "DATA is not the data the model was fitted on"
        )
        warnings.warn(
            f"The refit's coefficients differ from MODEL's by up to {gap:.3g}: {why}. The "
            "figure shows the refit's iterates.",
            UserWarning,
            stacklevel=2,
        )
    return refit


def _check_options(
    kind: str, out: Path, max_points: int, chunk_rows: int, inputs: list[Path | None]
) -> None:
    """``--kind``, ``-o`` (a format matplotlib writes), ``--max-points``, ``--chunk-rows``."""
    from matplotlib.backend_bases import FigureCanvasBase

    check(kind in PLOT_KINDS, "--kind", f"one of {', '.join(PLOT_KINDS)}", kind)
    check_out_file(out, f"{kind}.gif" if kind == "animation" else f"{kind}.png", inputs=inputs)
    suffix = out.suffix.lower()
    if kind == "animation":
        check(suffix == ".gif", "-o", "a .gif file for --kind animation", os.fspath(out))
    else:
        formats = FigureCanvasBase.get_supported_filetypes()
        check(
            suffix[1:] in formats,
            "-o",
            "a figure file ending in .png, .svg, .pdf or another matplotlib format",
            os.fspath(out),
        )
    check_rows("--max-points", max_points, 2)
    check_rows("--chunk-rows", chunk_rows)


def _check_model(kind: str, model: LinearRegression) -> None:
    """The figure ``kind`` can show ``model`` (one feature, one target where it must)."""
    f = int(model.n_features_in_)
    k = n_targets(model)
    if kind in ("fit", "animation") and f != 1:
        raise ValueError(
            f"--kind {kind} draws the fitted line over one feature; MODEL has {f} features. "
            "Use --kind predicted or --kind residuals."
        )
    if kind not in ("loss", "coef-paths") and k != 1:
        raise ValueError(
            f"--kind {kind} draws one target; MODEL predicts {k}. Use --kind loss or "
            "coef-paths, or fit one model per target (lingrad fit --target COL)."
        )


def _data_figure(
    kind: str, mf: ModelFile, ds: Dataset, max_points: int
) -> tuple[Callable[[Path], Any], str]:
    """``draw(path)`` for a figure of DATA, and a note when it shows a sample of the rows."""
    from lingrad import plots

    fitted = mf.model
    if kind in _REFIT_KINDS:
        fitted = _refit_with_path(mf.model, ds, console())
    X = y = None
    note = ""
    if kind != "coef-paths":
        X, Y, n = sample_rows(ds, max_points)
        y = Y[:, 0] if Y.shape[1] == 1 else Y
        if len(X) < n:
            note = f" (a random sample of {len(X)} of {n} rows)"
    figures = {
        "fit": lambda p: plots.plot_fit(fitted, X, y, path=p),
        "residuals": lambda p: plots.plot_residuals(fitted, X, y, path=p),
        "predicted": lambda p: plots.plot_predicted_vs_actual(fitted, X, y, path=p),
        "path": lambda p: plots.plot_descent_path(fitted, X, y, path=p),
        "coef-paths": lambda p: plots.plot_coef_paths(fitted, path=p),
        "animation": lambda p: plots.animate_fit(fitted, X, y, p),
    }
    return figures[kind], note


@command(epilog=_PLOT_EXAMPLES)
def plot(
    model: ModelArg,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help=f"{', '.join(PLOT_KINDS[:-1])} or {PLOT_KINDS[-1]}.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        out_option("Figure file: .png, .svg, .pdf, ... (.gif for animation); written atomically."),
    ],
    data: Annotated[
        Path | None,
        typer.Argument(
            help="The data to draw (the training data for path, coef-paths and animation); "
            "not needed for --kind loss.",
            show_default=False,
        ),
    ] = None,
    target: TargetsOpt = None,
    weight: WeightOpt = None,
    max_points: Annotated[
        int,
        typer.Option(
            "--max-points", help="Draw a uniform random sample of at most this many rows."
        ),
    ] = DEFAULT_MAX_POINTS,
    chunk_rows: ChunkRowsOpt = None,
) -> None:
    """Draw a figure of a saved model with lingrad.plots.

    loss: the training loss curve, from MODEL alone. fit (one feature), residuals
    and predicted: DATA against the model's predictions. path (descent path on
    the MSE surface), coef-paths and animation (a GIF of the line while it
    trains) need every iterate of the fit, which model files do not keep: plot
    refits the model on DATA with its saved hyperparameters and
    record_path=True; with the same data and seed (lingrad fit always saves an
    integer seed) these are the same iterates, and a warning says when the
    refit's coefficients differ from MODEL's. Files with more than --max-points
    rows are drawn from a uniform random sample (the fit itself streams every row).
    """
    _check_options(kind, out, max_points, chunk_rows, [model, data])
    mf = read_model(model)
    _check_model(kind, mf.model)
    from lingrad import plots

    note = ""
    if kind == "loss":

        def draw(path: Path) -> Any:
            return plots.plot_loss(mf.model, path=path)

    else:
        if data is None:
            raise ValueError(
                f"--kind {kind} draws the data: pass DATA, e.g. lingrad plot "
                f"{os.fspath(model)} data.csv --kind {kind} -o {os.fspath(out)}."
            )
        ds, _ = open_for_model(mf, data, target, weight, chunk_rows)
        draw, note = _data_figure(kind, mf, ds, max_points)
    import matplotlib.pyplot as plt  # after lingrad.plots chose the backend

    with atomic_output(out) as tmp:
        plt.close(draw(tmp))
    console().print(f"Wrote {os.fspath(out)}{note}", markup=False, soft_wrap=True)
