"""``lingrad demo``: the tutorial end to end (data, random start, gradient descent, figures)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lingrad import LinearRegression, exact_optimum, render, stop_explanation
from lingrad.datasets import make_tutorial_data

from .app import command, examples
from .io import prepare_out
from .options import TolOpt, check_param, check_seed, parse_lr
from .render import console as make_console
from .render import diagnostics_table, params_table
from .training import fit_with_progress

__all__ = ["demo"]


def _comparison_rows(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Start, gradient descent, the exact least-squares line and the gap, as table rows."""
    A = np.column_stack([X, np.ones(len(X))])
    coef, intercept = exact_optimum(X, y)
    exact = np.append(coef, intercept)
    var_y = float(np.var(y))
    mse_start = float(model.loss_history_[0])
    mse_fit = float(model.loss_history_[-1])
    mse_exact = float(np.mean((A @ exact - y) ** 2))
    gap_w = abs(float(model.coef_[0]) - exact[0])
    gap_b = abs(float(model.intercept_) - exact[1])
    return [
        ("start (random)", model.coef_init_, model.intercept_init_, mse_start,
         1 - mse_start / var_y),
        ("gradient descent", model.coef_, model.intercept_, mse_fit, model.score(X, y)),
        ("exact (lstsq)", exact[:1], exact[1], mse_exact, 1 - mse_exact / var_y),
        ("gap |GD - exact|", [f"{gap_w:.3e}"], f"{gap_b:.3e}", f"{mse_fit - mse_exact:.3e}", ""),
    ]  # fmt: skip


def _figures(
    model: LinearRegression, X: np.ndarray, y: np.ndarray, animate: bool
) -> dict[str, Callable[[Path], Any]]:
    """The demo's figures: file name -> ``draw(path)`` returning the figure."""
    from lingrad import plots

    return {
        "data.png": lambda p: plots.plot_data(X, y, path=p),
        "initial_fit.png": lambda p: plots.plot_fit(model, X, y, initial=True, path=p),
        "final_fit.png": lambda p: plots.plot_fit(model, X, y, path=p),
        "loss.png": lambda p: plots.plot_loss(model, path=p),
        "descent_path.png": lambda p: plots.plot_descent_path(model, X, y, path=p),
        "coef_paths.png": lambda p: plots.plot_coef_paths(model, path=p),
        **({"training.gif": lambda p: plots.animate_fit(model, X, y, p)} if animate else {}),
    }


def _save_figures(out: Path, figures: dict[str, Callable[[Path], Any]]) -> list[Path]:
    """Render each ``name -> draw(path)`` into ``out`` and close the figure."""
    import matplotlib.pyplot as plt  # after lingrad.plots chose the backend

    written = []
    for name, draw in figures.items():
        target = out / name
        plt.close(draw(target))
        written.append(target)
    return written


@command(
    epilog=examples(
        "lingrad demo",
        "lingrad demo --out figures --lr auto --n-iters 50 --animate",
        "lingrad demo --lr auto --tol 1e-10",
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
    tol: TolOpt = None,
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
    least-squares line (numpy.linalg.lstsq), says why the fit stopped (every
    --n-iters ran, or --tol was met by lingrad's stopping rule, with the
    distance measured at the end) and writes data.png,
    initial_fit.png, final_fit.png, loss.png, descent_path.png and
    coef_paths.png into --out, and prints the statistical summary (standard
    errors, t, p, intervals; its notes say how far 1000 steps stop from the
    exact optimum). A learning rate too large for the data is an error (with
    the largest stable one), not silently replaced.
    """
    rate = parse_lr(lr)
    check_param("n_iters", n_iters)
    check_param("tol", tol)
    check_seed(seed)
    out = prepare_out(out)
    console = make_console()

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
        tol=tol,
        random_state=np.random.RandomState(seed),
        record_path=True,
        on_divergence="raise",
    )
    fit_with_progress(model, X, y, console)

    title = f"Training: lr={model.lr_:g}, {model.n_iter_} iterations, seed {seed}"
    console.print(params_table(title, _comparison_rows(model, X, y)))
    why = render(stop_explanation(model).parts, "cli")
    console.print(why, markup=False, soft_wrap=True)
    console.print(diagnostics_table(model))
    console.print(model.summary())
    written = _save_figures(out, _figures(model, X, y, animate))
    console.print(
        f"Wrote {', '.join(p.name for p in written)} to {out}", markup=False, soft_wrap=True
    )
