"""``lingrad cv``: the penalty chosen by exact K-fold cross-validation, in one pass over DATA.

Rows go to folds by a hash of their position (or of ``--groups``), the fold
statistics are gathered in one streamed pass, and the whole path is solved from
them (:class:`lingrad.LinearRegressionCV`). The command prints the choice, the
CV error and the refitted coefficients (``--json``: also the full CV path),
draws the CV curve and the coefficient path on request, and with ``-o`` saves a
model fitted at the chosen penalty (by gradient descent, a second pass), which
``lingrad predict``, ``summary`` and ``plot`` then take like any model file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lingrad import LinearRegression, LinearRegressionCV, plots

from .app import command, examples
from .fit import DataArg, FeaturesOpt, FitWeightOpt, TargetOpt
from .io import atomic_output, check_out_file, open_training
from .options import ChunkRowsOpt, JsonOpt, check
from .render import console as make_console
from .render import fmt, key_value_table, print_json
from .training import fit_dataset

__all__ = ["cv"]

_EXAMPLES = examples(
    "lingrad cv data.csv -t y --alphas 50 --l1-ratio 1",
    "lingrad cv data.parquet -t y --l1-ratio 0.1,0.5,1 --cv 10 --selection 1se "
    "--plot-curve cv.png --plot-path path.png -o model.json",
    "lingrad cv data.csv -t y --groups site --alphas 0.01,0.1,1,10 --l1-ratio 0 --json",
)
#: The refit saved by ``-o``: converged gradient descent at the chosen penalty.
_REFIT = {"lr": "auto", "optimizer": "nesterov", "tol": 1e-12, "n_iters": 100_000}

AlphasOpt = Annotated[
    str,
    typer.Option(
        "--alphas",
        help="A number of alphas on a log grid from the largest useful one, or a comma list.",
    ),
]
L1RatiosOpt = Annotated[
    str, typer.Option("--l1-ratio", help="Share of L1 (0 ridge, 1 lasso), or a comma list.")
]
EpsOpt = Annotated[float, typer.Option("--eps", help="Grid length: alpha_min = EPS * alpha_max.")]
CvOpt = Annotated[int, typer.Option("--cv", help="Number of folds (rows hashed to folds).")]
SelectionOpt = Annotated[
    str, typer.Option("--selection", help="min: least CV error; 1se: largest alpha within 1 SE.")
]
GroupsOpt = Annotated[
    str | None,
    typer.Option(
        "--groups",
        "-g",
        help="Column of groups (numbers or text), kept whole in one fold (not a feature).",
        show_default=False,
    ),
]
ModelOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Also save a model fitted at the chosen penalty (JSON).",
        show_default=False,
    ),
]
CurveOpt = Annotated[
    Path | None,
    typer.Option("--plot-curve", help="Figure of the CV curve (±1 SE).", show_default=False),
]
PathPlotOpt = Annotated[
    Path | None,
    typer.Option("--plot-path", help="Figure of the coefficient path.", show_default=False),
]


def _numbers(text: str, option: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    check(bool(values), option, what, text)
    return values


def parse_alphas(text: str) -> int | list[float]:
    """``--alphas``: a whole number (a grid of that many) or a comma list of alphas."""
    if text.strip().isdigit():
        return int(text)
    return _numbers(text, "--alphas", "a whole number of alphas or a comma list of numbers")


def _report(model: LinearRegressionCV, feats: list[str], targets: list[str]) -> dict[str, Any]:
    res = model.cv_results_
    alpha, ratio = np.atleast_1d(model.alpha_), np.atleast_1d(model.l1_ratio_)
    coef = np.atleast_2d(model.coef_)
    icpt = np.atleast_1d(model.intercept_)
    mean = np.asarray(res["mean_test_mse"]).reshape(len(res["param_l1_ratio"]), -1)
    sem = np.asarray(res["sem_test_mse"]).reshape(mean.shape)
    per = []
    for t, name in enumerate(targets):
        alphas_t = np.asarray(res["param_alpha"]).reshape(mean.shape)[:, t]
        i = int(np.flatnonzero((alphas_t == alpha[t]) & (res["param_l1_ratio"] == ratio[t]))[0])
        per.append(
            {
                "target": name,
                "alpha": float(alpha[t]),
                "l1_ratio": float(ratio[t]),
                "cv_mse": float(mean[i, t]),
                "cv_mse_se": float(sem[i, t]),
                "coefficients": dict(zip(feats, map(float, coef[t]), strict=True)),
                "intercept": float(icpt[t]),
                "path": {
                    "l1_ratio": res["param_l1_ratio"].tolist(),
                    "alpha": alphas_t.tolist(),
                    "mean_test_mse": mean[:, t].tolist(),
                    "sem_test_mse": sem[:, t].tolist(),
                },
            }
        )
    return {"n_splits": int(model.n_splits_), "selection": model.selection, "targets": per}


def _check_plots(out: Path | None, curve: Path | None, path_plot: Path | None, data: Path) -> None:
    if out is not None:
        check_out_file(out, "model.json", inputs=[data])
    for p, option in ((curve, "--plot-curve"), (path_plot, "--plot-path")):
        if p is not None:
            check_out_file(p, "cv.png", option, inputs=[data])


def _draw(model: LinearRegressionCV, feats: list[str], curve: Path | None, path_plot: Path | None):
    if curve is not None:
        with atomic_output(curve, "--plot-curve") as tmp:
            plots.plot_cv_curve(model, path=tmp)
    if path_plot is not None:
        with atomic_output(path_plot, "--plot-path") as tmp:
            plots.plot_regularization_path(model, feature_names=feats, path=tmp)


@command(epilog=_EXAMPLES)
def cv(
    data: DataArg,
    target: TargetOpt,
    features: FeaturesOpt = None,
    weight: FitWeightOpt = None,
    groups: GroupsOpt = None,
    alphas: AlphasOpt = "100",
    l1_ratio: L1RatiosOpt = "0.5",
    eps: EpsOpt = 1e-3,
    folds: CvOpt = 5,
    selection: SelectionOpt = "min",
    out: ModelOutOpt = None,
    plot_curve: CurveOpt = None,
    plot_path: PathPlotOpt = None,
    chunk_rows: ChunkRowsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Choose the penalty by exact K-fold cross-validation, reading DATA once.

    Prints the chosen alpha and l1_ratio (one per target), the CV error with its
    standard error and the coefficients refitted on all the rows; --json prints
    them with the whole CV path. -o also saves a model fitted at that penalty.
    """
    ratios = _numbers(l1_ratio, "--l1-ratio", "a number or a comma list of numbers")
    model = LinearRegressionCV(
        parse_alphas(alphas),
        l1_ratio=ratios if len(ratios) > 1 else ratios[0],
        eps=eps,
        cv=folds,
        selection=selection,
    )
    _check_plots(out, plot_curve, plot_path, data)
    ds, feats, targets = open_training(data, target, features, weight, chunk_rows)
    if groups is not None:
        feats = [c for c in feats if c != groups]
    check(
        out is None or len(targets) == 1,
        "-o",
        "used with one --target (each target has its own alpha: run lingrad cv per target)",
        ",".join(targets),
    )
    model.fit(ds, groups=groups)
    _draw(model, feats, plot_curve, plot_path)
    report = _report(model, feats, targets)
    if out is not None:
        refit = LinearRegression(
            alpha=float(model.alpha_), l1_ratio=float(model.l1_ratio_), **_REFIT
        )
        if groups is not None:
            ds, _, _ = open_training(data, target, feats, weight, chunk_rows)
        fit_dataset(refit, ds, make_console(stderr=json_out))
        refit.save(out, target_names=targets)
        report["model"] = os.fspath(out)
    if json_out:
        print_json(report)
        return
    console = make_console()
    for t in report["targets"]:
        rows = [
            ("alpha", fmt(t["alpha"])),
            ("l1_ratio", fmt(t["l1_ratio"])),
            (f"CV MSE ({report['n_splits']} folds)", f"{fmt(t['cv_mse'])} ± {fmt(t['cv_mse_se'])}"),
            ("intercept", fmt(t["intercept"])),
            *((f"coef {k}", fmt(v)) for k, v in t["coefficients"].items()),
        ]
        console.print(key_value_table(f"Cross-validation of {t['target']} ({selection})", rows))
    if out is not None:
        console.print(f"Saved the model to {os.fspath(out)}", markup=False, soft_wrap=True)
