"""Spark DataFrame columns: which are numbers, arrays or other, their widths, their errors.

For :mod:`lingrad._sources.spark`: the checks made on the driver when a
DataFrame is opened (a missing or non-numeric column, one line naming it),
the wording of the bad values the executors report, and the session setting
of a lingrad job's Arrow batch size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from .errors import data_error, listed

__all__ = ["DESCRIPTION", "bad_value", "check_column", "feature_columns", "kind", "quoted"]

_NUMERIC = frozenset(
    {
        "ByteType",
        "ShortType",
        "IntegerType",
        "LongType",
        "FloatType",
        "DoubleType",
        "DecimalType",
        "BooleanType",
    }
)
DESCRIPTION = "The Spark DataFrame"


def quoted(name: str) -> str:
    """A column reference that survives dots and spaces in the name."""
    return "`" + name.replace("`", "``") + "`"


def feature_columns(frame: Any, names: Sequence[str]) -> list[str]:
    """A model's ``feature_names_in_`` as the frame's columns (``c[j]``: array column ``c``)."""
    have = {f.name: f.dataType for f in frame.schema.fields}
    out: list[str] = []
    for name in names:
        base = name.rsplit("[", 1)[0] if name.endswith("]") and name not in have else name
        if base in have and kind(have[base]) == "vector" and out[-1:] == [base]:
            continue
        out.append(base)
    return out


#: Bytes of float64 cells per Arrow batch the JVM writes for a lingrad job. The JVM
#: converts rows to Arrow fastest in batches of about this size: 200,000 rows of
#: 1,000-value arrays took 2.9 s in 2,048-row (16 MB) batches, 4.2-5.0 s in 8,192- and
#: 65,536-row ones (local[2]); narrow rows reach :data:`MAX_BATCH_ROWS` first.
BATCH_BYTES = 16 << 20
#: Rows per Arrow batch at most (Spark's default, 10,000, costs a hand-off per batch).
MAX_BATCH_ROWS = 65536


def batch_rows(width: int) -> int:
    """Rows per Arrow batch for rows of ``width`` float64 cells (at least 16).

    Examples
    --------
    >>> batch_rows(21), batch_rows(1001), batch_rows(10**6)
    (65536, 2095, 16)
    """
    return max(16, min(MAX_BATCH_ROWS, BATCH_BYTES // (8 * max(width, 1))))


@contextlib.contextmanager
def large_batches(frame: Any, width: int = 1) -> Iterator[None]:
    """Arrow batches of :func:`batch_rows` rows of ``width`` cells to the Python workers
    during a lingrad job; the session's setting is restored after."""
    conf = frame.sparkSession.conf
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    old = conf.get(key, None)
    conf.set(key, str(batch_rows(width)))
    try:
        yield
    finally:
        if old is None:
            conf.unset(key)
        else:
            conf.set(key, old)


def spark_functions() -> Any:
    from pyspark.sql import functions

    return functions


def kind(dtype: Any) -> str:
    """ "number", "vector" (an array of numbers) or "other", from a Spark SQL type."""
    name = type(dtype).__name__
    if name in _NUMERIC:
        return "number"
    if name == "ArrayType" and type(dtype.elementType).__name__ in _NUMERIC:
        return "vector"
    return "other"


def widths(frame: Any, features: list[str], types: dict[str, Any]) -> list[int]:
    """Each feature column's width: 1, or (one small job) the length of an array column's rows."""
    vectors = [c for c in features if kind(types[c]) == "vector"]
    if not vectors:
        return [1] * len(features)
    F = spark_functions()
    first = frame.select(*[F.size(F.col(quoted(c))).alias(c) for c in vectors]).first()
    sizes = {c: (int(first[c]) if first is not None else 0) for c in vectors}
    for c, n in sizes.items():
        if n < 1:
            raise data_error(
                DESCRIPTION,
                f"column {c!r} holds empty arrays (or no rows): an array column's rows must "
                "all have the same, non-zero length.",
                column=c,
            )
    return [sizes.get(c, 1) for c in features]


def check_column(name: Any, types: dict[str, Any], *, vectors: bool, labels: bool = False) -> None:
    if not isinstance(name, str):
        raise data_error(
            DESCRIPTION, f"columns are named by strings; got {name!r}. Pass the column's name."
        )
    if name not in types:
        raise data_error(
            DESCRIPTION,
            f"no column {name!r}; its columns are {listed(list(types))}.",
            column=name,
        )
    what_kind = kind(types[name])
    if labels:  # group ids: numbers or text, one per row
        if what_kind == "vector" or type(types[name]).__name__ not in {*_NUMERIC, "StringType"}:
            raise data_error(
                DESCRIPTION,
                f"column {name!r} ({types[name].simpleString()}) cannot be a group column: "
                "groups are numbers or text, one per row. Name another column.",
                column=name,
            )
        return
    if what_kind == "other" or (what_kind == "vector" and not vectors):
        what = "an array" if what_kind == "vector" else "not numeric"
        raise data_error(
            DESCRIPTION,
            f"column {name!r} is {what} ({types[name].simpleString()}). Cast it "
            f"(df.withColumn({name!r}, F.col({name!r}).cast('double'))) or leave it out of the "
            "features.",
            column=name,
        )


def bad_value(column: str, what: str, partition: int, row: int) -> Exception:
    fix = f"drop or fill those rows first (df.na.drop(subset=[{column!r}]) or df.na.fill(...))"
    if what == "null":
        text = (
            f"column {column!r} holds a null (partition {partition}, row {row + 1} of it): {fix}."
        )
    elif what.startswith("a negative"):
        text = (
            f"column {column!r} (the weight) holds {what} (partition {partition}, row {row + 1} "
            "of it). Sample weights must be >= 0."
        )
    else:
        text = (
            f"column {column!r} holds {what} (partition {partition}, row {row + 1} of it). "
            f"lingrad needs finite numbers: {fix}."
        )
    return data_error(DESCRIPTION, text, column=column)
