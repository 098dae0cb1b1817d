"""``LinearRegressionCV``: the penalty chosen by exact K-fold cross-validation.

See :class:`LinearRegressionCV`. The work: per-fold statistics
(:mod:`~lingrad._cv.collect`, one pass over files and Dask), then for each
l1_ratio and fold the exact path over alphas in feature space
(:mod:`~lingrad._cv.path`), the held-out MSE from the fold's own statistics,
and the choice (:mod:`~lingrad._cv.select`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._bounds import Box
from .._params import PARAMETERS
from .._predict import predict
from .._sources import as_source
from .._sources.grouplabels import frame_groups
from .._validation import validate_xy
from . import collect
from .errors import check_alphas, check_cv_param, check_l1_ratios, cv_error, folds_for
from .path import alpha_grid, held_out_mse, stats_path
from .select import choose, cv_results

__all__ = ["LinearRegressionCV"]


class LinearRegressionCV(RegressorMixin, BaseEstimator):
    """Elastic net (ridge, lasso) with its penalty chosen by exact K-fold cross-validation.

    scikit-learn's ``ElasticNetCV`` conventions, with lingrad's alpha: the
    objective is ``LinearRegression(alpha=..., l1_ratio=...)``'s, which is
    scikit-learn's ``ElasticNet``'s,
    ``1/(2S) sum_i s_i (y_i - x_i w - b)^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio)/2 |w|^2``
    (``S`` the sum of the sample weights). Everything is computed from
    sufficient statistics: one set per fold, each fold's training statistics
    the merge of the others', each alpha solved exactly (to rounding) in
    feature space with warm starts down the path, and each held-out MSE exact
    from the fold's statistics. Files (:func:`lingrad.open_dataset`) and Dask
    collections are read once.

    Parameters
    ----------
    alphas : int or array-like of float, default=100
        An int: that many alphas on a log grid from ``alpha_max`` (the smallest
        alpha whose lasso optimum is zero, on all the data, per l1_ratio and
        per target) down to ``eps * alpha_max``, as ``ElasticNetCV``; for
        ``l1_ratio=0`` the top is ``alpha_max`` at l1_ratio 1e-3 (glmnet's
        rule). A list: those alphas (>= 0), sorted in decreasing order.
    l1_ratio : float or list of float, default=0.5
        In [0, 1]: 0 ridge, 1 lasso. A list is searched too.
    eps : float, default=1e-3
        Length of the automatic grid.
    cv : int or splitter, default=5
        An int: that many folds, each row in fold ``hash(position) mod cv``
        (:class:`lingrad.HashFolds`), the same on arrays, files and Dask. For
        in-memory data also any scikit-learn splitter (``KFold(5)``,
        ``GroupKFold``...).
    fit_intercept : bool, default=True
    selection : {"min", "1se"}, default="min"
        ``"min"``: the least mean CV error; ``"1se"``: the largest alpha within
        one standard error of it (glmnet's ``lambda.1se``).
    positive : bool, default=False
    bounds : (lower, upper) or None, default=None
        Coefficient bounds, as in :class:`lingrad.LinearRegression`; every alpha of the
        path is solved exactly in the box (:func:`lingrad._bounds.bounded_optimum`).

    Attributes
    ----------
    alpha_, l1_ratio_ : float, or ndarray of shape (n_targets,) with several targets
        The choice: one per target (each target is its own cross-validation).
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        The exact optimum on all the data at the chosen penalty.
    intercept_ : float or ndarray of shape (n_targets,)
    mse_path_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds)
        Held-out MSE, squeezed as scikit-learn does (``(n_alphas, n_folds)``
        for one l1_ratio); with several targets a last axis of n_targets, and
        only the l1_ratio axis squeezed.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid (automatic grids: one row per l1_ratio, squeezed for one;
        with several targets a last axis of n_targets).
    coef_path_ : ndarray of shape (n_l1_ratio, n_features, n_alphas)
        The path on all the data (``(n_features, n_alphas)`` for one l1_ratio,
        as ``enet_path``; several targets: ``(..., n_targets, n_features, n_alphas)``).
    intercept_path_ : ndarray of shape (n_l1_ratio, n_alphas)
        Squeezed likewise; several targets add a last axis.
    cv_results_ : dict of ndarray
        See :func:`lingrad._cv.select.cv_results`.
    n_splits_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When the data had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = X @ [1.5, 0.0, 0.0, -2.0, 0.0] + 0.1 * rng.standard_normal(200)
    >>> model = LinearRegressionCV(l1_ratio=1.0, alphas=30).fit(X, y)
    >>> model.mse_path_.shape
    (30, 5)
    >>> print(np.round(model.coef_, 1))
    [ 1.5  0.   0.  -2.   0. ]
    """

    def __init__(
        self,
        alphas: Any = 100,
        *,
        l1_ratio: Any = 0.5,
        eps: float = 1e-3,
        cv: Any = 5,
        fit_intercept: bool = True,
        selection: str = "min",
        positive: bool = False,
        bounds: Any = None,
    ) -> None:
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.selection = selection
        self.positive, self.bounds = positive, bounds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    def fit(
        self, X: Any, y: Any = None, sample_weight: Any = None, groups: Any = None
    ) -> LinearRegressionCV:
        """Cross-validate over the grid, then refit on all the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), dataset or Dask collection
            A dataset from :func:`lingrad.open_dataset` (holding the target and
            weights) or a Dask array/DataFrame is read in one pass.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            None for a dataset.
        sample_weight : array-like of shape (n_samples,), default=None
        groups : array-like of shape (n_samples,) or str, default=None
            Rows of one group are kept in one fold (by a BLAKE2b hash of the
            label: the same folds in every process). For a dataset or a pandas
            or Dask DataFrame, the name of a column (numbers or text), which is
            then not a feature; for Dask, also a Dask array or Series.

        Returns
        -------
        self
        """
        alphas = check_alphas(self.alphas)
        l1_ratios, _ = check_l1_ratios(self.l1_ratio)
        eps = check_cv_param("eps", self.eps)
        selection = check_cv_param("selection", self.selection)
        cv = check_cv_param("cv", self.cv)
        fit_intercept = PARAMETERS["fit_intercept"].check("LinearRegressionCV", self.fit_intercept)
        positive = PARAMETERS["positive"].check("LinearRegressionCV", self.positive)
        self._box = Box.of(positive, self.bounds)
        stats, one_d = self._fold_stats(X, y, sample_weight, groups, cv)
        if self._box is not None:
            self._box.arrays(stats.full.n_features)
        self._search(stats, alphas, eps, l1_ratios, fit_intercept, selection, one_d)
        return self

    def _fold_stats(self, X, y, sample_weight, groups, cv) -> tuple[collect.FoldStats, bool]:
        X, groups = frame_groups(X, groups)  # a column of a (Dask) DataFrame: not a feature
        source = as_source(X, y, sample_weight)
        if source is None:
            X, y, w = validate_xy(self, X, y, sample_weight)
            g = _check_groups(groups, X.shape[0])
            Y = y.reshape(len(y), -1).astype(np.float64, copy=False)
            folds = folds_for(cv, X.shape[0], in_memory=True)
            return collect.from_arrays(X, Y, w, folds, g), y.ndim == 1
        from .sources import source_fold_stats

        folds = folds_for(cv, None, in_memory=False)
        stats, names = source_fold_stats(source, folds, groups)
        self.n_features_in_ = stats.full.n_features
        if names is not None and all(isinstance(n, str) for n in names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return stats, source.one_d

    def _search(self, stats, alphas, eps, l1_ratios, fi, selection, one_d) -> None:
        full = stats.full
        k = full.n_targets
        auto = isinstance(alphas, int)
        grids = [
            alpha_grid(full, fi, r, n_alphas=alphas, eps=eps)
            if auto
            else np.tile(alphas[:, None], (1, k))
            for r in l1_ratios
        ]
        mse = np.empty((len(l1_ratios), grids[0].shape[0], stats.n_splits, k))
        W_path, b_path = [], []
        for i, (r, grid) in enumerate(zip(l1_ratios, grids, strict=True)):
            for j, (train, test) in enumerate(zip(stats.train, stats.test, strict=True)):
                W, b = stats_path(train, fi, grid, r, self._box)
                mse[i, :, j] = held_out_mse(test, W, b)
            W, b = stats_path(full, fi, grid, r, self._box)
            W_path.append(W)
            b_path.append(b)
        chosen = choose(mse, selection)
        W_all, b_all, A = np.asarray(W_path), np.asarray(b_path), np.asarray(grids)
        coef = np.array([W_all[i, a, :, t] for t, (i, a) in enumerate(chosen)])
        icpt = np.array([b_all[i, a, t] for t, (i, a) in enumerate(chosen)])
        single = one_d and k == 1
        self.alpha_ = (
            float(A[chosen[0]][0])
            if single
            else np.array([A[i, a, t] for t, (i, a) in enumerate(chosen)])
        )
        ratios = np.asarray(l1_ratios)
        self.l1_ratio_ = float(ratios[chosen[0][0]]) if single else ratios[[i for i, _ in chosen]]
        self.coef_ = coef[0] if single else coef
        self.intercept_ = float(icpt[0]) if single else icpt
        self._set_paths(mse, A, W_all, b_all, auto, single)
        # unsqueezed, for the figures: (n_l1, n_alphas, n_folds, k), (n_l1, n_alphas, k),
        # (n_l1, n_alphas, f, k), the l1_ratios and the chosen (l1, alpha) index per target
        self._grid = (mse, A, W_all, list(l1_ratios), chosen)
        self.cv_results_ = cv_results(mse, A, l1_ratios)
        self.n_splits_ = stats.n_splits
        self.n_features_in_ = full.n_features

    def _set_paths(self, mse, A, W_all, b_all, auto, single) -> None:
        """sklearn's shapes: ``np.squeeze`` for one target; else only the l1_ratio axis."""
        coef_path = np.moveaxis(W_all, 1, -1)  # (n_l1, f, k, n_alphas)
        coef_path = np.moveaxis(coef_path, 2, 1)  # (n_l1, k, f, n_alphas)
        if single:
            self.mse_path_ = np.squeeze(mse[..., 0])
            self.alphas_ = A[0, :, 0] if not auto or A.shape[0] == 1 else A[..., 0]
            self.coef_path_ = _squeeze0(coef_path[:, 0])
            self.intercept_path_ = _squeeze0(b_all[..., 0])
        else:
            self.mse_path_ = _squeeze0(mse)
            self.alphas_ = A[0, :, 0] if not auto else _squeeze0(A)
            self.coef_path_ = _squeeze0(coef_path)
            self.intercept_path_ = _squeeze0(b_all)

    def predict(self, X: Any) -> Any:
        """Predict with the refitted model (arrays, datasets, Dask collections).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), dataset or Dask collection

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        return predict(self, X)


def _squeeze0(a: np.ndarray) -> np.ndarray:
    return a[0] if a.shape[0] == 1 else a


def _check_groups(groups: Any, n: int) -> np.ndarray | None:
    if groups is None:
        return None
    if isinstance(groups, str):
        raise cv_error(
            f"groups={groups!r} names a column, but X is an array. ",
            ("Pass one group label per row (an array of length ", f"{n}), or fit a dataset."),
        )
    g = np.asarray(groups).ravel()
    if len(g) != n:
        raise cv_error(
            f"groups has {len(g)} labels but X has {n} rows. ",
            ("Pass one group label per row of X.",),
        )
    return g
