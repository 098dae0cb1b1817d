"""Files that change under a fit: the file's identity, recorded and checked at every pass.

A fit may read a file several times (the statistics, then the reference
optimum's TSQR pass, inference, predictions, or one pass per iteration of the
"direct" engine). Rows appended (or the file replaced) between passes would
mix two datasets silently; so every pass checks the file's size,
modification time and inode against those seen at its first pass, when it
starts and when it ends, and raises :class:`~.errors.DataFileError` naming
the file if they differ.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
>>> with open(path, "w") as fh:
...     _ = fh.write("a,y\\n1,2\\n")
>>> stamp = FileStamp(path)
>>> list(stamp.watch(iter([1, 2])))  # the first pass records the file
[1, 2]
>>> with open(path, "a") as fh:
...     _ = fh.write("3,4\\n")
>>> try:
...     list(stamp.watch(iter([1, 2])))
... except DataFileError as err:
...     print(str(err).split(": ", 1)[1][:66])
the file changed while lingrad was reading it (size 8 -> 12 bytes)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NamedTuple

from .errors import DataFileError, data_error

__all__ = ["FileStamp"]


class _Identity(NamedTuple):
    size: int
    mtime_ns: int
    inode: int
    device: int


def _identity(path: str) -> _Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None  # missing or unreadable: the reader says so
    return _Identity(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _changed(path: str, was: _Identity, now: _Identity) -> DataFileError:
    if (was.inode, was.device) != (now.inode, now.device):
        what = "it was replaced by another file"
    elif was.size != now.size:
        what = f"size {was.size} -> {now.size} bytes"
    else:
        what = f"same size, modified: mtime {was.mtime_ns} -> {now.mtime_ns} ns"
    return data_error(
        path,
        f"the file changed while lingrad was reading it ({what}): the passes of a fit "
        "would see different rows. Re-run on a stable copy (or open_dataset again "
        "once the file is complete).",
        size=(was.size, now.size),
    )


class FileStamp:
    """The identity (size, mtime_ns, inode) of a file at its first pass, checked at every pass.

    Parameters
    ----------
    path : str
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.first: _Identity | None = None

    def check(self) -> None:
        """Record the file at the first call; raise DataFileError if it differs later."""
        now = _identity(self.path)
        if now is None:
            return
        if self.first is None:
            self.first = now
        elif now != self.first:
            raise _changed(self.path, self.first, now)

    def watch(self, items: Iterator[Any]) -> Iterator[Any]:
        """``items``, with the file checked before the first and after the last."""
        self.check()
        try:
            yield from items
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        self.check()
