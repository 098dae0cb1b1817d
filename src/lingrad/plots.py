"""Figures of a fitted :class:`~lingrad.LinearRegression` (matplotlib, imported lazily).

Every function draws from the public attributes of a fitted model and the data,
returns a :class:`matplotlib.figure.Figure` and, when ``path`` is given, saves it
there (PNG unless the file name says otherwise; :func:`animate_fit` writes a GIF).
matplotlib is imported only when a function is called, never by ``import lingrad``.

Without ``ax``, the figure is a new :class:`matplotlib.figure.Figure` made
without pyplot (nor is pyplot imported): it is not in ``plt.get_fignums()``, so
a figure written to ``path`` and dropped is freed at once (a loop of
``plot_loss(m, path=...)`` calls leaves no figure open and never triggers
matplotlib's "More than 20 figures" warning), and in Jupyter a returned figure
is displayed once, as the cell's value (it has ``_repr_png_``). It renders
anywhere, with no display and no backend chosen. ``plt.show()`` does not open
it: to draw in a pyplot window (or in a figure of your own), pass ``ax``, e.g.
from ``fig, ax = plt.subplots()``; the function then draws on ``ax``, returns
``ax``'s figure and, with ``path``, saves that figure and leaves it open (it is
yours: close it with ``plt.close(fig)``).

Install the extra from lingrad's clone with ``pip install -e ".[plot]"`` (matplotlib
and pillow).

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
>>> import matplotlib.pyplot as plt
>>> plt.get_fignums()  # not one of pyplot's figures
[]
>>> fig, ax = plt.subplots()
>>> plot_fit(model, X, y, ax=ax) is fig  # drawn on your axes
True
>>> plt.close(fig)
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
