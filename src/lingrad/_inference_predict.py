"""Prediction intervals: statsmodels' ``results.get_prediction(exog).summary_frame()``.

For rows ``a`` (``[1, x]`` with an intercept) the mean prediction ``a θ`` has
variance ``a Cov aᵀ`` with the classical covariance ``Cov = σ² (AᵀWA)⁻¹``; a
new observation adds the error variance, ``σ² / weight``. The quadratic form is
evaluated in the design's working coordinates (``z = [1, x - x̄]`` with an
intercept, :mod:`lingrad._inference_design`), so offsets cost no digits:
``var = σ² z binv zᵀ``. Intervals use Student's t with ``df_resid`` degrees
(statsmodels' default for a nonrobust fit). Datasets are read chunk by chunk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps
from sklearn.utils.validation import check_is_fitted

from ._inference_design import build_design
from ._params import SUMMARY_PARAMETERS
from ._predict import predict_linear
from ._validation import validate_x
from .inference import PREDICTION_COLUMNS, summarize, training_stats

__all__ = ["PREDICTION_COLUMNS", "PredictionResults", "get_prediction"]


class PredictionResults:
    """Predictions with their standard errors (statsmodels' ``PredictionResults``).

    Parameters
    ----------
    predicted_mean : ndarray of shape (n_samples,)
    var_pred_mean : ndarray of shape (n_samples,)
        Variance of the mean prediction.
    var_resid : float or ndarray of shape (n_samples,)
        Error variance of a new observation (``scale / weights``).
    df : float
        Degrees of freedom of the t distribution.
    """

    def __init__(
        self, predicted_mean: np.ndarray, var_pred_mean: np.ndarray, var_resid: Any, df: float
    ) -> None:
        self.predicted_mean = predicted_mean
        self.var_pred_mean = var_pred_mean
        self.var_resid = var_resid
        self.df = df

    @property
    def se_mean(self) -> np.ndarray:
        """Standard error of the mean prediction, shape (n_samples,)."""
        return np.sqrt(self.var_pred_mean)

    @property
    def se_obs(self) -> np.ndarray:
        """Standard error of a new observation, shape (n_samples,)."""
        return np.sqrt(self.var_pred_mean + self.var_resid)

    def conf_int(self, obs: bool = False, alpha: float = 0.05) -> np.ndarray:
        """Interval of the mean (``obs=False``) or of a new observation, shape (n_samples, 2)."""
        alpha = SUMMARY_PARAMETERS["alpha"].check("PredictionResults.conf_int", alpha)
        se = self.se_obs if obs else self.se_mean
        q = sps.t.ppf(1.0 - alpha / 2.0, self.df)
        return np.column_stack([self.predicted_mean - q * se, self.predicted_mean + q * se])

    def summary_frame(self, alpha: float = 0.05) -> Any:
        """statsmodels' table: ``mean``, ``mean_se``, ``mean_ci_*``, ``obs_ci_*``.

        Parameters
        ----------
        alpha : float, default=0.05
            The intervals are at level ``1 - alpha``.

        Returns
        -------
        DataFrame (a dict of arrays without pandas)
            One row per sample, the columns of :data:`PREDICTION_COLUMNS`.
        """
        mean, obs = self.conf_int(False, alpha), self.conf_int(True, alpha)
        cols = (self.predicted_mean, self.se_mean, mean[:, 0], mean[:, 1], obs[:, 0], obs[:, 1])
        table = dict(zip(PREDICTION_COLUMNS, cols, strict=True))
        try:
            import pandas as pd
        except ImportError:
            return table
        return pd.DataFrame(table)


def get_prediction(model: Any, X: Any, weights: Any = None) -> Any:
    """Predictions with standard errors and intervals, from the training statistics.

    Parameters
    ----------
    model : LinearRegression
        Fitted (with its statistics, ``stats_``).
    X : array-like of shape (n_samples, n_features), or dataset
        Rows to predict; a dataset (``open_dataset(path, target=None)``) is read
        chunk by chunk.
    weights : float or array-like of shape (n_samples,), default=None
        Weights of the new observations: their error variance is
        ``scale / weights`` (statsmodels' ``weights``); None is 1.

    Returns
    -------
    PredictionResults or list of PredictionResults
        One per target when the model has several.
    """
    check_is_fitted(model)
    stats = model.stats_ if model.stats_ is not None else training_stats(model, None, None, None)
    summaries = summarize(model, stats)
    summaries = summaries if isinstance(summaries, list) else [summaries]
    design = build_design(stats, bool(getattr(model, "fit_intercept", True)))
    chunks = (
        (np.asarray(c[0], dtype=np.float64) for c in X.iter_chunks())
        if hasattr(X, "iter_chunks")
        else [_rows(model, X, stats.n_features)]
    )
    means, quad = [], []
    for Xc in chunks:
        Z = design.working(Xc)
        quad.append(np.einsum("ij,ij->i", Z @ design.binv, Z))
        means.append(predict_linear(model.coef_, model.intercept_, Xc).reshape(len(Xc), -1))
    q, M = np.concatenate(quad), np.concatenate(means)
    w = 1.0 if weights is None else np.asarray(weights, dtype=np.float64)
    if np.ndim(w) and w.shape != q.shape:
        raise ValueError(
            f"weights has shape {w.shape}; pass one weight per row to predict ({len(q)}), or a "
            "number."
        )
    out = [
        PredictionResults(M[:, j], s.scale * q, s.scale / w, s.df_resid)
        for j, s in enumerate(summaries)
    ]
    return out[0] if np.ndim(model.coef_) == 1 else out


def _rows(model: Any, X: Any, f: int) -> np.ndarray:
    """``X`` checked: names against the fit's for frames; columns counted for arrays."""
    Xv = validate_x(model if hasattr(X, "columns") else None, X)
    Xv = np.asarray(Xv.toarray() if hasattr(Xv, "toarray") else Xv, dtype=np.float64)
    if Xv.shape[1] != f:
        raise ValueError(
            f"X has {Xv.shape[1]} features, but the model is expecting {f} features as input. "
            "Pass the model's feature columns."
        )
    return Xv
