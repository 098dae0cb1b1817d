"""Correct significant digits against an exact rational oracle, on ill-conditioned designs.

Every design of tests/_exact.py (raw polynomials of degree 2, 5 and 10 on
[-9, -3] and [1, 21], a degree-5 polynomial drowned in noise, columns offset
by 1e6 with scales 1e-3..1e5, a year column beside values around 1e5, a
perfect fit), with and without an intercept, is solved exactly in Python
fractions (``exact_lstsq``) and by: lingrad converged
(``LinearRegression(lr="auto", optimizer="nesterov", tol=1e-12,
n_iters=100_000)`` on the raw columns), lingrad's reference optimum
(``lingrad.exact_optimum``), ``numpy.linalg.lstsq``, statsmodels ``OLS`` and
scikit-learn ``LinearRegression``. Digits are those of the worst coefficient
(intercept included), each relative to itself (tests/_exact.py ``digits``).
Standard errors, residual SD and R² of lingrad's ``summary()`` (of the
converged fit) and of statsmodels are compared with exact values computed in
fractions too (for a fit exact but for the rounding of the data, relative to
the spread of y: see ``ROUNDING_LEVEL``). The targets of issue 10 are printed with PASS or MISS.

Writes ``results/accuracy.md`` (or ``--out DIR``); ``--smoke`` runs two
designs with a 20,000-iteration budget and judges no target.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # oracle and designs

from _accuracy_streamed import KINDS, streamed_digits, streamed_table
from _common import markdown_table, parse_args, write_result
from _exact import (
    ROUNDING_LEVEL,
    ExactInference,
    digits,
    exact_inference,
    exact_lstsq,
    offsets_and_scales,
    perfect_fit,
    polynomial,
    scaled_digits,
    year_and_values,
)

from lingrad import LinearRegression, exact_optimum

#: name -> (generator of tests/_exact.py, its arguments); the designs of tests/test_accuracy.py.
DESIGNS: dict[str, tuple[Callable, tuple]] = {
    **{f"poly{d}[-9,-3]": (polynomial, (-9, -3, d)) for d in (2, 5, 10)},
    **{f"poly{d}[1,21]": (polynomial, (1, 21, d)) for d in (2, 5, 10)},
    "poly5 noisy": (polynomial, (1, 21, 5, 41, 1e3)),
    "offsets 1e6, scales 1e-3..1e5": (offsets_and_scales, ()),
    "year beside 1e5 values": (year_and_values, ()),
    "perfect fit": (perfect_fit, ()),
}
SMOKE_DESIGNS = ("poly2[1,21]", "perfect fit")
N_ITERS, SMOKE_N_ITERS, TOL, SEED = 100_000, 20_000, 1e-12, 0
SOLVERS = ("lingrad converged", "reference optimum", "lstsq", "statsmodels", "scikit-learn")
#: Targets of issue 10.
MIN_FIT_DIGITS, MIN_INFERENCE_DIGITS = 7.0, 6.0


# -- the solvers ---------------------------------------------------------------------------
@dataclass
class Inference:
    """Standard errors (coefficients, then the intercept), residual SD, R² and its kind."""

    se: np.ndarray  # shape (n_params,)
    resid_sd: float
    r2: float
    centred: bool  # R² about the mean (a constant in the model) or about 0


@dataclass
class Result:
    """One design with or without intercept: digits per solver and of inference."""

    design: str
    fit_intercept: bool
    digits: dict[str, float] = field(default_factory=dict)  # nan: the solver failed
    errors: dict[str, str] = field(default_factory=dict)
    inference: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    lingrad_fit: str = ""  # iterations and convergence of the converged fit
    rounding: bool = False  # exact but for the rounding of the data (see ROUNDING_LEVEL)
    streamed: dict[str, tuple[float, str, bool]] = field(default_factory=dict)  # CSV, Dask, ...


def _intercept_last(params: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """statsmodels' and summary()'s order (constant first) to coefficients then intercept."""
    params = np.asarray(params, dtype=np.float64)
    return np.append(params[1:], params[0]) if fit_intercept else params


def lingrad_converged(X, y, fit_intercept, n_iters):
    """The converged fit on raw columns: (theta, inference, description)."""
    model = LinearRegression(
        lr="auto",
        optimizer="nesterov",
        tol=TOL,
        n_iters=n_iters,
        fit_intercept=fit_intercept,
        random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unconverged fit shows in the table
        model.fit(X, y)
        theta = np.append(model.coef_, model.intercept_) if fit_intercept else model.coef_
        how = f"{model.n_iter_:,} it" + ("" if model.converged_ else ", not converged")
        try:
            s = model.summary()
        except Exception as exc:  # reported in the table
            return theta, f"{type(exc).__name__}: {exc}", how
    inf = Inference(
        _intercept_last(s.bse, fit_intercept), s.resid_std_err, s.rsquared, bool(s.k_constant)
    )
    return theta, inf, how


def statsmodels_ols(X, y, fit_intercept):
    """``sm.OLS`` (constant added when fitting the intercept): (theta, inference)."""
    import statsmodels.api as sm

    A = sm.add_constant(X, has_constant="add") if fit_intercept else X
    res = sm.OLS(y, A).fit()
    inf = Inference(
        _intercept_last(res.bse, fit_intercept),
        math.sqrt(res.scale),
        float(res.rsquared),
        bool(res.k_constant),
    )
    return _intercept_last(res.params, fit_intercept), inf


def reference_optimum(X, y, fit_intercept):
    """``lingrad.exact_optimum``: coefficients, then the intercept."""
    coef, intercept = exact_optimum(X, y, fit_intercept=fit_intercept)
    return np.append(coef, intercept) if fit_intercept else coef


def numpy_lstsq(X, y, fit_intercept):
    """``numpy.linalg.lstsq`` on [X, 1] (or X): coefficients, then the intercept."""
    A = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    return np.linalg.lstsq(A, y, rcond=None)[0]


def sklearn_ols(X, y, fit_intercept):
    """scikit-learn's ``LinearRegression``: coefficients, then the intercept."""
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    m = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    return np.append(m.coef_, m.intercept_) if fit_intercept else m.coef_


def inference_digits(inf: Inference, exact: ExactInference) -> tuple[float, float, float]:
    """Digits of the worst standard error, of the residual SD and of R²."""
    r2 = exact.r2_centred if inf.centred else exact.r2_uncentred
    return (
        scaled_digits(inf.se, exact.se, exact.se_scale),
        scaled_digits(inf.resid_sd, exact.resid_sd, exact.sd_scale),
        digits(inf.r2, r2) if math.isfinite(inf.r2) else 0.0,
    )


def evaluate(name: str, fit_intercept: bool, n_iters: int) -> Result:
    """Every solver on one design against the exact oracle."""
    make, args = DESIGNS[name]
    X, y = make(*args)
    exact = exact_lstsq(X, y, fit_intercept)
    exact_inf = exact_inference(X, y, fit_intercept)
    res = Result(name, fit_intercept, rounding=exact_inf.rounding)
    calls = {
        "lingrad converged": lambda: lingrad_converged(X, y, fit_intercept, n_iters),
        "reference optimum": lambda: reference_optimum(X, y, fit_intercept),
        "lstsq": lambda: numpy_lstsq(X, y, fit_intercept),
        "statsmodels": lambda: statsmodels_ols(X, y, fit_intercept),
        "scikit-learn": lambda: sklearn_ols(X, y, fit_intercept),
    }
    for solver, call in calls.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = call()
        except Exception as exc:  # reported in the table
            res.digits[solver] = math.nan
            res.errors[solver] = f"{type(exc).__name__}: {exc}"
            continue
        theta = out[0] if isinstance(out, tuple) else out
        res.digits[solver] = digits(theta, exact)
        if solver == "lingrad converged":
            res.lingrad_fit = out[2]
        if isinstance(out, tuple):
            inf = out[1]
            if isinstance(inf, Inference):
                res.inference[solver] = inference_digits(inf, exact_inf)
            else:
                res.errors[f"{solver} summary()"] = inf
    res.streamed = streamed_digits(
        X, y, fit_intercept, exact, digits, tol=TOL, n_iters=n_iters, seed=SEED
    )
    return res


# -- the tables and the targets --------------------------------------------------------------
def _d(x: float | None) -> str:
    return "error" if x is None or not math.isfinite(x) else f"{x:.1f}"


def _label(r: Result) -> str:
    return f"{r.design}, {'with' if r.fit_intercept else 'no'} intercept"


def _judge(passed: bool, smoke: bool) -> str:
    return "not judged (smoke run)" if smoke else ("PASS" if passed else "MISS")


def _below(results: list[Result], ok: Callable[[Result], bool]) -> str:
    bad = [_label(r) for r in results if not ok(r)]
    return f"{len(results) - len(bad)} of {len(results)} cases" + (
        f"; short: {'; '.join(bad)}" if bad else ""
    )


def _not_behind_lstsq(r: Result, solver: str) -> bool:
    ours, theirs = r.digits[solver], r.digits["lstsq"]
    return math.isfinite(ours) and ours >= min(theirs, 15.0) - 0.5


def _inference_ok(r: Result) -> bool:
    got = r.inference.get("lingrad converged")
    return got is not None and min(got) >= MIN_INFERENCE_DIGITS


def targets(results: list[Result], smoke: bool) -> list[str]:
    """The targets of issue 10, one markdown bullet each, with PASS or MISS."""
    fit_ok = lambda r: r.digits["lingrad converged"] >= MIN_FIT_DIGITS  # noqa: E731
    rules = [
        (
            f"lingrad converged: coefficients ≥ {MIN_FIT_DIGITS:g} digits on every design",
            fit_ok,
        ),
        (
            "lingrad converged: never fewer digits than numpy.linalg.lstsq",
            lambda r: _not_behind_lstsq(r, "lingrad converged"),
        ),
        (
            f"lingrad summary() of the converged fit: standard errors, residual SD and R² "
            f"≥ {MIN_INFERENCE_DIGITS:g} digits",
            _inference_ok,
        ),
        (
            "lingrad reference optimum: never fewer digits than numpy.linalg.lstsq",
            lambda r: _not_behind_lstsq(r, "reference optimum"),
        ),
        (
            f"streamed fits (CSV file, Dask): converged, coefficients ≥ {MIN_FIT_DIGITS:g} digits",
            lambda r: all(
                r.streamed[k][2] and r.streamed[k][0] >= MIN_FIT_DIGITS for k in KINDS[:2]
            ),
        ),
        (
            f"partial_fit: never converged with fewer than −log10(tol) = "
            f"{-math.log10(TOL):g} digits",
            lambda r: (
                not r.streamed["partial_fit"][2] or r.streamed["partial_fit"][0] >= -math.log10(TOL)
            ),
        ),
    ]
    lines = []
    for text, ok in rules:
        passed = all(ok(r) for r in results)
        lines.append(f"- **{_judge(passed, smoke)}** {text}: {_below(results, ok)}.")
    return lines


def render(results: list[Result], smoke: bool, n_iters: int, seconds: float) -> str:
    """The markdown section: header paragraph, two tables, targets, errors."""
    coef_rows = [
        [r.design, "yes" if r.fit_intercept else "no"]
        + [_d(r.digits[s]) for s in SOLVERS[:1]]
        + [r.lingrad_fit or "–"]
        + [_d(r.digits[s]) for s in SOLVERS[1:]]
        for r in results
    ]
    inf_rows = []
    for r in results:
        row = [r.design + (" †" if r.rounding else ""), "yes" if r.fit_intercept else "no"]
        for solver in ("lingrad converged", "statsmodels"):
            row += [_d(v) for v in r.inference.get(solver, (math.nan,) * 3)]
        inf_rows.append(row)
    header = (
        "Each design of tests/_exact.py, with and without an intercept, is solved exactly in "
        "Python fractions (`exact_lstsq`: every float64 input converted exactly, the normal "
        "equations solved over the rationals, the answer rounded once). *Digits* are the "
        "correct significant digits of the worst coefficient (intercept included), each "
        "relative to itself: −log10 |got − exact| / |exact| (absolute where the exact value is "
        "0), at least 0; 17 means equal to the exactly rounded value. Solvers: lingrad converged "
        f"= `LinearRegression(lr='auto', optimizer='nesterov', tol={TOL:g}, n_iters={n_iters:_}, "
        f"random_state={SEED})` on the raw columns; reference optimum = `lingrad.exact_optimum`; "
        "`numpy.linalg.lstsq` on [X, 1]; statsmodels `OLS(y, add_constant(X, "
        "has_constant='add'))` (plain `OLS(y, X)` without intercept); scikit-learn "
        "`LinearRegression` (its default `tol=1e-6` is scipy's `lstsq(cond=...)`: singular values "
        "below 1e-6 of the largest are dropped, which costs it every digit on the polynomials in "
        "raw x). Inference: the worst standard error, the residual SD and R² of "
        "lingrad's `summary()` of the converged fit and of statsmodels' results, against exact "
        "values (σ² = SSR / (n − p), SE = √(σ² diag (AᵀA)⁻¹), R² = 1 − SSR / TSS, TSS centred "
        "when the model has a constant, as each reports in `k_constant`; all in fractions, "
        "square roots last). † A fit exact but for the rounding of the data (exact residual SD "
        f"below {ROUNDING_LEVEL:g} × the SD of y): six digits of its residual SD relative to "
        "itself are beyond float64, so there the residual SD's error is relative to the SD of "
        "y and each SE's error to the SE that residuals as large as y's SD would give. "
        '"Never fewer digits than lstsq" allows 0.5 digit and caps lstsq at '
        f"15 (as tests/test_accuracy.py). The whole table took {seconds:.0f} s."
        + (f" **Smoke run: designs {', '.join(SMOKE_DESIGNS)} only.**" if smoke else "")
    )
    parts = [
        "## Accuracy: correct digits against an exact rational oracle",
        header,
        "### Coefficients: correct significant digits (worst coefficient)\n\n"
        + markdown_table(
            [
                "design",
                "intercept",
                "lingrad converged",
                "lingrad fit",
                "reference optimum",
                "numpy lstsq",
                "statsmodels OLS",
                "scikit-learn",
            ],
            coef_rows,
            "llrlrrrr",
        ),
        "### Inference: correct significant digits\n\n"
        + markdown_table(
            [
                "design",
                "intercept",
                "lingrad SE",
                "lingrad resid. SD",
                "lingrad R²",
                "statsmodels SE",
                "statsmodels resid. SD",
                "statsmodels R²",
            ],
            inf_rows,
            "llrrrrrr",
        ),
        streamed_table(results, _d, markdown_table),
        "### Targets (issue 10)\n\n" + "\n".join(targets(results, smoke)),
    ]
    errors = [f"- {_label(r)}, {k}: {v}" for r in results for k, v in r.errors.items()]
    if errors:
        parts.append("Errors (shown as *error* above):\n\n" + "\n".join(errors))
    return "\n\n".join(parts)


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    names = SMOKE_DESIGNS if args.smoke else tuple(DESIGNS)
    n_iters = SMOKE_N_ITERS if args.smoke else N_ITERS
    t0 = time.perf_counter()
    results = []
    for name in names:
        for fit_intercept in (True, False):
            r = evaluate(name, fit_intercept, n_iters)
            results.append(r)
            print(
                f"{_label(r)}: " + ", ".join(f"{s} {_d(r.digits[s])}" for s in SOLVERS),
                flush=True,
            )
    text = render(results, args.smoke, n_iters, time.perf_counter() - t0)
    path = write_result(args.out, "accuracy", text)
    print(text)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
