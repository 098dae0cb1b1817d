"""Group columns of a dataset read beside its rows: numbers or text, for clusters and CV folds.

Cluster-robust covariances (``summary(ds, cov_type="cluster", groups="firm")``)
and grouped cross-validation (``LinearRegressionCV().fit(ds, groups="firm")``)
need each row's group label in step with the chunks of a pass.
:func:`labelled_chunks` gives them: numeric group columns are read in the same
pass as extra target columns (so ``missing="drop"`` drops the same rows);
text (or any non-numeric) columns are read raw by pyarrow beside the pass
(:mod:`lingrad._design.inputs`: one file, many files, Arrow streams) and handed
out row for row. Labels are compared by value, so a CSV's ``"north"`` equals an
in-memory ``"north"``; folds hash them with
:func:`lingrad._cv.folds.group_fold_ids` (BLAKE2b of the text: the same in
every process).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import data_error

__all__ = ["frame_groups", "labelled_chunks", "numeric_columns", "with_targets"]


def with_targets(ds: Any, targets: list[str]) -> Any:
    """A dataset like ``ds`` (features, weight, counts, missing mode) with these target columns."""
    from .files import Dataset, FreqDataset

    if hasattr(ds, "freq_name"):
        out = FreqDataset(
            ds._reader, ds._features[:-1], ds.freq_name, targets, ds.weight_name,
            ds.chunk_rows, ds.one_d,
        )  # fmt: skip
    else:
        out = Dataset(ds._reader, ds._features, targets, ds.weight_name, ds.chunk_rows, ds.one_d)
    out.missing = ds.missing
    return out


def numeric_columns(ds: Any, columns: list[str]) -> bool:
    """Whether every one of ``columns`` holds numbers (judged on the file's first rows)."""
    from .._design.inputs import as_raw_input

    head = as_raw_input(ds, 256).head
    return all(head[c].dtype.kind in "biuf" for c in columns)


def labelled_chunks(ds: Any, columns: list[str], counted: bool = False) -> Iterator[tuple]:
    """A pass over ``ds`` yielding ``(X, Y, w, labels)`` (``(X, Y, w, f, labels)`` if ``counted``).

    ``labels`` has shape (n_chunk_rows, len(columns)): float64 for numeric
    columns, objects (text) otherwise.
    """
    k = ds.n_targets
    if numeric_columns(ds, columns):
        ext = with_targets(ds, [*ds.target_names, *columns])
        for X, Y, *rest in ext.iter_counted() if counted else ext.iter_chunks():
            yield (X, Y[:, :k], *rest, Y[:, k:])
        return
    if ds.missing == "drop":
        raise data_error(
            ds.path,
            f"the group column(s) {columns!r} hold text, which lingrad reads "
            "beside the pass, and the data drops rows with missing values (missing='drop'), "
            "so the labels would fall out of step. Drop the incomplete rows from the file, "
            "or code the groups as numbers.",
        )
    feed = _TextFeed(ds, columns)
    for chunk in ds.iter_counted() if counted else ds.iter_chunks():
        yield (*chunk, feed.take(len(chunk[0])))
    feed.check_end()


class _TextFeed:
    """Raw labels of ``columns``, ``take(m)`` rows at a time, in file order."""

    def __init__(self, ds: Any, columns: list[str]) -> None:
        from .._design.inputs import as_raw_input

        self.columns, self.path = columns, ds.path
        self.frames = as_raw_input(ds, ds.chunk_rows).frames(list(columns), frozenset())
        self.buffer: list[np.ndarray] = []
        self.held = self.row = 0

    def _next(self) -> bool:
        for _, frame in self.frames:
            block = np.column_stack([frame[c].to_numpy(dtype=object) for c in self.columns])
            bad = frame[self.columns].isna().to_numpy()
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise data_error(
                    self.path,
                    f"row {self.row + self.held + int(r) + 1}: the group column "
                    f"{self.columns[int(c)]!r} is empty. Give every row a group label.",
                )
            if len(block):
                self.buffer.append(block)
                self.held += len(block)
                return True
        return False

    def take(self, m: int) -> np.ndarray:
        while self.held < m:
            if not self._next():
                raise data_error(self.path, _out_of_step(self.columns))
        block = np.concatenate(self.buffer) if len(self.buffer) > 1 else self.buffer[0]
        out, rest = block[:m], block[m:]
        self.buffer = [rest] if len(rest) else []
        self.held -= m
        self.row += m
        return out

    def check_end(self) -> None:
        if self.held or self._next():
            raise data_error(self.path, _out_of_step(self.columns))


def _out_of_step(columns: list[str]) -> str:
    return (
        f"the group column(s) {columns!r} do not have one label per row read "
        "(the file changed during the pass?). Pass the file as it was fitted."
    )


def frame_groups(X: Any, groups: Any, features: Any = None) -> tuple[Any, Any]:
    """``(X, groups)`` with ``groups`` naming column(s) of a pandas or Dask DataFrame ``X``
    taken out of it: the labels become the column(s), and ``X`` loses them unless they are
    among ``features`` (the model's feature names). Anything else is returned unchanged.

    >>> import pandas as pd
    >>> X, g = frame_groups(pd.DataFrame({"a": [1.0, 2.0], "firm": ["x", "y"]}), "firm")
    >>> list(X.columns), list(g)
    (['a'], ['x', 'y'])
    """
    names = [groups] if isinstance(groups, str) else groups
    columns = getattr(X, "columns", None)
    if hasattr(X, "_reader") or columns is None or not hasattr(X, "drop"):
        return X, groups
    if not isinstance(names, list | tuple) or not names:
        return X, groups
    if not all(isinstance(c, str) and c in columns for c in names):
        return X, groups
    labels = X[names[0]] if isinstance(groups, str) else X[list(names)]
    if hasattr(labels, "__dask_graph__"):  # text as objects (Dask warns on string dtypes)
        kinds = [labels.dtype] if isinstance(groups, str) else list(labels.dtypes)
        if any(getattr(k, "kind", "O") not in "biuf" for k in kinds):
            labels = labels.astype(object)
    keep = set(features or ())
    drop = [c for c in names if c not in keep]
    return (X.drop(columns=drop) if drop else X), labels
