"""``lingrad predict``: every row of a data file predicted by a saved model, streaming."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

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
)


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
    chunk_rows: ChunkRowsOpt = 65536,
    unseen: UnseenOpt = None,
) -> None:
    """Predict every row of a data file with a saved model, streaming, into a CSV or Parquet file.

    One prediction per row of DATA, in order, in a column named after the model's
    target (saved by lingrad fit), or "prediction". Columns are matched by name:
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
    names = list(mf.target_names or (["prediction"] if k == 1 else []))
    names = names or [f"prediction_{j}" for j in range(k)]
    n = 0
    with (
        atomic_output(out) as tmp,
        prediction_writer(tmp, names, "csv" if suffix == ".csv" else "parquet") as write,
    ):
        for X, _, _ in ds.iter_chunks():
            write(predict_chunk(mf.model, X).reshape(len(X), -1))
            n += len(X)
    console().print(
        f"Wrote {n} predictions ({', '.join(names)}) to {os.fspath(out)}",
        markup=False,
        soft_wrap=True,
    )
