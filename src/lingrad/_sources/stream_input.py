"""Arrow streams handed straight to ``fit`` / ``predict``: opened as a dataset.

``fit(stream, "y")`` and ``predict(stream)`` take a pyarrow RecordBatchReader or
Dataset, a polars LazyFrame or a DuckDB relation (:mod:`~.tables`) with the
target and weight named by column; :func:`table_source` opens it with
:func:`~.files.open_dataset`.
"""

from __future__ import annotations

from typing import Any

from .files import open_dataset
from .tables import _NAMES, _kind

__all__ = ["table_source"]


def table_source(obj: Any, y: Any = None, sample_weight: Any = None, features: Any = None) -> Any:
    """``fit(stream, "y")``, ``predict(stream)``: the stream opened as a dataset.

    ``y`` and ``sample_weight`` name columns of the stream (None: features
    only, for predictions); ``features`` defaults to every other column.
    """
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        names = value if isinstance(value, list | tuple) else [value]
        if value is not None and not all(isinstance(v, str) for v in names):
            raise TypeError(
                f"{_NAMES[_kind(obj)]} holds the data: pass {name} as a column name (or a list "
                f"of them), e.g. fit(stream, 'price'); got {type(value).__name__}. Or open it "
                "with lingrad.open_dataset(stream, target=..., features=..., weight=...)."
            )
    return open_dataset(obj, target=y, features=features, weight=sample_weight)
