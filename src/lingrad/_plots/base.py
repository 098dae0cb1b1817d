"""What every figure shares: new figures, checks, saving, predictions.

matplotlib is imported only when a figure is drawn. A new figure is a
:class:`~lingrad._plots.figure.DisplayFigure` (a plain matplotlib ``Figure``,
never registered with pyplot), so figures that are saved and dropped are freed
and Jupyter shows a returned figure once; with ``ax=`` the figure is the axes'
own. :func:`pyplot` (for callers that want pyplot) selects ``Agg`` first on a
Linux machine without a display and with no backend chosen (``MPLBACKEND``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optimum import exact_optimum
from .._predict import predict_linear

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from .._estimator import LinearRegression

__all__ = [
    "DATA_STYLE",
    "NEEDS_MATPLOTLIB",
    "PathLike",
    "check_model",
    "check_xy",
    "exact_optimum_of",
    "figure",
    "line_label",
    "predict",
    "pyplot",
    "save",
]

PathLike = str | os.PathLike

#: The error without matplotlib (lingrad is installed from its clone, not the index).
NEEDS_MATPLOTLIB = (
    "lingrad.plots needs matplotlib: pip install matplotlib pillow (or, in lingrad's clone, "
    'pip install -e ".[plot]")'
)

#: Scatter style of the data points in every figure.
DATA_STYLE = {"s": 12, "alpha": 0.6, "color": "tab:blue", "edgecolors": "none"}


def pyplot() -> Any:
    """Import pyplot, choosing ``Agg`` first on a headless Linux machine."""
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(NEEDS_MATPLOTLIB) from err
    headless = (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.8)) -> tuple[Figure, Axes]:
    """``ax``'s figure and ``ax``, or a new constrained-layout figure (outside pyplot)."""
    if ax is not None:
        return ax.figure, ax
    try:
        from .figure import DisplayFigure
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(NEEDS_MATPLOTLIB) from err
    fig = DisplayFigure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def save(fig: Figure, path: PathLike | None) -> Figure:
    """Save ``fig`` to ``path`` (format from the suffix) when given; return it.

    A figure made by lingrad belongs to no pyplot state, so nothing is left open
    once it is saved and dropped; a figure the caller passed (its ``ax``) is the
    caller's and is left as it is, open."""
    if path is not None:
        fig.savefig(os.fspath(path))
    return fig


def check_model(
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


def check_xy(
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


def predict(coef: ArrayLike, intercept: float, X: np.ndarray) -> np.ndarray:
    """``X @ coef + intercept`` for one target, shape (n_samples,) (the one prediction)."""
    return predict_linear(np.asarray(coef, dtype=np.float64), float(intercept), X)


def line_label(what: str, w: float, b: float) -> str:
    """Legend text of a line ``y = w x + b``."""
    return f"{what}: y = {w:.4g} x {'+' if b >= 0 else '-'} {abs(b):.4g}"


def exact_optimum_of(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> tuple:
    """(coef, intercept) of the exact optimum: the model's own (penalty included),
    else unpenalised least squares on ``X, y`` (:func:`lingrad.exact_optimum`)."""
    d = getattr(model, "diagnostics_", None)
    if d is not None and d.exact_coef is not None:
        return np.asarray(d.exact_coef, dtype=np.float64), float(d.exact_intercept)
    return exact_optimum(X, y, fit_intercept=model.fit_intercept)
