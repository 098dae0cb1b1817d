"""The solver's parameter layout and scikit-learn's: ``theta`` <-> ``coef_``, ``intercept_``.

The solver works on ``theta`` of shape (n_params, n_targets): the coefficient
rows, then the intercept row when the intercept is fitted. The estimator
shows ``coef_`` of shape (n_features,) or (n_targets, n_features) and
``intercept_`` a float or of shape (n_targets,). This module converts one
way and starts the other (the tutorial's random start).

Examples
--------
>>> import numpy as np
>>> theta = np.array([[2.0], [1.0]])
>>> split_theta(theta, 1, one_d=True, fit_intercept=True)
(array([2.]), 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["init_theta", "join_theta", "split_path", "split_theta"]


def init_theta(
    rng: np.random.RandomState, f: int, k: int, one_d: bool, fit_intercept: bool, dtype: Any
) -> np.ndarray:
    """The tutorial's start: weights ``rng.rand``, bias 0.

    Parameters
    ----------
    rng : RandomState
    f, k : int
        Numbers of features and of targets.
    one_d : bool
        One target given as a 1-D ``y`` (draws ``rand(f)``, as the tutorial).
    fit_intercept : bool
    dtype : dtype

    Returns
    -------
    theta : ndarray of shape (f + fit_intercept, k)
    """
    W = rng.rand(f) if one_d else rng.rand(k, f).T
    theta = np.zeros((f + int(fit_intercept), k), dtype=dtype)
    theta[:f] = W.reshape(f, k)
    return theta


def split_theta(
    theta: np.ndarray, f: int, *, one_d: bool, fit_intercept: bool, dtype: Any = np.float64
) -> tuple[np.ndarray, Any]:
    """``theta`` (n_params, n_targets) -> (coef, intercept) in scikit-learn's shapes.

    Parameters
    ----------
    theta : ndarray of shape (f + fit_intercept, n_targets)
    f : int
    one_d, fit_intercept : bool
    dtype : dtype, default=float64

    Returns
    -------
    coef : ndarray of shape (f,) or (n_targets, f)
    intercept : float or ndarray of shape (n_targets,)
    """
    theta = theta.astype(dtype, copy=False)
    W = theta[:f]
    b = theta[f] if fit_intercept else np.zeros(theta.shape[1], dtype=dtype)
    if one_d:
        return W[:, 0].copy(), float(b[0])
    return W.T.copy(), b.copy()


def join_theta(coef: Any, intercept: Any, fit_intercept: bool) -> np.ndarray:
    """(coef, intercept) in scikit-learn's shapes -> ``theta`` (n_params, n_targets), float64.

    The inverse of :func:`split_theta`.
    """
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))  # (n_targets, f)
    theta = np.zeros((W.shape[1] + int(fit_intercept), W.shape[0]))
    theta[: W.shape[1]] = W.T
    if fit_intercept:
        theta[-1] = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (W.shape[0],))
    return theta


def split_path(
    path: np.ndarray, f: int, *, one_d: bool, fit_intercept: bool, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Every iterate (n_iter + 1, n_params, n_targets) -> (coef_path, intercept_path).

    Returns
    -------
    coef_path : ndarray of shape (n_iter + 1, f) or (n_iter + 1, n_targets, f)
    intercept_path : ndarray of shape (n_iter + 1,) or (n_iter + 1, n_targets)
    """
    path = path.astype(dtype, copy=False)
    W = path[:, :f]
    b = path[:, f] if fit_intercept else np.zeros((len(path), path.shape[2]), dtype)
    coef_path = W[:, :, 0].copy() if one_d else np.swapaxes(W, 1, 2).copy()
    return coef_path, b[:, 0].copy() if one_d else b.copy()
