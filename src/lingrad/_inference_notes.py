"""The notes of an inference summary, as message parts (see :mod:`lingrad._messages`).

Each function returns one note as a tuple of parts: plain text and
:class:`~lingrad._messages.Set` for a parameter setting, so that a summary's
notes read ``lr='auto'`` in Python and ``--lr auto`` on the command line
(``render(parts, "cli")``). :func:`validity_notes` decides which of them apply.

Examples
--------
>>> from lingrad._messages import render
>>> render(unconverged_note(2e-3, float("nan"))[-9:], "cli")
'Refit with a smaller --tol and more --n-iters, or --lr auto with --optimizer nesterov.'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._messages import Alt, Part, Set

__all__ = [
    "CONVERGED_REL_GAP",
    "CONVERGED_SE_FRACTION",
    "GRAM_MAX_KAPPA",
    "Convergence",
    "accuracy_notes",
    "cov_note",
    "valid_note",
    "validity_notes",
]

#: Classical inference is reported valid when every coefficient is within this
#: fraction of its own standard error of the exact least-squares optimum: every
#: t statistic then moves by at most 1e-4 (below the 3 decimals shown) and every
#: interval end by at most 1e-4 standard errors.
CONVERGED_SE_FRACTION = 1e-4

#: Where no standard error exists (a perfect fit, no residual degrees of
#: freedom), the largest relative gap ``max |coef - exact| / max |exact|``
#: accepted instead.
CONVERGED_REL_GAP = 1e-6

#: Scaled condition numbers above this leave the inverse of a Gram matrix (what
#: the statistics give) fewer than about 6 correct digits (its error grows as
#: kappa² eps).
GRAM_MAX_KAPPA = 1e5

Note = tuple[Part, ...]


@dataclass(frozen=True)
class Convergence:
    """How far a fit is from the exact least-squares optimum.

    Parameters
    ----------
    rel_gap : float
        ``max |coef - exact| / max |exact|`` (intercept included; ``nan`` when
        the coefficients are not identified).
    se_gap : float
        ``max_j |coef_j - exact_j| / bse_j`` (full rank), or the distance of the
        fitted values to the optimum's in residual standard errors,
        ``sqrt(Δᵀ AᵀWA Δ) / sigma`` (rank deficient); ``nan`` when there is no
        positive error variance (perfect fit, no residual degrees of freedom).
    fit_gap : float
        ``sqrt(Δᵀ AᵀWA Δ / Σ w y²)``: the fitted values' relative distance.
    worst : str or None
        The coefficient farthest from the optimum in its standard errors.
    identified : bool
        Full rank (the coefficients are unique).
    """

    rel_gap: float
    se_gap: float = math.nan
    fit_gap: float = math.nan
    worst: str | None = None
    identified: bool = True

    @property
    def converged(self) -> bool:
        """Within :data:`CONVERGED_SE_FRACTION` of the standard errors, or, with no error
        variance, within :data:`CONVERGED_REL_GAP` relative."""
        if math.isfinite(self.se_gap):
            return self.se_gap <= CONVERGED_SE_FRACTION
        gap = self.rel_gap if self.identified else self.fit_gap
        return gap <= CONVERGED_REL_GAP


def cov_note(cov_type: str, kwds: dict | None = None) -> Note:
    """What the standard errors assume, for ``cov_type`` (``kwds``: its settings)."""
    kwds = kwds or {}
    if cov_type == "nonrobust":
        return (
            "Standard errors assume that the covariance matrix of the errors is correctly "
            "specified.",
        )
    if cov_type == "HAC":
        return (
            "Standard errors are heteroscedasticity and autocorrelation robust (HAC, "
            f"Newey-West, Bartlett kernel) with {kwds.get('maxlags', '?')} lags, without "
            "small-sample correction; the rows are taken in the order given.",
        )
    if cov_type in ("cluster", "cluster-crv3"):
        g = kwds.get("groups")
        by = " and ".join(map(repr, g)) if isinstance(g, list) else repr(g)
        n = " and ".join(str(x) for x in kwds.get("n_groups", []))
        kind = (
            "CR3, the leave-one-cluster-out jackknife, times (G-1)/G"
            if cov_type == "cluster-crv3"
            else "CR1, with the small-sample correction G/(G-1) (n-1)/(n-k)"
        )
        ways = "two-way " if isinstance(g, list) else ""
        return (
            f"Standard errors are {ways}cluster robust ({kind}) by {by}, {n} clusters; "
            "the F test (and t, with use_t=True) has min(G) - 1 residual degrees of freedom, "
            "as statsmodels. Kept in the second pass: "
            f"{kwds.get('memory', 'per-cluster sums')}.",
        )
    return (f"Standard errors are heteroscedasticity robust ({cov_type}).",)


def valid_note(gap: float | Convergence) -> Note:
    """The statement that classical inference applies, with the gap to the optimum."""
    gap = gap if isinstance(gap, Convergence) else Convergence(gap)
    if math.isfinite(gap.se_gap):
        return (
            "Classical inference applies: every coefficient is within "
            f"{gap.se_gap:.1e} of its own standard error of the exact least-squares "
            f"optimum (converged enough: <= {CONVERGED_SE_FRACTION:.0e}).",
        )
    return (
        "Classical inference applies: the coefficients are within "
        f"{gap.rel_gap:.1e} relative of the exact least-squares optimum "
        f"(converged enough: <= {CONVERGED_REL_GAP:.0e}).",
    )


def penalised_note(alpha: float, l1_ratio: float, pen_gap: float, grad_rel: float) -> Note:
    """A penalised fit: biased coefficients (and how far from its own optimum)."""
    parts: Note = (
        "Penalised fit (",
        Set("alpha", f"{alpha:g}"),
        ", ",
        Set("l1_ratio", f"{l1_ratio:g}"),
        "): the coefficients are shrunk toward zero, so they are biased and the classical "
        "standard errors, t statistics, p-values and confidence intervals of this summary do "
        "not apply. Refit with ",
        Set("alpha", "0"),
        " for classical inference, or use a bootstrap.",
    )
    if math.isfinite(pen_gap) and pen_gap > CONVERGED_REL_GAP:
        parts += (
            f" The fit is also {pen_gap:.2e} relative from its own (penalised) optimum "
            f"(relative gradient norm {grad_rel:.2e}).",
        )
    return parts


def bounded_note(n_active: int) -> Note:
    """A fit with coefficients on their bounds: the estimates' distribution is not normal."""
    return (
        f"Bounded fit: {n_active} coefficient{'s' if n_active != 1 else ''} on a bound of ",
        Set("positive"),
        "/",
        Set("bounds"),
        ". At an active bound the estimate is not asymptotically normal, so the classical "
        "standard errors, t statistics, p-values and confidence intervals of this summary do "
        "not apply (and the fit is not the least-squares optimum). Refit without the bounds "
        "for classical inference, or use a bootstrap.",
    )


def rank_note(rank: int, n_params: int) -> Note:
    """A rank-deficient design: some coefficients are not identified."""
    return (
        f"The design is rank deficient (rank {rank} < {n_params} parameters): some "
        "coefficients are not identified (collinear columns, or a constant column besides "
        "the intercept). Their standard errors come from a generalised inverse and the "
        "t tests are meaningless; drop the redundant columns.",
    )


def _distance(gap: Convergence) -> tuple[str, float]:
    """How far, worded for the measure that decides, and the threshold it is held to."""
    rel = f"max |coef - exact| / max |exact| = {gap.rel_gap:.2e}"
    if math.isfinite(gap.se_gap) and gap.identified:
        who = f"coefficient {gap.worst!r}" if gap.worst else "a coefficient"
        return (
            f"{who} is {gap.se_gap:.2e} of its standard error from the exact least-squares "
            f"optimum ({rel})",
            CONVERGED_SE_FRACTION,
        )
    if math.isfinite(gap.se_gap):
        return (
            f"the fitted values are {gap.se_gap:.2e} residual standard errors "
            "(sqrt(dᵀ AᵀWA d) / sigma, d = coef - exact) from the least-squares optimum's",
            CONVERGED_SE_FRACTION,
        )
    if gap.identified:
        return (
            f"the coefficients are {gap.rel_gap:.2e} relative (max |coef - exact| / max "
            "|exact|) from the exact least-squares optimum",
            CONVERGED_REL_GAP,
        )
    return (
        f"the fitted values are {gap.fit_gap:.2e} relative (sqrt(dᵀ AᵀWA d / Σ w y²), "
        "d = coef - exact) from the least-squares optimum's",
        CONVERGED_REL_GAP,
    )


def unconverged_note(
    gap: float | Convergence, grad_rel: float, settings: tuple[object, object] = (None, None)
) -> Note:
    """Coefficients too far from the exact optimum for classical inference.

    ``gap`` is a :class:`Convergence` (a float: the relative gap alone);
    ``settings`` the model's ``(lr, optimizer)``: a remedy already set is not
    suggested.
    """
    gap = gap if isinstance(gap, Convergence) else Convergence(gap)
    grad = (
        f"; the solver's relative gradient norm is {grad_rel:.2e}"
        if math.isfinite(grad_rel)
        else ""
    )
    how, limit = _distance(gap)
    within = (
        f"every coefficient within {limit:.0e} of its own standard error"
        if limit == CONVERGED_SE_FRACTION and gap.identified
        else f"them within {limit:.0e}"
    )
    return (
        f"Not converged: {how}{grad}. Classical inference needs {within} (converged "
        "enough), so the standard errors, t statistics, p-values and intervals of this "
        "summary, computed at these coefficients, do not apply. ",
        *_remedy(*settings),
    )


def _remedy(lr: object, optimizer: object) -> Note:
    """Refit advice, leaving out what the model already has."""
    base: Note = ("Refit with a smaller ", Set("tol"), " and more ", Set("n_iters"))
    if lr == "auto" and optimizer == "nesterov":
        return (*base, ".")
    if lr == "auto":
        return (*base, ", or ", Set("optimizer", "'nesterov'"), ".")
    return (*base, ", or ", Set("lr", "'auto'"), " with ", Set("optimizer", "'nesterov'"), ".")


def perfect_fit_note(floor: float, tss: float, from_data: bool) -> Note:
    """A residual sum of squares of 0 (to the precision it is computed with)."""
    where = "residuals" if from_data else "sufficient statistics"
    rel = f", {floor / tss:.1e} of the total sum of squares" if tss > 0 else ""
    bound = f"at most {floor:.1e}{rel}" if floor > 0 else "exactly"
    r2 = "R² = 1" if tss > 0 else "y is constant (total sum of squares 0), so R² is undefined (nan)"
    parts: Note = (
        f"Perfect fit: the residual sum of squares is 0 to the precision of the {where} "
        f"({bound}); {r2}. The error variance, the standard errors and the "
        "intervals are 0, the t statistics and F infinite (nan where the coefficient, or "
        "for F the explained sum of squares, is 0 too; statsmodels gives the same with a "
        "division warning): with no error the tests say nothing.",
    )
    if not from_data:
        parts += (
            " For the sum from the residuals themselves pass the data: ",
            Alt("model.summary(X, y).", "lingrad summary MODEL DATA."),
        )
    return parts


def ill_conditioned_note(kappa: float) -> Note:
    """The scaled design is too ill-conditioned for the statistics' standard errors."""
    kept = max(0.0, 16.0 - 2.0 * math.log10(kappa))
    return (
        f"The design's condition number, with every column scaled to unit norm, is "
        f"{kappa:.1e}: standard errors computed from the statistics (a Gram matrix) keep "
        f"only about {kept:.0f} correct digits. Centre or orthogonalise the columns (for "
        "polynomials, powers of a centred, scaled x, or orthogonal polynomials), or pass "
        "the data: ",
        Alt(
            "model.summary(X, y) factors the design itself (QR).",
            "lingrad summary MODEL DATA factors the design itself (QR).",
        ),
    )


def no_df_note(df_resid: float) -> Note:
    """No residual degrees of freedom: nothing is defined."""
    return (
        f"No residual degrees of freedom (nobs - rank = {df_resid:.0f}): the error variance, "
        "standard errors and tests are undefined. Use more rows than parameters.",
    )


def validity_notes(
    penalty: tuple[float, float],
    solver: tuple[float, float],
    gap: float | Convergence,
    rank: int,
    n_params: int,
    df_resid: float,
    perfect: tuple[float, float, bool] | None = None,
    settings: tuple[object, object] = (None, None),
    n_active: int = 0,
) -> list[Note]:
    """Why classical inference does not apply (an empty list when it does).

    Parameters
    ----------
    penalty : (alpha, l1_ratio)
        The model's penalty.
    solver : (rel_coef_gap, grad_norm_rel)
        The fit's own diagnostics (gap to its penalised optimum, relative
        gradient norm), ``nan`` when unknown.
    gap : Convergence or float
        The distance to the exact least-squares optimum (a float: the relative
        gap alone, ``nan`` when unknown).
    rank, n_params : int
        Rank of the design and number of parameters.
    df_resid : float
        ``nobs - rank``.
    perfect : (floor, tss, from_data) or None
        Set when the residual sum of squares is 0 to the precision ``floor`` it
        was computed with (``tss`` the total sum of squares).
    settings : (lr, optimizer)
        The model's, so that the advice never repeats what is set.
    n_active : int, default=0
        Coefficients on a bound of the model's box (:func:`lingrad._bounds.active_bounds`).

    Returns
    -------
    list of tuple of parts
        Penalty, rank, convergence, degrees of freedom, perfect fit: each that
        applies, in this order (the convergence note is kept beside a rank note).
    """
    alpha, l1_ratio = penalty
    pen_gap, grad_rel = solver
    gap = gap if isinstance(gap, Convergence) else Convergence(gap)
    notes: list[Note] = []
    if alpha > 0:
        notes.append(penalised_note(alpha, l1_ratio, pen_gap, grad_rel))
    if n_active:
        notes.append(bounded_note(n_active))
    if rank < n_params:
        notes.append(rank_note(rank, n_params))
    known = math.isfinite(gap.se_gap) or math.isfinite(
        gap.rel_gap if gap.identified else gap.fit_gap
    )
    if alpha == 0 and not n_active and not gap.converged and (known or rank == n_params):
        notes.append(unconverged_note(gap, grad_rel, settings))
    if df_resid <= 0:
        notes.append(no_df_note(df_resid))
    elif perfect is not None:
        notes.append(perfect_fit_note(*perfect))
    return notes


def qr_note(kappa: float) -> Note:
    """The standard errors came from a QR factorisation of the data."""
    kept = max(0.0, 16.0 - math.log10(kappa))
    return (
        f"The design's condition number, with every column scaled to unit norm, is "
        f"{kappa:.1e}, beyond what the sufficient statistics (a Gram matrix) hold, so the "
        "data were read once more and the design factored (QR): the standard errors keep "
        f"about {kept:.0f} correct digits.",
    )


def accuracy_notes(scaled_kappa: float, from_qr: bool) -> list[Note]:
    """What limits the numbers' precision without making them invalid."""
    if from_qr:
        return [qr_note(scaled_kappa)]
    if not scaled_kappa > GRAM_MAX_KAPPA:
        return []
    return [ill_conditioned_note(scaled_kappa)]


def dropped_note(n_dropped: int, nobs: float) -> list[Note]:
    """Rows left out for a missing value (``missing="drop"``): not in ``nobs``."""
    if not n_dropped:
        return []
    rows = "row" if n_dropped == 1 else "rows"
    return [
        (
            f"{n_dropped} {rows} with a missing value were dropped (",
            Set("missing", "'drop'"),
            f"); No. Observations ({nobs:.0f}) counts the rows used.",
        )
    ]
