"""Fitting for the commands: a progress bar on a terminal, a file streamed or loaded.

Used by ``demo`` and ``fit``, and by ``plot`` when it refits a saved model to
record its iterates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad import show_progress

from .io import load_in_memory
from .progress import active

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
    """``model.fit(X, y)`` with progress bars: the passes over a file, then the iterations.

    Inside a command the bars are the command's (:mod:`.progress`: stderr, a
    terminal, no ``--quiet``); elsewhere they are drawn on ``console`` when it is
    a terminal. ``X`` may be a Dataset (``y`` None); ``reading`` is kept for
    callers (the pass is named after the file).
    """
    shown = active()
    if shown:
        return _fit_reporting(model, X, y, sample_weight, shown[0])
    if not console.is_terminal:
        return model.fit(X, y, sample_weight)
    with show_progress(console) as bar:
        try:
            return _fit_reporting(model, X, y, sample_weight, bar)
        finally:
            bar.close()


def _fit_reporting(model: Any, X: Any, y: Any, w: Any, bar: Any) -> Any:
    """The fit, its iterations reported to ``bar(done, total, "it", what)`` (None: no bar)."""
    if bar is None:
        return model.fit(X, y, w)
    total = int(model.n_iters)
    every = max(1, total // 200)
    last = 0  # the last iteration reported

    def tick(iteration: int, mse: float) -> None:
        nonlocal last
        if iteration % every == 0 or iteration == total:
            last = iteration
            bar(iteration, total, "it", f"training  MSE {mse:.6g}")

    model.fit(X, y, w, callback=tick)
    if 0 < last < total:  # stopped early (tol): end the bar; at total it has ended
        bar(total, total, "it", "training")
    return model


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
