"""The typer options and arguments the commands share, and the checks of their values.

A hyperparameter's option takes its default, help and check from THE constraints
table (:data:`lingrad.PARAMETERS`, :data:`lingrad.SUMMARY_PARAMETERS`); the checks
word failures in the command line's format (``--n-iters must be a whole number >=
0; got -1.``). Options of the command line alone (``--seed``, ``--chunk-rows``, ...)
are declared here too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import typer

from lingrad import PARAMETERS, SUMMARY_PARAMETERS

from .render import expected_text, option_name

__all__ = [
    "DEFAULTS",
    "SEED_RANGE",
    "AlphaOpt",
    "BatchSizeOpt",
    "BoundsOpt",
    "ChunkRowsOpt",
    "EngineOpt",
    "JsonOpt",
    "L1RatioOpt",
    "LrOpt",
    "MissingOpt",
    "ModelArg",
    "NItersOpt",
    "OnDivergenceOpt",
    "OptimizerOpt",
    "PositiveOpt",
    "PreconditionOpt",
    "SeedOpt",
    "TargetsOpt",
    "TolOpt",
    "WeightOpt",
    "check",
    "check_param",
    "check_rows",
    "check_seed",
    "out_option",
    "parse_bounds",
    "parse_lr",
    "weight_option",
]

SEED_RANGE = "an integer in [0, 2**32 - 1]"


# -- checks ----------------------------------------------------------------------------------
def check(ok: bool, option: str, expected: str, got: object) -> None:
    """The command line's one message format for bad option values."""
    if not ok:
        raise ValueError(f"{option} must be {expected}; got {got!r}.")


def check_param(name: str, value: Any, *, summary: bool = False, note: str = "") -> Any:
    """``value`` of the option of hyperparameter ``name``, checked against its constraint.

    ``summary`` reads :data:`lingrad.SUMMARY_PARAMETERS` instead of
    :data:`lingrad.PARAMETERS`; ``note`` is appended to the expectation.
    """
    constraint = (SUMMARY_PARAMETERS if summary else PARAMETERS)[name]
    expected = expected_text(constraint) + (f" {note}" if note else "")
    check(constraint.accepts(value), option_name(name), expected, value)
    return value


def check_rows(option: str, value: int | None, low: int = 1) -> int | None:
    """A whole number of rows (``--chunk-rows``, ``--max-points``) of at least ``low``,
    or None (the default's)."""
    if value is None:
        return None
    check(value >= low, option, f"a whole number >= {low}", value)
    return value


def check_seed(seed: int) -> int:
    """``--seed``: a seed NumPy accepts."""
    check(0 <= seed < 2**32, "--seed", SEED_RANGE, seed)
    return seed


def parse_lr(text: str) -> float | str:
    """``--lr``: ``auto`` (any case) or a positive number."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        lr = float(text)
    except ValueError:
        lr = math.nan
    constraint = PARAMETERS["lr"]
    check(constraint.accepts(lr), "--lr", expected_text(constraint), text)
    return lr


# -- declarations ----------------------------------------------------------------------------
def _param_option(name: str, *, extra_help: str = "", **kwargs: Any) -> Any:
    """The typer option of hyperparameter ``name``, with the constraint's help."""
    help_text = PARAMETERS[name].help + (f" {extra_help}" if extra_help else "")
    return typer.Option(option_name(name), help=help_text, **kwargs)


#: The defaults of the hyperparameters' options, from :data:`lingrad.PARAMETERS` (``--lr``
#: is typed as text: its default too).
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {name: str(c.default) if c.kind == "lr" else c.default for name, c in PARAMETERS.items()}
)


LrOpt = Annotated[str, _param_option("lr")]
NItersOpt = Annotated[int, _param_option("n_iters")]
TolOpt = Annotated[float | None, _param_option("tol", show_default=False)]
OptimizerOpt = Annotated[str, _param_option("optimizer")]
AlphaOpt = Annotated[float, _param_option("alpha")]
L1RatioOpt = Annotated[float, _param_option("l1_ratio")]
BatchSizeOpt = Annotated[
    int | None,
    _param_option(
        "batch_size",
        extra_help="It reshuffles rows every epoch, so DATA is loaded into memory (refused "
        "above 1 GiB of numbers); without it the file is streamed.",
        show_default=False,
    ),
]
EngineOpt = Annotated[str, _param_option("engine")]
PreconditionOpt = Annotated[str, _param_option("precondition")]
SeedOpt = Annotated[int, _param_option("random_state")]
OnDivergenceOpt = Annotated[str, _param_option("on_divergence")]
MissingOpt = Annotated[str, _param_option("missing")]
PositiveOpt = Annotated[bool, _param_option("positive")]
BoundsOpt = Annotated[
    str | None,
    _param_option(
        "bounds",
        extra_help="On the command line two numbers LOW,HIGH for every coefficient "
        "(inf, -inf: none), e.g. --bounds 0,inf; per-feature bounds from Python.",
        show_default=False,
    ),
]


def parse_bounds(text: str | None) -> tuple[float, float] | None:
    """``--bounds LOW,HIGH`` as ``(low, high)``; None without the option."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    expected = "two numbers LOW,HIGH with LOW <= HIGH (inf, -inf: none), e.g. 0,inf"
    check(not math.isnan(low) and not math.isnan(high) and low <= high, "--bounds", expected, text)
    return low, high


def out_option(help_text: str) -> Any:
    """``--out``/``-o``: the file a command writes (required)."""
    return typer.Option("--out", "-o", help=help_text, show_default=False)


def weight_option(help_text: str) -> Any:
    """``--weight``/``-w``: the column of sample weights (optional)."""
    return typer.Option("--weight", "-w", help=help_text, show_default=False)


ModelArg = Annotated[
    Path, typer.Argument(help="Model file written by lingrad fit -o.", show_default=False)
]
ChunkRowsOpt = Annotated[
    int | None,
    typer.Option(
        "--chunk-rows",
        help="Rows read at a time (memory ~ rows x columns x 8 B) "
        "[default: 65536, fewer for wide data: 32 MiB per chunk].",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document (and nothing else) on stdout."),
]
TargetsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Target column(s) in DATA (repeat or comma list); default: the names saved in "
        "the model file.",
        show_default=False,
    ),
]
WeightOpt = Annotated[str | None, weight_option("Column of sample weights (a weighted fit's).")]
FreqWeightOpt = Annotated[
    str | None,
    typer.Option(
        "--freq-weight",
        help="Column of frequency weights: each row counts as that many observations "
        "(statsmodels' freq_weights; nobs is their sum).",
        show_default=False,
    ),
]
