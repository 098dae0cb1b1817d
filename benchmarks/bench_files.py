"""Fitting from CSV files bigger than memory: lingrad vs reading with pyarrow alone.

For CSV files of about 0.5, 1 and 2 GB (20 float features and a target), each
measured in a fresh subprocess:

(a) pyarrow alone: ``pyarrow.csv.open_csv`` (streaming, the columns typed
    float64 as lingrad asks, default block size), iterating every batch;
(b) lingrad: ``LinearRegression(lr="auto", tol=1e-10, n_iters=10000)
    .fit(open_dataset(path, "y"))``: parse, convert, check every cell,
    statistics, solve.

Reported: wall time of the work (imports excluded), throughput (file MB/s),
lingrad/pyarrow throughput ratio (target >= 0.8) and the process's peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``) with the RSS after imports (target:
flat in the file size). Runs alternate between (a) and (b); medians.

Usage::

    .venv/bin/python benchmarks/bench_files.py [--sizes 0.5,1,2] [--repeats 3]
    .venv/bin/python benchmarks/bench_files.py --smoke      # tiny files, seconds

The files are written to a temporary folder under /tmp and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_FEATURES = 20
RESULTS = Path(__file__).parent / "results" / "files.md"


def _rss_mb() -> float:
    """Current resident set size (MB), from /proc when available."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- children: one measurement per fresh process ------------------------------
def child(mode: str, path: str) -> dict:
    """Run one measurement in this (fresh) process; return its figures."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if mode != "pyarrow":
        import numpy as np

        from lingrad import LinearRegression
        from lingrad._sources.files import open_dataset

    if mode == "pyarrow":  # the column names, outside the timing
        names = pacsv.open_csv(path).schema.names
        opts = pacsv.ConvertOptions(column_types={c: pa.float64() for c in names})
    base = _rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    extra: dict = {}
    if mode == "pyarrow":
        rows = 0
        for batch in pacsv.open_csv(path, convert_options=opts):
            rows += batch.num_rows
    elif mode == "chunks":  # profile: parse + convert + checks, no statistics
        rows = sum(len(X) for X, _, _ in open_dataset(path, "y").iter_chunks())
    else:
        model = LinearRegression(lr="auto", tol=1e-10, n_iters=10000).fit(open_dataset(path, "y"))
        rows = int(model.stats_.n_samples)
        true = np.arange(1, N_FEATURES + 1) / N_FEATURES
        extra = {
            "n_iter": int(model.n_iter_),
            "coef_err": float(np.abs(model.coef_ - true).max()),
        }
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": rows,
        "base_mb": base,
        "peak_mb": _peak_mb(),
        **extra,
    }


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- data ----------------------------------------------------------------------
def write_csv(path: Path, target_bytes: int, seed: int = 0) -> int:
    """A CSV of about ``target_bytes``: x0..x19 standard normal, y = X c + 1 + noise."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    coef = np.arange(1, N_FEATURES + 1) / N_FEATURES
    names = [f"x{j}" for j in range(N_FEATURES)] + ["y"]

    def batch(n: int) -> pa.RecordBatch:
        X = rng.standard_normal((n, N_FEATURES))
        y = X @ coef + 1.0 + 0.1 * rng.standard_normal(n)
        return pa.RecordBatch.from_arrays([*X.T, y], names=names)

    rows = 0
    with pacsv.CSVWriter(str(path), batch(1).schema) as writer:
        writer.write_batch(batch(1000))
        rows += 1000
        per_row = max(path.stat().st_size, 1) / rows
        while path.stat().st_size < target_bytes:
            n = int(min(100_000, max(1000, (target_bytes - path.stat().st_size) / per_row)))
            writer.write_batch(batch(n))
            rows += n
    return rows


# -- driver ----------------------------------------------------------------------
def run(sizes_gb: list[float], repeats: int, profile: bool, tmp_root: str) -> list[dict]:
    rows_out = []
    tmp = Path(tempfile.mkdtemp(prefix="lingrad-bench-files-", dir=tmp_root))
    try:
        for gb in sizes_gb:
            path = tmp / f"data_{gb:g}GB.csv"
            t0 = time.perf_counter()
            n = write_csv(path, int(gb * 1e9))
            size = path.stat().st_size
            took = time.perf_counter() - t0
            print(f"wrote {path.name}: {_size(size)}, {n:,} rows ({took:.0f} s)")
            runs: dict[str, list[dict]] = {"pyarrow": [], "lingrad": [], "chunks": []}
            modes = ["pyarrow", "lingrad"] + (["chunks"] if profile else [])
            for r in range(repeats):
                for mode in modes:
                    res = measure(mode, path)
                    runs[mode].append(res)
                    secs, peak = res["seconds"], res["peak_mb"]
                    print(f"  run {r + 1} {mode:8s} {secs:7.2f} s  peak {peak:6.0f} MB")
            os.remove(path)
            rows_out.append(summarise(gb, size, n, runs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows_out


def _size(nbytes: float) -> str:
    return f"{nbytes / 1e9:.2f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def summarise(gb: float, size: int, n: int, runs: dict[str, list[dict]]) -> dict:
    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    pa_s, lg_s = med("pyarrow", "seconds"), med("lingrad", "seconds")
    row = {
        "gb": size / 1e9,
        "size": _size(size),
        "rows": n,
        "runs": len(runs["lingrad"]),
        "pa_s": pa_s,
        "lg_s": lg_s,
        "pa_cpu": med("pyarrow", "cpu"),
        "lg_cpu": med("lingrad", "cpu"),
        "pa_mbs": size / 1e6 / pa_s,
        "lg_mbs": size / 1e6 / lg_s,
        "ratio": pa_s / lg_s,
        "pa_peak": med("pyarrow", "peak_mb"),
        "pa_base": med("pyarrow", "base_mb"),
        "lg_peak": med("lingrad", "peak_mb"),
        "lg_base": med("lingrad", "base_mb"),
        "n_iter": runs["lingrad"][0].get("n_iter"),
        "coef_err": max(r.get("coef_err", 0.0) for r in runs["lingrad"]),
    }
    if runs["chunks"]:
        row["chunks_s"] = med("chunks", "seconds")
        row["chunks_cpu"] = med("chunks", "cpu")
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| file | rows | runs | pyarrow s (CPU s) | pyarrow MB/s | lingrad s (CPU s) "
        "| lingrad MB/s | ratio | CPU ratio "
        "| pyarrow peak RSS MB (after imports) | lingrad peak RSS MB (after imports) "
        "| lingrad RSS growth MB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['rows']:,} | {r['runs']} | {r['pa_s']:.2f} ({r['pa_cpu']:.2f}) | "
            f"{r['pa_mbs']:.0f} | {r['lg_s']:.2f} ({r['lg_cpu']:.2f}) | {r['lg_mbs']:.0f} | "
            f"{r['ratio']:.2f} | {r['pa_cpu'] / max(r['lg_cpu'], 1e-9):.2f} | "
            f"{r['pa_peak']:.0f} ({r['pa_base']:.0f}) | {r['lg_peak']:.0f} ({r['lg_base']:.0f}) | "
            f"{r['lg_peak'] - r['lg_base']:.0f} |"
        )
    return "\n".join(lines)


def report(rows: list[dict], command: str, load: tuple, seconds: float) -> str:
    import numpy as np
    import pyarrow as pa

    import lingrad

    prof = [r for r in rows if "chunks_s" in r]
    out = [
        "# Fitting from CSV files: `LinearRegression().fit(open_dataset(...))` vs pyarrow alone",
        "",
        "Measured: for CSV files of 20 float64 features and a target, each run in a fresh "
        "process, (a) pyarrow alone: `pyarrow.csv.open_csv` streaming with the columns typed "
        "float64, iterating every batch; (b) lingrad: "
        '`LinearRegression(lr="auto", tol=1e-10, n_iters=10000).fit(open_dataset(path, "y"))` '
        "(parse, convert, check every cell, sufficient statistics, solve). Times exclude "
        "interpreter start and imports; files are in the page cache (just written). Peak RSS "
        "is `getrusage(RUSAGE_SELF).ru_maxrss` of the child; in brackets the RSS after "
        "imports. CPU s: user + system time of the child (all its threads) during the work. "
        "Ratio = lingrad throughput / pyarrow throughput (target >= 0.8); CPU ratio = pyarrow "
        "CPU time / lingrad CPU time (steadier than wall time on a shared machine). Medians "
        "over `runs` alternating runs.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs (shared with other jobs: load "
        f"average {load[0]:.1f} at start, {load[1]:.1f} at the end); Python "
        f"{platform.python_version()}, NumPy {np.__version__}, pyarrow {pa.__version__}, "
        f"lingrad {lingrad.__version__}. Total {seconds / 60:.1f} min.",
        "",
        table(rows),
        "",
        "Fit check: the model converged in "
        + ", ".join(f"{r['n_iter']} iterations" for r in rows)
        + "; largest |coef - true coef| "
        + ", ".join(f"{r['coef_err']:.1e}" for r in rows)
        + " (noise 0.1).",
    ]
    if prof:
        out += [
            "",
            "Where lingrad's time goes (medians, wall s / CPU s): "
            + "; ".join(
                f"{r['size']}: pyarrow parse alone {r['pa_s']:.2f} / {r['pa_cpu']:.2f}; "
                f"lingrad parse + convert + checks (iter_chunks) {r['chunks_s']:.2f} / "
                f"{r['chunks_cpu']:.2f}; + statistics and solve (fit) {r['lg_s']:.2f} / "
                f"{r['lg_cpu']:.2f}"
                for r in prof
            )
            + ".",
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.5,1,2", help="file sizes in GB, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="runs per file and mode")
    parser.add_argument("--smoke", action="store_true", help="tiny files, one run: seconds")
    parser.add_argument("--profile", action="store_true", help="also time iter_chunks alone")
    parser.add_argument("--out", default=None, help=f"markdown output (default {RESULTS})")
    parser.add_argument("--tmp", default="/tmp", help="where to write the files")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    sizes = [0.002, 0.004] if args.smoke else [float(s) for s in args.sizes.split(",")]
    repeats = 1 if args.smoke else args.repeats
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    rows = run(sizes, repeats, args.profile, args.tmp)
    command = " ".join([".venv/bin/python", "benchmarks/bench_files.py", *sys.argv[1:]])
    text = report(rows, command, (load0, os.getloadavg()[0]), time.perf_counter() - t0)
    print()
    print(text)
    out = args.out or (None if args.smoke else RESULTS)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
        print(f"written to {out}")


if __name__ == "__main__":
    main()
