"""Figures of a fitted :class:`~lingrad.LinearRegression` (matplotlib, imported lazily).

Every function draws from the public attributes of a fitted model and the data,
returns a :class:`matplotlib.figure.Figure` and, when ``path`` is given, saves it
there (PNG unless the file name says otherwise; :func:`animate_fit` writes a GIF).
matplotlib is imported only when a function is called, never by ``import lingrad``.
On a Linux machine without a display and with no backend chosen (``MPLBACKEND``),
the non-interactive ``Agg`` backend is selected so that figures render anywhere.

Install the extras with ``pip install "lingrad[plot]"``.

Examples
--------
>>> from lingrad import LinearRegression
>>> from lingrad.datasets import make_tutorial_data
>>> from lingrad.plots import plot_fit
>>> X, y = make_tutorial_data()
>>> model = LinearRegression(random_state=0).fit(X, y)
>>> fig = plot_fit(model, X, y)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from ._estimator import LinearRegression

__all__ = [
    "animate_fit",
    "plot_coef_paths",
    "plot_data",
    "plot_descent_path",
    "plot_fit",
    "plot_loss",
    "plot_predicted_vs_actual",
    "plot_residuals",
]

PathLike = str | os.PathLike

_DATA_STYLE = {"s": 12, "alpha": 0.6, "color": "tab:blue", "edgecolors": "none"}


# -- plumbing -------------------------------------------------------------------------------
def _pyplot() -> Any:
    """Import pyplot, choosing ``Agg`` first on a headless Linux machine."""
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError('lingrad.plots needs matplotlib: pip install "lingrad[plot]"') from err
    headless = (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.8)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _save(fig: Figure, path: PathLike | None) -> Figure:
    if path is not None:
        fig.savefig(os.fspath(path))
    return fig


def _check_model(
    model: LinearRegression, func: str, *, single_target: bool = True, path: bool = False
) -> None:
    """A fitted model (with one target, with a recorded path when asked)."""
    if not hasattr(model, "coef_") or not hasattr(model, "loss_history_"):
        raise ValueError(
            f"{func} needs a fitted lingrad LinearRegression; got {type(model).__name__} "
            "without coef_. Call model.fit(X, y) first."
        )
    if single_target and np.ndim(model.coef_) != 1:
        raise ValueError(
            f"{func} draws one target; this model was fitted on "
            f"{np.shape(model.coef_)[0]} targets (coef_ of shape {np.shape(model.coef_)}). "
            "Refit on one column of y."
        )
    if path:
        coef_path = getattr(model, "coef_path_", None)
        if (
            not getattr(model, "record_path", False)
            or coef_path is None
            or len(coef_path) != model.n_iter_ + 1
        ):
            raise ValueError(
                f"{func} needs the iterates of the fit, which this model did not keep. "
                "Refit with LinearRegression(..., record_path=True)."
            )


def _check_xy(
    X: ArrayLike,
    y: ArrayLike,
    func: str,
    *,
    model: LinearRegression | None = None,
    one_feature: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense float X of shape (n, f) and y of shape (n,), finite and consistent."""
    if hasattr(X, "toarray"):  # scipy.sparse
        X = X.toarray()
    try:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{func} needs numeric X and y: {err}") from err
    if X.ndim != 2:
        hint = " Use X.reshape(-1, 1) for one feature." if X.ndim == 1 else ""
        raise ValueError(
            f"{func} needs X of shape (n_samples, n_features); got shape {X.shape}.{hint}"
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{func} needs y of shape (n_samples,); got shape {y.shape}.")
    if len(X) != len(y):
        raise ValueError(
            f"{func} needs one y per row of X; got X with {len(X)} rows and y with {len(y)}."
        )
    if len(X) == 0:
        raise ValueError(f"{func} needs at least one sample; got X of shape {X.shape}.")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError(f"{func} needs finite X and y; remove NaN and inf first.")
    if one_feature and X.shape[1] != 1:
        raise ValueError(
            f"{func} draws a line over one feature; X has {X.shape[1]} features. "
            "Use plot_predicted_vs_actual or plot_residuals for several features."
        )
    if model is not None and X.shape[1] != model.n_features_in_:
        raise ValueError(
            f"{func} needs X with the {model.n_features_in_} feature(s) the model was fitted "
            f"on; got {X.shape[1]}."
        )
    return X, y


def _predict(coef: np.ndarray, intercept: float, X: np.ndarray) -> np.ndarray:
    return X @ np.asarray(coef, dtype=np.float64) + float(intercept)


def _line_label(what: str, w: float, b: float) -> str:
    return f"{what}: y = {w:.4g} x {'+' if b >= 0 else '-'} {abs(b):.4g}"


def _exact_optimum(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> tuple:
    """(coef, intercept) of the exact optimum: the model's own, else ``lstsq``."""
    d = getattr(model, "diagnostics_", None)
    if d is not None and d.exact_coef is not None:
        return np.asarray(d.exact_coef, dtype=np.float64), float(d.exact_intercept)
    if model.fit_intercept:
        A = np.column_stack([X, np.ones(len(X))])
        sol = np.linalg.lstsq(A, y, rcond=None)[0]
        return sol[:-1], float(sol[-1])
    return np.linalg.lstsq(X, y, rcond=None)[0], 0.0


# -- data and lines -----------------------------------------------------------------------
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
    X, y = _check_xy(X, y, "plot_data", one_feature=True)
    fig, ax = _figure(ax)
    ax.scatter(X[:, 0], y, **_DATA_STYLE, label=f"data ({len(y)} samples)")
    ax.set(xlabel="x", ylabel="y", title="Data")
    ax.legend(loc="best")
    return _save(fig, path)


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
    _check_model(model, "plot_fit")
    X, y = _check_xy(X, y, "plot_fit", model=model, one_feature=True)
    if initial:
        w, b = float(model.coef_init_[0]), float(model.intercept_init_)
        what, title, color = "random start", "Line at the random start", "tab:red"
    else:
        w, b = float(model.coef_[0]), float(model.intercept_)
        what = "fitted"
        title = f"Fitted line after {model.n_iter_} iterations"
        color = "black"
    fig, ax = _figure(ax)
    ax.scatter(X[:, 0], y, **_DATA_STYLE, label="data")
    xs = np.array([X[:, 0].min(), X[:, 0].max()])
    ax.plot(xs, w * xs + b, color=color, lw=2, label=_line_label(what, w, b))
    mse = np.mean((_predict([w], b, X) - y) ** 2)
    ax.set(xlabel="x", ylabel="y", title=f"{title} (MSE {mse:.4g})")
    ax.legend(loc="best")
    return _save(fig, path)


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
    _check_model(model, "animate_fit", path=True)
    X, y = _check_xy(X, y, "animate_fit", model=model, one_feature=True)
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

    fig, ax = _figure(None, figsize=(5.0, 3.75))
    ax.scatter(X[:, 0], y, **_DATA_STYLE, label="data")
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


# -- training ----------------------------------------------------------------------------
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
    _check_model(model, "plot_loss", single_target=False)
    loss = np.asarray(model.loss_history_, dtype=np.float64)  # (n_iter_ + 1,)
    fig, ax = _figure(ax)
    ax.plot(np.arange(len(loss)), loss, color="tab:blue", lw=1.5)
    if (loss > 0).any():
        ax.set_yscale("log")
    ax.set(
        xlabel="iteration",
        ylabel="MSE",
        title=f"Training loss: {loss[0]:.4g} → {loss[-1]:.4g} in {model.n_iter_} iterations",
    )
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path)


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
    _check_model(model, "plot_coef_paths", single_target=False, path=True)
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

    fig, ax = _figure(ax)
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
    return _save(fig, path)


def plot_descent_path(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    *,
    levels: int = 20,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The path of the iterates over contours of the mean squared error.

    With one feature the plane is (weight, bias). With more, it is the two
    leading coefficients ``w[0], w[1]``, the other coefficients and the bias held
    at their fitted values (the path drawn is the projection of the iterates on
    that plane). The star marks the exact optimum: the model's own
    (``diagnostics_.exact_coef``, which includes any penalty) when it computed
    one, else unpenalised least squares by :func:`numpy.linalg.lstsq`. The surface
    is the unweighted MSE of ``X`` and ``y``.

    Parameters
    ----------
    model : LinearRegression
        Fitted with ``record_path=True`` on one target.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    levels : int, default=20
        Number of contour levels.
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    func = "plot_descent_path"
    _check_model(model, func, path=True)
    X, y = _check_xy(X, y, func, model=model)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"{func} needs levels to be an integer >= 2; got {levels!r}.")
    f = X.shape[1]
    coef = np.asarray(model.coef_, dtype=np.float64)
    b_fit = float(model.intercept_)
    exact_w, exact_b = _exact_optimum(model, X, y)
    if f == 1:
        P = np.column_stack([model.coef_path_[:, 0], model.intercept_path_])  # (n_iter_+1, 2)
        star = np.array([exact_w[0], exact_b])
        U, V = X[:, 0], np.ones(len(X))
        r0 = -y
        names = ("weight w", "bias b")
    else:
        P = np.asarray(model.coef_path_[:, :2], dtype=np.float64)
        star = np.asarray(exact_w[:2], dtype=np.float64)
        U, V = X[:, 0], X[:, 1]
        r0 = X[:, 2:] @ coef[2:] + b_fit - y
        names = ("w[0]", "w[1]")

    # A square box (same span on both axes, so the bowl keeps its shape) around
    # the path and the optimum.
    pts = np.vstack([P, star])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    half = 0.6 * float((hi - lo).max()) or 1.0
    mid = (lo + hi) / 2
    a = np.linspace(mid[0] - half, mid[0] + half, 200)
    c = np.linspace(mid[1] - half, mid[1] + half, 200)
    A, C = np.meshgrid(a, c)
    # MSE(a, c) = mean((r0 + a U + c V)^2), expanded so the grid never touches X again.
    m = np.mean
    Z = (
        m(r0 * r0)
        + A * A * m(U * U)
        + C * C * m(V * V)
        + 2 * A * m(r0 * U)
        + 2 * C * m(r0 * V)
        + 2 * A * C * m(U * V)
    )
    Z = np.maximum(Z, 0.0)
    zmin, zmax = float(Z.min()), float(Z.max())
    lv = zmin + (zmax - zmin) * np.linspace(0.0, 1.0, levels) ** 2 if zmax > zmin else levels

    fig, ax = _figure(ax, figsize=(6.4, 5.2))
    filled = ax.contourf(A, C, Z, levels=lv, cmap="viridis", alpha=0.35)
    ax.contour(A, C, Z, levels=lv, colors="k", linewidths=0.4, alpha=0.5)
    fig.colorbar(filled, ax=ax, label="MSE")
    ax.plot(P[:, 0], P[:, 1], color="tab:red", lw=1.5, label=f"{model.n_iter_} iterations")
    step = max(1, len(P) // 30)
    ax.plot(P[::step, 0], P[::step, 1], "o", color="tab:red", ms=3)
    ax.plot(*P[0], "s", color="tab:red", ms=8, label="start")
    ax.plot(*star, "*", color="gold", mec="black", ms=16, label="exact optimum")
    ax.plot(*P[-1], "o", color="black", ms=5, label="end")
    ax.set(xlabel=names[0], ylabel=names[1], title="Gradient descent on the MSE surface")
    ax.legend(loc="best")
    return _save(fig, path)


# -- diagnostics of the fit ----------------------------------------------------------------
def plot_predicted_vs_actual(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    *,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Predicted against actual values, with the identity line.

    Parameters
    ----------
    model : LinearRegression
        Fitted on one target (any number of features).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    _check_model(model, "plot_predicted_vs_actual")
    X, y = _check_xy(X, y, "plot_predicted_vs_actual", model=model)
    pred = _predict(model.coef_, model.intercept_, X)
    ss_tot = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum((y - pred) ** 2) / ss_tot if ss_tot > 0 else float("nan")
    fig, ax = _figure(ax)
    ax.scatter(y, pred, **_DATA_STYLE, label="samples")
    lim = [min(y.min(), pred.min()), max(y.max(), pred.max())]
    ax.plot(lim, lim, color="black", lw=1, ls="--", label="predicted = actual")
    ax.set(xlabel="actual y", ylabel="predicted y", title=f"Predicted vs actual (R² {r2:.4f})")
    ax.legend(loc="best")
    return _save(fig, path)


def plot_residuals(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    *,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Residuals ``y - predicted`` against the fitted values.

    Parameters
    ----------
    model : LinearRegression
        Fitted on one target (any number of features).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    _check_model(model, "plot_residuals")
    X, y = _check_xy(X, y, "plot_residuals", model=model)
    pred = _predict(model.coef_, model.intercept_, X)
    resid = y - pred
    fig, ax = _figure(ax)
    ax.scatter(pred, resid, **_DATA_STYLE, label="samples")
    ax.axhline(0.0, color="black", lw=1, ls="--")
    ax.set(
        xlabel="fitted value",
        ylabel="residual (y - fitted)",
        title=f"Residuals vs fitted (RMSE {np.sqrt(np.mean(resid**2)):.4g})",
    )
    ax.legend(loc="best")
    return _save(fig, path)
