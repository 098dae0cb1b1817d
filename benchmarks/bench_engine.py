"""lingrad's engines side by side with the textbook loop and the usual solvers.

Every method runs in this one process on the same data, one after the other:

- the tutorial's gradient-descent loop, written out below as the tutorial has it;
- lingrad with the tutorial's settings (lr=0.01, n_iters=1000): same iterates,
  checked against the loop seeded the same way;
- lingrad converging (lr="auto", tol, optimizer chosen to reach 1e-8 relative
  coefficient error against the exact least-squares solution);
- scikit-learn LinearRegression, Ridge (alpha=1e-10), SGDRegressor (defaults),
  statsmodels OLS and glum's GeneralizedLinearRegressor(family="normal", alpha=0).

Writes ``results/engine.md`` (or ``--out DIR``). ``--smoke`` runs tiny sizes
through the same code paths in a few seconds and judges no targets. ``--data
KEY[,KEY...]`` runs only those data sets (tutorial, tall, wide, sparse, sparse_mid),
e.g. ``--data sparse,sparse_mid`` for the sparse shapes.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import statsmodels.api as sm
from glum import GeneralizedLinearRegressor
from scipy.sparse.linalg import lsqr
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge, SGDRegressor

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Measurement,
    fmt_mb,
    fmt_ratio,
    fmt_sci,
    fmt_share,
    fmt_time,
    markdown_table,
    measure_interleaved,
    median_time,
    nbytes,
    parse_args,
    rel_error,
    write_result,
)

from lingrad import LinearRegression
from lingrad.datasets import make_tutorial_data

SEED = 0
ACCURACY = 1e-8  # relative coefficient error lingrad-converged must reach
# lingrad-converged: lr="auto" and these (tol: lingrad's stopping measure). Dense data
# runs Nesterov on the statistics; sparse data leaves the optimizer at its default, which
# lr="auto" makes "cg" (conjugate gradients on the rows) on the direct engine. Sparse
# fits stop at the target's accuracy (CG's measure tracks the coefficient error closely;
# the error column, against lsqr run to float64's limit, checks it).
CONVERGED = {"lr": "auto", "optimizer": "nesterov", "tol": 1e-11, "n_iters": 100_000}
CONVERGED_SPARSE = {"lr": "auto", "tol": ACCURACY, "n_iters": 100_000}
SPARSE_KEYS = ("sparse", "sparse_mid")
# Peak extra memory allowed to a lingrad fit: 10% of X plus this many f x f float64 matrices.
MEMORY_SHARE, MEMORY_FF_MATRICES = 0.10, 16


# -- the tutorial, as written there -----------------------------------------------
class TextbookLinearRegression:
    """The classic from-scratch tutorial's class, unchanged but for ``X @ w``:
    ``np.dot(X, w)`` in the tutorial, and ``@`` also takes SciPy sparse X."""

    def __init__(self, lr=0.01, n_iters=1000):
        self.lr = lr
        self.n_iters = n_iters
        self.weights = None
        self.bias = None

    def fit(self, X, y):
        n_samples, n_features = X.shape
        self.weights = np.random.rand(n_features)
        self.bias = 0

        for _ in range(self.n_iters):
            y_pred = X @ self.weights + self.bias

            dw = (1 / n_samples) * (X.T @ (y_pred - y))
            db = (1 / n_samples) * np.sum(y_pred - y)

            self.weights = self.weights - self.lr * dw
            self.bias = self.bias - self.lr * db
        return self


# -- data ---------------------------------------------------------------------------
@dataclass
class Dataset:
    key: str  # tutorial | tall | wide | sparse: the role the targets refer to
    label: str
    X: np.ndarray | sp.csr_array
    y: np.ndarray
    ref: np.ndarray = field(default=None, repr=False)  # [coef, intercept]
    ref_name: str = ""
    ref_measure: Measurement | None = None
    load: tuple[float, float] = (math.nan, math.nan)  # 1-minute load average, start and end
    n_features: int = field(init=False)
    x_bytes: int = field(init=False)
    sparse: bool = field(init=False)

    def __post_init__(self) -> None:
        # Kept apart from X, which is dropped once the set has been run.
        self.n_features = self.X.shape[1]
        self.x_bytes = nbytes(self.X)
        self.sparse = sp.issparse(self.X)


def _dense(n: int, f: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal features, y = X coef + 2 + N(0, 1) noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f))
    y = X @ rng.standard_normal(f) + 2.0 + rng.standard_normal(n)
    return X, y


def _sparse(n: int, f: int, density: float, seed: int) -> tuple[sp.csr_array, np.ndarray]:
    """CSR with standard normal non-zeros at ``density``; y as for dense data."""
    rng = np.random.default_rng(seed)
    X = sp.random_array(
        (n, f), density=density, format="csr", rng=rng, data_sampler=rng.standard_normal
    )
    y = X @ rng.standard_normal(f) + 2.0 + rng.standard_normal(n)
    return X, y


def datasets(smoke: bool) -> list[tuple[str, Callable[[], Dataset]]]:
    """(key, builder) pairs (data is made one set at a time so that only one is in memory)."""
    tall = (2_000, 5) if smoke else (1_000_000, 20)
    wide = (500, 20) if smoke else (100_000, 500)
    sparse = (2_000, 200, 0.02) if smoke else (1_000_000, 10_000, 1e-3)
    sparse_mid = (1_000, 100, 0.05) if smoke else (200_000, 5_000, 2e-3)

    def tutorial():
        X, y = make_tutorial_data()
        return Dataset("tutorial", "tutorial data, 500 × 1", X, y)

    def make_tall():
        return Dataset("tall", f"dense {tall[0]:,} × {tall[1]}", *_dense(*tall, seed=1))

    def make_wide():
        return Dataset("wide", f"dense {wide[0]:,} × {wide[1]}", *_dense(*wide, seed=2))

    def sparse_set(key, shape, seed):
        n, f, d = shape
        return lambda: Dataset(
            key, f"sparse CSR {n:,} × {f:,}, density {d:g}", *_sparse(n, f, d, seed=seed)
        )

    return [
        ("tutorial", tutorial),
        ("tall", make_tall),
        ("wide", make_wide),
        ("sparse", sparse_set("sparse", sparse, 3)),
        ("sparse_mid", sparse_set("sparse_mid", sparse_mid, 4)),
    ]


# -- exact references -----------------------------------------------------------------
def lstsq_reference(X, y) -> tuple[np.ndarray, str]:
    A = np.column_stack([X, np.ones(len(y))])
    return np.linalg.lstsq(A, y, rcond=None)[0], "lstsq"


def lsqr_reference(X, y) -> tuple[np.ndarray, str]:
    A = sp.hstack([X, np.ones((X.shape[0], 1))], format="csr")
    out = lsqr(A, y, atol=1e-15, btol=1e-15, conlim=1e15, iter_lim=100_000)
    return out[0], f"lsqr, {out[2]} it, istop {out[1]}"


# -- the methods ------------------------------------------------------------------------
@dataclass(frozen=True)
class Method:
    key: str
    label: str
    fit: Callable[[Dataset], tuple[np.ndarray, str]]  # -> ([coef, intercept], engine/solver)
    dense_only: bool = False
    tutorial_settings: bool = False


def _theta(coef, intercept) -> np.ndarray:
    return np.append(np.ravel(coef), intercept)


def fit_textbook(d: Dataset):
    np.random.seed(SEED)
    m = TextbookLinearRegression().fit(d.X, d.y)
    return _theta(m.weights, m.bias), "numpy"


def fit_lingrad_tutorial(d: Dataset):
    # As the tutorial's user would: the global seed, the default random_state (None:
    # NumPy's global RandomState), so the starting weights are the loop's.
    np.random.seed(SEED)
    m = LinearRegression().fit(d.X, d.y)
    return _theta(m.coef_, m.intercept_), f"{m.engine_}, {m.n_iter_} it"


def fit_lingrad_converged(d: Dataset):
    settings = CONVERGED_SPARSE if d.sparse else CONVERGED
    m = LinearRegression(random_state=SEED, **settings).fit(d.X, d.y)
    how = f"{m.engine_} / {m.diagnostics_.optimizer}, {m.n_iter_} it"
    return _theta(m.coef_, m.intercept_), how


def fit_sklearn_lr(d: Dataset):
    m = SkLinearRegression().fit(d.X, d.y)
    return _theta(m.coef_, m.intercept_), "lsqr" if d.sparse else "lstsq"


def fit_ridge(d: Dataset):
    m = Ridge(alpha=1e-10).fit(d.X, d.y)
    return _theta(m.coef_, m.intercept_), f"auto → {m.solver_}"


def fit_sgd(d: Dataset):
    m = SGDRegressor(random_state=SEED).fit(d.X, d.y)
    return _theta(m.coef_, m.intercept_), f"{m.n_iter_} epochs"


def fit_statsmodels(d: Dataset):
    res = sm.OLS(d.y, sm.add_constant(d.X, has_constant="add")).fit()
    p = np.asarray(res.params)
    return _theta(p[1:], p[0]), "pinv"


def fit_glum(d: Dataset):
    m = GeneralizedLinearRegressor(family="normal", alpha=0).fit(d.X, d.y)
    return _theta(m.coef_, m.intercept_), f"{m._solver}, {m.n_iter_} it"


METHODS = [
    Method("textbook", "textbook loop (lr=0.01, 1000 it)", fit_textbook, tutorial_settings=True),
    Method(
        "lingrad_tutorial",
        "lingrad, tutorial settings",
        fit_lingrad_tutorial,
        tutorial_settings=True,
    ),
    Method(
        "lingrad_converged",
        "lingrad, converged (lr='auto', tol)",
        fit_lingrad_converged,
    ),
    Method("sklearn_lr", "scikit-learn LinearRegression", fit_sklearn_lr),
    Method("ridge", "scikit-learn Ridge(alpha=1e-10)", fit_ridge),
    Method("sgd", "scikit-learn SGDRegressor (defaults)", fit_sgd),
    Method("statsmodels", "statsmodels OLS", fit_statsmodels, dense_only=True),
    Method("glum", "glum GLR(normal, alpha=0)", fit_glum),
]


# -- running ------------------------------------------------------------------------------
@dataclass
class Row:
    method: Method
    m: Measurement
    theta: np.ndarray
    engine: str
    error: float  # vs the reference


def run_dataset(d: Dataset, repeats: int | None) -> tuple[list[Row], dict]:
    load0 = os.getloadavg()[0]
    ref_fn = lsqr_reference if d.sparse else lstsq_reference
    methods = [m for m in METHODS if not (m.dense_only and d.sparse)]
    jobs = {"reference": lambda: ref_fn(d.X, d.y)}
    jobs.update({m.key: (lambda m=m: m.fit(d)) for m in methods})
    labels = {"reference": "reference", **{m.key: m.label for m in methods}}

    def progress(key, dt):
        print(f"  {labels[key]}: first (traced) run {fmt_time(dt)}", flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD/lingrad convergence notes: the errors say it all
        ms = measure_interleaved(jobs, repeats=repeats, on_traced=progress)
    d.ref_measure = ms["reference"]
    d.ref, d.ref_name = d.ref_measure.result
    rows = []
    for method in methods:
        m = ms[method.key]
        theta, engine = m.result
        rows.append(Row(method, m, theta, engine, rel_error(theta, d.ref)))
        print(
            f"  {method.label}: {fmt_time(m.median_s)} ({m.runs} runs), "
            f"err {rel_error(theta, d.ref):.1e}",
            flush=True,
        )
    extra = {}
    if d.key == "tall" or d.key == "wide":
        X = d.X
        extra["XtX"] = median_time(lambda: X.T @ X)
        extra["sum"] = median_time(lambda: X.sum())
    d.load = (load0, os.getloadavg()[0])
    return rows, extra


def memory_allowance(d: Dataset) -> float:
    f = d.n_features
    return MEMORY_SHARE * d.x_bytes + MEMORY_FF_MATRICES * 8.0 * (f + 2) ** 2


def dataset_table(d: Dataset, rows: list[Row]) -> str:
    by = {r.method.key: r for r in rows}
    t_conv = by["lingrad_converged"].m.median_s
    t_tut = by["lingrad_tutorial"].m.median_s
    size = d.x_bytes
    table = []
    ref = d.ref_measure
    table.append(
        [
            f"*reference: {d.ref_name}*",
            fmt_time(ref.median_s),
            ref.runs,
            fmt_ratio(ref.median_s / t_conv),
            "",
            "0 (ref)",
            fmt_mb(ref.peak_bytes),
            fmt_share(ref.peak_bytes, size),
            "",
        ]
    )
    textbook = by.get("textbook")
    for r in rows:
        vs_tut = fmt_ratio(r.m.median_s / t_tut) if r.method.tutorial_settings else ""
        err = fmt_sci(r.error)
        if r.method.key == "lingrad_tutorial" and textbook is not None:
            err += f" (vs textbook loop: {rel_error(r.theta, textbook.theta):.1e})"
        table.append(
            [
                r.method.label,
                fmt_time(r.m.median_s),
                r.m.runs,
                fmt_ratio(r.m.median_s / t_conv),
                vs_tut,
                err,
                fmt_mb(r.m.peak_bytes),
                fmt_share(r.m.peak_bytes, size),
                r.engine,
            ]
        )
    how = (
        "scipy.sparse.linalg.lsqr on [X, 1] (atol=btol=1e-15)"
        if d.sparse
        else "numpy.linalg.lstsq on [X, 1]"
    )
    head = (
        f"### {d.label}\n\nX holds {size / 2**20:.1f} MB. Reference for the error column: "
        f"{how} ({d.ref_name}). Load average (1 min) on the machine: {d.load[0]:.1f} "
        f"when this set started, {d.load[1]:.1f} when it ended.\n"
    )
    return (
        head
        + "\n"
        + markdown_table(
            [
                "method",
                "median time",
                "runs",
                "× lingrad-converged",
                "× lingrad-tutorial",
                "max rel. coef error",
                "peak extra MB",
                "% of X",
                "engine / solver",
            ],
            table,
            "lrrrrrrrl",
        )
    )


@dataclass
class Target:
    name: str
    goal: str
    measured: float
    limit: float
    higher_is_better: bool
    figure: str

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.measured):
            return False
        if self.higher_is_better:
            return self.measured >= self.limit
        return self.measured <= self.limit


def _time(results, key: str, method: str) -> float:
    return next(r.m.median_s for r in results[key][1] if r.method.key == method)


def _faster(name: str, slow: float, fast: float, limit: float) -> Target:
    ratio = slow / fast
    return Target(name, f"≥ {limit:g}× faster", ratio, limit, True, fmt_ratio(ratio))


def targets(results: dict[str, tuple[Dataset, list[Row], dict]]) -> list[Target]:
    out = []
    for d, rows, _ in results.values():
        by = {r.method.key: r for r in rows}
        same = rel_error(by["lingrad_tutorial"].theta, by["textbook"].theta)
        out.append(
            Target(
                f"{d.label}: tutorial settings reproduce the textbook loop",
                "≤ 1e-10 relative",
                same,
                1e-10,
                False,
                fmt_sci(same),
            )
        )
        err = by["lingrad_converged"].error
        out.append(
            Target(
                f"{d.label}: converged fit error vs {d.ref_name.split(',')[0]}",
                f"≤ {ACCURACY:g} relative",
                err,
                ACCURACY,
                False,
                fmt_sci(err),
            )
        )
    if "tutorial" in results:
        out.append(
            _faster(
                f"{results['tutorial'][0].label}: tutorial settings vs textbook loop "
                "(same iterates)",
                _time(results, "tutorial", "textbook"),
                _time(results, "tutorial", "lingrad_tutorial"),
                5,
            )
        )
    if "tall" in results:
        d, _, extra = results["tall"]
        conv = _time(results, "tall", "lingrad_converged")
        out.append(
            _faster(
                f"{d.label}: tutorial settings vs textbook loop (same iterates)",
                _time(results, "tall", "textbook"),
                _time(results, "tall", "lingrad_tutorial"),
                200,
            )
        )
        out += [_floor(d, conv, extra["XtX"], limit) for limit in (2.0, 1.5)]  # issues 10, 12
        for method, limit, name in [
            ("sklearn_lr", 5, "scikit-learn LinearRegression"),
            ("ridge", 2, "Ridge"),
            ("glum", 5, "glum"),
        ]:
            out.append(
                _faster(
                    f"{d.label}: converged fit vs {name}",
                    _time(results, "tall", method),
                    conv,
                    limit,
                )
            )
    if "wide" in results:
        d, _, extra = results["wide"]
        out.append(_floor(d, _time(results, "wide", "lingrad_converged"), extra["XtX"], 1.25))
        out.append(
            _faster(
                f"{d.label}: converged fit vs Ridge",
                _time(results, "wide", "ridge"),
                _time(results, "wide", "lingrad_converged"),
                1.3,
            )
        )
    for key in SPARSE_KEYS:
        if key in results:
            out.append(_sparse_target(results, key))
    for key in ("tall", "wide"):
        if key not in results:
            continue
        d, rows, _ = results[key]
        allowance = memory_allowance(d)
        for r in rows:
            if r.method.key.startswith("lingrad"):
                peak = r.m.peak_bytes
                out.append(
                    Target(
                        f"{d.label}: peak extra memory, {r.method.label}",
                        f"≤ 10% of X + {MEMORY_FF_MATRICES}·8·(f+2)² B "
                        f"= {allowance / 2**20:.1f} MB",
                        peak / allowance,
                        1.0,
                        False,
                        f"{peak / 2**20:.1f} MB = {100 * peak / d.x_bytes:.1f}% of X",
                    )
                )
    return out


def _floor(d: Dataset, conv: float, xtx: float, limit: float) -> Target:
    """Dense, converged: the fit's time at most ``limit`` times one ``X.T @ X``."""
    ratio = conv / xtx
    return Target(
        f"{d.label}: converged fit time / one X.T @ X",
        f"≤ {limit:g}×",
        ratio,
        limit,
        False,
        f"{ratio:.2f}× ({fmt_time(conv)} / {fmt_time(xtx)})",
    )


def _sparse_target(results, key: str) -> Target:
    """Sparse, converged: at most scikit-learn LinearRegression's time, and accurate."""
    d, rows, _ = results[key]
    conv, sk = _time(results, key, "lingrad_converged"), _time(results, key, "sklearn_lr")
    err = next(r.error for r in rows if r.method.key == "lingrad_converged")
    ratio = conv / sk
    return Target(
        f"{d.label}: converged ≤ 1.0× scikit-learn LinearRegression time, error ≤ "
        f"{ACCURACY:g} vs lsqr",
        f"≤ 1.0×, error ≤ {ACCURACY:g}",
        ratio if err <= ACCURACY else math.inf,
        1.0,
        False,
        f"{ratio:.2f}× ({fmt_time(conv)} / {fmt_time(sk)}), error {err:.1e}",
    )


def targets_section(ts: list[Target], smoke: bool) -> str:
    rows = []
    for t in ts:
        verdict = "–" if smoke else ("PASS" if t.passed else "**MISS**")
        rows.append([t.name, t.goal, t.figure, verdict])
    head = "## Targets\n\n"
    if smoke:
        head += "*Smoke run: tiny sizes stand in for the real ones; nothing is judged.*\n\n"
    else:
        head += "Every figure comes from the tables above (this run).\n\n"
    return head + markdown_table(["target", "goal", "measured", "verdict"], rows, "llrc")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = None
    if "--data" in argv:  # --data KEY[,KEY...]: only those data sets
        i = argv.index("--data")
        only = set(argv[i + 1].split(","))
        del argv[i : i + 2]
    args = parse_args(__doc__.splitlines()[0], argv)
    repeats = 0 if args.smoke else None  # smoke: the traced run is the only one
    results = {}
    sections = []
    for key, build in datasets(args.smoke):
        if only is not None and key not in only:
            continue
        d = build()
        print(f"{d.label}", flush=True)
        rows, extra = run_dataset(d, repeats)
        results[d.key] = (d, rows, extra)
        sections.append(dataset_table(d, rows))
        d.X = None  # free the data before the next set is made
    ref_ops = []
    for key in ("tall", "wide"):
        if key in results:
            d, _, extra = results[key]
            ref_ops.append([d.label, fmt_time(extra["XtX"]), fmt_time(extra["sum"])])
    ts = targets(results)
    text = "\n\n".join(
        [
            "## Engine: lingrad against the textbook loop and the usual solvers",
            _preamble(args.smoke),
            *sections,
            "### Reference operations (median of 5)\n\n"
            + markdown_table(["data", "one X.T @ X", "one X.sum()"], ref_ops, "lrr"),
            targets_section(ts, args.smoke),
        ]
    )
    path = write_result(args.out, "engine", text)
    print(text)
    print(f"\nwrote {path}")
    return 0


def _preamble(smoke: bool) -> str:
    conv = ", ".join(f"{k}={v!r}" for k, v in CONVERGED.items())
    sparse_conv = ", ".join(f"{k}={v!r}" for k, v in CONVERGED_SPARSE.items())
    return (
        "All methods run in one process on the same data. Each first runs once under "
        "tracemalloc (peak memory); that run's time sets its number of timed runs — 5 if "
        "under 1 s, 3 if under 10 s, otherwise the traced run is the only one (column "
        "*runs*). The timed runs of all methods of a data set then go in turns (A B C … A B "
        "C …), so that each sees the same load on this shared machine; times are medians"
        + (" — smoke run: the traced run only" if smoke else "")
        + ". *× lingrad-converged* and *× lingrad-tutorial* are time ratios (above 1: "
        "slower than lingrad). The coefficient error is max |θ − θ_ref| / max |θ_ref| over "
        "coefficients and intercept. *Peak extra MB* is the tracemalloc peak above the "
        "memory held before the call (NumPy buffers and Python objects; BLAS and C++ "
        "scratch space is not seen), *% of X* relative to X's bytes (not shown when X is "
        "under 1 MB).\n\n"
        "- textbook loop: the tutorial's class, weights `np.random.rand(n_features)` after "
        f"`np.random.seed({SEED})`; lingrad with the tutorial settings is "
        f"`np.random.seed({SEED}); LinearRegression().fit(X, y)` (the default "
        "random_state draws from NumPy's global generator), the same starting weights.\n"
        f"- lingrad converged: `LinearRegression({conv})` on dense data; on sparse data "
        f"`LinearRegression({sparse_conv})`, where lr='auto' runs conjugate gradients "
        "(optimizer 'cg') on the direct engine.\n"
        "- SGDRegressor with its defaults (penalty='l2', alpha=1e-4, max_iter=1000, "
        f"tol=1e-3; random_state={SEED}); its error is what those defaults give.\n"
        "- statsmodels is skipped on sparse data (it needs dense arrays)."
    )


if __name__ == "__main__":
    raise SystemExit(main())
