"""Classical OLS/WLS inference for a fitted model, from its sufficient statistics.

Standard errors, t statistics, p-values, confidence intervals, R², the F test,
the log-likelihood and information criteria are all functions of the fitted
coefficients and of the weighted centred cross-products that
:class:`~lingrad.SufficientStats` holds, so :func:`summarize` never re-reads the
data for the classical (``"nonrobust"``) covariance. The numbers follow
statsmodels' ``OLS`` / ``WLS`` results definition by definition (``nobs`` is the
number of rows, weighted or not; ``df_resid = nobs - rank``; R² is uncentred for
a model without a constant).

Heteroscedasticity-robust covariances (``HC0`` ... ``HC3``) need every residual:
they take one more pass over the data, in row chunks, from arrays or from any
object with an ``iter_chunks()`` method (so files can be streamed).

Numerical care
--------------
``AᵀWA`` (A = [1, X]) is never formed (:mod:`lingrad._inference_design`).
With an intercept the regressors are handled in centred working coordinates
``z = [1, x - x̄]``, where the Gram matrix is block diagonal, ``diag(S, XcᵀWXc)``;
without one, in the whitened coordinates of an SVD of a square root of ``XᵀWX``
built from the centred scatter. Rank and inverse are computed with every
column scaled to unit norm, so offsets (1e6) and units (1e-3 next to 1e5) cost
nothing: against exact rational arithmetic the standard errors keep about
``16 - 2 log10(kappa)`` digits, kappa the condition number of the centred,
unit-scaled design (tests/test_summary_oracle.py). A Gram matrix resolves
singular values only down to ``sqrt(n eps)`` of the largest, so a design
closer to singular than that (scaled condition number above ~1e7) is reported
rank deficient from the statistics. Where kappa exceeds 1e5 (fewer than 6
digits left) the summary says so; given the data (``X, y``), it then factors
the design from the data (QR, a second pass: :mod:`lingrad._inference_qr`,
about ``16 - log10(kappa)`` digits) and takes the exact optimum from the data
too (:func:`lingrad.exact_optimum`).

The residual sum of squares from the statistics,
``yy - 2 bᵀxy + bᵀ xx b + S (ȳ - x̄ᵀb - c)²``, is exact algebra; in floating
point its relative error is about ``1e-16 / (1 - R²)``. When data are passed,
it is summed from the residuals, computed about the means. A sum at or below
the rounding error it is computed with is reported as 0: a perfect fit, with
R² = 1, zero standard errors, F = inf (statsmodels' ``ess / 0``; nan when y is
constant too) and a note that says so; nothing raises and nothing warns.

Classical inference is only valid at the least-squares optimum of an
unpenalised fit. It is reported valid when every coefficient is within
``CONVERGED_SE_FRACTION = 1e-4`` of its own standard error of the exact
optimum (:func:`lingrad._optimum.optimum_theta`, from the same statistics):
``max_j |coef_j - exact_j| / bse_j <= 1e-4`` (``Summary.coef_gap_se``), so no t
statistic moves by more than 1e-4 and no interval end by more than 1e-4
standard errors. For a rank-deficient design (coefficients not unique) the
fitted values are compared instead, ``sqrt(dᵀ AᵀWA d) / sigma <= 1e-4`` with
``d = coef - exact``. With no error variance (a perfect fit, no residual
degrees of freedom) the relative gap ``max |coef - exact| / max |exact|``
must be below ``CONVERGED_REL_GAP = 1e-6``. The "not converged" note is kept
beside a rank note.

The module is the public entry point; the work is done by
:mod:`lingrad._inference_design` (design, rank, constant),
:mod:`lingrad._inference_qr` (the design from the data, where the statistics
fall short),
:mod:`lingrad._inference_pass` (the second pass for residuals and robust covariances),
:mod:`lingrad._inference_compute` (covariances, F test, distance to the optimum),
:mod:`lingrad._inference_notes` (validity notes as message parts),
:mod:`lingrad._inference_results` (:class:`Summary`) and :mod:`lingrad._report`
(its text, rich and JSON renderings).

The WLS log-likelihood needs ``sum(log(w))`` beyond the cross-products;
the statistics carry it (``SufficientStats.sum_log_weights``), so no data
is needed for it.

Examples
--------
>>> import numpy as np
>>> from lingrad import LinearRegression, SufficientStats
>>> from lingrad.inference import summarize
>>> X = np.arange(10.0).reshape(-1, 1)
>>> y = 2 * X[:, 0] + 1 + np.tile([0.5, -0.5], 5)
>>> model = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14,
...                          n_iters=100_000, random_state=0).fit(X, y)
>>> res = summarize(model, SufficientStats.from_arrays(X, y))
>>> print(np.round(res.params, 4), np.round(res.bse, 4), res.classical_inference_valid)
[1.1364 1.9697] [0.3235 0.0606] True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._inference_compute import convergence, exact_params, target_numbers
from ._inference_design import build_design, check_summary_width
from ._inference_notes import (
    CONVERGED_REL_GAP,
    CONVERGED_SE_FRACTION,
    GRAM_MAX_KAPPA,
    accuracy_notes,
    validity_notes,
)
from ._inference_pass import Pass, check_pass_matches, second_pass
from ._inference_qr import qr_design
from ._inference_results import Summary
from ._inference_source import data_source
from ._messages import render
from ._optimum import exact_optimum
from ._params import COV_TYPES, SUMMARY_PARAMETERS, param_error
from ._stats import SufficientStats, normalised_weights

__all__ = ["CONVERGED_REL_GAP", "CONVERGED_SE_FRACTION", "COV_TYPES", "Summary", "summarize"]


def _check_cov_type(cov_type: Any) -> str:
    """``cov_type`` in its canonical spelling (matched case-insensitively)."""
    constraint = SUMMARY_PARAMETERS["cov_type"]
    if isinstance(cov_type, str):
        canon = {c.lower(): c for c in constraint.options}
        cov_type = canon.get(cov_type.lower(), cov_type)
    return constraint.check("summarize", cov_type)


def summarize(
    model: Any,
    stats: SufficientStats,
    X: Any = None,
    y: Any = None,
    *,
    sample_weight: Any = None,
    cov_type: str = "nonrobust",
    alpha: float = 0.05,
    feature_names: Any = None,
    use_t: bool | None = None,
) -> Summary | list[Summary]:
    """Classical OLS/WLS inference for a fitted linear model.

    The inference is about the model's own coefficients (the gradient-descent
    fit); it is valid when every coefficient is within 1e-4 of its own
    standard error of the least-squares optimum (``CONVERGED_SE_FRACTION``)
    and the fit is unpenalised, and the result says so (``warnings``,
    ``classical_inference_valid``) when not. It never raises on degenerate
    data (a perfect fit, constant y, one sample, no residual degrees of
    freedom): the numbers that are undefined are ``nan`` or ``inf`` and a
    note says why.

    Parameters
    ----------
    model : LinearRegression
        Fitted; ``coef_`` of shape (n_features,) or (n_targets, n_features),
        ``intercept_``, ``fit_intercept``, ``alpha``, ``l1_ratio`` and
        ``diagnostics_`` are read.
    stats : SufficientStats
        Statistics of the training data (``SufficientStats.from_arrays(X, y,
        sample_weight)``), with ``n_features`` features and ``n_targets`` targets.
    X : array-like or sparse matrix of shape (n_samples, n_features), or data source, default=None
        The training data, needed only for robust covariances (and used, when
        given, for the exact residual sum of squares, and to factor a design
        too ill-conditioned for the statistics). Either an array with
        ``y``, or an object whose ``iter_chunks()`` yields
        ``(X_chunk, y_chunk, w_chunk_or_None)`` tuples: a second pass in chunks.
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Targets, with array ``X``.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights given to ``fit``, with array ``X`` (or alone: then used for
        the WLS log-likelihood only).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}, default="nonrobust"
        Covariance of the coefficients, as statsmodels' ``fit(cov_type=...)``.
    alpha : float, default=0.05
        Significance level of the confidence intervals (0.05: 95%).
    feature_names : sequence of str of length n_features, default=None
        Names of the coefficients; default ``model.feature_names_in_`` if set,
        else ``x0, x1, ...``.
    use_t : bool, default=None
        p-values and intervals from Student's t (True) or the normal
        distribution (False). None is statsmodels' default: t for
        ``"nonrobust"``, normal for the robust types.

    Returns
    -------
    Summary or list of Summary
        One ``Summary`` for a model fitted on 1-D ``y``; a list with one per
        target when ``coef_`` is 2-D.

    Raises
    ------
    ValueError
        For a robust ``cov_type`` without the data, or statistics or data
        that do not match the model.
    """
    check_is_fitted(model)
    cov_type = _check_cov_type(cov_type)
    alpha = SUMMARY_PARAMETERS["alpha"].check("summarize", alpha)
    _check_stats(stats)
    check_summary_width(stats.n_features, stats.n_samples)
    B, c, one_d = _coefficients(model, int(np.shape(model.coef_)[-1]))
    _check_model_matches(stats, B)
    names = _param_names(model, feature_names, stats.n_features)
    chunks = _normalised(
        data_source(X, y, sample_weight, stats.n_features, B.shape[0], cov_type), stats
    )
    out = _summaries(model, stats, names, B, c, chunks, sample_weight, cov_type, alpha, use_t)
    return out[0] if one_d else [replace(s, target=f"y{j}") for j, s in enumerate(out)]


def _summaries(
    model: Any,
    stats: SufficientStats,
    names: list[str],
    B: np.ndarray,
    c: np.ndarray,
    chunks: Callable[[], Iterable[Any]] | None,
    sample_weight: Any,
    cov_type: str,
    alpha: float,
    use_t: bool | None,
) -> list[Summary]:
    """One summary per target (each named ``"y"``), after the second pass when ``chunks``.

    With the data (``chunks`` makes a fresh pass over them) and a design the
    statistics cannot resolve (scaled condition number above
    :data:`~lingrad._inference_notes.GRAM_MAX_KAPPA`, or rank deficient to
    their precision), the design is factored from the data first (QR).
    """
    fit_intercept = _fits_intercept(model)
    design = build_design(stats, fit_intercept)
    from_qr = chunks is not None and (
        design.scaled_condition > GRAM_MAX_KAPPA or design.rank < len(names)
    )
    if from_qr:
        design = qr_design(chunks(), stats, design)
    hc = None if cov_type == "nonrobust" else cov_type
    res = second_pass(chunks(), design, B, c, hc, stats.y_mean) if chunks else None
    if res is not None:
        check_pass_matches(res, stats)
    sum_log_w, weighted = _log_weights(res, stats, sample_weight)
    if stats.weight_exponent:  # the sums are of w / 2**k: the log-likelihood of w itself
        sum_log_w = stats.sum_log_weights - stats.n_samples * stats.weight_exponent * math.log(2)
    nobs = float(stats.n_samples)
    s = design.singular_values
    common = {
        "names": names,
        "cov_type": cov_type,
        "alpha": alpha,
        "nobs": nobs,
        "df_model": float(design.rank - design.k_constant),
        "df_resid": nobs - design.rank,
        "k_constant": design.k_constant,
        "sum_log_weights": sum_log_w,
        "condition_number": float(s[0] / s[-1]) if s[-1] > 0 else math.inf,
        "rank": design.rank,
        "const_idx": design.const_idx,
        "weighted": weighted,
        "method": _method(model),
        "use_t": (hc is None) if use_t is None else bool(use_t),
    }
    p = len(names)
    exact = _exact(stats, fit_intercept, chunks if from_qr else None)
    thetas = np.column_stack([c, B]) if fit_intercept else B.copy()  # (n_targets, p)
    ctx = (model, stats, design, res, cov_type, from_qr)
    return [_target_summary(ctx, common, j, theta, exact[j], p) for j, theta in enumerate(thetas)]


def _target_summary(
    ctx: tuple[Any, SufficientStats, Any, Pass | None, str, bool],
    common: dict[str, Any],
    j: int,
    theta: np.ndarray,
    exact: np.ndarray,
    p: int,
) -> Summary:
    """The summary of target ``j``: its numbers, its distance to the optimum, its notes."""
    model, stats, design, res, cov_type, from_qr = ctx
    numbers = target_numbers(stats, design, res, j, theta, cov_type)
    floor = numbers.pop("ssr_floor")
    gap = convergence(stats, design, theta, exact, numbers, common["names"])
    tss = numbers["centered_tss"] if design.k_constant else numbers["uncentered_tss"]
    perfect = (floor, tss, res is not None) if numbers["ssr"] == 0 else None
    notes = validity_notes(
        _penalty(model),
        _solver(model),
        gap,
        design.rank,
        p,
        common["df_resid"],
        perfect,
        (getattr(model, "lr", None), getattr(model, "optimizer", None)),
    )
    extra = accuracy_notes(design.scaled_condition, from_qr)
    return Summary(
        **common,
        **numbers,
        classical_inference_valid=not notes,
        warnings=[render(n) for n in notes + extra],
        warning_parts=notes + extra,
        rel_coef_gap=gap.rel_gap,
        coef_gap_se=gap.se_gap,
    )


def _exact(stats: SufficientStats, fit_intercept: bool, chunks: Any) -> np.ndarray:
    """The exact optimum, intercept first, shape (n_targets, n_params).

    From the statistics (:func:`~lingrad._optimum.optimum_theta`); where they
    cannot resolve the design and dense arrays were given, from the data
    (:func:`lingrad.exact_optimum`: QR and a refinement step).
    """
    arrays = getattr(chunks, "arrays", None)
    if arrays is None or sp.issparse(arrays[0]):
        return exact_params(stats, fit_intercept)
    X, Y, w = arrays
    coef, intercept = exact_optimum(X, Y, w, fit_intercept=fit_intercept)
    return np.column_stack([intercept, coef]) if fit_intercept else coef


def _fits_intercept(model: Any) -> bool:
    return bool(getattr(model, "fit_intercept", True))


def _check_stats(stats: Any) -> None:
    if not isinstance(stats, SufficientStats):
        raise param_error(
            "summarize",
            "stats",
            "a SufficientStats",
            type(stats).__name__,
            "Pass SufficientStats.from_arrays(X, y, sample_weight) of the training data.",
        )


def _check_model_matches(stats: SufficientStats, B: np.ndarray) -> None:
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


def _penalty(model: Any) -> tuple[float, float]:
    return float(getattr(model, "alpha", 0.0) or 0.0), float(getattr(model, "l1_ratio", 0.0) or 0.0)


def _solver(model: Any) -> tuple[float, float]:
    """The fit's own gap to its (penalised) optimum and relative gradient norm."""
    diag = getattr(model, "diagnostics_", None)
    return getattr(diag, "rel_coef_gap", math.nan), getattr(diag, "grad_norm_rel", math.nan)


def _param_names(model: Any, feature_names: Any, f: int) -> list[str]:
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
    return ["const", *names] if _fits_intercept(model) else names


def _coefficients(model: Any, f: int) -> tuple[np.ndarray, np.ndarray, bool]:
    coef = np.asarray(model.coef_, dtype=np.float64)
    one_d = coef.ndim == 1
    B = coef.reshape(1, f) if one_d else coef
    k = B.shape[0]
    if _fits_intercept(model):
        c = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (k,)).copy()
    else:
        c = np.zeros(k)
    return B, c, one_d


def _method(model: Any) -> str:
    opt = getattr(model, "optimizer", None)
    return f"GD ({opt})" if isinstance(opt, str) else "gradient descent"


def _normalised(chunks: Callable[[], Iterable[Any]] | None, stats: SufficientStats):
    """The chunks with their weights divided by ``2**k``, as in the statistics."""
    k = stats.weight_exponent
    if chunks is None or not k:
        return chunks
    return lambda: ((X, Y, normalised_weights(w, k)) for X, Y, w in chunks())


def _log_weights(
    res: Pass | None, stats: SufficientStats, sample_weight: Any
) -> tuple[float, bool]:
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
