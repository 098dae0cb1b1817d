"""Cross-validation and regularisation paths: :class:`LinearRegressionCV`, :func:`path`.

Examples
--------
>>> import numpy as np
>>> from lingrad.cv import path
>>> X = np.random.default_rng(0).standard_normal((100, 3))
>>> alphas, coefs, intercepts = path(X, X @ [1.0, 0.0, -1.0], l1_ratio=1.0, alphas=4)
>>> alphas.shape, coefs.shape, intercepts.shape
((4,), (3, 4), (4,))
"""

from __future__ import annotations

from ._cv.estimator import LinearRegressionCV
from ._cv.folds import HashFolds
from ._cv.pathfn import path

__all__ = ["HashFolds", "LinearRegressionCV", "path"]
