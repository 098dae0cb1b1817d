"""The streamed and online rows of bench_accuracy: a CSV file, Dask, partial_fit.

The same converged settings as the in-memory fit, on the same designs: the rows
read from a CSV file in 7-row chunks (``open_dataset``), from a Dask array in
5 blocks, and given to ``partial_fit`` 10 rows at a time (no rows kept). Where
the merged statistics hold too few digits a streamed fit reads the rows again
(a second, TSQR pass) and finishes there; ``partial_fit`` cannot, and says
``stop_reason_='statistics-limited'`` instead of converged.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import numpy as np

from lingrad import LinearRegression, open_dataset

#: Columns of the streamed table, in order.
KINDS = ("CSV file", "Dask", "partial_fit")


def _model(fit_intercept: bool, tol: float, n_iters: int, seed: int) -> LinearRegression:
    return LinearRegression(
        lr="auto",
        optimizer="nesterov",
        tol=tol,
        n_iters=n_iters,
        fit_intercept=fit_intercept,
        random_state=seed,
    )


def _csv(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    cols = [f"x{j}" for j in range(X.shape[1])]
    lines = [",".join([*cols, "y"])]
    lines += [",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _fit(kind: str, model: LinearRegression, X: np.ndarray, y: np.ndarray, tmp: Path):
    if kind == "CSV file":
        return model.fit(open_dataset(_csv(tmp / "d.csv", X, y), target="y", chunk_rows=7))
    if kind == "Dask":
        import dask.array as da

        rows = max(4, len(X) // 5)
        return model.fit(da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows))
    for i in range(0, len(X), 10):
        model.partial_fit(X[i : i + 10], y[i : i + 10])
    return model


def streamed_digits(X, y, fit_intercept, exact, digits, *, tol, n_iters, seed):
    """``{kind: (digits, how, converged)}`` for each of :data:`KINDS` (digits nan: failed)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            model = _model(fit_intercept, tol, n_iters, seed)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _fit(kind, model, X, y, Path(tmp))
                    d = model.diagnostics_
            except Exception as exc:  # reported in the table
                out[kind] = (math.nan, f"{type(exc).__name__}", False)
                continue
            theta = np.append(model.coef_, model.intercept_) if fit_intercept else model.coef_
            how = f"{model.n_iter_:,} it, " + (
                "converged" if model.converged_ else model.stop_reason_.replace("_", " ")
            )
            if d.refined and kind != "partial_fit":
                how += ", 2nd pass"
            out[kind] = (digits(theta, exact), how, bool(model.converged_))
    return out


def streamed_table(results, fmt, markdown_table) -> str:
    """The markdown section of the streamed and online rows (``fmt`` formats digits)."""
    rows = [
        [r.design, "yes" if r.fit_intercept else "no"]
        + [v for k in KINDS for v in (fmt(r.streamed[k][0]), r.streamed[k][1])]
        for r in results
    ]
    return (
        "### Streamed and online fits: correct significant digits (worst coefficient)\n\n"
        "The converged settings above on the rows read from a CSV file in 7-row chunks, a "
        "Dask array in 5 blocks, and `partial_fit` in 10-row batches (no rows kept: "
        "'statistics-limited' where its statistics hold fewer digits than tol asks). "
        "'2nd pass': the merged statistics held too few digits, the rows were read again "
        "(TSQR) and the fit finished at that reference.\n\n"
        + markdown_table(
            ["design", "intercept"] + [f"{k} {c}" for k in KINDS for c in ("digits", "fit")],
            rows,
            "ll" + "rl" * len(KINDS),
        )
    )
