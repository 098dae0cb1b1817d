"""lingrad: linear regression trained by gradient descent, faithful, fast and honest.

>>> from lingrad import LinearRegression

The public names are imported on first use (PEP 562): a Spark or Dask worker that
unpickles one of lingrad's task functions imports only the modules that function
needs, not the estimator and scikit-learn (about 3 s of CPU per worker).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from ._convergence import StatisticsLimitedWarning
    from ._cv.estimator import LinearRegressionCV
    from ._cv.folds import HashFolds
    from ._diagnostics import Diagnostics, IllConditionedWarning, NotConvergedWarning
    from ._estimator import LinearRegression
    from ._jsonable import to_jsonable
    from ._messages import render
    from ._optimum import exact_optimum
    from ._params import PARAMETERS, SUMMARY_PARAMETERS, ParameterError
    from ._predict import predict_linear
    from ._progress import show_progress
    from ._solve import DivergenceError, DivergenceWarning, FitResult, solve
    from ._sources.files import DataFileError, Dataset, open_dataset
    from ._stats import SufficientStats
    from ._stopinfo import StopExplanation, stop_explanation
    from ._version import __version__
    from .explore import explore
    from .formula import (
        DesignSpec,
        FormulaError,
        UnseenLevelError,
        categorical_formula,
        design_data,
        ols,
    )
    from .persist import ModelFileError, load_model, save_model

_LAZY = {
    "StatisticsLimitedWarning": "._convergence",
    "LinearRegressionCV": "._cv.estimator",
    "HashFolds": "._cv.folds",
    "Diagnostics": "._diagnostics",
    "IllConditionedWarning": "._diagnostics",
    "NotConvergedWarning": "._diagnostics",
    "LinearRegression": "._estimator",
    "to_jsonable": "._jsonable",
    "render": "._messages",
    "exact_optimum": "._optimum",
    "PARAMETERS": "._params",
    "ParameterError": "._params",
    "SUMMARY_PARAMETERS": "._params",
    "predict_linear": "._predict",
    "show_progress": "._progress",
    "DivergenceError": "._solve",
    "DivergenceWarning": "._solve",
    "FitResult": "._solve",
    "solve": "._solve",
    "DataFileError": "._sources.files",
    "Dataset": "._sources.files",
    "open_dataset": "._sources.files",
    "SufficientStats": "._stats",
    "StopExplanation": "._stopinfo",
    "stop_explanation": "._stopinfo",
    "__version__": "._version",
    "explore": ".explore",
    "DesignSpec": ".formula",
    "FormulaError": ".formula",
    "UnseenLevelError": ".formula",
    "categorical_formula": ".formula",
    "design_data": ".formula",
    "ols": ".formula",
    "ModelFileError": ".persist",
    "load_model": ".persist",
    "save_model": ".persist",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then a plain attribute)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lingrad' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "PARAMETERS",
    "SUMMARY_PARAMETERS",
    "DataFileError",
    "Dataset",
    "DesignSpec",
    "Diagnostics",
    "DivergenceError",
    "DivergenceWarning",
    "FitResult",
    "FormulaError",
    "HashFolds",
    "IllConditionedWarning",
    "LinearRegression",
    "LinearRegressionCV",
    "ModelFileError",
    "NotConvergedWarning",
    "ParameterError",
    "StatisticsLimitedWarning",
    "StopExplanation",
    "SufficientStats",
    "UnseenLevelError",
    "__version__",
    "categorical_formula",
    "design_data",
    "exact_optimum",
    "explore",
    "load_model",
    "ols",
    "open_dataset",
    "predict_linear",
    "render",
    "save_model",
    "show_progress",
    "solve",
    "stop_explanation",
    "to_jsonable",
]
