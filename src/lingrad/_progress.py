"""Progress of streamed passes: a callback protocol that tqdm or rich can drive.

Every pass over a :class:`~lingrad.Dataset` (the statistics pass of a fit, the
second pass of a robust summary, a prediction or an evaluation pass) reports
``progress(done, total, unit, what)``:

- ``done`` : int, how much of the pass is read, non-decreasing within a pass;
- ``total`` : int or None, the size of the pass (None when unknown, e.g. a
  compressed CSV), and ``done == total`` once the pass ends;
- ``unit`` : ``"B"`` (bytes of a CSV file, the files' total size) or
  ``"rows"`` (Parquet, ``.npy``, Arrow streams: rows of the known row count);
- ``what`` : a label, e.g. ``"reading data.csv"``, then ``"reading data.csv
  (pass 2)"``.

A CSV's bytes are the rows read times the bytes per row (measured on the
file's first MiB, then exactly after the first pass): parsing runs ahead in a
thread, so the reader's own file position would be ahead of the statistics.

The callback is given by ``open_dataset(..., progress=...)``, or for every
dataset opened or read inside ``with show_progress(...)``. ``progress=True``
draws a bar on stderr (rich if installed, else tqdm, else nothing); a
callable is called as above. A tqdm bar per pass::

    from tqdm import tqdm
    bars = {}
    def progress(done, total, unit, what):
        bar = bars.get(what) or bars.setdefault(
            what, tqdm(total=total, unit=unit, unit_scale=True, desc=what))
        bar.update(done - bar.n)
        if done == total:
            bar.close()
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["PassMeter", "ProgressCallback", "resolve", "show_progress", "stderr_bar"]

#: ``progress(done, total, unit, what)``.
ProgressCallback = Callable[[int, "int | None", str, str], None]

_CURRENT: contextvars.ContextVar[ProgressCallback | None] = contextvars.ContextVar(
    "lingrad_progress", default=None
)
_SAMPLE = 1 << 20


def resolve(progress: Any) -> ProgressCallback | None:
    """``progress=`` as a callback: None/False -> the enclosing :func:`show_progress`'s.

    Examples
    --------
    >>> resolve(None) is None
    True
    >>> calls = []
    >>> resolve(lambda *a: calls.append(a))(1, 2, "rows", "x"); calls
    [(1, 2, 'rows', 'x')]
    """
    if progress is None or progress is False:
        return _CURRENT.get()
    if progress is True:
        return stderr_bar()
    if not callable(progress):
        raise TypeError(
            "progress must be True, False, None or a callable progress(done, total, unit, "
            f"what); got {type(progress).__name__}."
        )
    return progress


@contextlib.contextmanager
def show_progress(progress: Any = True) -> Iterator[ProgressCallback | None]:
    """Report the progress of every dataset pass inside the block to ``progress``.

    Parameters
    ----------
    progress : bool, callable or rich Console, default=True
        True: a bar on stderr (rich, else tqdm); a callable ``progress(done,
        total, unit, what)``; a rich ``Console``: bars on it; False: nothing
        (also inside an enclosing block).

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from lingrad import LinearRegression, open_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "d.npy")
    >>> np.save(path, np.arange(20.0).reshape(10, 2))
    >>> seen = []
    >>> with show_progress(lambda done, total, unit, what: seen.append((done, total, unit))):
    ...     _ = LinearRegression(lr="auto").fit(open_dataset(path, target=-1, chunk_rows=4))
    >>> seen[-1]
    (10, 10, 'rows')
    """
    if progress is False:
        callback = None
    elif not callable(progress) and hasattr(progress, "is_terminal"):
        callback = RichBar(progress)  # a rich Console
    else:
        callback = stderr_bar() if progress is True else resolve(progress)
    token = _CURRENT.set(callback)
    try:
        yield callback
    finally:
        _CURRENT.reset(token)


def stderr_bar() -> ProgressCallback | None:
    """A callback drawing one bar per pass on stderr: rich if installed, else tqdm."""
    try:
        from rich.console import Console
    except ImportError:
        return _tqdm_bar()
    return RichBar(Console(stderr=True))


def _tqdm_bar() -> ProgressCallback | None:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bars: dict[str, Any] = {}

    def progress(done: int, total: int | None, unit: str, what: str) -> None:
        bar = bars.get(what)
        if bar is None:
            bar = bars[what] = tqdm(total=total, unit=unit, unit_scale=True, desc=what)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    return progress


class RichBar:
    """A rich progress display: one transient bar per pass, with rate and ETA.

    Started at a pass's first report and stopped when it ends (or by
    :meth:`close`), so no live display is left running between passes.
    Iterations (``unit="it"``) show the loss in ``what``.
    """

    def __init__(self, console: Any) -> None:
        self.console = console
        self._progress: Any = None
        self._task: Any = None
        self._what: str | None = None

    def _start(self, unit: str) -> None:
        from rich import progress as rp

        size = rp.DownloadColumn() if unit == "B" else rp.MofNCompleteColumn()
        rate = rp.TransferSpeedColumn() if unit == "B" else rp.TextColumn(f"{unit}")
        self._progress = rp.Progress(
            rp.TextColumn("{task.description}"),
            rp.BarColumn(),
            size,
            rate,
            rp.TimeElapsedColumn(),
            rp.TextColumn("ETA"),
            rp.TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.start()

    def __call__(self, done: int, total: int | None, unit: str, what: str) -> None:
        key = what if unit != "it" else "it"
        if self._progress is None or key != self._what:
            self.close()
            self._start(unit)
            self._task = self._progress.add_task(what, total=total)
            self._what = key
        self._progress.update(self._task, completed=done, total=total, description=what)
        if total is not None and done >= total:
            self.close()

    def close(self) -> None:
        """Stop the live display (the bar is removed: it is transient)."""
        if self._progress is not None:
            self._progress.stop()
        self._progress = self._task = self._what = None


class PassMeter:
    """The progress of one pass over a reader, reported as rows are read.

    Parameters
    ----------
    reader : object
        The dataset's reader (``format``, ``path``, ``n_rows``, ``files``).
    callback : callable
    what : str
    per_row : float or None
        Bytes per row of a CSV, exact after a first pass (else sampled).
    """

    def __init__(self, reader: Any, callback: ProgressCallback, what: str, per_row: Any) -> None:
        self.callback, self.what = callback, what
        self.rows = self.done = 0
        n_rows = getattr(reader, "n_rows", None)
        files = list(getattr(reader, "files", None) or [getattr(reader, "path", "")])
        plain_csv = reader.format == "csv" and all(
            isinstance(f, str) and f.lower().endswith(".csv") for f in files
        )
        self.unit, self.total, self.per_row, self.header = "rows", n_rows, None, 0
        if plain_csv and n_rows is None:
            sizes = [_size(f) for f in files]
            if all(s > 0 for s in sizes):
                self.unit, self.total = "B", sum(sizes)
                self.header, sampled = _sample_rows(files[0])
                self.header *= len(files)
                self.per_row = per_row or sampled
        self.callback(0, self.total, self.unit, self.what)

    def advance(self, n: int) -> None:
        """``n`` more rows read."""
        self.rows += n
        if self.unit == "B":
            est = int(self.header + self.rows * self.per_row)
            done = min(est, self.total - 1)  # the end is reported by finish
        else:
            done = self.rows if self.total is None else min(self.rows, self.total)
        if done > self.done:
            self.done = done
            self.callback(done, self.total, self.unit, self.what)

    def finish(self) -> float | None:
        """The pass ended: ``done = total``; return the exact bytes per row (CSV)."""
        total = self.total if self.total is not None else self.rows
        self.callback(total, total, self.unit, self.what)
        if self.unit == "B" and self.rows:
            return (self.total - self.header) / self.rows
        return None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _sample_rows(path: str) -> tuple[int, float]:
    """(header bytes, bytes per data row) of a CSV's first MiB."""
    with open(path, "rb") as f:
        sample = f.read(_SAMPLE)
    header = sample.find(b"\n") + 1
    body = sample[header:]
    if len(sample) == _SAMPLE:
        body = body[: body.rfind(b"\n") + 1]
    rows = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
    return header, (len(body) / rows if rows else max(len(body), 1))


def metered_frames(frames: Any, raw: Any) -> Any:
    """``(row0, frame)`` pairs of ``frames``, the pass reported like a dataset's own.

    ``raw`` is a formula's raw input: when it came from ``open_dataset`` it carries
    ``meter_dataset``, whose ``progress=`` (or the enclosing :func:`show_progress`)
    gets the pass, numbered among the dataset's passes; other inputs (DataFrames,
    Dask, Spark) are passed through unreported.

    Examples
    --------
    >>> list(metered_frames(iter([(0, [1, 2])]), object()))
    [(0, [1, 2])]
    """
    ds = getattr(raw, "meter_dataset", None)
    callback = resolve(getattr(ds, "progress", None)) if ds is not None else None
    if callback is None:
        yield from frames
        return
    ds._passes += 1
    reader = ds._reader
    name = os.path.basename(str(reader.path).rstrip("/")) or str(reader.path)
    what = f"reading {name}" + (f" (pass {ds._passes})" if ds._passes > 1 else "")
    meter = PassMeter(reader, callback, what, None)
    for row0, frame in frames:
        yield row0, frame
        meter.advance(len(frame))
    meter.finish()
