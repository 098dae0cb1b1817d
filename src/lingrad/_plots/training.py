"""Training curves: the loss and the parameters over the iterations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import PathLike, check_model, figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .._estimator import LinearRegression

__all__ = ["plot_coef_paths", "plot_loss"]


def plot_loss(
    model: LinearRegression, *, ax: Axes | None = None, path: PathLike | None = None
) -> Figure:
    """Mean squared error at the start and after every iteration, log scale.

    Parameters
    ----------
    model : LinearRegression
        Fitted (any number of features and targets).
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    check_model(model, "plot_loss", single_target=False)
    loss = np.asarray(model.loss_history_, dtype=np.float64)  # (n_iter_ + 1,)
    fig, ax = figure(ax)
    ax.plot(np.arange(len(loss)), loss, color="tab:blue", lw=1.5)
    if (loss > 0).any():
        ax.set_yscale("log")
    ax.set(
        xlabel="iteration",
        ylabel="MSE",
        title=f"Training loss: {loss[0]:.4g} → {loss[-1]:.4g} in {model.n_iter_} iterations",
    )
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)


def plot_coef_paths(
    model: LinearRegression, *, ax: Axes | None = None, path: PathLike | None = None
) -> Figure:
    """Trajectories of the coefficients and the intercept over the iterations.

    Dashed lines mark the exact optimum when the fit computed it
    (``diagnostics_.exact_coef``).

    Parameters
    ----------
    model : LinearRegression
        Fitted with ``record_path=True``.
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    check_model(model, "plot_coef_paths", single_target=False, path=True)
    steps = len(model.coef_path_)
    W = np.asarray(model.coef_path_, dtype=np.float64).reshape(steps, -1)  # (n_iter_+1, k*f)
    B = np.asarray(model.intercept_path_, dtype=np.float64).reshape(steps, -1)  # (n_iter_+1, k)
    d = getattr(model, "diagnostics_", None)
    exact_w = exact_b = None
    if d is not None and d.exact_coef is not None:
        exact_w = np.ravel(d.exact_coef)
        exact_b = np.ravel(d.exact_intercept)
    multi = np.ndim(model.coef_) == 2
    f = model.n_features_in_
    names = [f"w[{j // f},{j % f}]" if multi else f"w[{j}]" for j in range(W.shape[1])]
    bnames = [f"b[{t}]" if multi else "b" for t in range(B.shape[1])]
    if W.shape[1] == 1 and not multi:
        names = ["w"]

    fig, ax = figure(ax)
    it = np.arange(steps)
    series = [(names, W, exact_w)]
    if model.fit_intercept:
        series.append((bnames, B, exact_b))
    shown = 0
    for labels, values, exact in series:
        for j, label in enumerate(labels):
            color = f"C{shown % 10}"
            ax.plot(it, values[:, j], color=color, lw=1.5, label=label if shown < 10 else None)
            if exact is not None:
                ax.axhline(exact[j], color=color, lw=0.8, ls="--")
            shown += 1
    ax.set(xlabel="iteration", ylabel="value", title="Parameter paths (dashed: exact optimum)")
    if shown > 10:
        ax.set_title(f"Parameter paths ({shown} curves, first 10 labelled)")
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    return save(fig, path)
