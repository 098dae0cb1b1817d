"""Eigen-decompositions a fit already has, and the raw spectrum by eigenvalues only.

:func:`diagonal_modes` gives a diagonally preconditioned statistics Hessian's
eigen-decomposition from the one its :class:`~lingrad._precondition.Transform`
was made from (no second ``eigh``); :func:`raw_spectrum` the largest and
smallest eigenvalue of an undescended problem with ``eigvalsh``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["EIGH_MAX", "diagonal_modes", "raw_spectrum"]

#: Above this many features no dense eigen-decomposition is made (as
#: :class:`~lingrad._objective.StatsLeastSquares`): diagonal scaling only.
EIGH_MAX = 2000


def raw_spectrum(problem: Any) -> tuple[float, float]:
    """``(L, mu)`` of an undescended problem: eigenvalues only where its Hessian is
    decomposable (the raw condition number needs no eigenvectors), else its spectrum."""
    hessian = getattr(problem, "hessian", None)
    if hessian is None or problem.n_params > EIGH_MAX or problem.penalty.l1:
        return problem.spectrum()
    with np.errstate(over="ignore", invalid="ignore"):
        H = hessian()
        if not np.isfinite(H).all():
            return math.inf, math.nan
        try:
            ev = np.linalg.eigvalsh(H)
        except np.linalg.LinAlgError:
            return math.nan, math.nan
    return (float(ev[-1]), float(max(ev[0], 0.0))) if ev.size else (0.0, 0.0)


def diagonal_modes(transform: Any, intercept: bool) -> tuple | None:
    """``eigh`` of a diagonally preconditioned statistics Hessian, from the transform's
    own decomposition (with an intercept, the centred block and the intercept's 1);
    the eigenvectors None where the transform has its eigenvalues only."""
    if transform.kind != "diagonal" or transform.eig is None:
        return None
    lam, U = transform.eig
    if not intercept:
        return lam, U
    f = lam.size
    vals = np.append(lam, 1.0)
    order = np.argsort(vals, kind="stable")
    if U is None:
        return vals[order], None
    vecs = np.zeros((f + 1, f + 1))
    vecs[:f, :f], vecs[f, f] = U, 1.0
    return vals[order], vecs[:, order]
