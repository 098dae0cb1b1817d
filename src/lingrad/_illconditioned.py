"""How an ill-conditioned problem is explained: collinear columns, the dummy-variable trap,
near collinearity or scale (the advice of :class:`lingrad.IllConditionedWarning`)."""

from __future__ import annotations

import math

from ._messages import Alt, Part, Set
from ._onehot import one_hot_parts

__all__ = ["ILL_CONDITIONED", "ill_conditioned_parts"]

#: Condition numbers above this draw an :class:`IllConditionedWarning`.
ILL_CONDITIONED = 1e12


def _columns(cols: list[int]) -> str:
    shown = ", ".join(map(str, cols[:10])) + (", ..." if len(cols) > 10 else "")
    return f"column{'s' if len(cols) > 1 else ''} {shown}"


def ill_conditioned_parts(
    kappa: float,
    scaled: float,
    collinear: list[int] | None,
    traps: list[list[int]] | None = None,
    fit_intercept: bool = True,
) -> tuple[Part, ...]:
    """Explain a huge condition number: collinear columns, near collinearity or scale.

    ``kappa`` is the raw Hessian's condition number, ``scaled`` that of the
    centred, column-scaled problem (nan when unknown), ``collinear`` the
    columns in its null space (None when unknown), ``traps`` the one-hot groups
    that sum to the intercept (:mod:`lingrad._onehot`).
    """
    tail = (
        " Gradient descent moves only along well-curved directions, so the coefficients may "
        "be far from unique or from the least-squares optimum even when predictions are "
        "good; see ",
        Alt("diagnostics_", "the diagnostics"),
        " for the gap to the exact optimum.",
    )
    if traps:
        return (*one_hot_parts(traps, fit_intercept), *tail)
    if collinear:
        return (
            f"Ill-conditioned problem: the features are collinear: {_columns(collinear)} "
            "are linearly dependent (constant, duplicated or a combination of others) even "
            "once the columns are centred and scaled, so the coefficients are not unique. "
            "Drop the redundant columns (standardising does not help).",
            *tail,
        )
    if scaled > ILL_CONDITIONED:
        return (
            f"Ill-conditioned problem: the features are nearly collinear: the condition "
            f"number is {scaled:.3g} even once the columns are centred and scaled "
            f"({kappa:.3g} raw), so the coefficients are sensitive to small changes in the "
            "data. Drop or combine near-duplicate columns, or add a ridge penalty (",
            Set("alpha"),
            ").",
            *tail,
        )
    known = (
        f", but {scaled:.3g} once the columns are centred and scaled: the trouble is their "
        "units and offsets, not collinearity"
        if math.isfinite(scaled)
        else ""
    )
    return (
        f"Ill-conditioned problem: the features are badly scaled: the condition number is "
        f"{kappa:.3g} on the raw columns{known}. ",
        Alt(
            "Standardise the features (sklearn.preprocessing.StandardScaler).",
            "Use --lr auto, which descends on centred, scaled columns (or standardise the "
            "file's columns).",
        ),
        *tail,
    )
