"""Exact K-fold cross-validation and regularisation paths from sufficient statistics.

The modules, each importing only those listed before it:

- ``folds``: the fold of a row (a hash of its position or group), :class:`HashFolds`;
- ``path``: the exact elastic-net path over alphas in feature space, held-out MSE;
- ``errors``: the messages and the parameter checks;
- ``collect``: per-fold statistics from arrays, files (one pass) and Dask (one pass);
- ``select``: the minimum and the one-standard-error rule, ``cv_results_``;
- ``estimator``: :class:`LinearRegressionCV` and :func:`path`.
"""
