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
about ``16 - log10(kappa)`` digits).

The residual sum of squares from the statistics,
``yy - 2 bᵀxy + bᵀ xx b + S (ȳ - x̄ᵀb - c)²``, is exact algebra; in floating
point its relative error is about ``1e-16 / (1 - R²)``. When data are passed,
it is summed from the residuals, computed about the means; without them, where
the statistics' sum is at its rounding bound and the model sits at its own
reference optimum, the fit's sum from the rows in double-double
(``diagnostics_.exact_ssr``) is used. A sum at or below
the rounding error it is computed with is reported as 0: a perfect fit, with
R² = 1, zero standard errors, F = inf (statsmodels' ``ess / 0``; nan when y is
constant too) and a note that says so; nothing raises and nothing warns.

Classical inference is only valid at the least-squares optimum of an
unpenalised fit. It is reported valid when every coefficient is within
``CONVERGED_SE_FRACTION = 1e-4`` of its own standard error of the exact
optimum (:func:`lingrad._optimum.reference_theta`, the one reference the fit's
diagnostics, the plots and the CLI quote: with the data given, the rows are read
again where the scaled condition number calls for it, as the fit does; without,
the fit's own ``diagnostics_.exact_coef`` on its statistics):
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
>>> print(np.round(np.asarray(res.params), 4), np.round(np.asarray(res.bse), 4))
[1.1364 1.9697] [0.3235 0.0606]
>>> round(float(res.params["x0"]), 4), res.classical_inference_valid  # indexed by name
(1.9697, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._bounds import active_bounds
from ._fit_args import counted_rows, freq_input, freq_source, with_pending
from ._freq import check_freq_cov
from ._inference_compute import convergence, exact_params, fit_ssr, target_numbers
from ._inference_design import build_design, check_summary_width
from ._inference_distributed import robust_pass
from ._inference_model import (
    check_model_matches,
    check_stats,
    coefficients,
    fits_intercept,
    log_weights,
    method_name,
    param_names,
    penalty_of_model,
    solver_gaps,
)
from ._inference_notes import (
    CONVERGED_REL_GAP,
    CONVERGED_SE_FRACTION,
    GRAM_MAX_KAPPA,
    accuracy_notes,
    dropped_note,
    validity_notes,
)
from ._inference_pass import Pass, check_pass_matches, distributed_pass, second_pass
from ._inference_qr import qr_design
from ._inference_results import Summary
from ._inference_robust import Robust, inference_f_pvalue, robust_fields, robust_request
from ._inference_source import data_source, training_stats
from ._messages import render
from ._optimum import NO_REFERENCE, NORMAL_EQUATIONS
from ._params import COV_TYPES, SUMMARY_PARAMETERS
from ._sources.grouplabels import frame_groups
from ._sources.missing import summary_data
from ._stats import SufficientStats, normalised_weights

__all__ = [
    "CONVERGED_REL_GAP",
    "CONVERGED_SE_FRACTION",
    "COV_TYPES",
    "PREDICTION_COLUMNS",
    "Summary",
    "summarize",
    "summarize_model",
    "training_stats",
]

#: The columns of ``model.get_prediction(X).summary_frame()``, statsmodels' in its order.
PREDICTION_COLUMNS = (
    "mean",
    "mean_se",
    "mean_ci_lower",
    "mean_ci_upper",
    "obs_ci_lower",
    "obs_ci_upper",
)


def _check_cov_type(cov_type: Any) -> str:
    """``cov_type`` in its canonical spelling (matched case-insensitively)."""
    constraint = SUMMARY_PARAMETERS["cov_type"]
    if isinstance(cov_type, str):
        canon = {c.lower(): c for c in constraint.options}
        cov_type = canon.get(cov_type.lower(), cov_type)
    return constraint.check("summarize", cov_type)


def summarize_model(model: Any, X: Any, y: Any, sample_weight: Any, **options: Any) -> Any:
    """``model.summary(X, y, ...)``: :func:`summarize` with the model's statistics and names.

    A fit that kept no statistics (engine "direct") gets them from ``X, y`` (one pass).
    """
    stats = model.stats_
    check_summary_width(model.n_features_in_, getattr(stats, "n_samples", None))
    freq, missing = options.pop("freq_weights", None), getattr(model, "missing", "raise")
    X, y, sample_weight, freq = freq_source(X, y, sample_weight, freq, missing)  # Dask, columns
    sample_weight, pending = freq_input(X, y, sample_weight, freq, missing)
    if stats is None:
        stats = with_pending(training_stats(model, X, y, sample_weight), pending)
    X, y, sample_weight = counted_rows(model, X, y, sample_weight, freq, options)
    names = getattr(model, "feature_names_in_", None)
    names = None if names is None else list(names)
    return summarize(
        model, stats, X, y, sample_weight=sample_weight, feature_names=names, **options
    )


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
    groups: Any = None,
    maxlags: int | None = None,
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
        The training data, needed for robust covariances (and used for the
        exact residual sum of squares, and to factor a design too
        ill-conditioned for the statistics). An array with ``y``, or an object
        whose ``iter_chunks()`` yields ``(X_chunk, y_chunk, w_chunk_or_None)``.
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
    sample_weight : array-like of shape (n_samples,), default=None
        The weights given to ``fit`` (alone: for the WLS likelihood only).
    cov_type : {"nonrobust", "HC0"-"HC3", "cluster", "cluster-crv3", "HAC"}, default="nonrobust"
        As statsmodels' ``fit(cov_type=...)``: classical, heteroscedasticity-, cluster- (CR1,
        CR3: ``groups``) or autocorrelation-robust (Newey-West: ``maxlags``), reading the data
        once more; with frequency weights, those of the rows repeated (HAC refused).
    alpha : float, default=0.05
        Significance level of the confidence intervals (0.05: 95%).
    feature_names : sequence of n_features str, default=None (``feature_names_in_``, or x0, ...)
    use_t : bool, default=None
        Student's t (True) or normal (False); None: t for ``"nonrobust"`` only.
    groups : array-like of shape (n_samples,) or (n_samples, 2), or str or two str, default=None
        Cluster ids (any labels; two columns: two-way), or a dataset's or DataFrame's column(s).
    maxlags : int, default=None
        HAC lags; None: ``floor(4 (n / 100)^(2/9))``.

    Returns
    -------
    Summary or list of Summary
        One ``Summary`` for 1-D ``y``; a list, one per target, for 2-D ``coef_``.

    Raises
    ------
    ValueError
        For a robust ``cov_type`` without the data, or statistics or data not matching the model.
    """
    check_is_fitted(model)
    alpha = SUMMARY_PARAMETERS["alpha"].check("summarize", alpha)
    check_stats(stats)  # a SufficientStats, not too wide to summarise
    check_freq_cov(stats, cov_type := _check_cov_type(cov_type))
    B, c, one_d = coefficients(model, int(np.shape(model.coef_)[-1]))
    check_model_matches(stats, B)
    names = param_names(model, feature_names, stats.n_features)
    X, groups = frame_groups(X, groups, names)  # a (Dask) DataFrame's column(s) as groups
    X, y, sample_weight = summary_data(model, X, y, sample_weight)  # missing="drop", streams
    chunks = data_source(X, y, sample_weight, stats.n_features, B.shape[0], cov_type)
    robust = robust_request(cov_type, groups, maxlags, X)
    args = (_normalised(chunks, stats), sample_weight, cov_type, alpha, use_t, robust)
    out = _summaries(model, stats, names, B, c, *args)
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
    robust: Robust | None = None,
) -> list[Summary]:
    """One summary per target (each named ``"y"``), after the second pass when ``chunks``.

    With the data (``chunks`` makes a fresh pass over them) and a design the
    statistics cannot resolve (scaled condition number above
    :data:`~lingrad._inference_notes.GRAM_MAX_KAPPA`, or rank deficient to
    their precision), the design is factored from the data first (QR).
    """
    fit_intercept = fits_intercept(model)
    design = build_design(stats, fit_intercept)
    from_qr = chunks is not None and (
        design.scaled_condition > GRAM_MAX_KAPPA or design.rank < len(names)
    )
    if from_qr:
        design = qr_design(chunks(), stats, design)
    hc = None if cov_type == "nonrobust" else cov_type
    res = None
    if robust is not None and chunks is not None:
        res = robust_pass(chunks, robust, design, B, c, stats.y_mean, int(stats.n_samples))
        if res is None:
            rows = robust.start(chunks, B.shape[0], design, int(stats.n_samples))
            res = second_pass(rows, design, B, c, None, stats.y_mean, robust.sums)
        check_pass_matches(res, stats)
        res.meat = robust.finish(design, stats.nobs)
    elif chunks is not None:
        res = distributed_pass(chunks, design, B, c, hc, stats.y_mean)  # Spark: on executors
        res = second_pass(chunks(), design, B, c, hc, stats.y_mean) if res is None else res
        check_pass_matches(res, stats)
    sum_log_w, weighted = log_weights(res, stats, sample_weight)
    if stats.sum_freq is not None:  # the pass saw f * w: the totals are the statistics'
        sum_log_w, weighted = float(stats.sum_log_weights), bool(stats.weighted)
    if stats.weight_exponent:  # the sums are of w / 2**k: the log-likelihood of w itself
        sum_log_w = stats.sum_log_weights - stats.nobs * stats.weight_exponent * math.log(2)
    nobs = stats.nobs
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
        "method": method_name(model),
        "use_t": (hc is None) if use_t is None else bool(use_t),
        **robust_fields(robust),
    }
    p = len(names)
    exact = _exact(model, stats, fit_intercept, chunks)
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
    rows_ssr = fit_ssr(model, j, theta, design.fit_intercept)
    numbers = target_numbers(stats, design, res, j, theta, cov_type, rows_ssr)
    inference_f_pvalue(numbers, common)
    floor = numbers.pop("ssr_floor")
    gap = convergence(stats, design, theta, exact, numbers, common["names"])
    tss = numbers["centered_tss"] if design.k_constant else numbers["uncentered_tss"]
    perfect = (floor, tss, res is not None) if numbers["ssr"] == 0 else None
    notes = validity_notes(
        penalty_of_model(model),
        solver_gaps(model),
        gap,
        design.rank,
        p,
        common["df_resid"],
        perfect,
        (getattr(model, "lr", None), getattr(model, "optimizer", None)),
        active_bounds(model, theta[int(design.fit_intercept) :]),
    )
    extra = accuracy_notes(design.scaled_condition, from_qr)
    extra += dropped_note(getattr(model, "n_dropped_", 0), float(stats.n_samples))
    return Summary(
        **common,
        **numbers,
        classical_inference_valid=not notes,
        warnings=[render(n) for n in notes + extra],
        warning_parts=notes + extra,
        rel_coef_gap=gap.rel_gap,
        coef_gap_se=gap.se_gap,
    )


def _exact(model: Any, stats: SufficientStats, fit_intercept: bool, chunks: Any) -> np.ndarray:
    """The reference optimum, intercept first, shape (n_targets, n_params).

    The one the fit quotes (:func:`~lingrad._optimum.reference_theta`): with the
    data, computed by its rule (the rows read again where the statistics'
    scaled condition number calls for it); without, the model's own
    ``diagnostics_.exact_coef`` when these are its statistics (``stats_``) and
    it read its rows, else the statistics' normal equations.
    """
    if chunks is not None:
        data = getattr(chunks, "arrays", None) or _Rows(chunks)
        return exact_params(stats, fit_intercept, data)
    d = getattr(model, "diagnostics_", None)
    method = getattr(d, "reference_method", NORMAL_EQUATIONS)
    if getattr(model, "stats_", None) is not stats or method in (NORMAL_EQUATIONS, NO_REFERENCE):
        return exact_params(stats, fit_intercept)
    coef = np.asarray(d.exact_coef, dtype=np.float64).reshape(stats.n_targets, -1)
    if not fit_intercept:
        return coef
    intercept = np.broadcast_to(np.asarray(d.exact_intercept, np.float64), (stats.n_targets,))
    return np.column_stack([intercept, coef])


def _normalised(chunks: Callable[[], Iterable[Any]] | None, stats: SufficientStats):
    """The chunks with their weights divided by ``2**k``, as in the statistics."""
    k = stats.weight_exponent
    if chunks is None or not k:
        return chunks
    return lambda: ((X, Y, normalised_weights(w, k), *f) for X, Y, w, *f in chunks())


class _Rows:
    """A source whose ``iter_chunks()`` starts a pass of ``chunks()``, targets 2-D."""

    def __init__(self, chunks: Callable[[], Iterable[Any]]) -> None:
        self.chunks = chunks

    def iter_chunks(self) -> Iterable[Any]:
        for X, y, w, *_ in self.chunks():
            yield X, np.asarray(y, dtype=np.float64).reshape(np.shape(X)[0], -1), w
