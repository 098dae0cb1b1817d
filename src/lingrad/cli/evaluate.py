"""``lingrad evaluate``: n, MSE, RMSE, MAE and R² of a saved model on a data file."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

from lingrad import SufficientStats

from .app import command, examples
from .io import open_for_model, predict_chunk, read_model
from .options import ChunkRowsOpt, JsonOpt, ModelArg, TargetsOpt, check_rows
from .render import console as make_console
from .render import fmt, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from lingrad import Dataset, LinearRegression

__all__ = ["evaluate", "metrics"]

_METRICS = (("mse", "MSE"), ("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²"))
_EVALUATE_EXAMPLES = examples(
    "lingrad evaluate model.json test.csv",
    "lingrad evaluate model.json test.parquet --target price --json",
)


def metrics(model: LinearRegression, ds: Dataset) -> tuple[int, dict[str, np.ndarray]]:
    """n and per-target MSE, RMSE, MAE and R² of ``model`` on ``ds``, in one streamed pass.

    Sums of squared and absolute errors add up per chunk (``math.fsum`` of the chunks'
    pairwise sums); the total sum of squares for R² is that of the targets'
    :class:`lingrad.SufficientStats` (of the residuals and targets), merged chunk by
    chunk exactly, never the cancelling ``Σy² - n ȳ²``.
    """
    k = ds.n_targets
    stats = SufficientStats.empty(k, k)
    sse_parts: list[np.ndarray] = []
    sae_parts: list[np.ndarray] = []
    for X, Y, _ in ds.iter_chunks():
        E = Y - predict_chunk(model, X).reshape(len(X), -1)
        sse_parts.append((E * E).sum(axis=0))
        sae_parts.append(np.abs(E).sum(axis=0))
        stats = stats.merge(SufficientStats.from_arrays(E, Y))
    n = stats.n_samples
    sst = np.diag(stats.yy)
    sse = np.array([math.fsum(col) for col in zip(*sse_parts, strict=True)])
    sae = np.array([math.fsum(col) for col in zip(*sae_parts, strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        # scikit-learn's r2_score for constant y: 1 for a perfect fit, else 0.
        r2 = np.where(sst > 0, 1.0 - sse / sst, np.where(sse == 0, 1.0, 0.0))
    mse = sse / n
    return n, {"mse": mse, "rmse": np.sqrt(mse), "mae": sae / n, "r2": r2}


def _metrics_table(per: dict, average: dict, targets: list[str]) -> Table:
    """Metrics down, targets across (and their average for several)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Evaluation", title_justify="left")
    table.add_column("metric", style="bold")
    for t in targets:
        table.add_column(Text(t), justify="right")
    if len(targets) > 1:
        table.add_column("average", justify="right")
    for name, label in _METRICS:
        cells = [fmt(v) for v in per[name]]
        if len(targets) > 1:
            cells.append(fmt(average[name]))
        table.add_row(label, *cells)
    return table


@command(epilog=_EVALUATE_EXAMPLES)
def evaluate(
    model: ModelArg,
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV, Parquet or .npy file with the features and the target.", show_default=False
        ),
    ],
    target: TargetsOpt = None,
    chunk_rows: ChunkRowsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score a saved model on a data file: n, MSE, RMSE, MAE and R², in one streamed pass.

    The numbers are scikit-learn's (mean_squared_error, root_mean_squared_error,
    mean_absolute_error, r2_score, unweighted); with several targets each is
    shown per target and averaged uniformly, as scikit-learn does. R² uses a
    numerically careful streaming variance (chunk means merged, no Σy² - nȳ²).
    """
    check_rows("--chunk-rows", chunk_rows)
    mf = read_model(model)
    ds, targets = open_for_model(mf, data, target, None, chunk_rows)
    n, per = metrics(mf.model, ds)
    average = {name: float(np.mean(v)) for name, v in per.items()}
    if json_out:
        per_target = {
            t: {name: float(v[i]) for name, v in per.items()} for i, t in enumerate(targets)
        }
        print_json(
            {"model": os.fspath(model), "data": ds.path, "n": n, **average, "targets": per_target}
        )
        return
    console = make_console()
    console.print(f"{os.fspath(model)} on {ds.path}: {n} rows", markup=False, soft_wrap=True)
    console.print(_metrics_table(per, average, targets))
