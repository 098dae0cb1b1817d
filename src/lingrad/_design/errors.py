"""The errors of formulas and designs: one class, worded for Python or the command line.

Examples
--------
>>> err = FormulaError(("unknown column 'zz' in ", Alt("formula", "--formula"), "."), column="zz")
>>> str(err), err.render("cli"), err.fields["column"]
("unknown column 'zz' in formula.", "unknown column 'zz' in --formula.", 'zz')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._messages import Alt, LingradMessage

__all__ = ["Alt", "FormulaError", "UnseenLevelError", "listed", "one_line"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m|[\u29da\u29db]")
_LIST_MAX = 20


class FormulaError(LingradMessage, ValueError):
    """A formula, a categorical column or a design that cannot be used.

    Raised for bad formula syntax, a column the data lacks, an unsupported
    transform or contrast, a missing value, a non-numeric column used as a
    number, and a design spec (model file) that does not describe a design.

    Attributes
    ----------
    fields : dict
        Where they apply: ``formula``, ``column``, ``level``, ``row``.
    """


class UnseenLevelError(FormulaError):
    """A categorical value that the model never saw while it was fitted."""


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line, without terminal colours, cut to ``limit`` characters."""
    flat = " ".join(_ANSI.sub("", str(text)).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def listed(names: Sequence[object]) -> str:
    """``'a', 'b', 'c'`` (at most 20, then how many more)."""
    shown = ", ".join(repr(n) for n in names[:_LIST_MAX])
    more = len(names) - _LIST_MAX
    return shown + (f", ... ({more} more)" if more > 0 else "")
