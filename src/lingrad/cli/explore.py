"""``lingrad explore``: a page to play with gradient descent on DATA (or the tutorial's)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import typer

from lingrad import explore as write_explorer

from .app import command, examples
from .io import check_out_file, open_training
from .options import ChunkRowsOpt, SeedOpt, check, check_rows, check_seed, parse_lr
from .render import console

__all__ = ["EXPLORE_OPTIMIZERS", "explore"]

#: The optimizers the page iterates (lingrad's full-batch rules with a constant momentum).
EXPLORE_OPTIMIZERS = ("gd", "momentum", "nesterov")

_EXAMPLES = examples(
    "lingrad explore -o explore.html",
    "lingrad explore data.csv --target y -o explore.html",
    "lingrad explore data.parquet -t price -f area,age --optimizer nesterov -o explore.html",
)


def _check_options(optimizer: str, momentum: float, n_iters: int, tol: float, rows: int) -> None:
    check(optimizer in EXPLORE_OPTIMIZERS, "--optimizer", "gd, momentum or nesterov", optimizer)
    check(0 <= momentum < 1, "--momentum", "a number in [0, 1)", momentum)
    check_rows("--n-iters", n_iters)
    check(n_iters <= 100_000, "--n-iters", "a whole number in [1, 100000]", n_iters)
    check(math.isfinite(tol) and 0 < tol < 1, "--tol", "a number in (0, 1)", tol)
    check_rows("--chunk-rows", rows)


@command(epilog=_EXAMPLES)
def explore(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="CSV, Parquet or .npy file (streamed once); default: the tutorial's data.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The HTML page, written atomically."),
    ] = Path("explore.html"),
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column of DATA.", show_default=False),
    ] = None,
    features: Annotated[
        list[str] | None,
        typer.Option(
            "--features",
            "-f",
            help="Feature columns (comma list or repeated); default: every other column.",
            show_default=False,
        ),
    ] = None,
    weight: Annotated[
        str | None,
        typer.Option("--weight", help="Column of sample weights.", show_default=False),
    ] = None,
    lr: Annotated[
        str | None,
        typer.Option(
            "--lr",
            help="Starting learning rate, or auto (1/L); default: 0.01 where stable, else 1/L.",
            show_default=False,
        ),
    ] = None,
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="gd, momentum (heavy ball) or nesterov.")
    ] = "gd",
    momentum: Annotated[float, typer.Option("--momentum", help="Momentum in [0, 1).")] = 0.9,
    n_iters: Annotated[int, typer.Option("--n-iters", help="Iterations the page runs.")] = 1000,
    tol: Annotated[
        float, typer.Option("--tol", help="Tolerance of lingrad's stopping measure.")
    ] = 1e-6,
    seed: SeedOpt = 0,
    chunk_rows: ChunkRowsOpt = None,
) -> None:
    """Write a self-contained HTML page to play with gradient descent (no network needed).

    The page embeds DATA's sufficient statistics (no rows) and iterates in the
    browser with lingrad's own update rules: the MSE surface as contours (a slice
    through the optimum for more than one feature), the descent path, the loss
    curve. Click to set the start; move the lr and momentum sliders.
    """
    _check_options(optimizer, momentum, n_iters, tol, chunk_rows)
    rate = None if lr is None else parse_lr(lr)
    check_out_file(out, "explore.html", inputs=[data])
    source = None
    if data is not None:
        check(bool(target), "--target", "the target column of DATA", "")
        source, _, _ = open_training(data, [target], features, weight, chunk_rows)
    elif target or features or weight:
        raise ValueError("--target, --features and --weight name columns of DATA: give DATA too.")
    write_explorer(
        source,
        out=out,
        lr=rate,
        optimizer=optimizer,
        momentum=momentum,
        n_iters=n_iters,
        tol=tol,
        random_state=check_seed(seed),
    )
    what = os.fspath(data) if data is not None else "the tutorial's data"
    console().print(f"Wrote {os.fspath(out)} (explore {what} in a browser)", markup=False)
