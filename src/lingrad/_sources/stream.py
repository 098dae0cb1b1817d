"""The read-ahead stream: a thread parses the next blocks while the caller computes.

pyarrow and BLAS release the GIL, so a reading thread that parses ahead
overlaps parsing with the caller's statistics or gradients. Small files are
read without a thread (a pass then costs about 1 ms less), and while the
thread runs BLAS is limited to the CPUs it leaves free.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .._rowpar import blas_controller

__all__ = ["PREFETCH", "PREFETCH_BYTES", "blas_leaving_a_core", "prefetch", "read_ahead"]

#: Blocks parsed ahead by the reading thread (~4 MiB of CSV).
PREFETCH = 4
#: Files under this size are read without a thread.
PREFETCH_BYTES = 8 << 20


def prefetch(make: Callable[[], Iterator[Any]], depth: int = PREFETCH) -> Iterator[Any]:
    """Iterate ``make()`` in a background thread, at most ``depth`` items ahead.

    Errors raised while reading re-raise here, in order; closing this generator
    early stops the thread (and closes the reading iterator, hence the file).
    ``depth <= 0`` iterates ``make()`` in the caller's thread.

    Examples
    --------
    >>> list(prefetch(lambda: iter(range(5)), depth=2))
    [0, 1, 2, 3, 4]
    """
    if depth <= 0:
        yield from make()
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        it = make()
        try:
            for item in it:
                if not put((None, item)):
                    return
            put((None, done))
        except BaseException as exc:  # handed to the consumer, raised there
            put((exc, None))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="lingrad-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            exc, item = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def blas_leaving_a_core() -> contextlib.AbstractContextManager:
    """Limit BLAS to the CPUs the read-ahead thread leaves free (from this call on).

    The reading thread parses while the caller's BLAS products (statistics,
    gradients) run; with as many BLAS threads as CPUs they oversubscribe the
    machine and OpenBLAS's spinning threads burn CPU (measured on 2 CPUs: the
    statistics pass took twice the CPU time of the parse). scikit-learn's
    KMeans limits BLAS the same way around its own threads. Leaving the
    returned context restores the previous limits.
    """
    try:
        controller = blas_controller()  # lingrad's one controller (made once per process)
    except ImportError:  # pragma: no cover - a dependency of scikit-learn
        return contextlib.nullcontext()
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return controller.limit(limits=max(1, cpus - 1), user_api="blas")


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # reported by the reader


def read_ahead(
    make: Callable[[], Iterator[Any]], path: str
) -> tuple[Iterator[Any], contextlib.AbstractContextManager]:
    """``make()``'s items, read ahead by a thread when the file ``path`` is large.

    Returns
    -------
    items : iterator
        Close it to stop the thread (and the reading) early.
    limits : context manager
        The BLAS limit in force while the thread runs (nothing for small
        files): hold it while consuming ``items``.
    """
    depth = PREFETCH if _file_size(path) >= PREFETCH_BYTES else 0
    limits = blas_leaving_a_core() if depth > 0 else contextlib.nullcontext()
    return prefetch(make, depth), limits
