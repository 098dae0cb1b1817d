"""The ``lingrad`` command line (typer + rich).

Layout, for whoever adds a command:

* one small function per command, registered with ``@command`` (not
  ``@app.command``): it adds the shared error handling, so every lingrad,
  ``ValueError``, ``OSError`` or missing-extra ``ImportError`` becomes one line
  ``Error: <message>`` on stderr and exit status 1, and every warning one line
  ``Warning: <message>``. Usage errors stay typer's (exit status 2).
* commands validate their own options with :func:`_check` (messages name the
  option as the user typed it), then call only lingrad's public API.
* output goes through :func:`_console` (rich tables on stdout); the shared
  renderers :func:`_params_table` and :func:`_diagnostics_table` are meant
  for ``fit``/``summary`` too.

typer and rich are an optional extra; without them :func:`main` prints how to
install it. Annotations stay strings (``from __future__ import annotations``),
so this module imports without typer.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import numpy as np

from ._version import __version__

try:
    import typer
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised only without the extra
    typer = None

if TYPE_CHECKING:
    from ._estimator import LinearRegression

__all__ = ["app", "main"]

INSTALL_HINT = 'lingrad\'s command line needs typer and rich: pip install "lingrad[cli]"'
F = TypeVar("F", bound=Callable[..., Any])


# -- the application and its shared error handling -----------------------------------------
def _one_line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


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
            print(f"Warning: {_one_line(message)}", file=sys.stderr)

        with warnings.catch_warnings():
            warnings.showwarning = show
            try:
                return fn(*args, **kwargs)
            except (ValueError, OSError, ImportError) as err:
                # DivergenceError and NotFittedError are ValueErrors.
                print(f"Error: {_one_line(err)}", file=sys.stderr)
                raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def command(fn: F | None = None, *, name: str | None = None) -> Any:
    """Register ``fn`` as a subcommand, with the shared error handling.

    Use as ``@command`` or ``@command(name="...")``; the docstring is the help
    (its first line is the summary in ``lingrad --help``).
    """

    def register(f: F) -> F:
        if app is not None:
            app.command(name=name or f.__name__.replace("_", "-"))(_handle_errors(f))
        return f

    return register(fn) if fn is not None else register


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``lingrad`` script (and ``python -m lingrad``)."""
    if app is None:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(1)
    app(args=list(argv) if argv is not None else None, prog_name="lingrad")


# -- shared helpers ---------------------------------------------------------------------------
def _console() -> Console:
    # Made per call: the current sys.stdout (CliRunner swaps it), no markup in
    # messages we did not write.
    return Console(highlight=False)


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
    table = Table(title="Diagnostics", title_justify="left", show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key, value in model.diagnostics_.rows():
        table.add_row(Text(key), Text(value))
    return table


def _fit_with_progress(
    model: LinearRegression, X: np.ndarray, y: np.ndarray, console: Console
) -> LinearRegression:
    """``model.fit(X, y)`` behind a rich progress bar when stdout is a terminal."""
    if not console.is_terminal:
        return model.fit(X, y)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    total = int(model.n_iters)
    every = max(1, total // 200)
    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("MSE {task.fields[mse]}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("fit", total=total, mse="")

        def tick(iteration: int, mse: float) -> None:
            if iteration % every == 0 or iteration == total:
                progress.update(task, completed=iteration, mse=f"{mse:.6g}")

        return model.fit(X, y, callback=tick)


def _save_figures(out: Path, figures: dict[str, Callable[[Path], Any]]) -> list[Path]:
    """Render each ``name -> draw(path)`` into ``out`` and close the figure."""
    import matplotlib.pyplot as plt  # after lingrad.plots chose the backend

    written = []
    for name, draw in figures.items():
        target = out / name
        plt.close(draw(target))
        written.append(target)
    return written


# -- commands -----------------------------------------------------------------------------------
@command
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
    coef_paths.png into --out. A learning rate too large for the data is an
    error (with the largest stable one), not silently replaced.
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
