"""partial_fit throughput: lingrad's exact mode against scikit-learn's SGDRegressor.

Streams the same batches (1000 rows x 20 features by default) through
``LinearRegression(partial_fit_mode="exact").partial_fit`` and
``SGDRegressor.partial_fit``, side by side in one run, and reports rows per
second (median of repeats), their ratio, and each model's coefficient error
against ``numpy.linalg.lstsq`` on all rows. lingrad's time includes the one
solve that runs when the model is first used after the stream.

Usage: python benchmarks/bench_partial_fit.py [--smoke] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDRegressor

from lingrad import LinearRegression


def make_stream(n_batches: int, rows: int, f: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=f)
    batches = []
    for _ in range(n_batches):
        X = rng.normal(size=(rows, f))
        batches.append((X, X @ coef + 0.5 + 0.1 * rng.normal(size=rows)))
    return batches


def run_lingrad(batches):
    model = LinearRegression(lr="auto", tol=1e-10, n_iters=10_000, random_state=0)
    t0 = time.perf_counter()
    for X, y in batches:
        model.partial_fit(X, y)
    model.coef_  # noqa: B018 - the deferred solve runs here, and is timed
    return time.perf_counter() - t0, np.r_[model.coef_, model.intercept_]


def run_sgd(batches):
    model = SGDRegressor(random_state=0)
    t0 = time.perf_counter()
    for X, y in batches:
        model.partial_fit(X, y)
    return time.perf_counter() - t0, np.r_[model.coef_, model.intercept_]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results",
        help="folder for partial_fit.md",
    )
    args = parser.parse_args(argv)
    n_batches, rows, f, repeats = (20, 1000, 20, 2) if args.smoke else (500, 1000, 20, 9)
    batches = make_stream(n_batches, rows, f)
    X = np.vstack([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    times: dict[str, list[float]] = {"lingrad": [], "sgd": []}
    coefs = {}
    for _ in range(repeats):  # interleaved, so both see the same machine load
        t, coefs["lingrad"] = run_lingrad(batches)
        times["lingrad"].append(t)
        t, coefs["sgd"] = run_sgd(batches)
        times["sgd"].append(t)
    n_rows = n_batches * rows
    med = {k: statistics.median(v) for k, v in times.items()}
    err = {k: float(np.abs(c - exact).max()) for k, c in coefs.items()}
    ratio = med["sgd"] / med["lingrad"]
    lines = [
        "## partial_fit throughput",
        "",
        f"{n_batches} batches of {rows} rows x {f} features, median of {repeats} interleaved "
        "runs; lingrad's time includes its one deferred solve. "
        "Command: `python benchmarks/bench_partial_fit.py`.",
        "",
        "| method | median time (s) | rows/s | us per batch | max abs coef error vs lstsq |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in (
        ("lingrad", "lingrad exact partial_fit"),
        ("sgd", "sklearn SGDRegressor.partial_fit"),
    ):
        lines.append(
            f"| {label} | {med[key]:.4f} | {n_rows / med[key]:,.0f} | "
            f"{1e6 * med[key] / n_batches:.1f} | {err[key]:.2e} |"
        )
    verdict = "PASS" if ratio >= 10 else "MISS"
    lines += [
        "",
        f"Throughput ratio lingrad / SGDRegressor: **{ratio:.1f}x** (target >= 10x: {verdict}).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.smoke:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "partial_fit.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
