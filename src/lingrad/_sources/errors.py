"""The errors of data files and their wording, shared by every reader.

:class:`DataFileError` (a ValueError) names the file and, where they apply,
the row and the column; :class:`MissingDataFileError` is also a
FileNotFoundError. Both are :class:`~lingrad._messages.LingradMessage`\\ s:
``str(err)`` is the Python wording, ``err.render("cli")`` the command line's
(``with features=[...]`` becomes ``with --features``), and ``err.fields``
holds ``path`` and, where known, ``row`` and ``column``.

Bad arguments of ``open_dataset`` raise :class:`~lingrad._params.ParameterError`
(:func:`open_dataset_error`), whose CLI wording names the option
(``--chunk-rows must be ...``).

Examples
--------
>>> err = non_numeric("data.csv", "x1", "abc", "row 3")
>>> str(err)  # doctest: +NORMALIZE_WHITESPACE
"data.csv: column 'x1' has the non-numeric value 'abc' at row 3. lingrad needs
numbers: clean the file, one-hot encode a text column with categorical=['x1']
(lingrad.ols), or pick numeric columns with features=[...]."
>>> err.render("cli").endswith("with --categorical x1, or pick numeric columns with --features.")
True
>>> err.fields["column"]
'x1'
>>> open_dataset_error("chunk_rows", " must be an int >= 1. Got 0.", 0).render("cli")
'--chunk-rows must be an int >= 1. Got 0.'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._messages import Alt, LingradMessage, Part, cli_option
from .._params import ParameterError

__all__ = [
    "PICK_NUMERIC",
    "SPARK_FREQ_WEIGHT",
    "DataFileError",
    "MissingDataFileError",
    "ParameterTypeError",
    "data_error",
    "listed",
    "no_such_file",
    "non_numeric",
    "one_line",
    "open_dataset_error",
    "unreadable",
]

_LIST_MAX = 30

#: The remedy for a column that is not numbers, worded for Python or the CLI.
PICK_NUMERIC: tuple[Part, ...] = (
    "pick numeric columns ",
    Alt("with features=[...]", "with --features"),
    ".",
)


class DataFileError(LingradMessage, ValueError):
    """A data file that cannot be fitted.

    Raised for a missing, unreadable or empty file, a header without rows, a
    missing or duplicated column, and for a bad cell (empty, non-numeric,
    NaN or infinite), a ragged row or a negative weight. The message names the
    file and, where they apply, the row (counted from 1, the header is not a
    row) and the column.

    Attributes
    ----------
    fields : dict
        ``path`` and, where they apply, ``row`` (from 1) and ``column``.
    """


class MissingDataFileError(DataFileError, FileNotFoundError):
    """A data file that does not exist (also a FileNotFoundError)."""


class ParameterTypeError(ParameterError, TypeError):
    """A parameter of the wrong type (a ParameterError that is also a TypeError)."""


def listed(names: Sequence[str]) -> str:
    """``'a', 'b', ... (n more)``: at most 30 names, quoted."""
    shown = ", ".join(repr(c) for c in names[:_LIST_MAX])
    more = len(names) - _LIST_MAX
    return shown + (f", ... ({more} more)" if more > 0 else "")


def one_line(text: object, limit: int = 80) -> str:
    """``text`` on one line, white space folded, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: What the command line adds to "no rows" errors (Python callers get the message alone).
NO_ROWS_HINT = Alt("", " Give a file with at least one data row after the header.")


def data_error(
    path: str, *parts: Part, cls: type[DataFileError] = DataFileError, **fields: Any
) -> DataFileError:
    """``"{path}: " + parts`` as a :class:`DataFileError` with ``path`` among its fields."""
    return cls((f"{path}: ", *parts), path=path, **fields)


def no_such_file(path: str) -> MissingDataFileError:
    """The file does not exist."""
    return MissingDataFileError(f"{path}: no such file.", path=path)


def unreadable(path: str, exc: object, after_row: int | None = None) -> DataFileError:
    """The file (or the rest of it, after ``after_row``) cannot be read."""
    if after_row is None:
        return data_error(path, f"cannot be read ({one_line(exc)}).")
    return data_error(
        path, f"cannot be read after row {after_row} ({one_line(exc)}).", row=after_row
    )


def non_numeric(
    path: str, column: str | None, value: object, where: str, **fields: Any
) -> DataFileError:
    """A cell that is not a number; ``where`` is ``"row 17"`` (or ``"a row after row 16"``)."""
    return data_error(
        path,
        f"column {column!r} has the non-numeric value {one_line(value)!r} at {where}. "
        "lingrad needs numbers: clean the file, one-hot encode a text column with ",
        Alt(f"categorical=[{column!r}] (lingrad.ols)", f"--categorical {column}"),
        ", or ",
        *PICK_NUMERIC,
        column=column,
        value=value,
        **fields,
    )


#: Why ``open_dataset(spark_df, freq_weight=...)`` is refused, and what to do instead.
SPARK_FREQ_WEIGHT = (
    " is not read from a Spark DataFrame (every pass on the executors would have to count "
    "each row that many times). Repeat each row by its count in Spark, e.g. df.withColumn("
    "'_', F.explode(F.array_repeat(F.lit(1), F.col('count').cast('int')))).drop('_'), "
    "or fit the rows from a file or an in-memory frame with freq_weight."
)


def open_dataset_error(
    param: str,
    text: str,
    value: Any,
    expected: str | None = None,
    cls: type[ParameterError] = ParameterError,
    **limits: Any,
) -> ParameterError:
    """``"The 'param' parameter of open_dataset" + text``; ``--param ...`` on the CLI."""
    parts = (Alt(f"The {param!r} parameter of open_dataset", cli_option(param)), text)
    return cls(parts, owner="open_dataset", param=param, value=value, expected=expected, **limits)
