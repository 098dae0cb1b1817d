"""Figures of a cross-validated model: the coefficient path and the CV curve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._cv.select import choose, sem
from .base import PathLike, figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_cv_curve", "plot_regularization_path"]

#: Above this many features the path is labelled at its end for the largest ones only.
_LEGEND_MAX = 12


def _grid(model: Any, func: str, target: int, l1_ratio: float | None) -> tuple:
    grid = getattr(model, "_grid", None)
    if grid is None or not hasattr(model, "mse_path_"):
        raise ValueError(
            f"{func} needs a fitted lingrad LinearRegressionCV; got {type(model).__name__} "
            "without mse_path_. Call LinearRegressionCV(...).fit(X, y) first."
        )
    mse, A, W, ratios, chosen = grid
    k = mse.shape[3]
    if not 0 <= target < k:
        raise ValueError(f"{func}: target={target} is out of range; the model has {k} target(s).")
    if l1_ratio is None:
        i = chosen[target][0]
    elif l1_ratio in ratios:
        i = ratios.index(l1_ratio)
    else:
        raise ValueError(f"{func}: l1_ratio={l1_ratio!r} was not searched; pick one of {ratios}.")
    return mse[i, :, :, target], A[i, :, target], W[i, :, :, target], ratios[i], chosen[target], i


def _names(model: Any, f: int, feature_names: Any) -> list[str]:
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if len(names) != f:
            raise ValueError(f"feature_names has {len(names)} names for {f} features.")
        return names
    given = getattr(model, "feature_names_in_", None)
    return [str(n) for n in given] if given is not None else [f"x{j}" for j in range(f)]


def _mark(ax: Axes, alphas: np.ndarray, i: int, chosen: tuple, mse: Any) -> None:
    """Dashed: the alpha of least CV error; dotted: the 1se alpha (where on this l1_ratio)."""
    for rule, style in (("min", "--"), ("1se", ":")):
        ci, ca = choose(mse, rule)[0]
        if ci == i:
            picked = " (chosen)" if (ci, ca) == chosen else ""
            ax.axvline(
                alphas[ca], color="k", ls=style, lw=1, label=f"{rule}: α={alphas[ca]:.3g}{picked}"
            )


def plot_regularization_path(
    model: Any,
    *,
    l1_ratio: float | None = None,
    target: int = 0,
    feature_names: Any = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The coefficients on all the data against alpha (log scale), one line per feature.

    Parameters
    ----------
    model : LinearRegressionCV
        Fitted.
    l1_ratio : float, default=None
        Which searched l1_ratio to draw; None: the chosen one.
    target : int, default=0
        Which target, for a multi-output model.
    feature_names : list of str, default=None
        Line labels; by default ``feature_names_in_`` (else ``x0, x1, ...``).
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegressionCV
    >>> from lingrad.plots import plot_regularization_path
    >>> X = np.random.default_rng(0).standard_normal((100, 3))
    >>> model = LinearRegressionCV(alphas=20, l1_ratio=1.0).fit(X, X @ [1.0, 0.0, -1.0])
    >>> fig = plot_regularization_path(model, feature_names=["a", "b", "c"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:3]
    ['a', 'b', 'c']
    """
    _, alphas, W, ratio, chosen, i = _grid(model, "plot_regularization_path", target, l1_ratio)
    names = _names(model, W.shape[1], feature_names)
    fig, ax = figure(ax)
    for j, name in enumerate(names):
        ax.plot(alphas, W[:, j], lw=1.3, label=name if len(names) <= _LEGEND_MAX else None)
    if len(names) > _LEGEND_MAX:
        for j in np.argsort(-np.abs(W[-1]))[:_LEGEND_MAX]:
            ax.annotate(
                names[j],
                (alphas[-1], W[-1, j]),
                fontsize=7,
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
            )
    ax.axhline(0.0, color="0.6", lw=0.8)
    _mark(ax, alphas, i, chosen, model._grid[0][..., target : target + 1])
    ax.set_xscale("log")
    ax.invert_xaxis()  # strong penalty on the left, as glmnet and scikit-learn draw it
    ax.set(
        xlabel="alpha (log scale)",
        ylabel="coefficient",
        title=f"Regularisation path (l1_ratio={ratio:g})",
    )
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)


def plot_cv_curve(
    model: Any,
    *,
    target: int = 0,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Mean held-out MSE against alpha with its ±1 standard-error band, per l1_ratio.

    The alpha of least error (dashed) and the one-standard-error alpha (dotted)
    are marked on their l1_ratio's curve, the model's choice labelled "(chosen)".

    Parameters
    ----------
    model : LinearRegressionCV
        Fitted.
    target : int, default=0
    ax : matplotlib Axes, optional
    path : str or path-like, optional

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegressionCV
    >>> from lingrad.plots import plot_cv_curve
    >>> X = np.random.default_rng(0).standard_normal((100, 3))
    >>> y = X @ [1.0, 0.0, -1.0] + np.random.default_rng(1).standard_normal(100)
    >>> fig = plot_cv_curve(LinearRegressionCV(alphas=20, l1_ratio=[0.5, 1.0]).fit(X, y))
    >>> len(fig.axes[0].collections)  # one ±1 SE band per l1_ratio
    2
    """
    _, _, _, _, chosen, best = _grid(model, "plot_cv_curve", target, None)
    mse_all, A, _, ratios, _ = model._grid
    mse = mse_all[..., target : target + 1]
    fig, ax = figure(ax)
    for i, r in enumerate(ratios):
        mean = mse[i, :, :, 0].mean(axis=1)
        se = sem(mse)[i, :, 0]
        alphas = A[i, :, target]
        (line,) = ax.plot(alphas, mean, lw=1.5, label=f"l1_ratio={r:g}")
        ax.fill_between(alphas, mean - se, mean + se, color=line.get_color(), alpha=0.2)
    _mark(ax, A[best, :, target], best, chosen, mse)
    ax.set_xscale("log")
    ax.invert_xaxis()
    k = mse.shape[2]
    ax.set(
        xlabel="alpha (log scale)",
        ylabel=f"held-out MSE (mean ± 1 SE over {k} folds)",
        title="Cross-validation curve",
    )
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)
