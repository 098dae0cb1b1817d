"""Spark: lingrad's one-pass statistics against Spark MLlib's LinearRegression.

Both run on the same local session (``local[2]``) on the same cached
DataFrame, generated on the executors:

- tall: ``n x 20`` columns ``x0 .. x19`` and ``y`` (default 5,000,000 rows); MLlib
  is timed from the DataFrame of columns, its ``VectorAssembler`` included;
- wide: ``n x 1000`` as one ``array<double>`` column (default 200,000 rows), what a
  pipeline keeps for wide data; MLlib gets it through ``array_to_vector`` (its
  assembler for an array column), timed too.

Methods: lingrad ``LinearRegression(lr="auto", tol=1e-10).fit(open_dataset(df,
"y"))`` (per-partition statistics on the executors, merged on the cluster; the
solve on the driver); MLlib ``LinearRegression(solver="normal")`` and
``solver="l-bfgs"`` (``maxIter=100, tol=1e-10``), both unregularised, with
``standardization=False``. The error column is the largest coefficient error
relative to the largest coefficient, against ``numpy.linalg.lstsq`` on the
collected data. Times are medians of ``--repeats`` runs (default 3).

Usage::

    .venv/bin/python benchmarks/bench_spark.py            # writes results/spark.md
    .venv/bin/python benchmarks/bench_spark.py --smoke    # small data, a minute
    .venv/bin/python benchmarks/bench_spark.py --tall 1000000 --wide 50000 --wide-f 500
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_sci, fmt_time, machine_description, markdown_table, now_utc, write_result

COMMAND = ".venv/bin/python benchmarks/bench_spark.py"
COEF = None  # the true coefficients are 1, -1, 1, ... (see _rows)


def _rows(batches, f):
    """Executors: rows of ``f`` standard normal features, y = X (1, -1, ...) + 3 + noise."""
    import pyarrow as pa

    beta = np.where(np.arange(f) % 2 == 0, 1.0, -1.0)
    for batch in batches:
        ids = batch.column(0).to_numpy()
        rng = np.random.default_rng(int(ids[0]) if len(ids) else 0)
        X = rng.standard_normal((len(ids), f))
        y = X @ beta + 3.0 + 0.5 * rng.standard_normal(len(ids))
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(ids),
                pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), f).cast(
                    pa.list_(pa.float64())
                ),
                pa.array(y),
            ],
            names=["id", "features", "y"],
        )


def make_frames(spark, n: int, f: int, columns: bool, partitions: int = 8):
    """A cached DataFrame of n rows (columns x0.. or one array column), and its feature names."""
    from pyspark.sql import functions as F

    base = spark.range(0, n, numPartitions=partitions).mapInArrow(
        lambda it: _rows(it, f), "id long, features array<double>, y double"
    )
    if columns:
        base = base.select(*[F.col("features")[j].alias(f"x{j}") for j in range(f)], "y")
    df = base.cache()
    df.count()
    return df, ([f"x{j}" for j in range(f)] if columns else ["features"])


def _median_time(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def _count_rows(batches):
    import pyarrow as pa

    for batch in batches:
        yield pa.RecordBatch.from_pydict({"n": [batch.num_rows]})


def _touch(df) -> None:
    """One untimed pass over every cached partition through Arrow and through the JVM's rows,
    so that no method pays the first read of the cache."""
    df.mapInArrow(_count_rows, "n long").groupBy().sum().collect()
    df.selectExpr("count(*)").collect()


def run_shape(spark, df, feats, columns: bool, repeats: int, warm=None) -> tuple[list, dict]:
    """Time lingrad and MLlib's two solvers on one cached DataFrame.

    ``warm`` (a small cached frame of the same shape) runs every method once
    first, untimed: the JVM's JIT and the Python workers start warm for all.
    """
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.functions import array_to_vector
    from pyspark.ml.regression import LinearRegression as MLlibLR

    from lingrad import LinearRegression, open_dataset

    local = df.toPandas()
    X = local[feats].to_numpy() if columns else np.stack(local["features"].to_numpy())
    ref, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), local["y"].to_numpy(), None)
    del local

    def err(coef):
        return float(np.max(np.abs(np.asarray(coef) - ref[:-1])) / np.max(np.abs(ref[:-1])))

    def lingrad_fit(frame=df):
        ds = open_dataset(frame, target="y", features=feats)
        return LinearRegression(lr="auto", tol=1e-10, n_iters=10_000).fit(ds).coef_

    def mllib(solver):
        def fit(frame=df):
            if columns:
                data = VectorAssembler(inputCols=feats, outputCol="v").transform(frame)
            else:
                data = frame.select(array_to_vector("features").alias("v"), "y")
            est = MLlibLR(
                featuresCol="v",
                labelCol="y",
                solver=solver,
                regParam=0.0,
                elasticNetParam=0.0,
                standardization=False,
                maxIter=100,
                tol=1e-10,
            )
            return est.fit(data).coefficients.toArray()

        return fit

    rows, times = [], {}
    methods = (
        ("lingrad (statistics, one pass)", lingrad_fit),
        ("MLlib solver='normal'", mllib("normal")),
        ("MLlib solver='l-bfgs'", mllib("l-bfgs")),
    )
    for _, fn in methods if warm is not None else ():
        fn(warm)
    _touch(df)
    for name, fn in methods:
        try:
            t, coef = _median_time(fn, repeats)
            times[name] = t
            rows.append([name, fmt_time(t), fmt_sci(err(coef))])
        except Exception as exc:
            times[name] = float("nan")
            rows.append([name, "failed", type(exc).__name__ + ": " + str(exc).splitlines()[0][:80]])
    lg = times["lingrad (statistics, one pass)"]
    for row, name in zip(rows, times, strict=True):
        row.insert(2, f"{times[name] / lg:.2f}×" if np.isfinite(times[name]) else "–")
    fastest = np.nanmin([times["MLlib solver='normal'"], times["MLlib solver='l-bfgs'"]])
    return rows, {"ratio": fastest / lg, "error": err(lingrad_fit())}


def session():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    src = str(Path(__file__).resolve().parents[1] / "src")
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join([src, here, os.environ.get("PYTHONPATH", "")])
    s = (
        SparkSession.builder.master("local[2]")
        .appName("lingrad-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "8g")
        # the lstsq reference collects the whole frame (1-2 GB at the default sizes);
        # the timed methods bring only their results to the driver
        .config("spark.driver.maxResultSize", "0")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    return s


def main(argv: list[str] | None = None) -> None:
    import argparse

    from _common import RESULTS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for spark.md")
    parser.add_argument("--tall", type=int, default=None, help="rows of the tall set (5M)")
    parser.add_argument("--wide", type=int, default=None, help="rows of the wide set (200k)")
    parser.add_argument("--wide-f", type=int, default=1000, help="features of the wide set")
    parser.add_argument("--repeats", type=int, default=None, help="runs per method (3; 1 smoke)")
    args = parser.parse_args(argv)
    tall = args.tall or (100_000 if args.smoke else 5_000_000)
    wide = args.wide or (5_000 if args.smoke else 200_000)
    args.repeats = args.repeats or (1 if args.smoke else 3)
    wf = 50 if args.smoke and args.wide_f == 1000 else args.wide_f
    warnings.simplefilter("ignore")
    spark = session()
    sections, verdicts = [], []
    for label, n, f, columns, goal, target in (
        (f"tall {tall:,} x 20 (columns)", tall, 20, True, 1.0, "no slower than the fastest MLlib"),
        (
            f"wide {wide:,} x {wf} (array column)",
            wide,
            wf,
            False,
            3.0,
            ">= 3x faster than the fastest MLlib",
        ),
    ):
        warm, _ = make_frames(spark, min(n, 20_000), f, columns, partitions=2)
        df, feats = make_frames(spark, n, f, columns)
        rows, facts = run_shape(spark, df, feats, columns, args.repeats, warm)
        df.unpersist()
        warm.unpersist()
        table = markdown_table(
            ["method", "median time", "× lingrad", "max rel. coef error vs lstsq"], rows
        )
        sections += [f"### {label}", "", table, ""]
        ok = facts["ratio"] >= goal and facts["error"] <= 1e-8
        verdicts.append(
            f"- **{'PASS' if ok else 'MISS'}** {label}: lingrad {target} "
            f"(fastest MLlib / lingrad = {facts['ratio']:.2f}), at lstsq accuracy "
            f"(error {fmt_sci(facts['error'])}, target <= 1e-8)"
        )
    spark.stop()
    text = "\n".join(
        [
            "## Spark: lingrad vs MLlib LinearRegression",
            "",
            f"Generated {now_utc()} by `{COMMAND}"
            + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
            + "`.",
            "",
            "One local session (`local[2]`), data generated on the executors and cached; "
            "every method run once untimed first on a 20,000-row frame of the same shape "
            "(JIT and Python workers warm for all), then one untimed Arrow pass over the "
            "cached frame (no method pays the first read).",
            "",
            *sections,
            "### Targets (issue 16)",
            "",
            *verdicts,
            "",
            "Machine:",
            "",
            machine_description(),
        ]
    )
    path = write_result(args.out, "spark", text)
    print(text)
    print(f"[bench_spark] wrote {path}")


if __name__ == "__main__":
    main()
