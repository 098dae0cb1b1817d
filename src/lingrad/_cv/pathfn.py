"""The regularisation path as a function: scikit-learn's ``enet_path`` habit."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sources import as_source
from .._stats import SufficientStats
from .._validation import validate_xy
from .errors import check_alphas, check_cv_param, check_l1_ratios
from .path import alpha_grid, stats_path

__all__ = ["path"]


def path(
    X: Any,
    y: Any = None,
    *,
    l1_ratio: float = 0.5,
    alphas: Any = 100,
    eps: float = 1e-3,
    fit_intercept: bool = True,
    sample_weight: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact elastic-net optimum over a grid of alphas, from one pass over the data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), dataset or Dask collection
    y : array-like of shape (n_samples,) or (n_samples, n_targets); None for a dataset
    l1_ratio : float, default=0.5
    alphas : int or array-like, default=100
        As :class:`LinearRegressionCV`: a number of alphas on scikit-learn's grid
        (per target), or the alphas (sorted in decreasing order).
    eps : float, default=1e-3
    fit_intercept : bool, default=True
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    alphas : ndarray of shape (n_alphas,), or (n_alphas, n_targets) for an automatic
        grid with several targets
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        As ``sklearn.linear_model.enet_path``.
    intercepts : ndarray of shape (n_alphas,) or (n_targets, n_alphas)

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.cv import path
    >>> X = np.random.default_rng(0).standard_normal((50, 2))
    >>> alphas, coefs, _ = path(X, 3 * X[:, 0], l1_ratio=1.0, alphas=[1.0, 0.0])
    >>> print(np.round(coefs[:, 1], 6) + 0.0)  # alpha = 0: least squares
    [3. 0.]
    >>> bool(0 < coefs[0, 0] < 3)  # alpha = 1: shrunk towards 0
    True
    """
    grid = check_alphas(alphas)
    (ratio,), _ = check_l1_ratios(l1_ratio)
    eps = check_cv_param("eps", eps)
    source = as_source(X, y, sample_weight)
    if source is None:
        Xv, yv, w = validate_xy(None, X, y, sample_weight)
        stats = SufficientStats.from_arrays(Xv, yv.reshape(len(yv), -1), w)
        one_d = yv.ndim == 1
    else:
        stats, one_d = source.sufficient_stats(), source.one_d
    k = stats.n_targets
    if isinstance(grid, int):
        A = alpha_grid(stats, fit_intercept, ratio, n_alphas=grid, eps=eps)
    else:
        A = np.tile(grid[:, None], (1, k))
    W, b = stats_path(stats, fit_intercept, A, ratio)
    coefs = np.moveaxis(W, 0, -1)  # (f, k, n_alphas)
    if one_d and k == 1:
        return A[:, 0], coefs[:, 0], b[:, 0]
    shown = A[:, 0] if not isinstance(grid, int) else A
    return shown, np.moveaxis(coefs, 1, 0), b.T
