"""The fitted state of a model: the one list of fitted attributes.

``fit``, ``partial_fit`` and model files all go through :class:`FittedState`:
the estimator applies one to itself (:meth:`FittedState.apply`), the model
file writer reads one back (:meth:`FittedState.of`), the loader builds one.
Each field ``name`` is the estimator attribute ``name + "_"``
(``coef`` -> ``coef_``).

Examples
--------
>>> "coef_" in FITTED_ATTRIBUTES and "stats_" in FITTED_ATTRIBUTES
True
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = ["FITTED_ATTRIBUTES", "LAZY_ATTRIBUTES", "FittedState"]


@dataclass
class FittedState:
    """Everything a fit leaves on the estimator.

    Attributes
    ----------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept : float or ndarray of shape (n_targets,)
    coef_init, intercept_init : like ``coef``, ``intercept``, or None
        The starting point (None when a model file did not keep it).
    n_iter : int
    loss_history : ndarray of shape (n_iter + 1,)
    converged : bool
    stop_reason : str
    lr : float
    engine : str
    diagnostics : Diagnostics or None
        None (SGD-mode ``partial_fit``) leaves no ``diagnostics_``.
    stats : SufficientStats or None
    fit_result : FitResult or None
        None for a model loaded from a file.
    n_features_in : int
    feature_names_in : ndarray of shape (n_features_in,) or None
    coef_path, intercept_path : ndarray or None
        Every iterate, with ``record_path=True``.
    """

    coef: np.ndarray
    intercept: Any
    coef_init: np.ndarray | None
    intercept_init: Any
    n_iter: int
    loss_history: np.ndarray
    converged: bool
    stop_reason: str
    lr: float
    engine: str
    diagnostics: Any
    stats: Any
    fit_result: Any
    n_features_in: int
    feature_names_in: np.ndarray | None = None
    coef_path: np.ndarray | None = None
    intercept_path: np.ndarray | None = None

    def apply(self, model: Any) -> None:
        """Set every field on ``model`` (``name_``); a None optional field removes it."""
        d = model.__dict__
        for name in _NAMES:
            value = getattr(self, name)
            if value is None and name in _REMOVED_WHEN_NONE:
                d.pop(name + "_", None)
            else:
                d[name + "_"] = value

    @classmethod
    def of(cls, model: Any) -> FittedState:
        """Read the state back from a fitted ``model`` (missing optional fields are None)."""
        d = model.__dict__
        return cls(**{name: d.get(name + "_") for name in _NAMES})


_NAMES = tuple(f.name for f in fields(FittedState))
# None removes these (SGD-mode partial_fit has no diagnostics; most fits keep no path).
_REMOVED_WHEN_NONE = frozenset({"feature_names_in", "coef_path", "intercept_path", "diagnostics"})

#: Every fitted attribute, as the estimator holds it.
FITTED_ATTRIBUTES = tuple(name + "_" for name in _NAMES)
#: The attributes a deferred ``partial_fit`` solve produces (all but the input description).
LAZY_ATTRIBUTES = frozenset(FITTED_ATTRIBUTES) - {
    "n_features_in_",
    "feature_names_in_",
    "coef_path_",
    "intercept_path_",
}
