"""The figures of :mod:`lingrad.plots`, one module per kind.

:mod:`.figure` (the Figure every function returns, outside pyplot), :mod:`.base`
(new figures, checks, saving, predictions), :mod:`.fit` (data, line,
animation), :mod:`.training` (loss and coefficient paths), :mod:`.descent`
(the descent path on the MSE surface) and :mod:`.diagnostics` (predicted vs
actual, residuals). None imports matplotlib before a figure is drawn.
"""
