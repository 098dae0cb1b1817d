"""``lingrad predict``: every row of a data file predicted by a saved model, streaming."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from lingrad import LinearRegression
from lingrad.inference import PREDICTION_COLUMNS

from .app import command, examples
from .columns import n_targets
from .design import UnseenOpt
from .io import (
    atomic_output,
    check_out_file,
    open_features,
    predict_chunk,
    prediction_writer,
    read_model,
)
from .options import ChunkRowsOpt, ModelArg, check, check_rows, out_option
from .render import console

__all__ = ["predict"]

#: The suffixes of prediction files (the format follows the suffix).
PREDICTION_SUFFIXES = (".csv", ".parquet", ".pq")

_PREDICT_EXAMPLES = examples(
    "lingrad predict model.json new.csv -o predictions.csv",
    "lingrad predict model.json big.parquet -o predictions.parquet --chunk-rows 100000",
    "lingrad predict model.json new.csv -o intervals.csv --interval 0.95",
)


def _interval_names(names: list[str], k: int, targets: list[str] | None) -> list[str]:
    """statsmodels' column names; ``TARGET_mean`` ... for several targets."""
    if k == 1:
        return list(PREDICTION_COLUMNS)
    tnames = list(targets or [f"y{j}" for j in range(k)])
    return [f"{t}_{c}" for t in tnames for c in PREDICTION_COLUMNS]


def _interval_chunk(model: LinearRegression, X: np.ndarray, alpha: float) -> np.ndarray:
    """The prediction table of a chunk: (n_rows, 6 n_targets)."""
    res = model.get_prediction(X)
    frames = [r.summary_frame(alpha=alpha) for r in (res if isinstance(res, list) else [res])]
    return np.column_stack([np.asarray(f[c]) for f in frames for c in PREDICTION_COLUMNS])


@command(epilog=_PREDICT_EXAMPLES)
def predict(
    model: ModelArg,
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV, Parquet or .npy file with the model's feature columns (by name, in any "
            "order; other columns, such as the target, are ignored).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        out_option(
            "Predictions file, .csv or .parquet (format from the suffix); written atomically."
        ),
    ],
    chunk_rows: ChunkRowsOpt = None,
    unseen: UnseenOpt = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            help="Also write statsmodels' prediction columns at this level (0.95: 95%): "
            + ", ".join(PREDICTION_COLUMNS)
            + " (prefixed by the target's name for several targets).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Predict every row of a data file with a saved model, streaming, into a CSV or Parquet file.

    One prediction per row of DATA, in order, in a column TARGET_pred named after
    the model's target (saved by lingrad fit: price_pred), or "prediction" when
    the model file names no target. Columns are matched by name:
    reordered columns are fine, a missing feature column is an error. Rows are
    read, predicted and written chunk by chunk, so DATA may be larger than memory;
    the output appears only when complete.
    """
    check_rows("--chunk-rows", chunk_rows)
    check_out_file(out, "predictions.csv", inputs=[model, data])
    suffix = out.suffix.lower()
    check(
        suffix in PREDICTION_SUFFIXES,
        "-o",
        "a file ending in .csv or .parquet (the format follows the suffix)",
        os.fspath(out),
    )
    mf = read_model(model)
    ds, _ = open_features(mf, data, chunk_rows, unseen)
    k = n_targets(mf.model)
    names = [f"{t}_pred" for t in mf.target_names or []]
    names = names or (["prediction"] if k == 1 else [f"prediction_{j}" for j in range(k)])
    alpha = None
    if interval is not None:
        check(0 < interval < 1, "--interval", "a level between 0 and 1, e.g. 0.95", interval)
        alpha = 1.0 - interval
        names = _interval_names(names, k, mf.target_names)
    n = 0
    with (
        atomic_output(out) as tmp,
        prediction_writer(tmp, names, "csv" if suffix == ".csv" else "parquet") as write,
    ):
        for X, _, _ in ds.iter_chunks():
            if alpha is None:
                write(predict_chunk(mf.model, X).reshape(len(X), -1))
            else:
                write(_interval_chunk(mf.model, X, alpha))
            n += len(X)
    console().print(
        f"Wrote {n} predictions ({', '.join(names)}) to {os.fspath(out)}",
        markup=False,
        soft_wrap=True,
    )
