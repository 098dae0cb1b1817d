"""Helpers shared by the benchmark scripts: timing, memory, machine, tables.

Nothing here is part of lingrad; the scripts import it as a sibling module.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"

# A first (memory-traced) run shorter than FAST_S is followed by FAST_REPEATS
# timed runs, one shorter than SLOW_S by SLOW_REPEATS; a longer one is the only
# run (its time is taken under tracemalloc, whose overhead is negligible there).
FAST_S, FAST_REPEATS = 1.0, 5
SLOW_S, SLOW_REPEATS = 10.0, 3


# -- command line ----------------------------------------------------------------
def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options every benchmark script takes: ``--smoke`` and ``--out DIR``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, same code paths, a few seconds; no targets asserted",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        help=f"directory for the markdown table (default: {RESULTS_DIR})",
    )
    return parser.parse_args(argv)


def write_result(out_dir: Path, topic: str, text: str) -> Path:
    """Write ``<out_dir>/<topic>.md`` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{topic}.md"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


# -- timing and memory -------------------------------------------------------------
@dataclass
class Measurement:
    """Median wall time of a call, its peak extra traced memory, and its last result."""

    median_s: float
    times_s: list[float]
    peak_bytes: int
    result: Any = field(default=None, repr=False)

    @property
    def runs(self) -> int:
        return len(self.times_s)


def traced_peak(fn: Callable[[], Any]) -> tuple[int, float, Any]:
    """Run ``fn`` once under tracemalloc.

    Returns the peak of memory allocated during the call above what was
    allocated at its start (bytes), the wall time and the result. tracemalloc
    sees Python and NumPy allocations (NumPy reports its data buffers to it),
    not BLAS/OpenMP scratch space or C++ allocations of other libraries.
    """
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return max(peak - base, 0), dt, out


def measure(fn: Callable[[], Any], *, repeats: int | None = None) -> Measurement:
    """Peak memory from one traced run, then the median of untraced timed runs.

    ``repeats=None`` chooses from the traced run's time: 5 timed runs under
    1 s, 3 under 10 s, otherwise the traced run is the only one.
    """
    peak, dt, out = traced_peak(fn)
    if repeats is None:
        repeats = FAST_REPEATS if dt < FAST_S else SLOW_REPEATS if dt < SLOW_S else 0
    if repeats == 0:
        return Measurement(dt, [dt], peak, out)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return Measurement(statistics.median(times), times, peak, out)


def measure_interleaved(
    jobs: dict[str, Callable[[], Any]],
    *,
    repeats: int | None = None,
    on_traced: Callable[[str, float], None] | None = None,
) -> dict[str, Measurement]:
    """:func:`measure` for several calls, their timed runs taken in turns.

    Every job first runs once under tracemalloc (peak memory; its time picks
    the number of timed runs as in :func:`measure`), then the timed runs go
    round-robin (A B C A B C ...), so that every job sees the same load on a
    shared machine rather than one job catching a quiet minute.
    """
    traced: dict[str, tuple[int, float, Any]] = {}
    counts: dict[str, int] = {}
    for key, fn in jobs.items():
        traced[key] = traced_peak(fn)
        dt = traced[key][1]
        if on_traced is not None:
            on_traced(key, dt)
        if repeats is not None:
            counts[key] = repeats
        else:
            counts[key] = FAST_REPEATS if dt < FAST_S else SLOW_REPEATS if dt < SLOW_S else 0
    times: dict[str, list[float]] = {key: [] for key in jobs}
    results = {key: traced[key][2] for key in jobs}
    for r in range(max(counts.values(), default=0)):
        for key, fn in jobs.items():
            if r < counts[key]:
                t0 = time.perf_counter()
                results[key] = fn()
                times[key].append(time.perf_counter() - t0)
    out = {}
    for key in jobs:
        peak, dt, _ = traced[key]
        ts = times[key] or [dt]
        out[key] = Measurement(statistics.median(ts), ts, peak, results[key])
    return out


def timed(fn: Callable[[], Any], *, repeats: int | None = None) -> Measurement:
    """Median wall time without tracing (``peak_bytes`` is 0).

    ``repeats=None`` chooses from the first run's time: 5 runs in all under
    1 s, 3 under 10 s, otherwise that first run alone.
    """
    t0 = time.perf_counter()
    out = fn()
    times = [time.perf_counter() - t0]
    if repeats is None:
        repeats = FAST_REPEATS if times[0] < FAST_S else SLOW_REPEATS if times[0] < SLOW_S else 1
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return Measurement(statistics.median(times), times, 0, out)


def median_time(fn: Callable[[], Any], repeats: int = 5) -> float:
    """Median wall time of ``repeats`` calls (no tracing)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# -- accuracy ------------------------------------------------------------------------
def rel_error(theta: np.ndarray, ref: np.ndarray) -> float:
    """``max |theta - ref| / max |ref|`` over coefficients and intercept."""
    theta = np.asarray(theta, dtype=np.float64).ravel()
    ref = np.asarray(ref, dtype=np.float64).ravel()
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    gap = float(np.max(np.abs(theta - ref))) if ref.size else 0.0
    return gap / scale if scale > 0 else gap


def nbytes(X) -> int:
    """Bytes held by a dense array or a sparse matrix (data + indices + indptr)."""
    if hasattr(X, "indptr"):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(np.asarray(X).nbytes)


# -- formatting ------------------------------------------------------------------------
def fmt_time(s: float) -> str:
    if not math.isfinite(s):
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float) -> str:
    if r is None or not math.isfinite(r):
        return "–"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    if r >= 0.1:
        return f"{r:.2f}×"
    return f"{r:.2g}×"


def fmt_sci(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.1e}"


def fmt_mb(b: float) -> str:
    return f"{b / 2**20:.1f}"


def fmt_share(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole``; "–" when ``whole`` is under 1 MB (meaningless)."""
    if whole < 2**20:
        return "–"
    return f"{100 * part / whole:.0f}%"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A GitHub-flavoured markdown table; ``align`` is one of l/r/c per column."""
    align = align.ljust(len(headers), "l")
    rule = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [
        "| " + " | ".join(str(h) for h in headers) + " |",
        "| " + " | ".join(rule[a] for a in align) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


# -- the machine ------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return math.nan


def _blas_info() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return ["threadpoolctl not installed"]
    out = []
    for pool in threadpool_info():
        name = pool.get("internal_api", "?")
        lib = Path(pool.get("filepath", "")).name
        bits = [f"{name} {pool.get('version') or ''}".strip(), f"{pool.get('num_threads')} threads"]
        if pool.get("architecture"):
            bits.append(f"arch {pool['architecture']}")
        out.append(f"{', '.join(bits)} ({lib})")
    return out


def machine_description() -> str:
    """A markdown bullet list: CPU, cores, memory, Python/NumPy, BLAS pools, BLAS env vars."""
    import numpy
    import scipy
    import sklearn

    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = cores
    lines = [
        f"- CPU: {_cpu_model()}; {usable} usable cores (nproc), {cores} online",
        f"- memory: {_mem_total_gib():.1f} GiB",
        f"- Python {platform.python_version()}, NumPy {numpy.__version__}, "
        f"SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}",
        f"- {lingrad_revision()}",
    ]
    lines += [f"- thread pool: {b}" for b in _blas_info()]
    try:
        load = os.getloadavg()
        lines.append(
            f"- load average (1/5/15 min) when this was written: {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f} on {usable} cores (other work on the machine slows every timing)"
        )
    except OSError:  # pragma: no cover - not available
        pass
    env = {
        k: os.environ[k]
        for k in (
            "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE",
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
        )
        if k in os.environ
    }
    if env:
        lines.append("- environment: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    return "\n".join(lines)


def lingrad_revision() -> str:
    """``lingrad <version>, commit <hash>`` and whether src/ has uncommitted changes."""
    import subprocess

    import lingrad

    text = f"lingrad {lingrad.__version__}"
    root = HERE.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return text
    if head:
        text += f", commit {head}"
        if dirty:
            text += " with uncommitted changes under src/"
    return text


def now_utc() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
