"""The ``lingrad`` command line (typer + rich).

Commands: ``demo`` (the tutorial end to end), ``fit`` (a data file to a model
file), ``predict``, ``evaluate``, ``summary`` and ``plot`` (a model file and,
where needed, a data file). Data files are CSV, Parquet or ``.npy``, read in
row chunks through :func:`lingrad.open_dataset`: files larger than memory fit
and predict in constant memory.

Layout, for whoever adds a command:

* one small function per command, registered with ``@command`` (not
  ``@app.command``): it adds the shared error handling, so every lingrad,
  ``ValueError``, ``OSError`` or missing-extra ``ImportError`` becomes one line
  ``Error: <message>`` on stderr and exit status 1, and every warning one line
  ``Warning: <message>``. Usage errors stay typer's (exit status 2). Pass
  ``epilog=`` the command's examples (shown by ``--help``).
* commands validate their own options with :func:`_check` (messages name the
  option as the user typed it), then call only lingrad's public API.
* output goes through :func:`_console` (rich tables on stdout); the shared
  renderers :func:`_params_table` and :func:`_diagnostics_table` are meant
  for ``fit``/``summary`` too. ``--json`` prints with :func:`_print_json`
  (strict JSON, nothing else on stdout).
* files are written through :func:`_atomic_output` (a temporary file beside
  the target, renamed over it at the end): an error never leaves a partial
  file, and a previous file at that path stays intact.

typer and rich are an optional extra; without them :func:`main` prints how to
install it. Annotations stay strings (``from __future__ import annotations``),
so this module imports without typer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import numpy as np

from ._version import __version__
from .atomic import atomic_path, check_output_path

try:
    import typer
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised only without the extra
    typer = None

if TYPE_CHECKING:
    from ._estimator import LinearRegression
    from ._sources.files import Dataset
    from .persist import ModelFile

__all__ = ["app", "main"]

INSTALL_HINT = 'lingrad\'s command line needs typer and rich: pip install "lingrad[cli]"'
F = TypeVar("F", bound=Callable[..., Any])

#: ``fit --batch-size`` (mini-batch SGD shuffles rows) loads DATA into memory up to this
#: many bytes of float64 numbers; larger files are refused with a one-line error.
IN_MEMORY_LIMIT = 1 << 30
#: Rows ``plot`` draws at most: a uniform random sample of larger files.
DEFAULT_MAX_POINTS = 20_000
_PREDICTION_SUFFIXES = (".csv", ".parquet", ".pq")
_PLOT_KINDS = ("fit", "loss", "residuals", "predicted", "path", "coef-paths", "animation")
_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


# -- the application and its shared error handling -----------------------------------------
def _one_line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


_PARAM_OPTIONS = {
    "lr": "--lr",
    "n_iters": "--n-iters",
    "tol": "--tol",
    "optimizer": "--optimizer",
    "batch_size": "--batch-size",
    "alpha": "--alpha",
    "l1_ratio": "--l1-ratio",
    "engine": "--engine",
    "on_divergence": "--on-divergence",
}
_PARAM_RE = re.compile(rf"\b({'|'.join(_PARAM_OPTIONS)})=('?)([\w.+-]+)\2")


def _cli_wording(message: str) -> str:
    """Library advice in command-line terms: ``lr='auto'`` becomes ``--lr auto``.

    Cosmetic only: a message this does not recognise stays correct, in Python terms.
    """
    message = message.replace("with features=[...]", "with --features")
    message = message.replace("with lingrad.persist.save_model", "(lingrad fit ... -o MODEL)")
    message = message.replace(
        "Pass a file written by lingrad.persist.save_model",
        "Pass a model file written by lingrad fit",
    )
    message = re.sub(r"; see lr_(?=\.)", "", message)
    message = re.sub(r"\bIncrease n_iters\b", "Increase --n-iters", message)
    message = re.sub(
        r"The '(\w+)' parameter of open_dataset",
        lambda m: _PARAM_OPTIONS.get(m[1], "--" + m[1].replace("_", "-")),
        message,
    )
    return _PARAM_RE.sub(lambda m: f"{_PARAM_OPTIONS[m[1]]} {m[3]}", message)


def _version_callback(value: bool) -> None:
    if value:
        print(f"lingrad {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print lingrad's version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """lingrad: linear regression trained by gradient descent, from first principles on NumPy."""


if typer is not None:
    app = typer.Typer(
        name="lingrad",
        help=_root.__doc__,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )
    app.callback()(_root)
else:  # pragma: no cover
    app = None


def _handle_errors(fn: F) -> F:
    """Run a command; errors and warnings become one line each on stderr."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def show(message, category, filename, lineno, file=None, line=None) -> None:
            print(f"Warning: {_cli_wording(_one_line(message))}", file=sys.stderr)

        with warnings.catch_warnings():
            warnings.showwarning = show
            try:
                return fn(*args, **kwargs)
            except (ValueError, OSError, ImportError) as err:
                # DivergenceError, NotFittedError, DataFileError and ModelFileError are
                # ValueErrors; pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError.
                text = re.sub(r"^\[Errno \d+\] ", "", _one_line(err))
                print(f"Error: {_cli_wording(text)}", file=sys.stderr)
                raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def command(fn: F | None = None, *, name: str | None = None, epilog: str | None = None) -> Any:
    """Register ``fn`` as a subcommand, with the shared error handling.

    Use as ``@command`` or ``@command(name="...", epilog="Examples: ...")``; the
    docstring is the help (its first line is the summary in ``lingrad --help``)
    and ``epilog`` is printed after the options.
    """

    def register(f: F) -> F:
        if app is not None:
            app.command(name=name or f.__name__.replace("_", "-"), epilog=epilog)(_handle_errors(f))
        return f

    return register(fn) if fn is not None else register


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``lingrad`` script (and ``python -m lingrad``)."""
    if app is None:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(1)
    app(args=list(argv) if argv is not None else None, prog_name="lingrad")


def _examples(*lines: str) -> str:
    """An epilog: "Examples:" and one indented command per paragraph."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


# -- shared helpers ---------------------------------------------------------------------------
def _console(stderr: bool = False) -> Console:
    # Made per call: the current sys.stdout (CliRunner swaps it), no markup in
    # messages we did not write.
    return Console(highlight=False, stderr=stderr)


def _check(ok: bool, option: str, expected: str, got: object) -> None:
    """The CLI's one message format for bad option values."""
    if not ok:
        raise ValueError(f"{option} must be {expected}; got {got!r}.")


def _parse_lr(text: str) -> float | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        lr = float(text)
    except ValueError:
        lr = math.nan
    _check(math.isfinite(lr) and lr > 0, "--lr", "a positive number or 'auto'", text)
    return lr


def _prepare_out(out: Path) -> Path:
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


def _fmt(x: float) -> str:
    return f"{x:.8g}"


def _params_table(title: str, rows: Sequence[tuple[str, Any, float, float, float]]) -> Table:
    """Parameters, MSE and R² side by side.

    ``rows`` are ``(label, coef, intercept, mse, r2)``: ``coef`` of shape
    (n_features,), or a string/float for rows of differences.
    """
    n_features = max(np.size(r[1]) for r in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("", style="bold")
    names = ["weight"] if n_features == 1 else [f"w[{j}]" for j in range(n_features)]
    for col in [*names, "bias", "MSE", "R²"]:
        table.add_column(col, justify="right")
    for label, coef, intercept, mse, r2 in rows:
        cells = [c if isinstance(c, str) else _fmt(c) for c in np.ravel(np.asarray(coef, object))]
        rest = [c if isinstance(c, str) else _fmt(c) for c in (intercept, mse, r2)]
        table.add_row(label, *cells, *rest)
    return table


def _diagnostics_table(model: LinearRegression) -> Table:
    """``model.diagnostics_`` as a two-column table (rows from ``Diagnostics.rows``)."""
    return _key_value_table("Diagnostics", model.diagnostics_.rows())


def _fit_with_progress(
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


def _save_figures(out: Path, figures: dict[str, Callable[[Path], Any]]) -> list[Path]:
    """Render each ``name -> draw(path)`` into ``out`` and close the figure."""
    import matplotlib.pyplot as plt  # after lingrad.plots chose the backend

    written = []
    for name, draw in figures.items():
        target = out / name
        plt.close(draw(target))
        written.append(target)
    return written


def _print_json(doc: Any) -> None:
    """One JSON document on stdout, nothing else (no rich markup)."""
    from . import to_jsonable  # the one strict-JSON converter

    sys.stdout.write(json.dumps(to_jsonable(doc), indent=2, allow_nan=False) + "\n")


# -- files: data in, model in, results out -------------------------------------------------
def _split_names(values: Sequence[str] | None) -> list[str] | None:
    """Repeated options and comma lists as one list of names (None when not given)."""
    if values is None:
        return None
    names = [v.strip() for value in values for v in value.split(",")]
    return [n for n in names if n]


def _data_path(data: Path, label: str = "DATA") -> str:
    """The data file's path, after the checks whose library messages lack the CLI's fix."""
    where = os.fspath(data)
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


def _file_reader(path: str, chunk_rows: int) -> Dataset:
    """DATA opened for its columns (``.columns``, ``.format``), target or not."""
    from ._sources.files import DataFileError, open_dataset

    try:
        return open_dataset(path, target=None, chunk_rows=chunk_rows)
    except DataFileError as err:
        if "no data rows" in str(err) or "but no rows" in str(err):
            raise DataFileError(
                f"{err} Give a file with at least one data row after the header."
            ) from None
        raise


def _shown(columns: Sequence[str], limit: int = 12) -> str:
    more = len(columns) - limit
    return ", ".join(repr(c) for c in columns[:limit]) + (
        f", ... ({more} more)" if more > 0 else ""
    )


def _column_name(reader: Any, token: str) -> str:
    """A ``.npy`` column by index (``0``, ``-1``) as its name ``x{j}``; others unchanged."""
    if reader.format == "npy" and re.fullmatch(r"-?\d+", token):
        j, p = int(token), len(reader.columns)
        if -p <= j < p:
            return reader.columns[j]
    return token


def _need_columns(
    path: str, reader: Any, names: Sequence[str], role: str, fix: str | None = None
) -> None:
    """Every name in ``names`` is a column of the file, or an error naming the missing ones."""
    missing = [n for n in names if n not in reader.columns]
    if missing:
        npy = ""
        if reader.format == "npy":
            npy = " (a .npy array's columns are x0, x1, ... or 0, 1, ...)"
        fix = fix or f"Pass {role} with columns of this file."
        raise ValueError(
            f"DATA {path!r} has no column{'s' if len(missing) > 1 else ''} {_shown(missing)} "
            f"({role}). Its columns are: {_shown(reader.columns)}{npy}. {fix}"
        )


def _open_training(
    data: Path,
    target: Sequence[str],
    features: Sequence[str] | None,
    weight: str | None,
    chunk_rows: int,
) -> tuple[Dataset, list[str], list[str]]:
    """``open_dataset`` for ``fit``: (dataset, feature names, target names)."""
    from ._sources.files import open_dataset

    path = _data_path(data)
    reader = _file_reader(path, chunk_rows)
    targets = [_column_name(reader, t) for t in _split_names(target) or []]
    _check(bool(targets), "--target", "one or more column names", ",".join(target))
    _need_columns(path, reader, targets, "--target")
    if weight is not None:
        weight = _column_name(reader, weight)
        _need_columns(path, reader, [weight], "--weight")
    feats = _split_names(features)
    if feats is not None:
        _check(bool(feats), "--features", "one or more column names", ",".join(features or []))
        feats = [_column_name(reader, c) for c in feats]
        _need_columns(path, reader, feats, "--features")
    else:
        feats = [c for c in reader.columns if c not in targets and c != weight]
        if not feats:
            raise ValueError(
                f"DATA {path!r} has no feature columns besides the target and weight (its "
                f"columns are {_shown(reader.columns)}). Give a file with feature columns."
            )
    ds = open_dataset(
        path,
        target=targets[0] if len(targets) == 1 else targets,
        features=feats,
        weight=weight,
        chunk_rows=chunk_rows,
    )
    return ds, feats, targets


def _model_features(
    model: LinearRegression, path: str, reader: Any, exclude: Sequence[str]
) -> list[str]:
    """The file's columns that are the model's features, in the model's order.

    A model with feature names takes its columns by name (any order; other columns
    are ignored). A model without (fitted on a ``.npy`` file or unnamed arrays)
    takes the file's columns in order after dropping ``exclude`` (the target and
    weight columns), and they must be exactly its number of features.
    """
    names = getattr(model, "feature_names_in_", None)
    f = int(model.n_features_in_)
    if names is not None:
        names = [str(n) for n in names]
        missing = [n for n in names if n not in reader.columns]
        if missing:
            raise ValueError(
                f"DATA {path!r} lacks the model's feature column{'s' if len(missing) > 1 else ''} "
                f"{_shown(missing)}. The model needs {_shown(names)} (in any order, other "
                f"columns are ignored); the file has {_shown(reader.columns)}. Give DATA with "
                "every feature the model was fitted on, under the same names."
            )
        dups = sorted({n for n in names if reader.columns.count(n) > 1})
        if dups:
            raise ValueError(
                f"DATA {path!r} has the column name(s) {_shown(dups)} more than once in its "
                "header; give every column a distinct name."
            )
        return names
    cols = [c for c in reader.columns if c not in exclude]
    if len(cols) != f:
        besides = f" besides {_shown(list(exclude))}" if exclude else ""
        raise ValueError(
            f"The model has no feature names (it was fitted on a .npy file or unnamed arrays), "
            f"so DATA's columns are taken in order: it needs exactly {f} feature column(s), but "
            f"DATA {path!r} has {len(cols)}{besides} ({_shown(cols)}). Give DATA with exactly "
            "the model's features in order (and the target), or refit from a CSV/Parquet file "
            "so the model keeps its feature names."
        )
    return cols


def _model_targets(mf: ModelFile, target: Sequence[str] | None, reader: Any) -> list[str]:
    """--target, or the target names saved in the model file."""
    n_targets = 1 if np.ndim(mf.model.coef_) == 1 else int(np.shape(mf.model.coef_)[0])
    targets = _split_names(target)
    if targets:
        targets = [_column_name(reader, t) for t in targets]
    elif mf.target_names:
        targets = list(mf.target_names)
    else:
        raise ValueError(
            "The model file holds no target name, so the target column is unknown. Pass it "
            "with --target COL."
        )
    if len(targets) != n_targets:
        raise ValueError(
            f"--target names {len(targets)} column(s) ({_shown(targets)}) but the model "
            f"predicts {n_targets} target(s). Pass one --target column per target."
        )
    return targets


def _open_for_model(
    mf: ModelFile,
    data: Path,
    target: Sequence[str] | None,
    weight: str | None,
    chunk_rows: int,
) -> tuple[Dataset, list[str]]:
    """DATA with the model's features and targets: (dataset, target names)."""
    from ._sources.files import open_dataset

    path = _data_path(data)
    reader = _file_reader(path, chunk_rows)
    if (
        getattr(mf.model, "feature_names_in_", None) is None
        and reader.format != "npy"
        and not _split_names(target)
    ):
        raise ValueError(
            "The model has no feature names (it was fitted on a .npy file or unnamed arrays), "
            f"so DATA {path!r} is read by position: name its target column(s) with --target "
            "COL, and the other columns (but --weight) are taken as the features, in order."
        )
    targets = _model_targets(mf, target, reader)
    if _split_names(target):
        _need_columns(path, reader, targets, "--target")
    else:
        _need_columns(
            path,
            reader,
            targets,
            "the target saved in the model file",
            "Give DATA with the target column, or name it with --target COL.",
        )
    if weight is not None:
        weight = _column_name(reader, weight)
        _need_columns(path, reader, [weight], "--weight")
    exclude = [*targets, *([weight] if weight is not None else [])]
    feats = _model_features(mf.model, path, reader, exclude)
    ds = open_dataset(
        path,
        target=targets[0] if np.ndim(mf.model.coef_) == 1 else targets,
        features=feats,
        weight=weight,
        chunk_rows=chunk_rows,
    )
    return ds, targets


def _open_features(mf: ModelFile, data: Path, chunk_rows: int) -> tuple[Dataset, list[str]]:
    """DATA's feature columns only (the target may be absent): (dataset, feature columns)."""
    from ._sources.files import open_dataset

    path = _data_path(data)
    reader = _file_reader(path, chunk_rows)
    # Without feature names, only a .npy file's columns (x0, x1, ...) can name the target.
    exclude = (mf.target_names or []) if reader.format == "npy" else []
    feats = _model_features(mf.model, path, reader, exclude)
    # No target columns: chunks (X, Y of shape (n, 0), None), every cell checked.
    return open_dataset(path, target=None, features=feats, chunk_rows=chunk_rows), feats


def _read_model(model: Path) -> ModelFile:
    """The model file, with one-line messages for a path that is not a readable file."""
    from .persist import read_model_file

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


def _predict(model: LinearRegression, X: np.ndarray) -> np.ndarray:
    """``model.predict`` on a chunk whose columns were already matched by name."""
    with warnings.catch_warnings():
        # The chunk is an array; its columns are the model's features, matched by name.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return model.predict(X)


def _check_out_file(out: Path, example: str, option: str = "-o") -> Path:
    """Fail before any work when ``out`` cannot be written as a file (``example``: a name)."""
    check_output_path(out, f"{option} {os.fspath(out)!r}", example, f"mkdir -p {out.parent}")
    return out


def _atomic_output(out: Path, option: str = "-o") -> contextlib.AbstractContextManager[Path]:
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
            f'Writing predictions needs pyarrow: pip install "lingrad[files]" ({err}).'
        ) from err
    return pa, pacsv, pq


@contextlib.contextmanager
def _prediction_writer(path: Path, names: list[str], fmt: str) -> Iterator[Callable]:
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


def _load_in_memory(ds: Dataset, why: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
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


def _fit_dataset(model: LinearRegression, ds: Dataset, console: Console) -> int | None:
    """Fit ``model`` on ``ds``; return the number of rows when known.

    Full-batch fits stream the file (exact, from its sufficient statistics, or one
    pass per iteration with engine "direct"). ``--batch-size`` (mini-batch SGD
    reshuffles rows every epoch) loads the file into memory first, up to
    ``IN_MEMORY_LIMIT``; the model keeps the file's feature names either way.
    """
    if model.batch_size is None:
        _fit_with_progress(model, ds, None, console, reading=f"reading {Path(ds.path).name}")
        stats = model.stats_
        return None if stats is None else int(stats.n_samples)
    X, Y, w = _load_in_memory(ds, "--batch-size (mini-batch SGD shuffles the rows)")
    _fit_with_progress(model, X, Y[:, 0] if ds.one_d else Y, console, sample_weight=w)
    if ds.feature_names is not None:
        model.feature_names_in_ = np.asarray(ds.feature_names, dtype=object)
    return len(X)


def _by_target(values: np.ndarray, features: list[str], targets: list[str]) -> dict[str, Any]:
    """Coefficients as ``{feature: value}``, or ``{target: {feature: value}}`` for several."""
    C = np.atleast_2d(np.asarray(values, dtype=np.float64))
    per = [dict(zip(features, map(float, row), strict=True)) for row in C]
    return per[0] if np.ndim(values) == 1 else dict(zip(targets, per, strict=True))


def _coef_table(model: LinearRegression, features: list[str], targets: list[str]) -> Table:
    """Features down, targets across; the intercept last."""
    C = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    b = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    table = Table(title="Coefficients", title_justify="left")
    table.add_column("feature", style="bold")
    for t in targets:
        table.add_column(Text(t), justify="right")
    for j, name in enumerate(features):
        table.add_row(Text(name), *[Text(_fmt(C[i, j])) for i in range(len(C))])
    table.add_row(Text("(intercept)"), *[Text(_fmt(v)) for v in b])
    return table


def _key_value_table(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    """Two columns, no header: a quantity in bold, its value right-aligned."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(Text(key), Text(value))
    return table


def _sample(ds: Dataset, max_points: int) -> tuple[np.ndarray, np.ndarray, int]:
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
    from ._estimator import LinearRegression

    params = model.get_params(deep=False)
    params.update(record_path=True, verbose=False)
    refit = LinearRegression(**params)
    _fit_dataset(refit, ds, console)
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


def _metrics(model: LinearRegression, ds: Dataset) -> tuple[int, dict[str, np.ndarray]]:
    """n and per-target MSE, RMSE, MAE and R² of ``model`` on ``ds``, in one streamed pass.

    Sums of squared and absolute errors add up per chunk (``math.fsum`` of the chunks'
    pairwise sums); the total sum of squares for R² merges each chunk's mean and sum of
    squared deviations (Chan et al.'s update), never the cancelling ``Σy² - n ȳ²``.
    """
    k = ds.n_targets
    n = 0
    mean, m2 = np.zeros(k), np.zeros(k)
    sse_parts: list[np.ndarray] = []
    sae_parts: list[np.ndarray] = []
    for X, Y, _ in ds.iter_chunks():
        E = Y - _predict(model, X).reshape(len(X), -1)
        sse_parts.append((E * E).sum(axis=0))
        sae_parts.append(np.abs(E).sum(axis=0))
        nb = len(Y)
        mb = Y.mean(axis=0)
        m2b = ((Y - mb) ** 2).sum(axis=0)
        total = n + nb
        delta = mb - mean
        mean = mean + delta * (nb / total)
        m2 = m2 + m2b + delta * delta * (n * nb / total)
        n = total
    sse = np.array([math.fsum(col) for col in zip(*sse_parts, strict=True)])
    sae = np.array([math.fsum(col) for col in zip(*sae_parts, strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        # scikit-learn's r2_score for constant y: 1 for a perfect fit, else 0.
        r2 = np.where(m2 > 0, 1.0 - sse / m2, np.where(sse == 0, 1.0, 0.0))
    mse = sse / n
    return n, {"mse": mse, "rmse": np.sqrt(mse), "mae": sae / n, "r2": r2}


def _named_summaries(result: Any, names: Sequence[str] | None) -> list[Any]:
    """``model.summary()``'s result as a list, each labelled with its target's name."""
    summaries = result if isinstance(result, list) else [result]
    if names:
        summaries = [
            dataclasses.replace(s, target=str(name))
            for s, name in zip(summaries, names, strict=True)
        ]
    return summaries


# -- commands -----------------------------------------------------------------------------------
@command(
    epilog=_examples(
        "lingrad demo",
        "lingrad demo --out figures --lr auto --n-iters 50 --animate",
    )
)
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the figures (created if missing).")
    ] = Path("demo-out"),
    lr: Annotated[
        str, typer.Option("--lr", help="Learning rate: a positive number, or 'auto' (1/L).")
    ] = "0.01",
    n_iters: Annotated[int, typer.Option("--n-iters", help="Gradient-descent iterations.")] = 1000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Seed of the random start rand(1), as np.random.seed(SEED) in the tutorial "
            "(default 4, the data's own random_state).",
        ),
    ] = 4,
    animate: Annotated[
        bool, typer.Option("--animate", help="Also write training.gif (slower).")
    ] = False,
) -> None:
    """Reproduce the tutorial end to end: data, random start, 1000 GD steps, figures.

    Fits LinearRegression(lr, n_iters) on make_regression(n_samples=500,
    n_features=1, noise=15, random_state=4), compares it with the exact
    least-squares line (numpy.linalg.lstsq) and writes data.png,
    initial_fit.png, final_fit.png, loss.png, descent_path.png and
    coef_paths.png into --out, and prints the statistical summary (standard
    errors, t, p, intervals; its notes say how far 1000 steps stop from the
    exact optimum). A learning rate too large for the data is an error (with
    the largest stable one), not silently replaced.
    """
    from . import plots
    from ._estimator import LinearRegression
    from .datasets import make_tutorial_data

    rate = _parse_lr(lr)
    _check(n_iters >= 0, "--n-iters", "a whole number >= 0", n_iters)
    _check(0 <= seed < 2**32, "--seed", "an integer in [0, 2**32 - 1]", seed)
    out = _prepare_out(out)
    console = _console()

    X, y = make_tutorial_data()
    console.print(
        "Data: make_regression(n_samples=500, n_features=1, noise=15, random_state=4)\n"
        f"      X shape {X.shape}, y shape {y.shape}",
        markup=False,
        soft_wrap=True,
    )
    # RandomState(seed) draws what np.random.seed(seed); np.random.rand(1) would in the
    # tutorial, without touching NumPy's global state.
    model = LinearRegression(
        lr=rate,
        n_iters=n_iters,
        random_state=np.random.RandomState(seed),
        record_path=True,
        on_divergence="raise",
    )
    _fit_with_progress(model, X, y, console)

    A = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    var_y = float(np.var(y))
    mse_start = float(model.loss_history_[0])
    mse_fit = float(model.loss_history_[-1])
    mse_exact = float(np.mean((A @ exact - y) ** 2))
    gap_w = abs(float(model.coef_[0]) - exact[0])
    gap_b = abs(float(model.intercept_) - exact[1])
    rows = [
        ("start (random)", model.coef_init_, model.intercept_init_, mse_start,
         1 - mse_start / var_y),
        ("gradient descent", model.coef_, model.intercept_, mse_fit, model.score(X, y)),
        ("exact (lstsq)", exact[:1], exact[1], mse_exact, 1 - mse_exact / var_y),
        ("gap |GD - exact|", [f"{gap_w:.3e}"], f"{gap_b:.3e}", f"{mse_fit - mse_exact:.3e}", ""),
    ]  # fmt: skip
    title = f"Training: lr={model.lr_:g}, {model.n_iter_} iterations, seed {seed}"
    console.print(_params_table(title, rows))
    console.print(_diagnostics_table(model))
    console.print(model.summary())

    written = _save_figures(
        out,
        {
            "data.png": lambda p: plots.plot_data(X, y, path=p),
            "initial_fit.png": lambda p: plots.plot_fit(model, X, y, initial=True, path=p),
            "final_fit.png": lambda p: plots.plot_fit(model, X, y, path=p),
            "loss.png": lambda p: plots.plot_loss(model, path=p),
            "descent_path.png": lambda p: plots.plot_descent_path(model, X, y, path=p),
            "coef_paths.png": lambda p: plots.plot_coef_paths(model, path=p),
            **({"training.gif": lambda p: plots.animate_fit(model, X, y, p)} if animate else {}),
        },
    )
    console.print(
        f"Wrote {', '.join(p.name for p in written)} to {out}", markup=False, soft_wrap=True
    )


# -- option types shared by the commands ------------------------------------------------------
ModelArg = Annotated[
    Path, typer.Argument(help="Model file written by lingrad fit -o.", show_default=False)
]
ChunkRowsOpt = Annotated[
    int, typer.Option("--chunk-rows", help="Rows read at a time (memory ~ rows x columns x 8 B).")
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document (and nothing else) on stdout."),
]
TargetsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target column(s) in DATA (repeat or comma list); default: the names saved in "
        "the model file.",
        show_default=False,
    ),
]
WeightOpt = Annotated[
    str | None,
    typer.Option(
        "--weight", "-w", help="Column of sample weights (a weighted fit's).", show_default=False
    ),
]

_FIT_EXAMPLES = _examples(
    "lingrad fit data.csv --target y -o model.json",
    "lingrad fit data.parquet -t y --features x1,x2 --lr auto --optimizer nesterov "
    "--tol 1e-10 --n-iters 10000 -o model.json",
    "lingrad fit data.csv -t y1,y2 --weight w --alpha 0.1 --l1-ratio 0.5 -o model.json --json",
    "lingrad fit data.npy --target -1 -o model.json",
)


@command(epilog=_FIT_EXAMPLES)
def fit(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV (header row), Parquet or .npy file; read in chunks, so any size.",
            show_default=False,
        ),
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            help="Target column; repeat it or give a comma list for several targets.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Model file to write (JSON), atomically.", show_default=False
        ),
    ],
    features: Annotated[
        list[str] | None,
        typer.Option(
            "--features",
            "-f",
            help="Feature columns in this order (comma list or repeated); default: every column "
            "but the target(s) and the weight.",
            show_default=False,
        ),
    ] = None,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight", "-w", help="Column of non-negative sample weights.", show_default=False
        ),
    ] = None,
    lr: Annotated[
        str,
        typer.Option(
            "--lr", help="Learning rate: a positive number, or 'auto' (1/L, from the data)."
        ),
    ] = "0.01",
    n_iters: Annotated[
        int, typer.Option("--n-iters", help="Iteration budget (epochs with --batch-size).")
    ] = 1000,
    tol: Annotated[
        float | None,
        typer.Option(
            "--tol",
            help="Stop once the gradient norm is below TOL times its start; default: run every "
            "iteration.",
            show_default=False,
        ),
    ] = None,
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="gd, momentum, nesterov or adam.")
    ] = "gd",
    alpha: Annotated[
        float, typer.Option("--alpha", help="Penalty strength (elastic net); 0: no penalty.")
    ] = 0.0,
    l1_ratio: Annotated[
        float, typer.Option("--l1-ratio", help="Share of L1 in the penalty: 0 ridge, 1 lasso.")
    ] = 0.0,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            help="Mini-batch SGD with this many rows per batch. It reshuffles rows every "
            "epoch, so DATA is loaded into memory (refused above 1 GiB of numbers); without "
            "it the file is streamed.",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="stats (one pass, then O(f²) per iteration), direct (a pass per iteration) "
            "or auto.",
        ),
    ] = "auto",
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the random starting weights (and SGD shuffling)."),
    ] = 0,
    on_divergence: Annotated[
        str,
        typer.Option(
            "--on-divergence",
            help="A learning rate too large for the data: recover (warn, refit with lr=auto) "
            "or raise (an error).",
        ),
    ] = "recover",
    chunk_rows: ChunkRowsOpt = 65536,
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
    """
    from ._estimator import ENGINES, LinearRegression
    from ._optimizers import OPTIMIZERS

    rate = _parse_lr(lr)
    _check(n_iters >= 0, "--n-iters", "a whole number >= 0", n_iters)
    _check(tol is None or (math.isfinite(tol) and tol > 0), "--tol", "a positive number", tol)
    _check(optimizer in OPTIMIZERS, "--optimizer", f"one of {', '.join(OPTIMIZERS)}", optimizer)
    _check(engine in ENGINES, "--engine", f"one of {', '.join(ENGINES)}", engine)
    _check(math.isfinite(alpha) and alpha >= 0, "--alpha", "a number >= 0", alpha)
    _check(0 <= l1_ratio <= 1, "--l1-ratio", "a number between 0 and 1", l1_ratio)
    _check(batch_size is None or batch_size >= 1, "--batch-size", "a whole number >= 1", batch_size)
    _check(0 <= seed < 2**32, "--seed", "an integer in [0, 2**32 - 1]", seed)
    _check(
        on_divergence in ("recover", "raise"), "--on-divergence", "recover or raise", on_divergence
    )
    _check(chunk_rows >= 1, "--chunk-rows", "a whole number >= 1", chunk_rows)
    _check_out_file(out, "model.json")
    ds, feats, targets = _open_training(data, target, features, weight, chunk_rows)
    model = LinearRegression(
        lr=rate,
        n_iters=n_iters,
        tol=tol,
        optimizer=optimizer,
        alpha=alpha,
        l1_ratio=l1_ratio,
        batch_size=batch_size,
        engine=engine,
        random_state=seed,
        on_divergence=on_divergence,
    )
    n_rows = _fit_dataset(model, ds, _console(stderr=json_out))
    model.save(out, target_names=targets)
    loss = float(model.loss_history_[-1])
    if json_out:
        _print_json(
            {
                "model": os.fspath(out),
                "data": ds.path,
                "n_samples": n_rows,
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
                "lr": float(model.lr_),
                "engine": model.engine_,
                "optimizer": optimizer,
                "loss": loss,
                "diagnostics": model.diagnostics_.to_dict(),
            }
        )
        return
    console = _console()
    console.print(_coef_table(model, feats, targets))
    rows = [
        ("data", ds.path + (f" ({n_rows} rows)" if n_rows is not None else "")),
        ("iterations", f"{model.n_iter_} of {n_iters}" + (" epochs" if batch_size else "")),
        ("stop reason", f"{model.stop_reason_} (converged: {'yes' if model.converged_ else 'no'})"),
        ("final MSE (training)", _fmt(loss)),
        ("engine", model.engine_),
        ("optimizer", optimizer),
        ("learning rate used", f"{model.lr_:.6g}"),
    ]
    console.print(_key_value_table("Training", rows))
    console.print(_diagnostics_table(model))
    console.print(f"Saved the model to {os.fspath(out)}", markup=False, soft_wrap=True)


_PREDICT_EXAMPLES = _examples(
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
        typer.Option(
            "--out",
            "-o",
            help="Predictions file, .csv or .parquet (format from the suffix); written atomically.",
            show_default=False,
        ),
    ],
    chunk_rows: ChunkRowsOpt = 65536,
) -> None:
    """Predict every row of a data file with a saved model, streaming, into a CSV or Parquet file.

    One prediction per row of DATA, in order, in a column named after the model's
    target (saved by lingrad fit), or "prediction". Columns are matched by name:
    reordered columns are fine, a missing feature column is an error. Rows are
    read, predicted and written chunk by chunk, so DATA may be larger than memory;
    the output appears only when complete.
    """
    _check(chunk_rows >= 1, "--chunk-rows", "a whole number >= 1", chunk_rows)
    _check_out_file(out, "predictions.csv")
    suffix = out.suffix.lower()
    _check(
        suffix in _PREDICTION_SUFFIXES,
        "-o",
        "a file ending in .csv or .parquet (the format follows the suffix)",
        os.fspath(out),
    )
    mf = _read_model(model)
    ds, _ = _open_features(mf, data, chunk_rows)
    k = 1 if np.ndim(mf.model.coef_) == 1 else int(np.shape(mf.model.coef_)[0])
    names = list(mf.target_names or (["prediction"] if k == 1 else []))
    names = names or [f"prediction_{j}" for j in range(k)]
    n = 0
    with (
        _atomic_output(out) as tmp,
        _prediction_writer(tmp, names, "csv" if suffix == ".csv" else "parquet") as write,
    ):
        for X, _, _ in ds.iter_chunks():
            write(_predict(mf.model, X).reshape(len(X), -1))
            n += len(X)
    _console().print(
        f"Wrote {n} predictions ({', '.join(names)}) to {os.fspath(out)}",
        markup=False,
        soft_wrap=True,
    )


_EVALUATE_EXAMPLES = _examples(
    "lingrad evaluate model.json test.csv",
    "lingrad evaluate model.json test.parquet --target price --json",
)


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
    chunk_rows: ChunkRowsOpt = 65536,
    json_out: JsonOpt = False,
) -> None:
    """Score a saved model on a data file: n, MSE, RMSE, MAE and R², in one streamed pass.

    The numbers are scikit-learn's (mean_squared_error, root_mean_squared_error,
    mean_absolute_error, r2_score, unweighted); with several targets each is
    shown per target and averaged uniformly, as scikit-learn does. R² uses a
    numerically careful streaming variance (chunk means merged, no Σy² - nȳ²).
    """
    _check(chunk_rows >= 1, "--chunk-rows", "a whole number >= 1", chunk_rows)
    mf = _read_model(model)
    ds, targets = _open_for_model(mf, data, target, None, chunk_rows)
    n, per = _metrics(mf.model, ds)
    average = {name: float(np.mean(v)) for name, v in per.items()}
    if json_out:
        _print_json(
            {
                "model": os.fspath(model),
                "data": ds.path,
                "n": n,
                **average,
                "targets": {
                    t: {name: float(v[i]) for name, v in per.items()} for i, t in enumerate(targets)
                },
            }
        )
        return
    console = _console()
    console.print(f"{os.fspath(model)} on {ds.path}: {n} rows", markup=False, soft_wrap=True)
    table = Table(title="Evaluation", title_justify="left")
    table.add_column("metric", style="bold")
    for t in targets:
        table.add_column(Text(t), justify="right")
    if len(targets) > 1:
        table.add_column("average", justify="right")
    for name, label in (("mse", "MSE"), ("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²")):
        cells = [_fmt(v) for v in per[name]]
        if len(targets) > 1:
            cells.append(_fmt(average[name]))
        table.add_row(label, *cells)
    console.print(table)


_SUMMARY_EXAMPLES = _examples(
    "lingrad summary model.json",
    "lingrad summary model.json train.csv --cov-type HC3",
    "lingrad summary model.json --alpha 0.01 --json",
)


@command(epilog=_SUMMARY_EXAMPLES)
def summary(
    model: ModelArg,
    data: Annotated[
        Path | None,
        typer.Argument(
            help="The training data (needed for robust --cov-type, and for models fitted with "
            "--engine direct).",
            show_default=False,
        ),
    ] = None,
    cov_type: Annotated[
        str,
        typer.Option("--cov-type", help="nonrobust, or heteroscedasticity-robust HC0 to HC3."),
    ] = "nonrobust",
    alpha: Annotated[
        float,
        typer.Option("--alpha", help="Significance level of the intervals (0.05: 95%)."),
    ] = 0.05,
    target: TargetsOpt = None,
    weight: WeightOpt = None,
    chunk_rows: ChunkRowsOpt = 65536,
    json_out: JsonOpt = False,
) -> None:
    """Statistical summary of a saved model: statsmodels' OLS/WLS table.

    Standard errors, t, p-values, confidence intervals, R², F, log-likelihood,
    AIC and BIC, computed from the sufficient statistics stored in the model
    file (no data needed). Robust covariances (HC0-HC3) sum over every residual:
    give the training DATA, streamed once more. The notes say when classical
    inference does not apply (penalised or unconverged fits). --json prints the
    summary as a JSON object (a list of them for several targets).
    """
    cov = {c.lower(): c for c in _COV_TYPES}.get(cov_type.lower())
    _check(cov is not None, "--cov-type", f"one of {', '.join(_COV_TYPES)}", cov_type)
    _check(0 < alpha < 1, "--alpha", "a number between 0 and 1 (0.05: 95% intervals)", alpha)
    _check(chunk_rows >= 1, "--chunk-rows", "a whole number >= 1", chunk_rows)
    mf = _read_model(model)
    m = mf.model
    names = mf.target_names
    if data is None:
        if target or weight is not None:
            raise ValueError(
                "--target and --weight choose columns of DATA: pass DATA too "
                f"(lingrad summary {os.fspath(model)} DATA ...)."
            )
        if cov != "nonrobust":
            raise ValueError(
                f"--cov-type {cov} needs the training DATA: a robust covariance sums over every "
                "residual, which the model file does not hold. Run lingrad summary "
                f"{os.fspath(model)} DATA --cov-type {cov}."
            )
        if m.stats_ is None:
            raise ValueError(
                f"MODEL {os.fspath(model)!r} holds no sufficient statistics (it was fitted with "
                "the direct engine), so the summary needs the training data: run lingrad summary "
                f"{os.fspath(model)} DATA."
            )
        result = m.summary(alpha=alpha)
    else:
        if weight is None and m.stats_ is not None and m.stats_.weighted:
            raise ValueError(
                "The model was fitted with sample weights: name the weight column of DATA with "
                "--weight COL, so that DATA is the data the model was fitted on."
            )
        ds, names = _open_for_model(mf, data, target, weight, chunk_rows)
        result = m.summary(ds, cov_type=cov, alpha=alpha)
    summaries = _named_summaries(result, names)
    if json_out:
        docs = [s.to_dict() for s in summaries]
        _print_json(docs[0] if not isinstance(result, list) else docs)
        return
    console = _console()
    for s in summaries:
        console.print(s)


_PLOT_EXAMPLES = _examples(
    "lingrad plot model.json data.csv --kind residuals -o residuals.png",
    "lingrad plot model.json --kind loss -o loss.svg",
    "lingrad plot model.json data.csv --kind path -o descent.png",
    "lingrad plot model.json data.csv --kind animation -o training.gif",
)


@command(epilog=_PLOT_EXAMPLES)
def plot(
    model: ModelArg,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="fit, loss, residuals, predicted, path, coef-paths or animation.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Figure file: .png, .svg, .pdf, ... (.gif for animation); written atomically.",
            show_default=False,
        ),
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
    chunk_rows: ChunkRowsOpt = 65536,
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
    from matplotlib.backend_bases import FigureCanvasBase

    _check(kind in _PLOT_KINDS, "--kind", f"one of {', '.join(_PLOT_KINDS)}", kind)
    _check_out_file(out, f"{kind}.gif" if kind == "animation" else f"{kind}.png")
    suffix = out.suffix.lower()
    if kind == "animation":
        _check(suffix == ".gif", "-o", "a .gif file for --kind animation", os.fspath(out))
    else:
        formats = FigureCanvasBase.get_supported_filetypes()
        _check(
            suffix[1:] in formats,
            "-o",
            "a figure file ending in .png, .svg, .pdf or another matplotlib format",
            os.fspath(out),
        )
    _check(max_points >= 2, "--max-points", "a whole number >= 2", max_points)
    _check(chunk_rows >= 1, "--chunk-rows", "a whole number >= 1", chunk_rows)
    mf = _read_model(model)
    f = int(mf.model.n_features_in_)
    k = 1 if np.ndim(mf.model.coef_) == 1 else int(np.shape(mf.model.coef_)[0])
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
    from . import plots

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
        ds, _ = _open_for_model(mf, data, target, weight, chunk_rows)
        fitted = mf.model
        if kind in ("path", "coef-paths", "animation"):
            fitted = _refit_with_path(mf.model, ds, _console())
        X = y = None
        if kind != "coef-paths":
            X, Y, n = _sample(ds, max_points)
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
        draw = figures[kind]
    import matplotlib.pyplot as plt  # after lingrad.plots chose the backend

    with _atomic_output(out) as tmp:
        plt.close(draw(tmp))
    _console().print(f"Wrote {os.fspath(out)}{note}", markup=False, soft_wrap=True)
