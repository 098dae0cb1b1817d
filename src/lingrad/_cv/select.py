"""From the fold errors to a choice: the minimum or the one-standard-error rule.

``mse`` has shape (n_l1_ratio, n_alphas, n_folds, n_targets) with the alphas
of each l1_ratio in decreasing order. For each target independently:

- ``"min"``: the (l1_ratio, alpha) of least mean error over the folds, the first
  in l1_ratio-then-alpha order on ties (scikit-learn's ``ElasticNetCV`` rule);
- ``"1se"``: with ``se = std(fold errors, ddof=1) / sqrt(n_folds)`` at that
  minimum, the largest alpha of the same l1_ratio whose mean error is at most
  ``min + se`` (glmnet's ``lambda.1se``: the most regularised model not
  distinguishably worse).

Examples
--------
>>> import numpy as np
>>> mse = np.array([[[[4.0], [4.0]], [[2.0], [1.9]], [[2.0], [1.8]]]])  # 1 x 3 alphas x 2 folds
>>> choose(mse, "min"), choose(mse, "1se")
([(0, 2)], [(0, 1)])
"""

from __future__ import annotations

import numpy as np

__all__ = ["choose", "cv_results", "sem"]


def sem(mse: np.ndarray) -> np.ndarray:
    """Standard error of the mean over the folds (axis 2), ``ddof=1``."""
    K = mse.shape[2]
    return mse.std(axis=2, ddof=1) / np.sqrt(K)


def choose(mse: np.ndarray, selection: str) -> list[tuple[int, int]]:
    """``(l1_ratio index, alpha index)`` chosen for each target."""
    mean = mse.mean(axis=2)  # (n_l1, n_alphas, k)
    se = sem(mse)
    out = []
    for t in range(mse.shape[3]):
        i, a = np.unravel_index(int(np.argmin(mean[:, :, t])), mean.shape[:2])
        if selection == "1se":
            limit = mean[i, a, t] + se[i, a, t]
            a = int(np.flatnonzero(mean[i, :, t] <= limit)[0])  # alphas decrease
        out.append((int(i), int(a)))
    return out


def cv_results(mse: np.ndarray, alphas: np.ndarray, l1_ratios: list[float]) -> dict:
    """GridSearchCV-style results, one entry per (l1_ratio, alpha), l1_ratio-major.

    Keys: ``param_l1_ratio``, ``param_alpha``, ``split{j}_test_mse``,
    ``mean_test_mse``, ``std_test_mse`` (``ddof=0``, GridSearchCV's),
    ``sem_test_mse`` (``ddof=1`` over sqrt(n_folds)), ``rank_test_mse`` (1 is
    best). Values have shape (n_candidates,), or (n_candidates, n_targets)
    with several targets.
    """
    n_l1, n_a, K, k = mse.shape
    flat = mse.reshape(n_l1 * n_a, K, k)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a[:, 0] if k == 1 else a

    res: dict = {
        "param_l1_ratio": np.repeat(np.asarray(l1_ratios, dtype=np.float64), n_a),
        "param_alpha": shaped(alphas.reshape(n_l1 * n_a, k)),
    }
    for j in range(K):
        res[f"split{j}_test_mse"] = shaped(flat[:, j])
    mean = flat.mean(axis=1)
    res["mean_test_mse"] = shaped(mean)
    res["std_test_mse"] = shaped(flat.std(axis=1))
    res["sem_test_mse"] = shaped(sem(mse).reshape(n_l1 * n_a, k))
    order = np.argsort(mean, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, len(mean) + 1)[:, None], axis=0)
    res["rank_test_mse"] = shaped(rank)
    return res
