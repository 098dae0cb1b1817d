"""Sparse products in fixed chunks, on the cores this process may use.

SciPy's sparse matrix-vector products run on one core and release the GIL. :class:`Blocked`
cuts CSR (CSC) X once into chunks of rows (columns) of about equal stored entries, as
views of X's arrays (no copy), and multiplies them in threads: the calling thread and
up to ``threads() - 1`` pool threads each take the next chunk not yet taken, so a thread
the operating system pauses (a busy machine) holds no one back. The chunks depend only
on X, never on the number of threads, and every sum of chunks' products is taken in
chunk order: a product has the same bits on one core or eight, run after run.

Examples
--------
>>> import numpy as np
>>> import scipy.sparse as sp
>>> X = sp.random_array((1000, 50), density=0.1, format="csr", rng=0)
>>> v = np.arange(50.0)
>>> bool(np.allclose(Blocked(X, 4).product(v, False), X @ v))
True
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._rowpar import blas_controller

try:  # the kernels behind SciPy's sparse products (private: checked before use)
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover
    _sparsetools = None

__all__ = ["Blocked", "add_product", "blocked_of", "chunks_of", "run_chunks", "shell", "threads"]

#: Sparse X with at least this many stored entries is multiplied in chunks (and threads):
#: below, one SciPy call costs less than handing work to another thread.
PARALLEL_MIN_NNZ = 1 << 18
#: Stored entries per chunk, at least (each call's Python overhead stays below 1%) ...
CHUNK_MIN_NNZ = 1 << 17
#: ... and at most this many chunks (enough for a paused thread's share to be taken).
MAX_CHUNKS = 8
_MAX_THREADS = 8
_POOL: list = []
_DIRECT: list = [] if _sparsetools is not None else [False]  # the kernels passed their check


def _cpus() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        n = os.cpu_count() or 1
    return max(1, min(n, _MAX_THREADS))


def _library_limit() -> int | None:
    """The smallest thread count the BLAS/OpenMP libraries are set to (threadpoolctl's
    ``threadpool_limits`` or OMP_NUM_THREADS/OPENBLAS_NUM_THREADS), None if unknown."""
    ctl = blas_controller()
    counts = [] if ctl is None else [c.num_threads for c in ctl.lib_controllers]
    return min(counts) if counts else None


def threads() -> int:
    """The threads a product may use: the cores this process may run on (at most 8),
    and no more than the user allows the numerical libraries (``threadpool_limits(1)``
    or ``OMP_NUM_THREADS=1`` make lingrad's products single-threaded too)."""
    limit = _library_limit()
    return max(1, _cpus() if limit is None else min(_cpus(), limit))


def chunks_of(X: Any) -> int:
    """The number of chunks for sparse X (1: multiply it whole), from X alone.

    Chunks of at least :data:`CHUNK_MIN_NNZ` stored entries, at most
    :data:`MAX_CHUNKS`, and no more than keep the products' partial sums (one vector
    of X's other dimension per chunk) within a quarter of X's stored entries."""
    if not sp.issparse(X) or X.format not in ("csr", "csc") or X.nnz < PARALLEL_MIN_NNZ:
        return 1
    minor = X.shape[1] if X.format == "csr" else X.shape[0]
    count = min(MAX_CHUNKS, X.nnz // CHUNK_MIN_NNZ)
    while count > 2 and count * minor > X.nnz // 4:
        count -= 1
    return max(1, count)


def blocked_of(X: Any) -> Blocked | None:
    """X in chunks for threaded products, or None (dense or small: one SciPy call)."""
    count = chunks_of(X)
    return Blocked(X, count) if count > 1 else None


def shell(cls: type, shape: tuple[int, int], indptr, indices, data) -> Any:
    """A CSR/CSC ``cls`` on these arrays as they are: the constructor would copy views
    of less than half their base (SciPy prunes them)."""
    B = cls(shape, dtype=data.dtype)
    B.indptr, B.indices, B.data = indptr, indices, data
    return B


def _kernel(B: Any, V: np.ndarray, out: np.ndarray) -> Callable | None:
    """SciPy's kernel that adds ``B @ V`` into ``out`` in place (``scipy.sparse``'s own
    products allocate and zero the result first), or None where its exact argument
    types are not met (another dtype, a strided array) or it failed its check."""
    if not _DIRECT:
        _DIRECT.append(_kernels_work())
    if not _DIRECT[0] or B.format not in ("csr", "csc"):
        return None
    same = B.data.dtype == V.dtype == out.dtype and B.data.dtype in (np.float32, np.float64)
    plain = V.flags.c_contiguous and out.flags.c_contiguous and B.data.flags.c_contiguous
    if not (same and plain and B.indptr.dtype == B.indices.dtype):
        return None
    return getattr(_sparsetools, B.format + ("_matvec" if V.ndim == 1 else "_matvecs"), None)


def _kernels_work() -> bool:
    """Whether the kernels add into their last argument as this module expects."""
    try:
        A = sp.csr_array(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
        for M in (A, A.T):
            for V in (np.array([1.0, 2.0, 3.0][: M.shape[1]]), np.ones((M.shape[1], 2))):
                out = np.ones((M.shape[0], *V.shape[1:]))
                fn = getattr(_sparsetools, M.format + ("_matvec" if V.ndim == 1 else "_matvecs"))
                args = (M.indptr, M.indices, M.data, V, out)
                fn(*M.shape, *(() if V.ndim == 1 else (V.shape[1],)), *args)
                if not np.array_equal(out, 1.0 + M @ V):
                    return False
    except Exception:  # a private module: any change means "do not use"
        return False
    return True


def add_product(B: Any, V: np.ndarray, out: np.ndarray) -> None:
    """``out += B @ V`` in place, for CSR/CSC ``B`` (SciPy's kernel where it applies)."""
    fn = _kernel(B, V, out)
    if fn is None:
        out += B @ V
    elif V.ndim == 1:
        fn(*B.shape, B.indptr, B.indices, B.data, V, out)
    else:
        fn(*B.shape, V.shape[1], B.indptr, B.indices, B.data, V, out)


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        workers = max(1, _cpus() - 1)
        _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="lingrad-product"))
    return _POOL[0]


def run_chunks(work: Callable[[int], None], count: int, workers: int) -> None:
    """``work(i)`` for every ``i < count``: the calling thread and ``workers - 1`` pool
    threads each take the next chunk not yet taken (``next`` on a count is atomic)."""
    workers = min(workers, count, _cpus())
    if workers <= 1:
        for i in range(count):
            work(i)
        return
    order = itertools.count()

    def loop() -> None:
        while (i := next(order)) < count:
            work(i)

    helpers = [_pool().submit(loop) for _ in range(workers - 1)]
    try:
        loop()
    finally:
        for h in helpers:
            h.result()


class Blocked:
    """CSR (CSC) X as chunks of rows (columns) of about equal stored entries that share
    X's arrays (no copy), multiplied in threads.

    Parameters
    ----------
    X : CSR or CSC sparse matrix of shape (n_samples, n_features)
    parts : int
        Number of chunks (:func:`chunks_of` chooses it from X).
    """

    def __init__(self, X: Any, parts: int) -> None:
        self.csr, self.shape = X.format == "csr", X.shape
        major = X.shape[0] if self.csr else X.shape[1]
        cuts = np.searchsorted(X.indptr, np.linspace(0, X.nnz, parts + 1))
        cuts[0], cuts[-1] = 0, major
        self.cuts = np.unique(np.clip(cuts, 0, major))
        self.spans = [(int(a), int(b)) for a, b in zip(self.cuts[:-1], self.cuts[1:], strict=True)]
        self._cls, self._cls_t = type(X), type(X.T)
        self.workers = threads()  # read once: the user's limits as the fit starts
        self._parts = []  # (indptr, indices, data slice) of each chunk: X's arrays
        for lo, hi in self.spans:
            p0, p1 = X.indptr[lo], X.indptr[hi]
            indptr = np.subtract(X.indptr[lo : hi + 1], p0, dtype=X.indptr.dtype)
            self._parts.append((indptr, X.indices[p0:p1], slice(p0, p1)))
        self._wrap(X.data)

    def _wrap(self, data: np.ndarray) -> None:
        """The chunks (and their transposes) on ``data``, X's stored values or others."""
        self.blocks, self.blocks_t = [], []
        for (lo, hi), (indptr, indices, part) in zip(self.spans, self._parts, strict=True):
            shape = (hi - lo, self.shape[1]) if self.csr else (self.shape[0], hi - lo)
            args = (indptr, indices, data[part])
            self.blocks.append(shell(self._cls, shape, *args))
            self.blocks_t.append(shell(self._cls_t, shape[::-1], *args))

    def with_data(self, data: np.ndarray) -> Blocked:
        """The same chunks with other stored values (same sparsity pattern): no copy."""
        other = copy.copy(self)
        other._wrap(data)
        return other

    def product(
        self,
        V: np.ndarray,
        transpose: bool,
        initial: Any = 0.0,
        values: Callable | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """``initial + X @ V`` (``X.T @ V`` when ``transpose``), V of shape (m,) or (m, k);
        ``initial`` broadcasts to the result (a constant row, say: no pass of its own).
        ``values``: X's stored values mapped by it (``np.square``: the squares), one
        chunk at a time (no array of them all). ``out``: where to write the result (of
        its shape and dtype; a reused buffer costs no fresh pages)."""
        chunks = self.blocks_t if transpose else self.blocks

        def block(i: int) -> Any:  # chunk i, with its values mapped where asked (in its thread)
            B = chunks[i]
            return (
                B
                if values is None
                else shell(type(B), B.shape, B.indptr, B.indices, values(B.data))
            )

        spans, count = self.spans, len(chunks)
        rows = self.shape[1] if transpose else self.shape[0]
        shape, dtype = (rows, *V.shape[1:]), np.result_type(chunks[0].dtype, V)
        if out is None or out.shape != shape or out.dtype != dtype:
            out = np.empty(shape, dtype=dtype)
        if self.csr != transpose:  # each chunk owns a slice of the output
            whole = np.ndim(initial) == out.ndim  # an initial of the result's shape

            def fill(i: int) -> None:
                a, b = spans[i]
                out[a:b] = initial[a:b] if whole else initial  # (in the chunk's thread)
                add_product(block(i), V, out[a:b])

            run_chunks(fill, count, self.workers)
            return out
        parts: list = [None] * count

        def part(i: int) -> None:
            parts[i] = np.zeros_like(out)
            add_product(block(i), V[spans[i][0] : spans[i][1]], parts[i])

        run_chunks(part, count, self.workers)
        out[...] = initial
        for p in parts:  # in chunk order, whoever computed them: the same bits
            out += p
        return out
