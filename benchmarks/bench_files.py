"""Fitting from CSV and Parquet files: lingrad vs polars and pyarrow, side by side.

For CSV files of about 0.5, 1 and 2 GB (20 float features and a target) and the
same rows as Parquet (row groups of 2**20 rows, pyarrow's default), each
measurement in a fresh subprocess:

(a) pyarrow alone: ``pyarrow.csv.open_csv`` (streaming, the columns typed
    float64 as lingrad asks, default block size), iterating every batch;
(b) polars' streaming scan: ``pl.scan_csv(p).select(pl.all().sum())
    .collect(engine="streaming")`` (parse every cell, one sum per column);
(c) lingrad: ``LinearRegression(lr="auto", tol=1e-10, n_iters=10000)
    .fit(open_dataset(path, "y"))``: parse, convert, check every cell,
    statistics, solve;
(d) Parquet: ``pyarrow.parquet.read_table(path)`` alone, and (e) lingrad's
    fit as in (c) from the Parquet file.

Reported: wall time of the work (imports excluded), throughput (file MB/s),
the ratios and the process's peak RSS (``VmHWM``, else ``getrusage(RUSAGE_SELF).ru_maxrss``)
with the RSS after imports. Runs alternate between the modes; medians. The
targets of issue 12 are printed with PASS or MISS: CSV throughput >= 1.0x
polars' streaming scan with lingrad's peak RSS flat in the file size; Parquet
time <= 1.0x ``read_table`` alone.

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
    """Peak resident set size (MB) of this process since it started.

    ``VmHWM`` from /proc where available: ``ru_maxrss`` survives ``exec``, so a
    child would report its parent's peak (the driver's, while writing files).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- children: one measurement per fresh process ------------------------------
CSV_MODES = ("pyarrow", "polars", "lingrad")
PARQUET_MODES = ("pq_read", "pq_lingrad")


def _work(mode: str, path: str) -> tuple[int, dict]:
    """The measured work of ``mode`` on ``path``: (rows, extra figures)."""
    if mode == "pyarrow":
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = pacsv.open_csv(path).schema.names
        opts = pacsv.ConvertOptions(column_types={c: pa.float64() for c in names})
        t0 = time.perf_counter()
        rows = sum(b.num_rows for b in pacsv.open_csv(path, convert_options=opts))
        return rows, {"t0": t0}
    if mode == "polars":
        import polars as pl

        t0 = time.perf_counter()
        pl.scan_csv(path).select(pl.all().sum()).collect(engine="streaming")
        return -1, {"t0": t0}
    if mode == "pq_read":
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        return pq.read_table(path).num_rows, {"t0": t0}
    import numpy as np

    from lingrad import LinearRegression
    from lingrad._sources.files import open_dataset

    t0 = time.perf_counter()
    if mode == "chunks":  # profile: parse + convert + checks, no statistics
        return sum(len(X) for X, _, _ in open_dataset(path, "y").iter_chunks()), {"t0": t0}
    model = LinearRegression(lr="auto", tol=1e-10, n_iters=10000).fit(open_dataset(path, "y"))
    true = np.arange(1, N_FEATURES + 1) / N_FEATURES
    extra = {"n_iter": int(model.n_iter_), "coef_err": float(np.abs(model.coef_ - true).max())}
    return int(model.stats_.n_samples), {"t0": t0, **extra}


def child(mode: str, path: str) -> dict:
    """Run one measurement in this (fresh) process; return its figures."""
    # imports outside the timing: each mode imports its library first
    if mode in ("pyarrow", "pq_read"):
        import pyarrow.csv
        import pyarrow.dataset  # read_table's engine, imported on its first call
        import pyarrow.parquet
    elif mode == "polars":
        import polars  # noqa: F401
    else:
        import pyarrow.csv
        import pyarrow.parquet  # noqa: F401

        import lingrad
        import lingrad._sources.csv_batches as batches
        import lingrad._sources.files

        batches.polars()
        lingrad.LinearRegression  # noqa: B018 - the estimator (and scikit-learn): imported lazily
    base = _rss_mb()
    c0 = time.process_time()
    rows, extra = _work(mode, path)
    seconds = time.perf_counter() - extra.pop("t0")
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
ROW_GROUP = 1 << 20  # pyarrow's default row group size


def write_files(path: Path, target_bytes: int, seed: int = 0) -> int:
    """A CSV of about ``target_bytes`` and the same rows as ``path.with_suffix('.parquet')``.

    x0..x19 standard normal, y = X c + 1 + noise; Parquet row groups of 2**20 rows.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    coef = np.arange(1, N_FEATURES + 1) / N_FEATURES
    names = [f"x{j}" for j in range(N_FEATURES)] + ["y"]

    def batch(n: int) -> pa.RecordBatch:
        X = rng.standard_normal((n, N_FEATURES))
        y = X @ coef + 1.0 + 0.1 * rng.standard_normal(n)
        return pa.RecordBatch.from_arrays([*X.T, y], names=names)

    rows, pending = 0, []
    first = batch(1000)
    with (
        pacsv.CSVWriter(str(path), first.schema) as writer,
        pq.ParquetWriter(str(path.with_suffix(".parquet")), first.schema) as pqw,
    ):

        def put(b: pa.RecordBatch, last: bool = False) -> None:
            writer.write_batch(b)
            pending.append(b)
            if last or sum(p.num_rows for p in pending) >= ROW_GROUP:
                table = pa.Table.from_batches(pending)
                pqw.write_table(table.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                pending[:] = table.slice(ROW_GROUP).to_batches() if not last else []

        put(first)
        rows += 1000
        per_row = max(path.stat().st_size, 1) / rows
        while path.stat().st_size < target_bytes:
            n = int(min(100_000, max(1000, (target_bytes - path.stat().st_size) / per_row)))
            put(batch(n))
            rows += n
        while pending:
            table = pa.Table.from_batches(pending)
            pqw.write_table(table.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
            pending[:] = table.slice(ROW_GROUP).to_batches()
    return rows


# -- driver ----------------------------------------------------------------------
def run(sizes_gb: list[float], repeats: int, profile: bool, tmp_root: str) -> list[dict]:
    rows_out = []
    tmp = Path(tempfile.mkdtemp(prefix="lingrad-bench-files-", dir=tmp_root))
    try:
        for gb in sizes_gb:
            path = tmp / f"data_{gb:g}GB.csv"
            pq_path = path.with_suffix(".parquet")
            t0 = time.perf_counter()
            n = write_files(path, int(gb * 1e9))
            size, pq_size = path.stat().st_size, pq_path.stat().st_size
            took = time.perf_counter() - t0
            print(
                f"wrote {path.name}: {_size(size)}, {n:,} rows, and {pq_path.name}: "
                f"{_size(pq_size)} ({took:.0f} s)"
            )
            modes = [*CSV_MODES, *PARQUET_MODES] + (["chunks"] if profile else [])
            runs: dict[str, list[dict]] = {m: [] for m in modes}
            for r in range(repeats):
                for mode in modes:
                    res = measure(mode, pq_path if mode in PARQUET_MODES else path)
                    runs[mode].append(res)
                    secs, peak = res["seconds"], res["peak_mb"]
                    print(f"  run {r + 1} {mode:10s} {secs:7.3f} s  peak {peak:6.0f} MB")
            os.remove(path)
            os.remove(pq_path)
            rows_out.append(summarise(gb, size, pq_size, n, runs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows_out


def _size(nbytes: float) -> str:
    return f"{nbytes / 1e9:.2f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def summarise(gb: float, size: int, pq_size: int, n: int, runs: dict[str, list[dict]]) -> dict:
    row: dict = {"gb": size / 1e9, "size": _size(size), "pq_size": _size(pq_size), "rows": n}
    row["runs"] = len(runs["lingrad"])
    for mode, res in runs.items():
        for key in ("seconds", "cpu", "peak_mb", "base_mb"):
            row[f"{mode}_{key}"] = statistics.median(r[key] for r in res)
        row[f"{mode}_mbs"] = (
            (pq_size if mode in PARQUET_MODES else size) / 1e6 / row[f"{mode}_seconds"]
        )
    row["ratio_pyarrow"] = row["pyarrow_seconds"] / row["lingrad_seconds"]
    row["ratio_polars"] = row["polars_seconds"] / row["lingrad_seconds"]
    row["ratio_parquet"] = row["pq_lingrad_seconds"] / row["pq_read_seconds"]
    row["growth"] = row["lingrad_peak_mb"] - row["lingrad_base_mb"]
    row["n_iter"] = runs["lingrad"][0].get("n_iter")
    row["coef_err"] = max(r.get("coef_err", 0.0) for r in runs["lingrad"] + runs["pq_lingrad"])
    return row


def _cell(r: dict, mode: str) -> str:
    return (
        f"{r[f'{mode}_seconds']:.3f} ({r[f'{mode}_cpu']:.2f}) | {r[f'{mode}_mbs']:.0f} | "
        f"{r[f'{mode}_peak_mb']:.0f} ({r[f'{mode}_base_mb']:.0f})"
    )


def table(rows: list[dict], modes: tuple[str, ...], labels: tuple[str, ...], extra: str) -> str:
    head = "| file | rows | runs | " + " | ".join(
        f"{lab} s (CPU s) | {lab} MB/s | {lab} peak RSS MB (after imports)" for lab in labels
    )
    head += f" | {extra} |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        name = r["pq_size"] if modes == PARQUET_MODES else r["size"]
        cells = " | ".join(_cell(r, m) for m in modes)
        ratios = (
            f"{r['ratio_parquet']:.2f}"
            if modes == PARQUET_MODES
            else f"{r['ratio_polars']:.2f} | {r['ratio_pyarrow']:.2f} | {r['growth']:.0f}"
        )
        lines.append(f"| {name} | {r['rows']:,} | {r['runs']} | {cells} | {ratios} |")
    return "\n".join(lines)


def targets(rows: list[dict], smoke: bool) -> list[str]:
    """The targets of issue 12, one bullet each, with PASS or MISS."""

    def verdict(ok: bool) -> str:
        return "not judged (smoke run)" if smoke else ("PASS" if ok else "**MISS**")

    out = []
    for r in rows:
        out.append(
            f"- CSV {r['size']}: lingrad throughput / polars streaming scan = "
            f"{r['ratio_polars']:.2f} (target >= 1.0): {verdict(r['ratio_polars'] >= 1.0)} "
            f"(CPU time, steadier on a shared machine: polars / lingrad = "
            f"{r['polars_cpu'] / max(r['lingrad_cpu'], 1e-9):.2f})"
        )
    small, big = rows[0], rows[-1]
    flat = big["growth"] <= 1.25 * small["growth"] + 32
    out.append(
        f"- CSV peak RSS flat in file size: lingrad's RSS growth {small['growth']:.0f} MB at "
        f"{small['size']}, {big['growth']:.0f} MB at {big['size']} (target: at most 1.25x + 32 "
        f"MB): {verdict(flat and len(rows) > 1)}"
    )
    for r in rows:
        out.append(
            f"- Parquet {r['pq_size']}: lingrad fit time / `pyarrow.parquet.read_table` alone = "
            f"{r['ratio_parquet']:.2f} (target <= 1.0): {verdict(r['ratio_parquet'] <= 1.0)} "
            f"(CPU time: lingrad / read_table = "
            f"{r['pq_lingrad_cpu'] / max(r['pq_read_cpu'], 1e-9):.2f})"
        )
    return out


def report(rows: list[dict], command: str, load: tuple, seconds: float, smoke: bool) -> str:
    import numpy as np
    import polars as pl
    import pyarrow as pa

    import lingrad

    prof = [r for r in rows if "chunks_seconds" in r]
    out = [
        "# Fitting from CSV and Parquet files: lingrad vs polars and pyarrow",
        "",
        "Measured: for CSV files of 20 float64 features and a target, each run in a fresh "
        "process, (a) pyarrow alone: `pyarrow.csv.open_csv` streaming with the columns typed "
        "float64, iterating every batch; (b) polars' streaming scan "
        '`pl.scan_csv(p).select(pl.all().sum()).collect(engine="streaming")`; (c) lingrad: '
        '`LinearRegression(lr="auto", tol=1e-10, n_iters=10000).fit(open_dataset(path, "y"))` '
        "(parse, convert, check every cell, sufficient statistics, solve); and for the same "
        "rows in Parquet (row groups of 2**20 rows), `pyarrow.parquet.read_table` alone and "
        "lingrad's fit. Times exclude interpreter start and imports; files are in the page "
        "cache (just written). Peak RSS is the child's `VmHWM` (/proc/self/status; "
        "`ru_maxrss` would include the driver's peak: it survives exec); in "
        "brackets the RSS after imports. CPU s: user + system time of the child (all its "
        "threads). Medians over `runs` alternating runs.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs (shared with other jobs: load "
        f"average {load[0]:.1f} at start, {load[1]:.1f} at the end); Python "
        f"{platform.python_version()}, NumPy {np.__version__}, pyarrow {pa.__version__}, "
        f"polars {pl.__version__}, lingrad {lingrad.__version__}. Total {seconds / 60:.1f} min.",
        "",
        "CSV (ratios: lingrad throughput / the peer's; RSS growth: lingrad's peak RSS minus "
        "its RSS after imports):",
        "",
        table(
            rows,
            CSV_MODES,
            ("pyarrow", "polars", "lingrad"),
            "vs polars | vs pyarrow | lingrad RSS growth MB",
        ),
        "",
        "Parquet (ratio: lingrad time / read_table time):",
        "",
        table(rows, PARQUET_MODES, ("read_table", "lingrad"), "lingrad / read_table"),
        "",
        "Targets (issue 12):",
        "",
        *targets(rows, smoke),
        "",
        "Fit check: the CSV fits converged in "
        + ", ".join(f"{r['n_iter']} iterations" for r in rows)
        + "; largest |coef - true coef| (CSV and Parquet) "
        + ", ".join(f"{r['coef_err']:.1e}" for r in rows)
        + " (noise 0.1).",
    ]
    if prof:
        out += [
            "",
            "Where lingrad's time goes (medians, wall s / CPU s): "
            + "; ".join(
                f"{r['size']}: lingrad parse + convert + checks (iter_chunks) "
                f"{r['chunks_seconds']:.2f} / {r['chunks_cpu']:.2f}; + statistics and solve "
                f"(fit) {r['lingrad_seconds']:.2f} / {r['lingrad_cpu']:.2f}"
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
    load = (load0, os.getloadavg()[0])
    text = report(rows, command, load, time.perf_counter() - t0, args.smoke)
    print()
    print(text)
    out = args.out or (None if args.smoke else RESULTS)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
        print(f"written to {out}")


if __name__ == "__main__":
    main()
