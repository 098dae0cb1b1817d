"""Renderers of inference results: numbers in, text out.

A :class:`lingrad.inference.Summary` holds numbers; these modules present
them, as statsmodels keeps ``iolib/summary.py`` apart from its results:
:mod:`.table` (the cells and their number formats, shared by every renderer),
:mod:`.as_text` (``str(summary)``), :mod:`.as_rich` (``summary.__rich__()``),
:mod:`.as_html` (``summary._repr_html_()``, Jupyter) and :mod:`.as_json`
(``summary.to_dict()``). A renderer reads only the
summary's public attributes and methods; none imports the results module.
"""
