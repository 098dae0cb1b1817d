"""lingrad: linear regression trained by gradient descent, faithful, fast and honest.

>>> from lingrad import LinearRegression
"""

from ._diagnostics import Diagnostics, IllConditionedWarning
from ._estimator import LinearRegression
from ._solve import DivergenceError, DivergenceWarning, FitResult, solve
from ._stats import SufficientStats
from ._version import __version__
from .persist import ModelFileError, load_model, save_model

__all__ = [
    "Diagnostics",
    "DivergenceError",
    "DivergenceWarning",
    "FitResult",
    "IllConditionedWarning",
    "LinearRegression",
    "ModelFileError",
    "SufficientStats",
    "__version__",
    "load_model",
    "save_model",
    "solve",
]
