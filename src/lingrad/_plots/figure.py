"""The figure every plot function returns: a matplotlib Figure outside pyplot.

Imported only when a figure is drawn (it imports matplotlib). A figure made here
is not registered with pyplot (``plt.get_fignums()`` does not list it), so it is
freed like any Python object, never counts towards matplotlib's "More than 20
figures" warning, and Jupyter shows it once: as the cell's value, through
:meth:`DisplayFigure._repr_png_` (or the inline backend's own PNG printer), not
a second time when pyplot flushes its figures at the end of the cell.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["DisplayFigure"]


class DisplayFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that shows itself as a PNG in Jupyter.

    ``savefig`` works as on any figure (the format from the file name). It is not
    one of pyplot's figures: ``plt.show()`` does not open it; to draw in a pyplot
    window, pass an ``ax`` from ``plt.subplots()`` to the plot function.

    Examples
    --------
    >>> fig = DisplayFigure(figsize=(2, 1.5))
    >>> _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> fig._repr_png_()[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes (what IPython displays)."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()
