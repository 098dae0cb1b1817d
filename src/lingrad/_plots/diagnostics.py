"""Diagnostics of a fit: predicted against actual values, residuals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import DATA_STYLE, PathLike, check_model, check_xy, figure, predict, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from .._estimator import LinearRegression

__all__ = ["plot_predicted_vs_actual", "plot_residuals"]


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
    X, y, pred = _predictions(model, X, y, "plot_predicted_vs_actual")
    ss_tot = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum((y - pred) ** 2) / ss_tot if ss_tot > 0 else float("nan")
    fig, ax = figure(ax)
    ax.scatter(y, pred, **DATA_STYLE, label="samples")
    lim = [min(y.min(), pred.min()), max(y.max(), pred.max())]
    ax.plot(lim, lim, color="black", lw=1, ls="--", label="predicted = actual")
    ax.set(xlabel="actual y", ylabel="predicted y", title=f"Predicted vs actual (R² {r2:.4f})")
    ax.legend(loc="best")
    return save(fig, path)


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
    X, y, pred = _predictions(model, X, y, "plot_residuals")
    resid = y - pred
    fig, ax = figure(ax)
    ax.scatter(pred, resid, **DATA_STYLE, label="samples")
    ax.axhline(0.0, color="black", lw=1, ls="--")
    ax.set(
        xlabel="fitted value",
        ylabel="residual (y - fitted)",
        title=f"Residuals vs fitted (RMSE {np.sqrt(np.mean(resid**2)):.4g})",
    )
    ax.legend(loc="best")
    return save(fig, path)


def _predictions(
    model: LinearRegression, X: ArrayLike, y: ArrayLike, func: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``X``, ``y`` and the model's predictions of ``y``, for ``func``."""
    check_model(model, func)
    X, y = check_xy(X, y, func, model=model)
    return X, y, predict(model.coef_, model.intercept_, X)
