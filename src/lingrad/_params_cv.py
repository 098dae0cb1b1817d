"""The constraints of :class:`lingrad.LinearRegressionCV`'s own parameters.

The same :class:`~lingrad._params.Constraint` rows as :data:`lingrad.PARAMETERS`
(one table per estimator): the alphas grid, its length, the folds and the
selection rule. Each alpha and l1_ratio of a list is checked by ``PARAMETERS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ._messages import Set
from ._params import Constraint, _real

__all__ = ["CV_PARAMETERS"]


#: Parameters of :class:`lingrad.LinearRegressionCV` beyond those shared with
#: :data:`PARAMETERS` (each alpha and l1_ratio of a list is checked by those).
CV_PARAMETERS: Mapping[str, Constraint] = MappingProxyType(
    {
        c.name: c
        for c in (
            Constraint(
                "alphas",
                "int",
                100,
                low=1,
                fix=("Use a number of alphas (e.g. ", Set("alphas", "100"), ") or a list."),
                help="Number of alphas on a log grid from the largest useful one, or a list.",
            ),
            _real(
                "eps",
                1e-3,
                ("Use eps in (0, 1), e.g. ", Set("eps", "1e-3"), "."),
                "Length of the automatic grid: alpha_min = EPS * alpha_max.",
                low=0.0,
                high=1.0,
                low_open=True,
                high_open=True,
            ),
            Constraint(
                "cv",
                "int",
                5,
                low=2,
                fix=("Use at least 2 folds, e.g. ", Set("cv", "5"), "."),
                help="Number of folds (rows hashed to folds by position, or by group).",
            ),
            Constraint(
                "selection",
                "option",
                "min",
                options=("min", "1se"),
                help="min: the alpha of least CV error; 1se: the largest alpha within one "
                "standard error of it.",
            ),
        )
    }
)
