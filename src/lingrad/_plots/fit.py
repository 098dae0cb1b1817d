"""The data and the model's line: still, at the start, or animated while it trains."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .base import DATA_STYLE, PathLike, check_model, check_xy, figure, line_label, predict, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from .._estimator import LinearRegression

__all__ = ["animate_fit", "plot_data", "plot_fit"]


def plot_data(
    X: ArrayLike, y: ArrayLike, *, ax: Axes | None = None, path: PathLike | None = None
) -> Figure:
    """Scatter plot of a one-feature data set (the tutorial's first figure).

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    y : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    path : str or path-like, optional
        Save the figure there (format from the suffix, PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    X, y = check_xy(X, y, "plot_data", one_feature=True)
    fig, ax = figure(ax)
    ax.scatter(X[:, 0], y, **DATA_STYLE, label=f"data ({len(y)} samples)")
    ax.set(xlabel="x", ylabel="y", title="Data")
    ax.legend(loc="best")
    return save(fig, path)


def plot_fit(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    *,
    initial: bool = False,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The data and the model's line: fitted, or at the random start.

    Parameters
    ----------
    model : LinearRegression
        Fitted on one feature and one target.
    X : array-like of shape (n_samples, 1)
    y : array-like of shape (n_samples,)
    initial : bool, default=False
        Draw the line at the starting point (``coef_init_``, ``intercept_init_``)
        instead of the fitted one.
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    check_model(model, "plot_fit")
    X, y = check_xy(X, y, "plot_fit", model=model, one_feature=True)
    if initial:
        w, b = float(model.coef_init_[0]), float(model.intercept_init_)
        what, title, color = "random start", "Line at the random start", "tab:red"
    else:
        w, b = float(model.coef_[0]), float(model.intercept_)
        what = "fitted"
        title = f"Fitted line after {model.n_iter_} iterations"
        color = "black"
    fig, ax = figure(ax)
    ax.scatter(X[:, 0], y, **DATA_STYLE, label="data")
    xs = np.array([X[:, 0].min(), X[:, 0].max()])
    ax.plot(xs, w * xs + b, color=color, lw=2, label=line_label(what, w, b))
    mse = np.mean((predict([w], b, X) - y) ** 2)
    ax.set(xlabel="x", ylabel="y", title=f"{title} (MSE {mse:.4g})")
    ax.legend(loc="best")
    return save(fig, path)


def animate_fit(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    path: PathLike,
    *,
    max_frames: int = 60,
    fps: int = 10,
) -> Figure:
    """Animated GIF of the line moving while it trains.

    Frames are spaced geometrically over the iterations (gradient descent moves
    most at the start), at most ``max_frames`` of them, first and last included.

    Parameters
    ----------
    model : LinearRegression
        Fitted with ``record_path=True`` on one feature and one target.
    X : array-like of shape (n_samples, 1)
    y : array-like of shape (n_samples,)
    path : str or path-like
        Where to write the GIF; must end in ``.gif``.
    max_frames : int, default=60
    fps : int, default=10
        Frames per second.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure in its last frame.
    """
    check_model(model, "animate_fit", path=True)
    X, y = check_xy(X, y, "animate_fit", model=model, one_feature=True)
    if os.path.splitext(os.fspath(path))[1].lower() != ".gif":
        raise ValueError(f"animate_fit writes a GIF: give a path ending in .gif; got {path!r}.")
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
        raise ValueError(f"animate_fit needs max_frames >= 2; got {max_frames!r}.")
    if isinstance(fps, bool) or not isinstance(fps, int) or fps < 1:
        raise ValueError(f"animate_fit needs a positive integer fps; got {fps!r}.")
    from matplotlib.animation import FuncAnimation, PillowWriter

    n = model.n_iter_
    frames = np.unique(np.concatenate([[0], np.geomspace(1, n + 1, max_frames - 1).round() - 1]))
    frames = frames.astype(int)
    W = model.coef_path_[:, 0]
    B = model.intercept_path_
    xs = np.array([X[:, 0].min(), X[:, 0].max()])

    fig, ax = figure(None, figsize=(5.0, 3.75))
    ax.scatter(X[:, 0], y, **DATA_STYLE, label="data")
    (line,) = ax.plot(xs, W[0] * xs + B[0], color="black", lw=2, label="model")
    ax.set(xlabel="x", ylabel="y")
    ax.legend(loc="upper left")
    pad = 0.1 * (y.max() - y.min() + 1e-12)
    ax.set_ylim(min(y.min(), (W * xs[0] + B).min(), (W * xs[1] + B).min()) - pad,
                max(y.max(), (W * xs[0] + B).max(), (W * xs[1] + B).max()) + pad)  # fmt: skip

    def draw(i: int) -> tuple:
        line.set_ydata(W[i] * xs + B[i])
        ax.set_title(f"iteration {i}/{n}: MSE {model.loss_history_[i]:.4g}")
        return (line,)

    anim = FuncAnimation(fig, draw, frames=frames, blit=False)
    anim.save(os.fspath(path), writer=PillowWriter(fps=fps), dpi=80)
    return fig
