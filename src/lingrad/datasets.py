"""Data sets: the tutorial's, and well-defined synthetic problems for tests and benchmarks."""

from __future__ import annotations

import numpy as np

__all__ = ["make_conditioned", "make_tutorial_data"]


def make_tutorial_data() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's data: ``make_regression(500, 1 feature, noise=15, random_state=4)``.

    Returns
    -------
    X : ndarray of shape (500, 1)
    y : ndarray of shape (500,)

    Examples
    --------
    >>> X, y = make_tutorial_data()
    >>> X.shape, y.shape
    ((500, 1), (500,))
    """
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=500, n_features=1, noise=15, random_state=4)
    return X, y


def make_conditioned(
    n_samples: int,
    n_features: int,
    condition_number: float,
    *,
    noise: float = 0.1,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centred features whose covariance has a chosen condition number.

    The singular values of the centred X are spread log-uniformly so that
    ``X^T X / n`` has eigenvalues from 1 to ``1/condition_number``.

    Parameters
    ----------
    n_samples, n_features : int
    condition_number : float
        Ratio of the largest to the smallest eigenvalue of ``X^T X / n``.
    noise : float
        Standard deviation of the Gaussian noise added to y.
    random_state : int or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    coef : ndarray of shape (n_features,)
        The true coefficients.
    """
    rng = np.random.default_rng(random_state)
    Z = rng.standard_normal((n_samples, n_features))
    Z -= Z.mean(axis=0)
    Q, _ = np.linalg.qr(Z)
    V, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    s = np.sqrt(n_samples) * np.logspace(0, -0.5 * np.log10(condition_number), n_features)
    X = (Q * s) @ V.T
    coef = rng.standard_normal(n_features)
    y = X @ coef + noise * rng.standard_normal(n_samples)
    return X, y, coef
