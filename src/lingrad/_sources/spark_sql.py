"""Narrow numeric columns' statistics as one Spark SQL aggregate, computed on the JVM.

For :meth:`lingrad._sources.spark.SparkSource.sufficient_stats`. Handing rows to
Python workers as Arrow batches costs more than the arithmetic when the rows are
narrow; one global aggregate of ``sum(a_i a_j)`` over ``a = [x - s, y - t]``
runs in the JVM's generated code instead (whole-stage codegen, partial sums per
partition merged by Spark), and its few hundred numbers become the same
:class:`~lingrad._stats.SufficientStats` as the executors' kernels make.

The sums are taken about zero first, as the in-memory statistics are
(:meth:`lingrad._stats.SufficientStats._from_raw_chunks`): where some column's
offset dwarfs its spread (``mean^2 + var > 1e4 var``), a second aggregate about
the first one's means replaces them. Where the aggregate does not apply (sample
weights, array columns, many columns) or finds something wrong (a null, NaN or
infinity, squares that overflow, no rows), it returns None, and the caller takes
the Arrow path, which names the bad value's column, partition and row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._stats import _MAX_RAW_RATIO, SufficientStats
from .spark_input import quoted

__all__ = ["MAX_SQL_COLUMNS", "sql_stats"]

#: The most columns (features and targets) whose cross-products one aggregate computes:
#: ``m (m + 1) / 2`` sums (2,080 at 64); wider data goes to the Arrow kernels, where one
#: BLAS product per block beats generated scalar code.
MAX_SQL_COLUMNS = 64


def sql_stats(frame: Any, names: list[str], n_features: int) -> SufficientStats | None:
    """The statistics of ``frame``'s double columns ``names`` from Spark SQL aggregates.

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
        Whose columns ``names`` are doubles (features first, then targets).
    names : list of str
        Of length ``m``, at most :data:`MAX_SQL_COLUMNS`.
    n_features : int
        How many of ``names`` are features.

    Returns
    -------
    SufficientStats or None
        None where a value is null or not finite, a square overflows, or there
        are no rows: the caller's Arrow pass then finds and names it.
    """
    m = len(names)
    stats = _pass(frame, names, np.zeros(m), n_features)
    if stats is None:
        return None
    var = np.diag(stats.scatter) / stats.sum_weights
    if np.all(var + stats.mean**2 <= _MAX_RAW_RATIO * var):
        return stats
    return _pass(frame, names, stats.mean, n_features)  # offsets: again, about the means


def _pass(frame: Any, names: list[str], shift: np.ndarray, f: int) -> SufficientStats | None:
    """One aggregate: the row count, the rows without a null, and every shifted product."""
    m = len(names)
    cols = [
        quoted(c) if s == 0 else f"({quoted(c)} - {_literal(s)})"
        for c, s in zip(names, shift, strict=True)
    ]
    exprs = ["count(1)", f"count({' + '.join(cols)})"]
    exprs += [f"sum({c})" for c in cols]
    exprs += [f"sum({cols[i]} * {cols[j]})" for i in range(m) for j in range(i, m)]
    row = frame.selectExpr(*exprs).collect()[0]
    n, complete = int(row[0]), int(row[1])
    if n == 0 or complete != n:
        return None
    values = np.array([float(v) for v in row[2:]])
    if not np.isfinite(values).all():
        return None
    s2 = np.empty((m + 1, m + 1))
    s2[m, m] = n
    s2[:m, m] = s2[m, :m] = values[:m]
    upper = np.triu_indices(m)
    s2[upper] = values[m:]
    s2[(upper[1], upper[0])] = values[m:]
    return SufficientStats._from_shifted(n, np.asarray(shift, dtype=np.float64), s2, f)


def _literal(value: float) -> str:
    """A double as a Spark SQL literal that parses back to the same bits (``(-1.5E-07D)``)."""
    return f"({float(value)!r}D)".replace("e", "E")
