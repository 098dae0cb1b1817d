"""Shared fixtures. SciPy's array-API mode must be on before SciPy is imported
for scikit-learn's array-API estimator check (the Makefile exports it too)."""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
from _spark import spark  # noqa: F401  (the one Spark session of the run, for test_spark*.py)


def textbook_gd(X, y, lr=0.01, n_iters=1000, w0=None):
    """The tutorial's loop, verbatim in spirit: the oracle for every engine."""
    n_samples, n_features = X.shape
    w = np.random.rand(n_features) if w0 is None else w0.copy()
    b = 0.0
    history = []
    for _ in range(n_iters):
        y_pred = np.dot(X, w) + b
        history.append(np.mean((y_pred - y) ** 2))
        dw = (1 / n_samples) * np.dot(X.T, (y_pred - y))
        db = (1 / n_samples) * np.sum(y_pred - y)
        w -= lr * dw
        b -= lr * db
    history.append(np.mean((np.dot(X, w) + b - y) ** 2))
    return w, b, np.array(history)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# Hypothesis: a bounded profile for CI, a long one for `make fuzz`.
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile(
        "long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass
