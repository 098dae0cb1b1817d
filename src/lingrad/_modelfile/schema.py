"""Schema 1 of lingrad model files: the format name, the fields and their order.

The fields are documented in :mod:`lingrad.persist`. What the estimator holds
is :class:`lingrad._fitted.FittedState`; this module says only how a file
spells it.

Examples
--------
>>> FIELD_ORDER[:2], SCHEMA_VERSION
(('format', 'schema_version'), 1)
>>> ENGINES
('stats', 'direct')
>>> STATE_OF_FIELD["feature_names"], STATE_OF_FIELD["coef"]
('feature_names_in', 'coef')
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np

from .._fitted import FittedState
from .._params import ENGINES as _ENGINE_CHOICES

__all__ = [
    "DTYPES",
    "ENGINES",
    "FIELD_ORDER",
    "FLOAT64_MAX",
    "FORMAT",
    "NONFINITE",
    "NOT_STORED",
    "OPTIONAL",
    "OPTIONAL_STATS_FIELDS",
    "REQUIRED",
    "SCHEMA_VERSION",
    "STATE_OF_FIELD",
    "STATS_FIELDS",
    "STATS_OPTIONAL_FIELDS",
    "SYMMETRY_RTOL",
    "WEIGHT_EXPONENT_RANGE",
]

#: Value of the ``format`` field of every lingrad model file.
FORMAT = "lingrad-model"
#: Schema version this lingrad writes and the newest it reads.
SCHEMA_VERSION = 1

#: Every top-level field, in the order files are written.
FIELD_ORDER = (
    "format",
    "schema_version",
    "lingrad_version",
    "created",
    "notes",
    "params",
    "n_features_in",
    "n_targets",
    "y_ndim",
    "dtype",
    "feature_names",
    "target_names",
    "coef",
    "intercept",
    "coef_init",
    "intercept_init",
    "n_iter",
    "converged",
    "stop_reason",
    "lr",
    "engine",
    "loss_history",
    "diagnostics",
    "stats",
    "design",
    "n_dropped",
)
#: Fields that may be absent or null; every other field of ``FIELD_ORDER`` is required.
OPTIONAL = frozenset(
    (
        "notes",
        "feature_names",
        "target_names",
        "coef_init",
        "intercept_init",
        "stats",
        "design",
        "n_dropped",
    )
)
REQUIRED = tuple(k for k in FIELD_ORDER if k not in OPTIONAL)

#: The fields of :class:`FittedState` no file holds: the solver's internals, recorded iterates.
NOT_STORED = frozenset({"fit_result", "coef_path", "intercept_path"})
_FILE_NAME = {"feature_names_in": "feature_names"}  # a file field named otherwise
_STORED = tuple(f.name for f in fields(FittedState) if f.name not in NOT_STORED)
#: The :class:`FittedState` field each file field holds, in file order (the others are metadata).
STATE_OF_FIELD = {
    key: name for key in FIELD_ORDER for name in _STORED if _FILE_NAME.get(name, name) == key
}
assert len(STATE_OF_FIELD) == len(_STORED), "every fitted attribute has its field in a file"

#: The fields of the ``stats`` object (``SufficientStats``), in the order files are written.
STATS_FIELDS = (
    "n_samples",
    "sum_weights",
    "mean",
    "scatter",
    "n_features",
    "sum_log_weights",
    "weighted",
    "sum_freq",
)
#: Fields of ``stats`` a file may lack (files written before frequency weights): None.
OPTIONAL_STATS_FIELDS = ("sum_freq",)
#: Optional fields of ``stats``: written only when not at their default (0), so older
#: files (and files of weights of ordinary scale) load unchanged.
STATS_OPTIONAL_FIELDS = ("weight_exponent",)
#: The power of two extreme weights are divided by lies within these bounds (float64's exponents).
WEIGHT_EXPONENT_RANGE = (-1074, 1024)
#: The dtypes of ``coef_`` a file can hold.
DTYPES = ("float64", "float32")
#: The engines a fit reports (``engine_``): the choices of ``engine`` but "auto".
ENGINES = tuple(e for e in _ENGINE_CHOICES if e != "auto")
#: How diagnostics and the loss history write non-finite numbers (JSON has none).
NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
#: The largest whole number a float64 holds: a longer integer literal is refused.
FLOAT64_MAX = int(np.finfo(np.float64).max)
#: Relative asymmetry of ``stats.scatter`` accepted as rounding.
SYMMETRY_RTOL = 1e-10
