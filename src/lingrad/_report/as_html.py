"""The summary as HTML, for Jupyter (``summary._repr_html_()``).

Self-contained: plain tables with inline styles, no script, no stylesheet or
link to fetch; every string (feature names, notes) is escaped. The cells are
those of the text table (:mod:`.table`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from .table import coef_table, header_rows, model_name

__all__ = ["render_html", "rows_html"]

_TABLE = 'style="border-collapse:collapse;margin:0.4em 0;font-family:monospace"'
_CELL = 'style="padding:0.1em 0.6em;text-align:{align}"'


def _row(cells: list[str], tag: str = "td", first_left: bool = True) -> str:
    out = []
    for i, c in enumerate(cells):
        align = "left" if (i == 0 and first_left) else "right"
        out.append(f"<{tag} {_CELL.format(align=align)}>{escape(c)}</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def rows_html(title: str, rows: list[tuple[str, ...]]) -> str:
    """A titled two-or-more column table of (label, value, ...) rows, escaped.

    Parameters
    ----------
    title : str
    rows : list of tuple of str

    Returns
    -------
    str

    Examples
    --------
    >>> rows_html("Fit", [("a<b", "1")])[:52]
    '<table style="border-collapse:collapse;margin:0.4em '
    >>> "a&lt;b" in rows_html("Fit", [("a<b", "1")])
    True
    """
    caption = f'<caption style="font-weight:bold;text-align:left">{escape(title)}</caption>'
    body = "".join(_row(list(r)) for r in rows)
    return f"<table {_TABLE}>{caption}<tbody>{body}</tbody></table>"


def render_html(summary: Any, style: str = "python") -> str:
    """The summary as HTML: title, header, coefficient table, notes.

    Parameters
    ----------
    summary : Summary
    style : {"python", "cli"}, default="python"
        Wording of parameter settings in the notes.

    Returns
    -------
    str
        A ``<div>`` holding three tables and an ordered list of notes.
    """
    s = summary
    head = rows_html(f"{model_name(s)} Regression Results (lingrad): {s.target}", header_rows(s))
    cols, rows = coef_table(s)
    coef = "".join(
        [
            f"<table {_TABLE}><thead>",
            _row(["", *cols], "th"),
            "</thead><tbody>",
            *(_row([name, *r]) for name, r in zip(s.names, rows, strict=True)),
            "</tbody></table>",
        ]
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in s.render_notes(style))
    return (
        f'<div class="lingrad-summary">{head}{coef}'
        f'<p style="margin:0.2em 0">Notes:</p><ol style="margin:0">{notes}</ol></div>'
    )
