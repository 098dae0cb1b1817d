"""Progress bars of the commands: on stderr, only on a terminal, never with ``--quiet``.

Every command runs inside :func:`progress_display` (see
:func:`lingrad.cli.app.command`): on a terminal each streamed pass over a data
file (bytes of a CSV, rows of a Parquet or ``.npy`` file) and each long solve
(iterations, with the loss) shows a transient bar with its rate and ETA,
drawn by :func:`lingrad.show_progress` on a rich console on stderr. Nothing is
drawn when stderr is not a terminal or with ``--quiet``; ``LINGRAD_PROGRESS=1``
forces the bars (``0`` turns them off).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from lingrad import show_progress

__all__ = ["active", "on_terminal", "progress_display"]

#: The display of the running command: [callback or None] while one runs, else empty.
_ACTIVE: list[Any] = []


def on_terminal() -> bool:
    """Whether to draw: stderr is a terminal, or ``LINGRAD_PROGRESS`` says so."""
    forced = os.environ.get("LINGRAD_PROGRESS")
    if forced is not None:
        return forced not in ("", "0")
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def active() -> list[Any]:
    """``[callback]`` inside a command (callback None when nothing is drawn), else ``[]``."""
    return _ACTIVE[-1:]


@contextlib.contextmanager
def progress_display(quiet: bool = False) -> Iterator[Any]:
    """Bars on stderr for the passes and solves inside the block (None when not drawn)."""
    draw = not quiet and on_terminal()
    if draw:
        from rich.console import Console

        target: Any = Console(stderr=True, force_terminal=True, highlight=False)
    else:
        target = False
    with show_progress(target) as callback:
        _ACTIVE.append(callback)
        try:
            yield callback
        finally:
            _ACTIVE.pop()
            close = getattr(callback, "close", None)
            if close is not None:
                close()
