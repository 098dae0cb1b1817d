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

from ._messages import Part, Set

__all__ = [
    "CONVERGED_REL_GAP",
    "cov_note",
    "valid_note",
    "validity_notes",
]

#: Largest relative gap to the exact least-squares coefficients at which the
#: classical standard errors, p-values and intervals are reported as valid.
CONVERGED_REL_GAP = 1e-6

Note = tuple[Part, ...]


def cov_note(cov_type: str) -> Note:
    """What the standard errors assume, for ``cov_type``."""
    if cov_type == "nonrobust":
        return (
            "Standard errors assume that the covariance matrix of the errors is correctly "
            "specified.",
        )
    return (f"Standard errors are heteroscedasticity robust ({cov_type}).",)


def valid_note(rel_coef_gap: float) -> Note:
    """The statement that classical inference applies, with the gap to the optimum."""
    return (
        "Classical inference applies: the coefficients are within "
        f"{rel_coef_gap:.1e} relative of the exact least-squares optimum "
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


def rank_note(rank: int, n_params: int) -> Note:
    """A rank-deficient design: some coefficients are not identified."""
    return (
        f"The design is rank deficient (rank {rank} < {n_params} parameters): some "
        "coefficients are not identified (collinear columns, or a constant column besides "
        "the intercept). Their standard errors come from a generalised inverse and the "
        "t tests are meaningless; drop the redundant columns.",
    )


def unconverged_note(gap: float, grad_rel: float) -> Note:
    """Coefficients too far from the exact optimum for classical inference."""
    grad = (
        f"; the solver's relative gradient norm is {grad_rel:.2e}"
        if math.isfinite(grad_rel)
        else ""
    )
    return (
        "Not converged: the coefficients are "
        f"{gap:.2e} relative (max |coef - exact| / max |exact|) from the exact least-squares "
        f"optimum{grad}. Classical inference needs them within {CONVERGED_REL_GAP:.0e} "
        "(converged enough), so the standard errors, t statistics, p-values and intervals "
        "of this summary, computed at these coefficients, do not apply. ",
        "Refit with a smaller ",
        Set("tol"),
        " and more ",
        Set("n_iters"),
        ", or ",
        Set("lr", "'auto'"),
        " with ",
        Set("optimizer", "'nesterov'"),
        ".",
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
    gap: float,
    rank: int,
    n_params: int,
    df_resid: float,
) -> list[Note]:
    """Why classical inference does not apply (an empty list when it does).

    Parameters
    ----------
    penalty : (alpha, l1_ratio)
        The model's penalty.
    solver : (rel_coef_gap, grad_norm_rel)
        The fit's own diagnostics (gap to its penalised optimum, relative
        gradient norm), ``nan`` when unknown.
    gap : float
        Relative gap to the exact least-squares coefficients (``nan`` when the
        design is rank deficient).
    rank, n_params : int
        Rank of the design and number of parameters.
    df_resid : float
        ``nobs - rank``.

    Returns
    -------
    list of tuple of parts
    """
    alpha, l1_ratio = penalty
    pen_gap, grad_rel = solver
    notes: list[Note] = []
    if alpha > 0:
        notes.append(penalised_note(alpha, l1_ratio, pen_gap, grad_rel))
    if rank < n_params:
        notes.append(rank_note(rank, n_params))
    elif alpha == 0 and not gap <= CONVERGED_REL_GAP:
        notes.append(unconverged_note(gap, grad_rel))
    if df_resid <= 0:
        notes.append(no_df_note(df_resid))
    return notes
