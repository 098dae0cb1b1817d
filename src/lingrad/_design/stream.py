"""Designs in one pass: levels discovered chunk by chunk, statistics merged by column name.

A level first seen in chunk k has a column that is zero on every earlier row,
so the statistics of each chunk (:class:`~lingrad._stats.SufficientStats`:
count, means, centred scatter) are zero-padded to the union of the columns
and merged (:class:`NamedStats`). To make that exact, every chunk is coded
with a placeholder first level (:data:`~.build.SENTINEL`): its treatment
contrasts keep a column for *every* real level, so no chunk's coding depends
on levels it has not seen. At the end the design's own columns are picked
(dropping the reference level's and the placeholder's columns, which
treatment coding with the first level, sorted, as the reference does not
have), in the order formulaic gives them: the statistics of exactly the
design that one in-memory pass over all the rows would have built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from .._progress import metered_frames
from .._sources import ChunkedSource
from .._stats import SufficientStats
from .build import SENTINEL, build_chunk, categorical_columns, chunk_levels, sort_levels
from .errors import FormulaError
from .spec import DesignSpec
from .terms import ParsedFormula, check_columns, parse_formula

__all__ = ["DesignSource", "NamedStats"]


def _expand(stats: SufficientStats, names: list[str], union: list[str]) -> SufficientStats:
    """The statistics of ``names`` as those of ``union``: absent columns are zero on every row."""
    f, m = len(union), len(union) + stats.n_targets
    where = {n: i for i, n in enumerate(union)}
    idx = np.array([where[n] for n in names] + list(range(f, m)), dtype=np.intp)
    mean, scatter = np.zeros(m), np.zeros((m, m))
    mean[idx] = stats.mean
    scatter[np.ix_(idx, idx)] = stats.scatter
    return replace(stats, mean=mean, scatter=scatter, n_features=f)


class NamedStats:
    """Sufficient statistics keyed by column name, merged across chunks with other columns.

    Examples
    --------
    >>> a = SufficientStats.from_arrays(np.array([[1.0], [2.0]]), np.array([1.0, 3.0]))
    >>> b = SufficientStats.from_arrays(np.array([[1.0], [0.0]]), np.array([2.0, 2.0]))
    >>> acc = NamedStats()
    >>> acc.add(["x"], a); acc.add(["z"], b)
    >>> s = acc.select(["x", "z", "never"])
    >>> s.n_samples, s.x_mean.tolist()
    (4, [0.75, 0.25, 0.0])
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.total: SufficientStats | None = None

    def add(self, names: list[str], stats: SufficientStats) -> None:
        """Merge the statistics of a chunk whose design columns are ``names``."""
        if self.total is None:
            self.names, self.total = list(names), stats
            return
        if names != self.names:
            known = set(self.names)
            union = self.names + [n for n in names if n not in known]
            if union != self.names:
                self.total = _expand(self.total, self.names, union)
                self.names = union
            stats = _expand(stats, names, union)
        self.total = self.total.merge(stats)

    def select(self, names: list[str]) -> SufficientStats:
        """The statistics of the columns ``names``, in that order (absent: zero columns)."""
        assert self.total is not None
        known = set(self.names)
        full = _expand(self.total, self.names, self.names + [n for n in names if n not in known])
        where = {n: i for i, n in enumerate(self.names + [n for n in names if n not in known])}
        m = full.mean.shape[0]
        idx = np.array([where[n] for n in names] + list(range(full.n_features, m)), dtype=np.intp)
        return replace(
            full, mean=full.mean[idx], scatter=full.scatter[np.ix_(idx, idx)], n_features=len(names)
        )


def _chunk_stats(p, frame, categorical, na, row0, description, weight):
    """One chunk: its levels, its design (coded with the placeholder level) and statistics."""
    levels = {v: chunk_levels(frame[v]) for v in categorical}
    cats = {v: [SENTINEL, *lv] for v, lv in levels.items()}
    b = build_chunk(p, frame, cats, na=na, row0=row0, description=description, weight=weight)
    return levels, b.names, SufficientStats.from_arrays(b.X, b.Y, b.w), b.n_dropped, len(frame)


class DesignSource(ChunkedSource):
    """Rows of raw data turned into a design, chunk by chunk: a lingrad data source.

    Built by :func:`design_source`. Before :meth:`discover` (fitting), the
    levels and columns are unknown; ``discover`` makes the one pass that finds
    them and the statistics. With a ``spec`` (prediction, evaluation, summary
    on new data) the columns are those of the spec from the start.

    Attributes
    ----------
    spec : DesignSpec or None
    n_rows, n_dropped : int or None
        Rows read and rows dropped for missing values (after a pass).
    path, description : str
        How messages and reports name the data.
    """

    def __init__(self, raw: Any, p: ParsedFormula, spec: DesignSpec | None, **opts: Any) -> None:
        self.raw, self.p, self.spec = raw, p, spec
        self.na, self.weight = opts.get("na", "raise"), opts.get("weight")
        self.with_target = opts.get("targets", True)
        self.unseen = opts.get("unseen") or (spec.unseen if spec is not None else "error")
        self.strict = opts.get("strict", False) if spec is None else spec.strict
        self.path = raw.path
        self.n_rows: int | None = None
        self.n_dropped: int | None = None
        self._stats: SufficientStats | None = None
        check_columns(p, raw.columns, raw.description, rhs_only=not self.with_target)
        if self.weight is not None and self.weight not in raw.columns:
            raise FormulaError(
                (f"The weight column {self.weight!r} is not in {raw.description}.",),
                column=self.weight,
            )
        if spec is None:
            self.categorical = categorical_columns(p, raw.head, self.strict, raw.description)
        else:
            self.categorical = sorted(spec.levels)
        cols = list(p.lhs_variables) if self.with_target else []
        self._cols = sorted(set(cols) | p.rhs_variables | ({self.weight} - {None}))
        k = len(spec.targets) if spec is not None and self.with_target else 0
        names = None if spec is None else list(spec.columns)
        super().__init__(
            self._designed,
            0 if spec is None else len(spec.columns),
            k,
            feature_names=names,
            one_d=True,
            description=raw.description,
        )
        if hasattr(raw, "reduce_frames"):  # second passes (robust sums, R²) where rows live
            self.reduce_chunks = self._reduce_where_rows_live

    # -- the first pass: levels, columns, statistics ------------------------------------
    def discover(self) -> DesignSource:
        """One pass: levels found, statistics merged by name, the spec frozen."""
        acc, levels, rows, dropped = NamedStats(), {v: set() for v in self.categorical}, 0, 0
        for lv, names, stats, n_drop, n in self._chunk_results():
            for v, found in lv.items():
                levels[v].update(found)
            acc.add(names, stats)
            rows, dropped = rows + n, dropped + n_drop
        if acc.total is None or rows == 0:
            raise FormulaError((f"{self.raw.description} has no rows to fit.",))
        final = {v: tuple(sort_levels(levels[v])) for v in self.categorical}
        empty = [v for v, lv in final.items() if not lv]
        if empty:
            raise FormulaError(
                (f"{self.raw.description}: column {empty[0]!r} has no values (all missing).",),
                column=empty[0],
            )
        columns = self._final_columns(final)
        self.spec = DesignSpec(
            self.p.text,
            (self.p.targets_side,) if self.p.targets_side else (),
            tuple(columns),
            final,
            self.p.intercept,
            self.unseen,
            self.strict,
        )
        self._stats = acc.select(columns)
        self.n_features, self.feature_names = len(columns), list(columns)
        self.n_targets = self._stats.n_targets
        self.n_rows, self.n_dropped = rows, dropped
        return self

    def _frames(self) -> Iterator[tuple[int, Any]]:
        """One pass over the raw rows (reported to the dataset's progress, if any)."""
        return metered_frames(self.raw.frames(self._cols, self.p.wrapped), self.raw)

    def _chunk_results(self) -> Iterator[tuple]:
        opts = (self.categorical, self.na)
        on_spark = getattr(self.raw, "chunk_results", None)
        if on_spark is not None:  # Spark: every batch on the executors (_design.spark)
            yield from on_spark(self.p, self._cols, *opts, self.weight)
            return
        parts = getattr(self.raw, "parts", None)
        if parts is not None:  # Dask: every partition on the cluster, merged here in order
            import dask

            task = dask.delayed(_chunk_stats)
            tasks = [
                task(self.p, part, *opts, 0, self.path, self.weight) for part in parts(self._cols)
            ]
            yield from dask.compute(*tasks)
            return
        for row0, frame in self._frames():
            where = getattr(self.raw, "where", self.path)  # many files: the file being read
            yield _chunk_stats(self.p, frame, *opts, row0, where, self.weight)

    def _final_columns(self, levels: dict[str, tuple]) -> list[str]:
        import pandas as pd

        head = self.raw.head[self._cols].iloc[:1].copy()
        if len(head) == 0:
            head = pd.DataFrame({c: [np.nan] for c in self._cols})
        for v, lv in levels.items():
            head[v] = pd.Series([lv[0]], dtype=object).to_numpy()
        cats = {v: list(lv) for v, lv in levels.items()}
        b = build_chunk(self.p, head.fillna(1.0), cats, targets=False, check=False)
        if not b.names:
            raise FormulaError(
                (
                    f"The formula {self.p.text!r} has no terms besides the intercept: give at "
                    "least one column on its right-hand side.",
                ),
                formula=self.p.text,
            )
        return b.names

    # -- the source protocol ------------------------------------------------------------
    def sufficient_stats(self) -> SufficientStats:
        """The statistics of the design (those of :meth:`discover`'s pass, once found)."""
        if self._stats is not None:
            return self._stats
        return super().sufficient_stats()

    def _designed(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        design = self._chunk_design()
        rows = dropped = 0
        for row0, frame in self._frames():
            b = design(frame, row0, getattr(self.raw, "where", self.path))
            rows, dropped = rows + len(frame), dropped + b.n_dropped
            yield b.X, b.Y, b.w
        self.n_rows, self.n_dropped = rows, dropped

    def _chunk_design(self) -> ChunkDesign:
        if self.spec is None:
            self.discover()
        return ChunkDesign(self.p, self.spec, self.na, self.with_target, self.unseen, self.weight)

    def _reduce_where_rows_live(self, kernel: Any, combine: Any) -> Any:
        """``kernel(X, Y, w)`` of every chunk's design, computed where the raw rows live
        (Spark's executors: :meth:`lingrad._design.spark.SparkInput.reduce_frames`) and
        combined there; the source's ``reduce_chunks`` when its raw rows allow it."""
        design = self._chunk_design()
        value, self.n_rows, self.n_dropped = self.raw.reduce_frames(
            self._cols, design, kernel, combine
        )
        return value


class ChunkDesign:
    """One raw chunk's design in a frozen spec's columns (picklable: executors build it).

    Parameters
    ----------
    p : ParsedFormula
    spec : DesignSpec
    na, unseen : str
    targets : bool
    weight : str or None
    """

    def __init__(self, p: ParsedFormula, spec: Any, na: str, targets: bool, unseen: str,
                 weight: str | None) -> None:  # fmt: skip
        self.p, self.columns, self.na, self.targets = p, list(spec.columns), na, targets
        self.unseen, self.weight = unseen, weight
        self.cats = {v: list(lv) for v, lv in spec.levels.items()}

    def __call__(self, frame: Any, row0: int, description: str) -> Any:
        """The :class:`~lingrad._design.build.Built` design of ``frame`` (rows from ``row0``)."""
        b = build_chunk(
            self.p,
            frame,
            self.cats,
            na=self.na,
            row0=row0,
            description=description,
            targets=self.targets,
            unseen=self.unseen,
            weight=self.weight,
        )
        if b.names != self.columns:
            raise FormulaError(
                (f"{description}: the design has columns {b.names}, not the model's.",)
            )
        return b


def design_source(
    formula_or_spec: str | DesignSpec, raw: Any, *, targets: bool = True, **opts: Any
) -> DesignSource:
    """A :class:`DesignSource` of ``raw`` for a formula (to fit) or a spec (to apply)."""
    if isinstance(formula_or_spec, DesignSpec):
        spec = formula_or_spec
        return DesignSource(raw, parse_formula(spec.formula), spec, targets=targets, **opts)
    return DesignSource(raw, parse_formula(formula_or_spec), None, targets=targets, **opts)
