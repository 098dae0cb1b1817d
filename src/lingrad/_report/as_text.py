"""The plain-text summary table (statsmodels' layout): ``str(summary)``."""

from __future__ import annotations

import textwrap
from typing import Any

from .table import coef_table, header_rows, model_name

__all__ = ["render_text"]

_HALF = 38  # width of each header column


def _cell(key: str, value: str) -> str:
    if len(key) + len(value) < _HALF:
        return f"{key}{value:>{_HALF - len(key)}}"
    return f"{key} {value}"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent="    ") or [""]


def render_text(summary: Any, style: str = "python") -> str:
    """The summary as a fixed-width text table: title, header, coefficients, notes.

    Parameters
    ----------
    summary : Summary
    style : {"python", "cli"}, default="python"
        Wording of parameter settings in the notes (``lr='auto'`` or ``--lr auto``).

    Returns
    -------
    str
    """
    s = summary
    cols, rows = coef_table(s)
    nw = max([len(n) for n in s.names] + [8])
    cw = max([len(c) for c in cols] + [len(x) for r in rows for x in r]) + 1
    width = max(2 * _HALF + 2, nw + len(cols) * (cw + 1))
    lines = [f"{model_name(s)} Regression Results (lingrad)".center(2 * _HALF + 2), "=" * width]
    for k1, v1, k2, v2 in header_rows(s):
        lines.append(f"{_cell(k1, v1):<{_HALF}}  {_cell(k2, v2)}")
    lines.append("=" * width)
    lines.append(" " * nw + "".join(f" {c:>{cw}}" for c in cols))
    lines.append("-" * width)
    for name, row in zip(s.names, rows, strict=True):
        lines.append(f"{name:<{nw}}" + "".join(f" {x:>{cw}}" for x in row))
    lines.append("=" * width)
    lines.append("Notes:")
    for i, note in enumerate(s.render_notes(style), 1):
        lines.extend(_wrap(f"[{i}] {note}", width))
    return "\n".join(lines)
