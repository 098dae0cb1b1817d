"""Row blocks on every BLAS thread: many small products run in parallel, one thread each.

A pass over a tall array in cache-sized chunks makes hundreds of small BLAS calls.
Each multithreaded call wakes and joins its threads, which costs as much as the call
on small chunks and far more when the machine is busy (a thread that waits for a
descheduled partner). :func:`map_row_blocks` instead splits the rows into one
contiguous block per BLAS thread, runs each block's chunk loop on a Python thread
(NumPy releases the GIL in BLAS) with BLAS itself limited to one thread, and returns
the blocks' results in row order, for the caller to merge in that fixed order:
deterministic for a given thread count. The thread count is the one BLAS is set to
use (``threadpoolctl``, ``OPENBLAS_NUM_THREADS`` and the like): a limit set by the
user is respected.

Examples
--------
>>> import numpy as np
>>> X = np.arange(12.0).reshape(6, 2)
>>> parts = map_row_blocks(lambda lo, hi: X[lo:hi].sum(axis=0), 6, chunk=2)
>>> np.sum(parts, axis=0).tolist()
[30.0, 36.0]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

__all__ = ["blas_controller", "blas_threads", "map_row_blocks", "single_threaded_blas"]

T = TypeVar("T")

_lock = threading.RLock()  # (blas_controller is called while it is held)
_state: dict[str, Any] = {}


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: a fresh pool, lock and count."""
    global _lock
    _lock = threading.RLock()
    _state.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def blas_controller() -> Any:
    """threadpoolctl's controller, made once per process (it lists the loaded libraries:
    ~4 ms); every thread-count decision in lingrad reads it."""
    with _lock:
        if "controller" not in _state:
            from threadpoolctl import ThreadpoolController

            _state["controller"] = ThreadpoolController()
        return _state["controller"]


def blas_threads() -> int:
    """The number of threads BLAS is set to use now (1 when none is found)."""
    pools = blas_controller().select(user_api="blas")
    return max([int(p.num_threads) for p in pools.lib_controllers] or [1])


def _pool(workers: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _state.get("pool")
        if pool is None or pool._max_workers < workers:
            pool = _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="lingrad")
        return pool


def map_row_blocks(work: Callable[[int, int], T], n_rows: int, *, chunk: int) -> list[T]:
    """``[work(lo, hi), ...]`` over contiguous row blocks, one per BLAS thread, in parallel.

    Parameters
    ----------
    work : callable ``(lo, hi) -> result``
        Processes rows ``lo:hi`` (in chunks of its own); called from worker threads
        while BLAS runs single-threaded, under the caller's ``np.errstate``.
    n_rows : int
    chunk : int
        The caller's chunk length: block bounds fall on multiples of it, and there is
        one block (called on this thread, BLAS left as set) when there are fewer
        than two chunks per thread.

    Returns
    -------
    results : list, in row order (merge them in this order for a deterministic sum)
    """
    n_chunks = -(-n_rows // chunk)
    threads = blas_threads() if n_chunks >= 4 else 1
    workers = min(threads, n_chunks // 2)
    if workers <= 1:
        return [work(0, n_rows)]
    per = -(-n_chunks // workers) * chunk
    bounds = [(lo, min(lo + per, n_rows)) for lo in range(0, n_rows, per)]
    errstate = np.geterr()  # thread-local: the caller's floating-point error handling

    def run(lo: int, hi: int) -> T:
        with np.errstate(**errstate):
            return work(lo, hi)

    with single_threaded_blas():
        futures = [_pool(workers).submit(run, lo, hi) for lo, hi in bounds]
        return [f.result() for f in futures]


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread while any caller is inside; the setting restored by the last
    to leave (callers on several threads at once, e.g. Dask's, cannot undo each
    other's limits). For work made of many small BLAS calls (a QR of a tall, narrow
    matrix is a sequence of them), where waking threads costs more than they give."""
    with _lock:
        if _state.get("inside", 0) == 0:
            _state["limiter"] = blas_controller().limit(limits=1, user_api="blas")
        _state["inside"] = _state.get("inside", 0) + 1
    try:
        yield
    finally:
        with _lock:
            _state["inside"] -= 1
            if _state["inside"] == 0:
                _state.pop("limiter").restore_original_limits()
