"""The summary as a rich renderable (what ``rich.print(summary)`` shows).

rich is imported only when a summary is rendered this way.
"""

from __future__ import annotations

from typing import Any

from .table import coef_table, header_rows, model_name

__all__ = ["render_rich"]


def render_rich(summary: Any, style: str = "python") -> Any:
    """The coefficient table, the header and the notes, as a ``rich.console.Group``.

    ``summary`` and ``style`` as in :func:`lingrad._report.as_text.render_text`.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    s = summary
    head = Table(show_header=False, box=None, pad_edge=False)
    for _ in range(4):
        head.add_column()
    for row in header_rows(s):
        head.add_row(*row)
    cols, rows = coef_table(s)
    table = Table(title=f"{model_name(s)} regression: {s.target}")
    table.add_column("")
    for c in cols:
        table.add_column(c, justify="right")
    for name, row in zip(s.names, rows, strict=True):
        table.add_row(name, *row)
    warn = "bold red" if not s.classical_inference_valid else "dim"
    notes = [
        Text(f"[{i}] {n}", style=warn if i <= len(s.warnings) else "dim")
        for i, n in enumerate(s.render_notes(style), 1)
    ]
    return Group(table, head, *notes)
