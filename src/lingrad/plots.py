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

from ._plots.cv import plot_cv_curve, plot_regularization_path
from ._plots.descent import plot_descent_path
from ._plots.diagnostics import plot_predicted_vs_actual, plot_residuals
from ._plots.fit import animate_fit, plot_data, plot_fit
from ._plots.training import plot_coef_paths, plot_loss

__all__ = [
    "animate_fit",
    "plot_coef_paths",
    "plot_cv_curve",
    "plot_data",
    "plot_descent_path",
    "plot_fit",
    "plot_loss",
    "plot_predicted_vs_actual",
    "plot_regularization_path",
    "plot_residuals",
]
