"""Fitting for the commands: a progress bar on a terminal, a file streamed or loaded.

Used by ``demo`` and ``fit``, and by ``plot`` when it refits a saved model to
record its iterates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .io import load_in_memory

if TYPE_CHECKING:
    from rich.console import Console

    from lingrad import Dataset, LinearRegression

__all__ = ["fit_dataset", "fit_with_progress"]


def fit_with_progress(
    model: LinearRegression,
    X: Any,
    y: Any,
    console: Console,
    *,
    sample_weight: np.ndarray | None = None,
    reading: str | None = None,
) -> LinearRegression:
    """``model.fit(X, y)`` behind a rich progress bar when ``console`` is a terminal.

    ``X`` may be a Dataset (``y`` None): ``reading`` then names the pass over the
    file, shown as a pulsing bar until the first iteration.
    """
    if not console.is_terminal:
        return model.fit(X, y, sample_weight)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    total = int(model.n_iters)
    every = max(1, total // 200)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("MSE {task.fields[mse]}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(reading or "training", total=None if reading else total, mse="")

        def tick(iteration: int, mse: float) -> None:
            if iteration % every == 0 or iteration == total:
                progress.update(
                    task, description="training", total=total, completed=iteration, mse=f"{mse:.6g}"
                )

        return model.fit(X, y, sample_weight, callback=tick)


def fit_dataset(model: LinearRegression, ds: Dataset, console: Console) -> int | None:
    """Fit ``model`` on ``ds``; return the number of rows when known.

    Full-batch fits stream the file (exact, from its sufficient statistics, or one
    pass per iteration with engine "direct"). ``--batch-size`` (mini-batch SGD
    reshuffles rows every epoch) loads the file into memory first, up to
    ``io.IN_MEMORY_LIMIT``; the model keeps the file's feature names either way.
    """
    if model.batch_size is None:
        fit_with_progress(model, ds, None, console, reading=f"reading {Path(ds.path).name}")
        stats = model.stats_
        return None if stats is None else int(stats.n_samples)
    source = ds.missing_mode(model.missing)  # --missing drop: rows dropped as they are read
    X, Y, w = load_in_memory(source, "--batch-size (mini-batch SGD shuffles the rows)")
    fit_with_progress(model, X, Y[:, 0] if ds.one_d else Y, console, sample_weight=w)
    model.n_dropped_ = source.n_dropped or 0
    if ds.feature_names is not None:
        model.feature_names_in_ = np.asarray(ds.feature_names, dtype=object)
    return len(X)
