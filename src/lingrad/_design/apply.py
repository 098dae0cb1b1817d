"""A fitted design applied to new data: what ``predict`` and ``summary`` are given.

A model fitted by :func:`lingrad.ols` keeps its :class:`~.spec.DesignSpec`
(``design_``, saved in model files). :func:`design_input` turns raw data
(frames, files, datasets, Dask DataFrames) into the design's columns from
that spec alone; arrays, and frames that already hold the design's columns,
pass through unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .inputs import DaskInput, FileInput, as_raw_input
from .stream import design_source
from .streams import ManyInput, TableInput

__all__ = ["design_input", "formula_of"]


def _is_design(model: Any, X: Any) -> bool:
    """Arrays, and frames with exactly the design's columns, are designs already."""
    if isinstance(X, np.ndarray | list | tuple) or hasattr(X, "tocsr"):
        return True
    if getattr(X, "__lingrad_source__", False) and not hasattr(X, "format"):
        return True  # a source of design rows (a DesignSource, a Dask source)
    lazy = type(X).__name__ == "LazyFrame"  # polars: names without the schema warning
    cols = X.collect_schema().names() if lazy else getattr(X, "columns", None)
    return cols is not None and [str(c) for c in cols] == list(model.design_.columns)


def design_input(
    model: Any, X: Any, *, targets: bool = False, chunk_rows: int | None = None
) -> Any:
    """``X`` as the model's design (a source, or a lazy Dask DataFrame), or ``X`` itself."""
    spec = model.__dict__.get("design_")
    if spec is None or X is None or _is_design(model, X):
        return X
    raw = as_raw_input(X, chunk_rows)
    if isinstance(raw, DaskInput) and not targets:
        return _dask_design(spec, raw)
    drop = targets and getattr(model, "missing", "raise") == "drop"  # summary, score: its rows
    src = design_source(spec, raw, targets=targets, na="drop" if drop else "raise")
    if targets or isinstance(raw, FileInput | ManyInput | TableInput):
        return src  # streamed
    import pandas as pd

    chunks = [X for X, _, _ in src.iter_chunks()]
    return pd.DataFrame(np.concatenate(chunks), columns=list(spec.columns))


def _dask_design(spec: Any, raw: DaskInput) -> Any:
    """A Dask DataFrame of the design's columns, built partition by partition where they live."""
    import pandas as pd

    names = list(spec.columns)

    def one(part: Any) -> Any:
        src = design_source(spec, _Frame(part), targets=False)
        X = (
            np.concatenate([c[0] for c in src.iter_chunks()])
            if len(part)
            else np.empty((0, len(names)))
        )
        return pd.DataFrame(X, columns=names, index=part.index)

    meta = pd.DataFrame({n: pd.Series(dtype=np.float64) for n in names})
    return raw.ddf.map_partitions(one, meta=meta)


class _Frame:
    """One Dask partition as a raw input (a single chunk)."""

    def __init__(self, df: Any) -> None:
        self.df, self.columns, self.head = df, [str(c) for c in df.columns], df.iloc[:1]
        self.description = self.path = "a Dask partition"

    def frames(self, cols: list[str], wrapped: frozenset[str]):
        yield 0, self.df[cols]


def formula_of(model: Any) -> str | None:
    """The formula a model was fitted with, or None."""
    spec = model.__dict__.get("design_")
    return None if spec is None else spec.formula
