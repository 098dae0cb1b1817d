"""``lingrad summary``: the statistical summary of a saved model (statsmodels' OLS/WLS table)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lingrad import SUMMARY_PARAMETERS

from .app import command, examples
from .io import open_for_model, read_model
from .options import (
    ChunkRowsOpt,
    FreqWeightOpt,
    JsonOpt,
    ModelArg,
    TargetsOpt,
    WeightOpt,
    check,
    check_param,
    check_rows,
)
from .render import console as make_console
from .render import expected_text, print_json

if TYPE_CHECKING:
    from lingrad.persist import ModelFile

__all__ = ["summary"]

_SUMMARY_EXAMPLES = examples(
    "lingrad summary model.json",
    "lingrad summary model.json train.csv --cov-type HC3",
    "lingrad summary model.json train.csv --cluster firm",
    "lingrad summary model.json train.csv --cluster firm,year --cov-type cluster-crv3",
    "lingrad summary model.json train.csv --cov-type HAC --maxlags 4",
    "lingrad summary model.json --alpha 0.01 --json",
)


def _cov_type(text: str) -> str:
    """``--cov-type`` in any case, as the summary spells it (``hc3`` -> ``HC3``)."""
    constraint = SUMMARY_PARAMETERS["cov_type"]
    cov = {c.lower(): c for c in constraint.options}.get(text.lower())
    check(cov is not None, "--cov-type", expected_text(constraint), text)
    return cov


def _groups(cluster: list[str] | None, maxlags: int | None, cov: str) -> tuple[Any, str]:
    """``--cluster`` as the summary's ``groups`` (a name, or two), and the covariance type.

    ``--cluster`` alone means ``--cov-type cluster`` and ``--maxlags`` alone
    ``--cov-type HAC``.
    """
    if maxlags is not None:
        check_param("maxlags", maxlags, summary=True)
        cov = "HAC" if cov == "nonrobust" else cov
    if not cluster:
        return None, cov
    names = [c.strip() for item in cluster for c in item.split(",") if c.strip()]
    check(0 < len(names) <= 2, "--cluster", "one or two column names", ",".join(cluster))
    cov = "cluster" if cov == "nonrobust" else cov
    return (names[0] if len(names) == 1 else names), cov


def _without_data(mf: ModelFile, model: Path, cov: str, alpha: float, columns: bool) -> Any:
    """The summary from the model file alone (``columns``: --target or --weight given)."""
    m = mf.model
    if columns:
        raise ValueError(
            "--target and --weight choose columns of DATA: pass DATA too "
            f"(lingrad summary {os.fspath(model)} DATA ...)."
        )
    if cov != "nonrobust":
        raise ValueError(
            f"--cov-type {cov} needs the training DATA (with its cluster columns for "
            "--cluster): a robust covariance sums over every "
            "residual, which the model file does not hold. Run lingrad summary "
            f"{os.fspath(model)} DATA --cov-type {cov}."
        )
    if m.stats_ is None:
        raise ValueError(
            f"MODEL {os.fspath(model)!r} holds no sufficient statistics (it was fitted with "
            "the direct engine), so the summary needs the training data: run lingrad summary "
            f"{os.fspath(model)} DATA."
        )
    return m.summary(alpha=alpha)


def _named_summaries(result: Any, names: Sequence[str] | None) -> list[Any]:
    """``model.summary()``'s result as a list, each labelled with its target's name."""
    summaries = result if isinstance(result, list) else [result]
    if names:
        summaries = [
            dataclasses.replace(s, target=str(name))
            for s, name in zip(summaries, names, strict=True)
        ]
    return summaries


@command(epilog=_SUMMARY_EXAMPLES)
def summary(
    model: ModelArg,
    data: Annotated[
        Path | None,
        typer.Argument(
            help="The training data (needed for robust --cov-type, and for models fitted with "
            "--engine direct).",
            show_default=False,
        ),
    ] = None,
    cov_type: Annotated[
        str,
        typer.Option("--cov-type", help="nonrobust, or heteroscedasticity-robust HC0 to HC3."),
    ] = SUMMARY_PARAMETERS["cov_type"].default,
    alpha: Annotated[
        float,
        typer.Option("--alpha", help="Significance level of the intervals (0.05: 95%)."),
    ] = SUMMARY_PARAMETERS["alpha"].default,
    cluster: Annotated[
        list[str] | None,
        typer.Option(
            "--cluster",
            "--groups",
            help=SUMMARY_PARAMETERS["groups"].help
            + " Column(s) of DATA: --cluster a,b (or repeated) clusters two ways. Implies "
            "--cov-type cluster (CR1) unless cluster-crv3 is given.",
            show_default=False,
        ),
    ] = None,
    maxlags: Annotated[
        int | None,
        typer.Option(
            "--maxlags",
            help=SUMMARY_PARAMETERS["maxlags"].help + " Implies --cov-type HAC.",
            show_default=False,
        ),
    ] = None,
    target: TargetsOpt = None,
    weight: WeightOpt = None,
    freq_weight: FreqWeightOpt = None,
    chunk_rows: ChunkRowsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Statistical summary of a saved model: statsmodels' OLS/WLS table.

    Standard errors, t, p-values, confidence intervals, R², F, log-likelihood,
    AIC and BIC, computed from the sufficient statistics stored in the model
    file (no data needed). Robust covariances (HC0-HC3, cluster-robust with
    --cluster COL, HAC with --maxlags L for rows in time order) sum over every
    residual: give the training DATA, streamed once more. The notes say when classical
    inference does not apply (penalised or unconverged fits). --json prints the
    summary as a JSON object (a list of them for several targets).
    """
    cov = _cov_type(cov_type)
    check_param("alpha", alpha, summary=True, note="(0.05: 95% intervals)")
    groups, cov = _groups(cluster, maxlags, cov)
    check_rows("--chunk-rows", chunk_rows)
    mf = read_model(model)
    m = mf.model
    names = mf.target_names
    if data is None:
        result = _without_data(mf, model, cov, alpha, bool(target) or weight is not None)
    else:
        _need_weight_columns(m.stats_, weight, freq_weight)
        ds, names = open_for_model(mf, data, target, weight, chunk_rows, freq_weight)
        result = m.summary(ds, cov_type=cov, alpha=alpha, groups=groups, maxlags=maxlags)
    summaries = _named_summaries(result, names)
    if json_out:
        docs = [s.to_dict() for s in summaries]
        print_json(docs[0] if not isinstance(result, list) else docs)
        return
    console = make_console()
    for s in summaries:
        console.print(s)


def _need_weight_columns(stats: Any, weight: str | None, freq_weight: str | None) -> None:
    """Refuse DATA without the weight columns the model was fitted with."""
    if weight is None and stats is not None and stats.weighted:
        raise ValueError(
            "The model was fitted with sample weights: name the weight column of DATA with "
            "--weight COL, so that DATA is the data the model was fitted on."
        )
    if freq_weight is None and getattr(stats, "sum_freq", None) is not None:
        raise ValueError(
            "The model was fitted with frequency weights: name their column of DATA with "
            "--freq-weight COL, so that DATA is the data the model was fitted on."
        )
