"""The descent path over contours of the mean squared error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import PathLike, check_model, check_xy, exact_optimum_of, figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from .._estimator import LinearRegression

__all__ = ["plot_descent_path"]


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
    one, else unpenalised least squares by :func:`lingrad.exact_optimum`. The
    surface is the unweighted MSE of ``X`` and ``y``.

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
    check_model(model, func, path=True)
    X, y = check_xy(X, y, func, model=model)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"{func} needs levels to be an integer >= 2; got {levels!r}.")
    P, star, U, V, r0, names = _plane(model, X, y)
    A, C, Z = _mse_grid(P, star, U, V, r0)
    zmin, zmax = float(Z.min()), float(Z.max())
    lv = zmin + (zmax - zmin) * np.linspace(0.0, 1.0, levels) ** 2 if zmax > zmin else levels

    fig, ax = figure(ax, figsize=(6.4, 5.2))
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
    return save(fig, path)


def _plane(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> tuple:
    """The plane drawn: the path ``P`` (n_iter_ + 1, 2), the optimum's ``star`` (2,),
    the residual ``r0 + a U + c V`` at a point ``(a, c)`` of it, and the axis names."""
    exact_w, exact_b = exact_optimum_of(model, X, y)
    if X.shape[1] == 1:
        P = np.column_stack([model.coef_path_[:, 0], model.intercept_path_])
        star = np.array([exact_w[0], exact_b])
        return P, star, X[:, 0], np.ones(len(X)), -y, ("weight w", "bias b")
    coef = np.asarray(model.coef_, dtype=np.float64)
    P = np.asarray(model.coef_path_[:, :2], dtype=np.float64)
    star = np.asarray(exact_w[:2], dtype=np.float64)
    r0 = X[:, 2:] @ coef[2:] + float(model.intercept_) - y
    return P, star, X[:, 0], X[:, 1], r0, ("w[0]", "w[1]")


def _mse_grid(
    P: np.ndarray, star: np.ndarray, U: np.ndarray, V: np.ndarray, r0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 200 x 200 grid of the MSE over a square box around the path and the optimum.

    The box has the same span on both axes, so the bowl keeps its shape.
    """
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
    return A, C, np.maximum(Z, 0.0)
