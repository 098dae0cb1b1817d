"""What inference reads from a fitted model and its statistics, checked.

The coefficients as (n_targets, n_features) plus intercepts, the parameter
names (``const`` first), the penalty and the solver's own gap, the method's
name, the weights' log-likelihood term, and the checks that the statistics
passed to :func:`lingrad.inference.summarize` belong to the model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._inference_design import check_summary_width
from ._inference_pass import Pass
from ._params import param_error
from ._stats import SufficientStats, normalised_weights

__all__ = [
    "check_model_matches",
    "check_stats",
    "coefficients",
    "fits_intercept",
    "log_weights",
    "method_name",
    "param_names",
    "penalty_of_model",
    "solver_gaps",
]


def fits_intercept(model: Any) -> bool:
    return bool(getattr(model, "fit_intercept", True))


def check_stats(stats: Any) -> None:
    if not isinstance(stats, SufficientStats):
        raise param_error(
            "summarize",
            "stats",
            "a SufficientStats",
            type(stats).__name__,
            "Pass SufficientStats.from_arrays(X, y, sample_weight) of the training data.",
        )
    check_summary_width(stats.n_features, stats.n_samples)


def check_model_matches(stats: SufficientStats, B: np.ndarray) -> None:
    k, f = B.shape
    if f != stats.n_features or stats.n_targets != k:
        raise ValueError(
            f"The statistics describe {stats.n_features} features and {stats.n_targets} "
            f"targets but the model has {f} features and {k} targets. Pass the statistics of "
            "the training data of this model."
        )
    if not stats.sum_weights > 0:
        raise ValueError(
            "The statistics hold no data (sum of weights 0); pass the training statistics."
        )


def penalty_of_model(model: Any) -> tuple[float, float]:
    return float(getattr(model, "alpha", 0.0) or 0.0), float(getattr(model, "l1_ratio", 0.0) or 0.0)


def solver_gaps(model: Any) -> tuple[float, float]:
    """The fit's own gap to its (penalised) optimum and relative gradient norm."""
    diag = getattr(model, "diagnostics_", None)
    return getattr(diag, "rel_coef_gap", math.nan), getattr(diag, "grad_norm_rel", math.nan)


def param_names(model: Any, feature_names: Any, f: int) -> list[str]:
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        names = [f"x{j}" for j in range(f)]
    else:
        names = [str(x) for x in feature_names]
        if len(names) != f:
            raise param_error(
                "summarize",
                "feature_names",
                f"a sequence of {f} names (one per feature)",
                feature_names,
                "Pass one name per column of X, or None for x0, x1, ...",
            )
    return ["const", *names] if fits_intercept(model) else names


def coefficients(model: Any, f: int) -> tuple[np.ndarray, np.ndarray, bool]:
    coef = np.asarray(model.coef_, dtype=np.float64)
    one_d = coef.ndim == 1
    B = coef.reshape(1, f) if one_d else coef
    k = B.shape[0]
    if fits_intercept(model):
        c = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (k,)).copy()
    else:
        c = np.zeros(k)
    return B, c, one_d


def method_name(model: Any) -> str:
    opt = getattr(model, "optimizer", None)
    return f"GD ({opt})" if isinstance(opt, str) else "gradient descent"


def log_weights(res: Pass | None, stats: SufficientStats, sample_weight: Any) -> tuple[float, bool]:
    """``sum log w`` for the WLS likelihood, and whether the fit is weighted."""
    if res is not None:
        return res.sum_log_weights, res.weighted
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        wn = normalised_weights(w, stats.weight_exponent)
        if w.shape != (stats.n_samples,) or not math.isclose(
            float(wn.sum()), float(stats.sum_weights), rel_tol=1e-9
        ):
            raise ValueError(
                f"sample_weight has {w.size} entries summing to {w.sum():.10g}; the statistics "
                f"have {stats.n_samples} rows with weights summing to {stats.sum_weights:.10g}. "
                "Pass the weights given to fit."
            )
        with np.errstate(divide="ignore"):
            return float(np.log(w).sum()), True
    return float(stats.sum_log_weights), bool(stats.weighted)
