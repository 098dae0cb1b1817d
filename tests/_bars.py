"""The layout of lingrad's progress bar, to check the captured samples in the docs.

A sample captured on a terminal (``lingrad fit big.csv -t y``) has a rate and times
of its own run; what must hold is its layout: :func:`layout` masks the digits and the
bar's glyphs, and :func:`rendered` draws lingrad's own bar (``lingrad._progress.RichBar``,
the one the CLI uses) at a given state on a fake clock, so the two can be compared.
"""

from __future__ import annotations

import io
import re

_BAR = re.compile(r"[━╸╺╾╼]+")


def layout(line: str) -> str:
    """``line`` with each run of bar glyphs as ``BAR``, every digit as ``9``, spaces single."""
    return re.sub(r"\s+", " ", re.sub(r"\d", "9", _BAR.sub("BAR", line))).strip()


def rendered(what: str, done: int, total: int, unit: str = "B", seconds: float = 1.0) -> str:
    """One frame of lingrad's bar for a pass at ``done`` of ``total``, ``seconds`` in."""
    from rich.console import Console

    from lingrad._progress import RichBar

    clock = [0.0]
    console = Console(file=io.StringIO(), width=100, get_time=lambda: clock[0])
    bar = RichBar(console)
    try:
        bar(0, total, unit, what)
        for k in (1, 2, 3, 4):  # a few reports, so that rich can estimate the rate
            clock[0] = seconds * k / 4
            bar(done * k // 4, total, unit, what)
        table = bar._progress.make_tasks_table(bar._progress.tasks)
        out = Console(file=io.StringIO(), width=100, color_system=None)
        out.print(table)
        return out.file.getvalue().strip()
    finally:
        bar.close()
