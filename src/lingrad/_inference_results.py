"""The result of classical inference: :class:`Summary`, numbers and their definitions.

A :class:`Summary` holds what :func:`lingrad.inference.summarize` computed
(coefficients, covariance, sums of squares, degrees of freedom) and derives
the rest as statsmodels' ``RegressionResults`` does (``bse``, ``tvalues``,
``pvalues``, ``conf_int``, R², log-likelihood, AIC, BIC). Presenting it is
left to :mod:`lingrad._report` (text, rich, JSON), which it calls.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from ._inference_notes import Convergence, cov_note, valid_note
from ._messages import Part, Style, render
from ._params import SUMMARY_PARAMETERS
from ._report.as_html import render_html
from ._report.as_json import summary_dict
from ._report.as_rich import render_rich
from ._report.as_text import render_text

__all__ = ["Summary", "labelled"]


def labelled(values: np.ndarray, names: list[str]) -> Any:
    """``values`` (n,) or (n, 2) as a pandas Series / DataFrame indexed by ``names``.

    The array itself (a float64 copy) when pandas is not installed.
    """
    values = np.array(values, dtype=np.float64)
    try:
        import pandas as pd
    except ImportError:
        return values
    if values.ndim == 1:
        return pd.Series(values, index=list(names))
    return pd.DataFrame(values, index=list(names))


_ALPHA = SUMMARY_PARAMETERS["alpha"]


@dataclass(frozen=True, eq=False)
class Summary:
    """Classical inference for one target of a fitted linear model.

    Attribute names follow statsmodels' ``RegressionResults``.

    Parameters
    ----------
    names : list of str of length n_params
        ``"const"`` first when the model fits an intercept, then the features.
    params : ndarray of shape (n_params,)
        The model's coefficients (intercept first), as fitted.
    cov : ndarray of shape (n_params, n_params)
        Covariance of ``params`` of type ``cov_type``.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "cluster-crv3", "HAC"}
    alpha : float
        Significance level of the confidence intervals shown (0.05: 95%).
    nobs : float
        Number of rows (weighted fits included, as statsmodels' ``WLS``).
    df_model, df_resid : float
        ``rank - k_constant`` and ``nobs - rank``.
    k_constant : int
        1 when the model has a constant (fitted intercept, or a constant or
        implied-constant column of X, as statsmodels detects it), else 0.
    ssr : float
        Weighted residual sum of squares at ``params`` (0 when it is below the
        rounding error it is computed with: a perfect fit).
    centered_tss, uncentered_tss : float
        Weighted total sums of squares of y about its mean and about 0.
    sum_log_weights : float
        ``sum(log(sample_weight))`` for the WLS log-likelihood (0 unweighted,
        ``nan`` when the weights are unknown).
    condition_number : float
        Largest over smallest singular value of ``sqrt(W) A`` (A the design,
        with the constant column when fitting the intercept), statsmodels'
        ``condition_number``.
    fvalue : float
        F statistic that every non-constant coefficient is 0 (a Wald test with
        the robust covariance when ``cov_type`` is robust, as statsmodels);
        ``inf`` for a perfect fit (``ssr`` 0), ``nan`` when y is constant or
        there are no residual degrees of freedom.
    f_pvalue : float
        Its p-value, from F(``df_model``, ``df_resid``).
    rank : int
        Rank of the design, decided with unit-scaled columns: from the
        statistics, singular values below ``sqrt(max(n, p) eps)`` of the
        largest count as zero; from a QR of the data (``summary(X, y)`` on an
        ill-conditioned design), numpy's ``matrix_rank`` rule.
    classical_inference_valid : bool
        False for penalised, unconverged, rank-deficient or perfect fits and
        without residual degrees of freedom (see ``warnings``). Converged
        means every coefficient within ``CONVERGED_SE_FRACTION`` (1e-4) of its
        own standard error of the exact least-squares optimum
        (``coef_gap_se``); where no standard error exists (perfect fit, no
        residual degrees of freedom), ``rel_coef_gap <= CONVERGED_REL_GAP``
        (1e-6).
    warnings : list of str
        Why the classical numbers do not apply, then what limits their
        precision (an ill-conditioned design: these do not make them invalid).
    rel_coef_gap : float
        ``max |coef - exact| / max |exact|`` against the exact least-squares
        coefficients (``nan`` when not defined: rank-deficient design).
    coef_gap_se : float
        ``max_j |coef_j - exact_j| / bse_j``: the distance to the optimum in
        standard errors; for a rank-deficient design that of the fitted values,
        ``sqrt(dᵀ AᵀWA d) / sigma`` (``d = coef - exact``); ``nan`` when there is
        no positive error variance.
    const_idx : int or None
        Position of the constant in ``params`` (None when absent or implicit).
    target : str
        Name of the response.
    weighted : bool
        WLS (True) or OLS.
    method : str
        How the coefficients were obtained.
    use_t : bool
        Student's t with ``df_resid`` degrees (True) or the normal distribution
        for p-values and intervals.
    warning_parts : list of tuple of parts
        ``warnings`` as message parts (see :mod:`lingrad._messages`), so that
        they render in command-line terms too (:meth:`render_notes`).
    df_resid_inference : float or None
        Degrees of freedom of t and F with clusters (statsmodels' attribute:
        ``min(G) - 1``); None otherwise (``df_resid`` is used).
    cov_kwds : dict
        The settings of a cluster or HAC covariance (statsmodels' ``cov_kwds``):
        ``groups``, ``n_groups``, ``use_correction``, ... or ``maxlags``.

    Notes
    -----
    With pandas installed, ``params``, ``bse``, ``tvalues`` and ``pvalues``
    are Series and ``conf_int()`` a DataFrame (columns 0 and 1), indexed by
    ``names``, as statsmodels gives for pandas data: ``s.params["bmi"]``
    works, and so do NumPy operations. Position with ``s.params.iloc[0]``
    (or ``np.asarray(s.params)[0]``). Without pandas they are arrays.
    """

    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    cov_type: str
    alpha: float
    nobs: float
    df_model: float
    df_resid: float
    k_constant: int
    ssr: float
    centered_tss: float
    uncentered_tss: float
    sum_log_weights: float
    condition_number: float
    fvalue: float
    f_pvalue: float
    rank: int
    classical_inference_valid: bool
    warnings: list[str] = field(default_factory=list)
    rel_coef_gap: float = math.nan
    coef_gap_se: float = math.nan
    const_idx: int | None = None
    target: str = "y"
    weighted: bool = False
    method: str = "gradient descent"
    use_t: bool = True
    warning_parts: list[tuple[Part, ...]] = field(default_factory=list, repr=False)
    df_resid_inference: float | None = None
    cov_kwds: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", labelled(self.params, self.names))

    # -- coefficient table ---------------------------------------------------
    def cov_params(self) -> np.ndarray:
        """Covariance matrix of the parameters, shape (n_params, n_params)."""
        return self.cov.copy()

    @property
    def bse(self) -> np.ndarray:
        """Standard errors, shape (n_params,)."""
        with np.errstate(invalid="ignore"):
            return labelled(np.sqrt(np.diag(self.cov)), self.names)

    @property
    def tvalues(self) -> np.ndarray:
        """t statistics ``params / bse``, shape (n_params,)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values (t with ``df_resid`` degrees, or normal), shape (n_params,)."""
        return labelled(2.0 * self._dist.sf(np.abs(np.asarray(self.tvalues))), self.names)

    @property
    def _dist(self):
        df = self.df_resid if self.df_resid_inference is None else self.df_resid_inference
        return sps.t(df) if self.use_t else sps.norm()

    def conf_int(self, alpha: float | None = None) -> np.ndarray:
        """Confidence intervals of the parameters.

        Parameters
        ----------
        alpha : float, default=None
            Significance level; None uses the summary's ``alpha``. 0.05 gives 95%
            intervals.

        Returns
        -------
        DataFrame or ndarray of shape (n_params, 2)
            Lower and upper bounds (a DataFrame indexed by ``names``, columns 0
            and 1, when pandas is installed).
        """
        a = self.alpha if alpha is None else _ALPHA.check("Summary.conf_int", alpha)
        q = self._dist.ppf(1.0 - a / 2.0)
        half = q * np.asarray(self.bse)
        b = np.asarray(self.params)
        return labelled(np.column_stack([b - half, b + half]), self.names)

    # -- fit statistics --------------------------------------------------------
    @property
    def n_params(self) -> int:
        """Number of parameters (constant included)."""
        return len(self.params)

    @property
    def ess(self) -> float:
        """Explained sum of squares (about the mean with a constant, about 0 without)."""
        tss = self.centered_tss if self.k_constant else self.uncentered_tss
        return tss - self.ssr

    @property
    def rsquared(self) -> float:
        """R²: centred with a constant, uncentred without (statsmodels)."""
        tss = self.centered_tss if self.k_constant else self.uncentered_tss
        return 1.0 - self.ssr / tss if tss > 0 else math.nan

    @property
    def rsquared_adj(self) -> float:
        """Adjusted R², ``1 - (nobs - k_constant) / df_resid * (1 - R²)``."""
        if self.df_resid <= 0:
            return math.nan
        return 1.0 - (self.nobs - self.k_constant) / self.df_resid * (1.0 - self.rsquared)

    @property
    def mse_model(self) -> float:
        """``ess / df_model``."""
        return self.ess / self.df_model if self.df_model > 0 else math.nan

    @property
    def mse_resid(self) -> float:
        """``ssr / df_resid``: the estimate of the error variance."""
        return self.ssr / self.df_resid if self.df_resid > 0 else math.nan

    @property
    def mse_total(self) -> float:
        """Total sum of squares over ``df_resid + df_model``."""
        tss = self.centered_tss if self.k_constant else self.uncentered_tss
        d = self.df_resid + self.df_model
        return tss / d if d > 0 else math.nan

    @property
    def resid_std_err(self) -> float:
        """Residual standard error, ``sqrt(mse_resid)``."""
        return math.sqrt(self.mse_resid) if self.mse_resid >= 0 else math.nan

    @property
    def scale(self) -> float:
        """statsmodels' name for ``mse_resid``."""
        return self.mse_resid

    @property
    def llf(self) -> float:
        """Gaussian log-likelihood, profiled over the variance (WLS adds ``sum log w / 2``)."""
        if not self.ssr > 0:
            return math.inf if self.ssr == 0 else math.nan
        n = self.nobs
        return -n / 2.0 * (math.log(2.0 * math.pi * self.ssr / n) + 1.0) + 0.5 * (
            self.sum_log_weights
        )

    @property
    def aic(self) -> float:
        """Akaike's criterion, ``-2 llf + 2 (df_model + k_constant)``."""
        return -2.0 * self.llf + 2.0 * (self.df_model + self.k_constant)

    @property
    def bic(self) -> float:
        """Bayes' criterion, ``-2 llf + log(nobs) (df_model + k_constant)``."""
        return -2.0 * self.llf + math.log(self.nobs) * (self.df_model + self.k_constant)

    # -- notes -----------------------------------------------------------------
    def notes_parts(self) -> list[tuple[Part, ...]]:
        """The notes as message parts: the warnings, the covariance note, the validity."""
        warns = [(w,) for w in self.warnings]
        if [render(p) for p in self.warning_parts] == list(self.warnings):
            warns = list(self.warning_parts)
        out = [*warns, cov_note(self.cov_type, self.cov_kwds)]
        if self.classical_inference_valid:
            out.append(valid_note(Convergence(self.rel_coef_gap, self.coef_gap_se)))
        return out

    def render_notes(self, style: Style = "python") -> list[str]:
        """The notes worded for ``style``.

        Parameters
        ----------
        style : {"python", "cli"}, default="python"
            ``lr='auto'`` (Python) or ``--lr auto`` (command line).

        Returns
        -------
        list of str
        """
        return [render(parts, style) for parts in self.notes_parts()]

    def notes(self) -> list[str]:
        """The warnings, then the covariance note and the validity statement."""
        return self.render_notes("python")

    # -- presentation (lingrad._report) ----------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python: lists and floats, non-finite numbers as None.

        Returns
        -------
        dict
            Serialisable with ``json.dumps`` (strict JSON: no NaN).
        """
        return summary_dict(self)

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict(), **kwargs)``."""
        return json.dumps(self.to_dict(), **kwargs)

    def to_text(self, style: Style = "python") -> str:
        """The text table (``str(self)``), its notes worded for ``style`` ("python" or "cli")."""
        return render_text(self, style)

    def to_rich(self, style: Style = "python") -> Any:
        """The rich renderable (``self.__rich__()``), its notes worded for ``style``."""
        return render_rich(self, style)

    def __str__(self) -> str:
        return self.to_text()

    def to_html(self, style: Style = "python") -> str:
        """The summary as self-contained, escaped HTML tables (what Jupyter shows)."""
        return render_html(self, style)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __rich__(self) -> Any:
        """A rich renderable: the header, the coefficient table and the notes."""
        return self.to_rich()

    def __repr__(self) -> str:
        return (
            f"Summary(target={self.target!r}, cov_type={self.cov_type!r}, nobs={self.nobs:.0f}, "
            f"n_params={self.n_params}, rsquared={self.rsquared:.4g}, "
            f"classical_inference_valid={self.classical_inference_valid})"
        )
