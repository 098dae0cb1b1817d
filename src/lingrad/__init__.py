"""lingrad: linear regression trained by gradient descent, faithful, fast and honest.

>>> from lingrad import LinearRegression
"""

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
