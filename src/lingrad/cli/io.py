"""Files: data files and model files in, atomic outputs and prediction writers out.

Data files are opened through :func:`lingrad.open_dataset` (CSV, Parquet or
``.npy``, read in row chunks). Outputs are written through :func:`atomic_output`
(a temporary file beside the target, renamed over it at the end): an error
never leaves a partial file, and a previous file at that path stays intact.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad import open_dataset, predict_linear
from lingrad.atomic import atomic_path, check_not_an_input, check_output_path
from lingrad.persist import read_model_file

from .columns import (
    column_name,
    model_features,
    model_targets,
    need_columns,
    shown,
    split_names,
)
from .design import open_design
from .options import check

if TYPE_CHECKING:
    from lingrad import Dataset, LinearRegression
    from lingrad.persist import ModelFile

__all__ = [
    "IN_MEMORY_LIMIT",
    "atomic_output",
    "check_out_file",
    "load_in_memory",
    "open_features",
    "open_for_model",
    "open_training",
    "predict_chunk",
    "prediction_writer",
    "prepare_out",
    "read_model",
]

#: ``fit --batch-size`` (mini-batch SGD shuffles rows) loads DATA into memory up to this
#: many bytes of float64 numbers; larger files are refused with a one-line error.
IN_MEMORY_LIMIT = 1 << 30


# -- data files ------------------------------------------------------------------------------
def _data_path(data: Path, label: str = "DATA") -> str:
    """The data file's path, after the checks whose library messages lack the CLI's fix."""
    where = os.fspath(data)
    if data.is_dir() or (set("*?[") & set(where) and not data.exists()):
        return where  # a folder or a glob of files: open_dataset names a bad or missing file
    if not data.exists():
        raise FileNotFoundError(
            f"{label} {where!r} does not exist. Check the path: lingrad reads .csv, .parquet "
            "and .npy files."
        )
    if data.is_dir():
        raise IsADirectoryError(
            f"{label} {where!r} is a directory, not a data file. Give a .csv, .parquet or "
            ".npy file."
        )
    if data.stat().st_size == 0:
        raise ValueError(
            f"{label} {where!r} is empty (0 bytes). Check the path, or write the data first "
            "(CSV files start with a header row)."
        )
    return where


def _columns_of(data: Path, chunk_rows: int) -> tuple[str, Dataset]:
    """The path of DATA and DATA opened for its columns (``.columns``, ``.format``)."""
    path = _data_path(data)
    return path, open_dataset(path, target=None, chunk_rows=chunk_rows)


def open_training(
    data: Path,
    target: Sequence[str],
    features: Sequence[str] | None,
    weight: str | None,
    chunk_rows: int,
    freq_weight: str | None = None,
) -> tuple[Dataset, list[str], list[str]]:
    """DATA opened for ``fit``: (dataset, feature names, target names)."""
    path, reader = _columns_of(data, chunk_rows)
    targets = [column_name(reader, t) for t in split_names(target, reader.columns) or []]
    check(bool(targets), "--target", "one or more column names", ",".join(target))
    need_columns(path, reader, targets, "--target")
    if weight is not None:
        weight = column_name(reader, weight)
        need_columns(path, reader, [weight], "--weight")
    freq_weight = _freq_column(path, reader, freq_weight)
    feats = split_names(features, reader.columns)
    if feats is not None:
        check(bool(feats), "--features", "one or more column names", ",".join(features or []))
        feats = [column_name(reader, c) for c in feats]
        need_columns(path, reader, feats, "--features")
    else:
        feats = [c for c in reader.columns if c not in [*targets, weight, freq_weight]]
        if not feats:
            raise ValueError(
                f"DATA {path!r} has no feature columns besides the target and weight (its "
                f"columns are {shown(reader.columns)}). Give a file with feature columns."
            )
    ds = open_dataset(
        path,
        target=targets[0] if len(targets) == 1 else targets,
        features=feats,
        weight=weight,
        chunk_rows=chunk_rows,
        freq_weight=freq_weight,
    )
    return ds, feats, targets


def _freq_column(path: str, reader: Any, freq_weight: str | None) -> str | None:
    """--freq-weight's column of DATA (checked), or None."""
    if freq_weight is None:
        return None
    name = column_name(reader, freq_weight)
    need_columns(path, reader, [name], "--freq-weight")
    return name


def _targets_for_model(
    mf: ModelFile, path: str, reader: Any, target: Sequence[str] | None
) -> list[str]:
    """The target columns of DATA for a saved model (--target or the saved names)."""
    if (
        getattr(mf.model, "feature_names_in_", None) is None
        and reader.format != "npy"
        and not split_names(target)
    ):
        raise ValueError(
            "The model has no feature names (it was fitted on a .npy file or unnamed arrays), "
            f"so DATA {path!r} is read by position: name its target column(s) with --target "
            "COL, and the other columns (but --weight) are taken as the features, in order."
        )
    targets = model_targets(mf, target, reader)
    if split_names(target):
        need_columns(path, reader, targets, "--target")
    else:
        need_columns(
            path,
            reader,
            targets,
            "the target saved in the model file",
            "Give DATA with the target column, or name it with --target COL.",
        )
    return targets


def open_for_model(
    mf: ModelFile,
    data: Path,
    target: Sequence[str] | None,
    weight: str | None,
    chunk_rows: int,
    freq_weight: str | None = None,
) -> tuple[Dataset, list[str]]:
    """DATA with the model's features and targets: (dataset, target names)."""
    if getattr(mf.model, "design_", None) is not None:  # a formula's model: its columns rebuilt
        return open_design(mf, data, target, weight, chunk_rows=chunk_rows)
    path, reader = _columns_of(data, chunk_rows)
    targets = _targets_for_model(mf, path, reader, target)
    if weight is not None:
        weight = column_name(reader, weight)
        need_columns(path, reader, [weight], "--weight")
    freq_weight = _freq_column(path, reader, freq_weight)
    exclude = [*targets, *(c for c in (weight, freq_weight) if c is not None)]
    feats = model_features(mf.model, path, reader, exclude)
    ds = open_dataset(
        path,
        target=targets[0] if np.ndim(mf.model.coef_) == 1 else targets,
        features=feats,
        weight=weight,
        chunk_rows=chunk_rows,
        freq_weight=freq_weight,
    )
    return ds.missing_mode(mf.model.missing), targets  # --missing drop: the rows fitted


def open_features(
    mf: ModelFile, data: Path, chunk_rows: int, unseen: str | None = None
) -> tuple[Dataset, list[str]]:
    """DATA's feature columns only (the target may be absent): (dataset, feature columns)."""
    if getattr(mf.model, "design_", None) is not None:  # a formula's model: its columns rebuilt
        src, _ = open_design(
            mf, data, None, None, targets=False, unseen=unseen, chunk_rows=chunk_rows
        )
        return src, list(mf.model.design_.columns)
    path, reader = _columns_of(data, chunk_rows)
    # Without feature names, only a .npy file's columns (x0, x1, ...) can name the target.
    exclude = (mf.target_names or []) if reader.format == "npy" else []
    feats = model_features(mf.model, path, reader, exclude)
    # No target columns: chunks (X, Y of shape (n, 0), None), every cell checked.
    ds = open_dataset(path, target=None, features=feats, chunk_rows=chunk_rows)
    if mf.model.missing == "drop":  # a row with a missing feature predicts NaN (not an error)
        ds = ds.missing_mode("keep")
    return ds, feats


def load_in_memory(ds: Dataset, why: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Every row of ``ds`` as arrays (X, Y, w), refusing more than ``IN_MEMORY_LIMIT`` bytes."""
    Xs, Ys, ws = [], [], []
    size = 0
    with contextlib.closing(ds.iter_chunks()) as chunks:
        for X, Y, w in chunks:
            size += X.nbytes + Y.nbytes + (0 if w is None else w.nbytes)
            if size > IN_MEMORY_LIMIT:
                raise ValueError(
                    f"{why} needs DATA in memory, and {ds.path!r} holds more than "
                    f"{IN_MEMORY_LIMIT / 2**20:.0f} MiB of numbers. Drop --batch-size: without "
                    "it lingrad fits the file exactly, from one streamed pass in constant memory."
                )
            Xs.append(X)
            Ys.append(Y)
            ws.append(w)
    w_all = None if ws[0] is None else np.concatenate(ws)
    return np.concatenate(Xs), np.concatenate(Ys), w_all


# -- model files -----------------------------------------------------------------------------
def read_model(model: Path) -> ModelFile:
    """The model file, with one-line messages for a path that is not a readable file."""
    where = os.fspath(model)
    if not model.exists():
        raise FileNotFoundError(
            f"MODEL {where!r} does not exist. Check the path, or write a model file first with "
            f"lingrad fit DATA --target COL -o {where}."
        )
    if model.is_dir():
        raise IsADirectoryError(
            f"MODEL {where!r} is a directory; give the model file written by lingrad fit -o."
        )
    return read_model_file(model)


def predict_chunk(model: LinearRegression, X: np.ndarray) -> np.ndarray:
    """The model's predictions on a chunk whose columns were already matched by name."""
    return predict_linear(model.coef_, model.intercept_, np.asarray(X, dtype=np.float64))


# -- outputs ---------------------------------------------------------------------------------
def prepare_out(out: Path) -> Path:
    """Create the output folder (and parents) or say why it can't be written."""
    if out.exists() and not out.is_dir():
        raise OSError(f"--out {str(out)!r} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"cannot create --out folder {str(out)!r}: {err.strerror or err}") from err
    if not os.access(out, os.W_OK):
        raise OSError(f"cannot write to --out folder {str(out)!r}: permission denied")
    return out


def check_out_file(
    out: Path, example: str, option: str = "-o", inputs: Sequence[Path | None] = ()
) -> Path:
    """Fail before any work when ``out`` cannot be written as a regular file that is
    none of the command's ``inputs`` (``example``: a file name to suggest)."""
    where = f"{option} {os.fspath(out)!r}"
    check_output_path(out, where, example, f"mkdir -p {out.parent}")
    check_not_an_input(out, [p for p in inputs if p is not None], where)
    return out


def atomic_output(out: Path, option: str = "-o") -> contextlib.AbstractContextManager[Path]:
    """A temporary file beside ``out`` to write, renamed over it when the block succeeds.

    No partial file on any error (or Ctrl-C); a previous file at that path stays intact.
    """
    return atomic_path(out, f"{option} {os.fspath(out)!r}")


def _pyarrow_modules() -> tuple[Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(
            f"Writing predictions needs pyarrow: pip install pyarrow (or, in lingrad's clone, "
            f'pip install -e ".[files]") ({err}).'
        ) from err
    return pa, pacsv, pq


@contextlib.contextmanager
def prediction_writer(path: Path, names: list[str], fmt: str) -> Iterator[Callable]:
    """``write(P)`` appends the rows of ``P`` (n_rows, n_columns) to a CSV or Parquet file."""
    pa, pacsv, pq = _pyarrow_modules()
    schema = pa.schema([(name, pa.float64()) for name in names])
    if fmt == "csv":
        plain = all(not re.search(r'[,"\r\n]', n) for n in names)
        try:  # an unquoted header where that is valid CSV (pyarrow >= 18)
            options = pacsv.WriteOptions(quoting_header="none" if plain else "needed")
        except TypeError:  # pragma: no cover - older pyarrow quotes the header
            options = pacsv.WriteOptions()
        writer = pacsv.CSVWriter(os.fspath(path), schema, write_options=options)
    else:
        writer = pq.ParquetWriter(os.fspath(path), schema)

    def write(P: np.ndarray) -> None:
        writer.write_batch(pa.record_batch([P[:, j] for j in range(P.shape[1])], schema=schema))

    with writer:
        yield write
