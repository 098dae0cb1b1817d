"""Designs from formulas and categorical columns, built in one streamed pass.

The modules, each importing only those listed before it:

- ``errors``: :class:`~.errors.FormulaError` and its wording;
- ``spec``: :class:`~.spec.DesignSpec`, the JSON-serialisable recipe of a design;
- ``terms``: formulas parsed (formulaic, imported lazily) and checked;
- ``build``: one chunk of raw rows to its design (categories, transforms, missing values);
- ``streams``: raw rows of many files (folders, globs, hive partitions) and Arrow streams;
- ``inputs``: raw rows of pandas, polars and Dask frames and of files;
- ``stream``: :class:`~.stream.DesignSource`, levels found and statistics merged by name.
"""

from .build import NA
from .errors import FormulaError, UnseenLevelError
from .spec import UNSEEN, DesignSpec

__all__ = ["NA", "UNSEEN", "DesignSpec", "FormulaError", "UnseenLevelError"]
