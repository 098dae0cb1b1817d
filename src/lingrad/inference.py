"""Classical OLS/WLS inference for a fitted model, from its sufficient statistics.

Standard errors, t statistics, p-values, confidence intervals, R², the F test,
the log-likelihood and information criteria are all functions of the fitted
coefficients and of the weighted centred cross-products that
:class:`~lingrad.SufficientStats` holds, so :func:`summarize` never re-reads the
data for the classical (``"nonrobust"``) covariance. The numbers follow
statsmodels' ``OLS`` / ``WLS`` results definition by definition (``nobs`` is the
number of rows, weighted or not; ``df_resid = nobs - rank``; R² is uncentred for
a model without a constant).

Heteroscedasticity-robust covariances (``HC0`` ... ``HC3``) need every residual:
they take one more pass over the data, in row chunks, from arrays or from any
object with an ``iter_chunks()`` method (so files can be streamed).

Numerical care
--------------
``AᵀWA`` (A = [1, X]) is never formed. With an intercept the regressors are
handled in centred working coordinates ``z = [1, x - x̄]``, where the Gram
matrix is block diagonal, ``diag(S, XcᵀWXc)``; without one, in the whitened
coordinates of an SVD of a square root of ``XᵀWX`` built from the centred
scatter. Data far from the origin (an offset of 1e6) then cost no accuracy in
the covariances, leverages, Wald F or condition number: against exact rational
arithmetic they hold ~1e-10 where the uncentred normal equations (and
statsmodels' pseudo-inverse) lose half the digits. A Gram matrix resolves
singular values only down to ``sqrt(n eps)`` of the largest, so a design closer
to singular than that (condition number above ~1e7) is reported rank deficient.

The residual sum of squares from the statistics,
``yy - 2 bᵀxy + bᵀ xx b + S (ȳ - x̄ᵀb - c)²``, is exact algebra; in floating
point its relative error is about ``1e-16 / (1 - R²)``. When data are passed,
it is summed from the residuals instead (exact).

Classical inference is only valid at the least-squares optimum of an
unpenalised fit. The coefficients count as converged when they are within
``1e-6`` relative (``max |coef - exact| / max |exact|``, intercept included) of
the exact optimum, which is solved here from the same statistics.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats as sps
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted

from . import _validation as V
from ._jsonable import to_jsonable
from ._stats import SufficientStats, default_chunk_rows

__all__ = ["CONVERGED_REL_GAP", "COV_TYPES", "Summary", "summarize"]

#: Covariance types :func:`summarize` computes.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")

#: Largest relative gap to the exact least-squares coefficients at which the
#: classical standard errors, p-values and intervals are reported as valid.
CONVERGED_REL_GAP = 1e-6

_COV_NOTES = {
    "nonrobust": "Standard errors assume that the covariance matrix of the errors is correctly "
    "specified.",
    "HC0": "Standard errors are heteroscedasticity robust (HC0).",
    "HC1": "Standard errors are heteroscedasticity robust (HC1).",
    "HC2": "Standard errors are heteroscedasticity robust (HC2).",
    "HC3": "Standard errors are heteroscedasticity robust (HC3).",
}

_EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------
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
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}
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
        Weighted residual sum of squares at ``params``.
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
        the robust covariance when ``cov_type`` is robust, as statsmodels).
    f_pvalue : float
        Its p-value, from F(``df_model``, ``df_resid``).
    rank : int
        Rank of the design (numpy's ``matrix_rank`` rule, and singular values
        below ``sqrt(n eps)`` of the largest count as zero).
    classical_inference_valid : bool
        False for penalised, unconverged or rank-deficient fits (see ``warnings``).
    warnings : list of str
        Why the classical numbers do not apply, or what is approximate.
    rel_coef_gap : float
        ``max |coef - exact| / max |exact|`` against the exact least-squares
        coefficients (``nan`` when not defined: rank-deficient design).
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
    const_idx: int | None = None
    target: str = "y"
    weighted: bool = False
    method: str = "gradient descent"
    use_t: bool = True

    # -- coefficient table ---------------------------------------------------
    def cov_params(self) -> np.ndarray:
        """Covariance matrix of the parameters, shape (n_params, n_params)."""
        return self.cov.copy()

    @property
    def bse(self) -> np.ndarray:
        """Standard errors, shape (n_params,)."""
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.cov))

    @property
    def tvalues(self) -> np.ndarray:
        """t statistics ``params / bse``, shape (n_params,)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values (t with ``df_resid`` degrees, or normal), shape (n_params,)."""
        return 2.0 * self._dist.sf(np.abs(self.tvalues))

    @property
    def _dist(self):
        return sps.t(self.df_resid) if self.use_t else sps.norm()

    def conf_int(self, alpha: float | None = None) -> np.ndarray:
        """Confidence intervals of the parameters.

        Parameters
        ----------
        alpha : float, default=None
            Significance level; None uses the summary's ``alpha``. 0.05 gives 95%
            intervals.

        Returns
        -------
        ndarray of shape (n_params, 2)
            Lower and upper bounds.
        """
        a = self.alpha if alpha is None else _check_alpha(alpha, "Summary.conf_int")
        q = self._dist.ppf(1.0 - a / 2.0)
        half = q * self.bse
        return np.column_stack([self.params - half, self.params + half])

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

    # -- presentation ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python: lists and floats, non-finite numbers as None.

        Returns
        -------
        dict
            Serialisable with ``json.dumps`` (strict JSON: no NaN).
        """
        ci = self.conf_int()
        out: dict[str, Any] = {
            "target": self.target,
            "model": "WLS" if self.weighted else "OLS",
            "method": self.method,
            "cov_type": self.cov_type,
            "use_t": self.use_t,
            "alpha": self.alpha,
            "names": list(self.names),
            "params": self.params,
            "bse": self.bse,
            "tvalues": self.tvalues,
            "pvalues": self.pvalues,
            "conf_int": ci,
            "cov_params": self.cov,
            "nobs": self.nobs,
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "k_constant": self.k_constant,
            "rank": self.rank,
            "ssr": self.ssr,
            "ess": self.ess,
            "centered_tss": self.centered_tss,
            "uncentered_tss": self.uncentered_tss,
            "mse_resid": self.mse_resid,
            "resid_std_err": self.resid_std_err,
            "rsquared": self.rsquared,
            "rsquared_adj": self.rsquared_adj,
            "fvalue": self.fvalue,
            "f_pvalue": self.f_pvalue,
            "llf": self.llf,
            "aic": self.aic,
            "bic": self.bic,
            "condition_number": self.condition_number,
            "rel_coef_gap": self.rel_coef_gap,
            "classical_inference_valid": self.classical_inference_valid,
            "warnings": list(self.warnings),
        }
        return {k: to_jsonable(v) for k, v in out.items()}

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict(), **kwargs)``."""
        return json.dumps(self.to_dict(), **kwargs)

    def _header(self) -> list[tuple[str, str, str, str]]:
        r2 = "R-squared:" if self.k_constant else "R-squared (uncentered):"
        r2a = "Adj. R-squared:" if self.k_constant else "Adj. R-squared (uncentered):"
        return [
            ("Dep. Variable:", self.target, r2, _f3(self.rsquared)),
            ("Model:", "WLS" if self.weighted else "OLS", r2a, _f3(self.rsquared_adj)),
            ("Method:", self.method, "F-statistic:", _g4(self.fvalue)),
            ("No. Observations:", f"{self.nobs:.0f}", "Prob (F-statistic):", _g3(self.f_pvalue)),
            ("Df Residuals:", f"{self.df_resid:.0f}", "Log-Likelihood:", _g4(self.llf)),
            ("Df Model:", f"{self.df_model:.0f}", "AIC:", _g4(self.aic)),
            ("Covariance Type:", self.cov_type, "BIC:", _g4(self.bic)),
            (
                "Residual std. err.:",
                _g4(self.resid_std_err),
                "Cond. No.:",
                _g3(self.condition_number),
            ),
        ]

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        lo, hi = self.alpha / 2, 1 - self.alpha / 2
        t = "t" if self.use_t else "z"
        cols = ["coef", "std err", t, f"P>|{t}|", f"[{lo:g}", f"{hi:g}]"]
        ci = self.conf_int()
        rows = [
            [_g4(b), _g4(s), _f3(t), _f3(p), _g4(a), _g4(z)]
            for b, s, t, p, a, z in zip(
                self.params,
                self.bse,
                self.tvalues,
                self.pvalues,
                ci[:, 0],
                ci[:, 1],
                strict=True,
            )
        ]
        return cols, rows

    def notes(self) -> list[str]:
        """The warnings, then the covariance note and the validity statement."""
        out = list(self.warnings)
        out.append(_COV_NOTES[self.cov_type])
        if self.classical_inference_valid:
            out.append(
                "Classical inference applies: the coefficients are within "
                f"{self.rel_coef_gap:.1e} relative of the exact least-squares optimum "
                f"(converged enough: <= {CONVERGED_REL_GAP:.0e})."
            )
        return out

    def __str__(self) -> str:
        header = self._header()
        half = 38
        lines = []
        title = "OLS" if not self.weighted else "WLS"
        width = 2 * half + 2
        lines.append(f"{title} Regression Results (lingrad)".center(width))
        lines.append("=" * width)
        for k1, v1, k2, v2 in header:
            left = f"{k1}{v1:>{half - len(k1)}}" if len(k1) + len(v1) < half else f"{k1} {v1}"
            right = f"{k2}{v2:>{half - len(k2)}}" if len(k2) + len(v2) < half else f"{k2} {v2}"
            lines.append(f"{left:<{half}}  {right}")
        cols, rows = self._rows()
        nw = max([len(n) for n in self.names] + [8])
        cw = max([len(c) for c in cols] + [len(x) for r in rows for x in r]) + 1
        table_w = nw + len(cols) * (cw + 1)
        width = max(width, table_w)
        lines[1] = "=" * width
        lines.append("=" * width)
        lines.append(" " * nw + "".join(f" {c:>{cw}}" for c in cols))
        lines.append("-" * width)
        for name, row in zip(self.names, rows, strict=True):
            lines.append(f"{name:<{nw}}" + "".join(f" {x:>{cw}}" for x in row))
        lines.append("=" * width)
        lines.append("Notes:")
        for i, note in enumerate(self.notes(), 1):
            lines.extend(_wrap(f"[{i}] {note}", width))
        return "\n".join(lines)

    def __rich__(self):
        """A rich renderable: the header, the coefficient table and the notes."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        head = Table(show_header=False, box=None, pad_edge=False)
        for _ in range(4):
            head.add_column()
        for row in self._header():
            head.add_row(*row)
        cols, rows = self._rows()
        table = Table(title=f"{'WLS' if self.weighted else 'OLS'} regression: {self.target}")
        table.add_column("")
        for c in cols:
            table.add_column(c, justify="right")
        for name, row in zip(self.names, rows, strict=True):
            table.add_row(name, *row)
        style = "bold red" if not self.classical_inference_valid else "dim"
        notes = [
            Text(f"[{i}] {n}", style=style if i <= len(self.warnings) else "dim")
            for i, n in enumerate(self.notes(), 1)
        ]
        return Group(table, head, *notes)

    def __repr__(self) -> str:
        return (
            f"Summary(target={self.target!r}, cov_type={self.cov_type!r}, nobs={self.nobs:.0f}, "
            f"n_params={self.n_params}, rsquared={self.rsquared:.4g}, "
            f"classical_inference_valid={self.classical_inference_valid})"
        )


def _f3(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.3f}"


def _g3(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}"


def _g4(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if 1e-4 <= abs(x) < 1e5 or x == 0 else f"{x:.4g}"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent="    ") or [""]


# ---------------------------------------------------------------------------
# The design, in centred working coordinates
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Design:
    """``AᵀWA`` in working coordinates ``z``, with ``z = tinvᵀ a`` for a row ``a`` of A.

    With an intercept ``z = [1, x - x̄]``: the working Gram matrix is block
    diagonal, ``diag(S, C)`` with C the centred scatter, ``binv`` its inverse.
    Without, ``z = diag(1/s) Vᵀ x`` from the SVD ``sqrt(W) X = U diag(s) Vᵀ``:
    the working Gram matrix is the identity (no squared condition number in the
    sandwich). Either way ``(AᵀWA)⁻¹ = tinv @ binv @ tinvᵀ`` (the pseudo-inverse
    restricted to the design's rank when deficient).
    """

    fit_intercept: bool
    x_mean: np.ndarray  # (n_features,)
    binv: np.ndarray  # (n_working, n_working)
    tinv: np.ndarray  # (n_params, n_working)
    rank: int
    singular_values: np.ndarray  # of sqrt(W) A, descending
    k_constant: int
    const_idx: int | None

    def working(self, X: np.ndarray) -> np.ndarray:
        """Working coordinates of rows of X, shape (n_rows, n_working)."""
        if not self.fit_intercept:
            return X @ self.tinv
        Z = np.empty((X.shape[0], X.shape[1] + 1))
        Z[:, 0] = 1.0
        np.subtract(X, self.x_mean, out=Z[:, 1:])
        return Z

    def to_params(self, Q: np.ndarray) -> np.ndarray:
        """Map a working-coordinate covariance to the parameters: ``tinv Q tinvᵀ``."""
        out = self.tinv @ Q @ self.tinv.T
        return (out + out.T) / 2

    @property
    def normalized_cov(self) -> np.ndarray:
        """``(AᵀWA)⁻¹`` (a generalised inverse when rank deficient)."""
        return self.to_params(self.binv)


def _rank(s: np.ndarray, n_rows: int, n_cols: int, floor: float) -> int:
    """numpy.linalg.matrix_rank's rule on given singular values, above a noise floor."""
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > max(s[0] * max(n_rows, n_cols) * _EPS, floor)))


def _design(stats: SufficientStats, fit_intercept: bool) -> _Design:
    f = stats.n_features
    S = float(stats.sum_weights)
    n = int(stats.n_samples)
    xbar = np.asarray(stats.x_mean, dtype=np.float64)
    C = np.asarray(stats.xx, dtype=np.float64)
    C = (C + C.T) / 2
    lam, U = np.linalg.eigh(C)
    lam = np.clip(lam, 0.0, None)
    # sqrt(W) A = Q G with G built from a square root of the centred scatter:
    # G's singular values are those of the weighted design, without forming AᵀWA.
    R_C = np.sqrt(lam)[:, None] * U.T
    sq = math.sqrt(S)
    G_int = np.zeros((f + 1, f + 1))
    G_int[0, 0] = sq
    G_int[0, 1:] = sq * xbar
    G_int[1:, 1:] = R_C
    s_int = np.linalg.svd(G_int, compute_uv=False)
    G_no = np.vstack([sq * xbar[None, :], R_C])
    _, s_no, Vt = np.linalg.svd(G_no, full_matrices=False)
    # The scatter's eigenvalues carry an absolute error of about eps * max(n, p)
    # * lam_max, so its square roots (singular values) are only resolved above
    # this floor: a design closer to singular than that is treated as singular.
    floor = math.sqrt(max(n, f + 1) * _EPS * float(lam.max(initial=0.0)))
    rank_int = _rank(s_int, n, f + 1, floor)
    rank_no = _rank(s_no, n, f, floor)
    if fit_intercept:
        p = f + 1
        root = np.sqrt(lam)
        keep = np.flatnonzero(root > max(root.max(initial=0.0) * max(n, p) * _EPS, floor))
        rank_int = 1 + keep.size
        binv = np.zeros((p, p))
        binv[0, 0] = 1.0 / S
        Uk = U[:, keep]
        binv[1:, 1:] = (Uk / lam[keep]) @ Uk.T
        tinv = np.eye(p)
        tinv[0, 1:] = -xbar
        return _Design(True, xbar, binv, tinv, rank_int, s_int, 1, 0)
    r = rank_no
    tinv = Vt[:r].T / s_no[:r]
    k_const, const_idx = _detect_constant(stats, xbar, C, rank_int, rank_no)
    return _Design(False, xbar, np.eye(r), tinv, r, s_no, k_const, const_idx)


def _detect_constant(
    stats: SufficientStats, xbar: np.ndarray, C: np.ndarray, rank_int: int, rank_no: int
) -> tuple[int, int | None]:
    """statsmodels' constant detection (``hasconst=None``), from the statistics."""
    S = float(stats.sum_weights)
    var = np.diag(C) / S if S > 0 else np.zeros_like(xbar)
    const_cols = np.flatnonzero(var <= (1e-12 * np.abs(xbar)) ** 2)
    if const_cols.size == 1 and xbar[const_cols[0]] != 0:
        return 1, int(const_cols[0])
    if const_cols.size > 1:
        ones = [j for j in const_cols if np.isclose(xbar[j], 1.0, rtol=1e-12, atol=0.0)]
        if ones:
            return 1, int(ones[0])
        nonzero = [j for j in const_cols if xbar[j] != 0]
        if nonzero:
            return 1, int(nonzero[0])
    # implicit constant: the column of ones lies in the span of X
    return int(rank_no == rank_int), None


# ---------------------------------------------------------------------------
# The second pass over the data (robust covariances, exact ssr)
# ---------------------------------------------------------------------------
@dataclass
class _Pass:
    n_rows: int = 0
    sum_weights: float = 0.0
    sum_log_weights: float = 0.0
    weighted: bool = False
    ssr: np.ndarray | None = None  # (n_targets,)
    meat: np.ndarray | None = None  # (n_targets, n_params, n_params)
    sum_wx: np.ndarray | None = None  # (n_features,)
    sum_wy: np.ndarray | None = None  # (n_targets,)


Chunk = tuple[Any, Any, Any]


def _array_chunks(X: Any, Y: np.ndarray, w: np.ndarray | None) -> Iterator[Chunk]:
    n = X.shape[0]
    nbytes = X.data.nbytes if sp.issparse(X) else X.nbytes
    rows = default_chunk_rows(n, X.shape[1] + Y.shape[1] + 1, nbytes)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        yield X[start:stop], Y[start:stop], None if w is None else w[start:stop]


def _second_pass(
    chunks: Iterable[Any],
    design: _Design,
    B: np.ndarray,
    c: np.ndarray,
    hc: str | None,
) -> _Pass:
    """Residuals chunk by chunk: ssr, weights and (for ``hc``) the sandwich's meat.

    ``B`` is (n_targets, n_features), ``c`` (n_targets,). The meat is
    ``sum_i s_i z_i z_iᵀ`` with ``s_i = w_i² u_i²`` (statsmodels' ``wresid²`` times
    the weight carried by ``wexog``), divided by ``1 - h_i`` (HC2) or its square
    (HC3), ``h_i = w_i z_iᵀ binv z_i`` the leverage. It is exact: the sum of the
    chunks' contributions, in any chunking.
    """
    k, f = B.shape
    p = design.binv.shape[0]
    out = _Pass(ssr=np.zeros(k), sum_wx=np.zeros(f), sum_wy=np.zeros(k))
    if hc is not None:
        out.meat = np.zeros((k, p, p))
    for i, chunk in enumerate(chunks):
        Xc, Yc, w = _check_chunk(chunk, i, f, k)
        U = Yc - Xc @ B.T - c
        if w is None:
            w = np.ones(len(Xc))
        else:
            out.weighted = True
            with np.errstate(divide="ignore"):
                out.sum_log_weights += float(np.log(w).sum())
        out.n_rows += len(Xc)
        out.sum_weights += float(w.sum())
        out.sum_wx += w @ Xc
        out.sum_wy += (Yc * w[:, None]).sum(axis=0)
        wu = w[:, None] * U
        out.ssr += (wu * U).sum(axis=0)
        if out.meat is None:
            continue
        Z = design.working(Xc)
        # root_i = sqrt(s_i): the meat is Zsᵀ Zs with Zs = root * Z (one syrk).
        shrink = 1.0
        if hc in ("HC2", "HC3"):
            h = w * np.sum((Z @ design.binv) * Z, axis=1)
            shrink = np.sqrt(1.0 - h) if hc == "HC2" else 1.0 - h
        for j in range(k):
            Zs = Z * (np.abs(wu[:, j]) / shrink)[:, None]
            out.meat[j] += Zs.T @ Zs
    return out


def _check_chunk(chunk: Any, i: int, f: int, k: int):
    try:
        Xc, Yc, *rest = chunk
    except (TypeError, ValueError):
        raise ValueError(
            f"Chunk {i} of the data source is not a tuple (X, y, sample_weight_or_None); got "
            f"{type(chunk).__name__}. iter_chunks() must yield (X_chunk, y_chunk, w_chunk) tuples."
        ) from None
    if len(rest) > 1:
        raise ValueError(
            f"Chunk {i} of the data source has {2 + len(rest)} items; iter_chunks() must yield "
            "(X_chunk, y_chunk, w_chunk_or_None)."
        )
    w = rest[0] if rest else None
    Xc = Xc.toarray() if sp.issparse(Xc) else Xc
    Xc = np.asarray(Xc, dtype=np.float64)
    Yc = np.asarray(Yc, dtype=np.float64)
    if Xc.ndim != 2 or Xc.shape[1] != f:
        raise ValueError(
            f"Chunk {i}: X has shape {Xc.shape}, expected (n_rows, {f}). Pass the training data "
            "with the same columns as at fit."
        )
    Yc = Yc.reshape(len(Yc), -1)
    if Yc.shape != (len(Xc), k):
        raise ValueError(
            f"Chunk {i}: y has shape {Yc.shape}, expected ({len(Xc)},) or ({len(Xc)}, {k}). "
            "Pass one target row per X row, with the targets used at fit."
        )
    if w is not None:
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if w.shape != (len(Xc),) or not np.all(w >= 0):
            raise ValueError(
                f"Chunk {i}: sample_weight must be {len(Xc)} non-negative numbers, one per row."
            )
    if not (
        np.isfinite(Xc).all() and np.isfinite(Yc).all() and (w is None or np.isfinite(w).all())
    ):
        raise ValueError(f"Chunk {i} contains NaN or infinity. Pass the (finite) training data.")
    return Xc, Yc, w


def _check_pass_matches(res: _Pass, stats: SufficientStats) -> None:
    """The data passed must be the data the statistics (and the fit) came from."""
    why = None
    if res.n_rows != stats.n_samples:
        why = f"it has {res.n_rows} rows, the statistics {stats.n_samples}"
    elif not math.isclose(res.sum_weights, stats.sum_weights, rel_tol=1e-9, abs_tol=1e-300):
        why = (
            f"its weights sum to {res.sum_weights:.17g}, "
            f"the statistics' to {stats.sum_weights:.17g}"
        )
    else:
        S = float(stats.sum_weights)
        mean = np.concatenate([res.sum_wx, res.sum_wy]) / S
        spread = np.sqrt(np.clip(np.diag(stats.scatter), 0.0, None) / S) + np.abs(stats.mean)
        bad = np.abs(mean - stats.mean) > 1e-6 * spread + 1e-300
        if bad.any():
            j = int(np.argmax(bad))
            what = f"feature {j}" if j < stats.n_features else f"target {j - stats.n_features}"
            why = (
                f"the weighted mean of {what} is {mean[j]:.10g}, "
                f"the statistics' {stats.mean[j]:.10g}"
            )
    if why is not None:
        raise ValueError(
            f"The data passed to summarize is not the data the model was fitted on: {why}. "
            "Pass the training X, y and sample_weight exactly as given to fit."
        )


def _f_test(
    design: _Design,
    theta: np.ndarray,
    cov: np.ndarray,
    Q: np.ndarray | None,
    ess: float,
    ssr: float,
    df_model: float,
    df_resid: float,
) -> tuple[float, float]:
    """F test that every non-constant coefficient is 0 (statsmodels' ``fvalue``).

    With a robust ``Q`` (the covariance in working coordinates) the Wald
    statistic is computed where it is well conditioned: the slopes' covariance
    is ``Q[1:, 1:]`` exactly with an intercept, and without one the whitened
    coefficients ``diag(s) Vᵀ b`` have covariance ``Q``.
    """
    if df_model <= 0 or df_resid <= 0:
        return math.nan, math.nan
    if Q is None:
        fvalue = (ess / df_model) / (ssr / df_resid)
        return fvalue, float(sps.f.sf(fvalue, df_model, df_resid))
    p = len(theta)
    if design.fit_intercept:
        g, v = theta[1:], Q[1:, 1:]
    elif design.k_constant == 0 and design.rank == p:
        g, v = design.singular_values**2 * (design.tinv.T @ theta), Q
    elif design.k_constant == 1 and design.const_idx is None:
        return math.nan, math.nan  # implicit constant: statsmodels gives nan (its #2444)
    else:
        idx = [i for i in range(p) if i != design.const_idx]
        g, v = theta[idx], cov[np.ix_(idx, idx)]
    if g.size == 0:
        return math.nan, math.nan
    try:
        quad = float(g @ np.linalg.solve(v, g))
    except np.linalg.LinAlgError:
        quad = float(g @ np.linalg.pinv(v, hermitian=True) @ g)
    fvalue = quad / g.size
    return fvalue, float(sps.f.sf(fvalue, g.size, df_resid))


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------
def _check_alpha(alpha: Any, owner: str) -> float:
    return V.check_real(
        owner,
        "alpha",
        alpha,
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
        fix="Use a significance level in (0, 1), e.g. alpha=0.05 for 95% intervals.",
    )


def _check_cov_type(cov_type: Any) -> str:
    canon = {c.lower(): c for c in COV_TYPES}
    if isinstance(cov_type, str) and cov_type.lower() in canon:
        return canon[cov_type.lower()]
    choices = ", ".join(repr(c) for c in COV_TYPES)
    raise V.param_error(
        "summarize",
        "cov_type",
        f"one of {choices}",
        cov_type,
        "Use 'nonrobust' for classical errors or 'HC0'...'HC3' for heteroscedasticity-robust ones.",
    )


def _param_names(model: Any, feature_names: Any, f: int, fit_intercept: bool) -> list[str]:
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is None:
        names = [f"x{j}" for j in range(f)]
    else:
        names = [str(x) for x in feature_names]
        if len(names) != f:
            raise V.param_error(
                "summarize",
                "feature_names",
                f"a sequence of {f} names (one per feature)",
                feature_names,
                "Pass one name per column of X, or None for x0, x1, ...",
            )
    return ["const", *names] if fit_intercept else names


def _coefficients(model: Any, f: int) -> tuple[np.ndarray, np.ndarray, bool]:
    coef = np.asarray(model.coef_, dtype=np.float64)
    one_d = coef.ndim == 1
    B = coef.reshape(1, f) if one_d else coef
    k = B.shape[0]
    if getattr(model, "fit_intercept", True):
        c = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (k,)).copy()
    else:
        c = np.zeros(k)
    return B, c, one_d


def _exact_theta(design: _Design, stats: SufficientStats, j: int) -> np.ndarray:
    """Exact least-squares parameters for target ``j`` (intercept first), from the stats."""
    xy = np.asarray(stats.xy[:, j], dtype=np.float64)
    ybar = float(stats.y_mean[j])
    if design.fit_intercept:
        b = design.binv[1:, 1:] @ xy
        return np.concatenate([[ybar - design.x_mean @ b], b])
    xty = xy + float(stats.sum_weights) * design.x_mean * ybar
    return design.tinv @ (design.tinv.T @ xty)


def _ssr_from_stats(stats: SufficientStats, j: int, b: np.ndarray, c: float) -> float:
    """``sum_i w_i (y_i - x_i b - c)²`` from the centred statistics."""
    xx = np.asarray(stats.xx, dtype=np.float64)
    xy = np.asarray(stats.xy[:, j], dtype=np.float64)
    yy = float(stats.yy[j, j])
    d = float(stats.y_mean[j]) - float(stats.x_mean @ b) - c
    ssr = yy - float(b @ (2.0 * xy - xx @ b)) + float(stats.sum_weights) * d * d
    return max(ssr, 0.0)


def _penalty(model: Any) -> tuple[float, float]:
    return float(getattr(model, "alpha", 0.0) or 0.0), float(getattr(model, "l1_ratio", 0.0) or 0.0)


def _validity(
    model: Any, design: _Design, gap: float, p: int, df_resid: float
) -> tuple[bool, list[str]]:
    warns: list[str] = []
    alpha, l1_ratio = _penalty(model)
    diag = getattr(model, "diagnostics_", None)
    grad_rel = getattr(diag, "grad_norm_rel", math.nan) if diag is not None else math.nan
    if alpha > 0:
        pen_gap = getattr(diag, "rel_coef_gap", math.nan) if diag is not None else math.nan
        msg = (
            f"Penalised fit (alpha={alpha:g}, l1_ratio={l1_ratio:g}): the coefficients are shrunk "
            "toward zero, so they are biased and the classical standard errors, t statistics, "
            "p-values and confidence intervals of this summary do not apply. Refit with alpha=0 "
            "for "
            "classical inference, or use a bootstrap."
        )
        if math.isfinite(pen_gap) and pen_gap > CONVERGED_REL_GAP:
            msg += (
                f" The fit is also {pen_gap:.2e} relative from its own (penalised) optimum "
                f"(relative gradient norm {grad_rel:.2e})."
            )
        warns.append(msg)
    if design.rank < p:
        warns.append(
            f"The design is rank deficient (rank {design.rank} < {p} parameters): some "
            "coefficients are not identified (collinear columns, or a constant column besides "
            "the intercept). Their standard errors come from a generalised inverse and the "
            "t tests are meaningless; drop the redundant columns."
        )
    elif alpha == 0 and not gap <= CONVERGED_REL_GAP:
        grad = (
            f"; the solver's relative gradient norm is {grad_rel:.2e}"
            if math.isfinite(grad_rel)
            else ""
        )
        warns.append(
            "Not converged: the coefficients are "
            f"{gap:.2e} relative (max |coef - exact| / max |exact|) from the exact least-squares "
            f"optimum{grad}. Classical inference needs them within {CONVERGED_REL_GAP:.0e} "
            "(converged enough), so the standard errors, t statistics, p-values and intervals "
            "of this summary, computed at these coefficients, do not apply. Refit with a smaller "
            "tol and "
            "more n_iters, or lr='auto' with optimizer='nesterov'."
        )
    if df_resid <= 0:
        warns.append(
            f"No residual degrees of freedom (nobs - rank = {df_resid:.0f}): the error variance, "
            "standard errors and tests are undefined. Use more rows than parameters."
        )
    return not warns, warns


def summarize(
    model: Any,
    stats: SufficientStats,
    X: Any = None,
    y: Any = None,
    *,
    sample_weight: Any = None,
    cov_type: str = "nonrobust",
    alpha: float = 0.05,
    feature_names: Any = None,
    use_t: bool | None = None,
) -> Summary | list[Summary]:
    """Classical OLS/WLS inference for a fitted linear model.

    The inference is about the model's own coefficients (the gradient-descent
    fit); it is valid when they are the least-squares optimum to 1e-6 relative
    and the fit is unpenalised, and the result says so (``warnings``,
    ``classical_inference_valid``) when not.

    Parameters
    ----------
    model : LinearRegression
        Fitted; ``coef_`` of shape (n_features,) or (n_targets, n_features),
        ``intercept_``, ``fit_intercept``, ``alpha``, ``l1_ratio`` and
        ``diagnostics_`` are read.
    stats : SufficientStats
        Statistics of the training data (``SufficientStats.from_arrays(X, y,
        sample_weight)``), with ``n_features`` features and ``n_targets`` targets.
    X : array-like or sparse matrix of shape (n_samples, n_features), or data source, default=None
        The training data, needed only for robust covariances (and used, when
        given, for the exact residual sum of squares). Either an array with
        ``y``, or an object whose ``iter_chunks()`` yields
        ``(X_chunk, y_chunk, w_chunk_or_None)`` tuples: a second pass in chunks.
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Targets, with array ``X``.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights given to ``fit``, with array ``X`` (or alone: then used for
        the WLS log-likelihood only).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}, default="nonrobust"
        Covariance of the coefficients, as statsmodels' ``fit(cov_type=...)``.
    alpha : float, default=0.05
        Significance level of the confidence intervals (0.05: 95%).
    feature_names : sequence of str of length n_features, default=None
        Names of the coefficients; default ``model.feature_names_in_`` if set,
        else ``x0, x1, ...``.
    use_t : bool, default=None
        p-values and intervals from Student's t (True) or the normal
        distribution (False). None is statsmodels' default: t for
        ``"nonrobust"``, normal for the robust types.

    Returns
    -------
    Summary or list of Summary
        One ``Summary`` for a model fitted on 1-D ``y``; a list with one per
        target when ``coef_`` is 2-D.

    Raises
    ------
    ValueError
        For a robust ``cov_type`` without the data, statistics that do not
        match the model, or data that do not match the statistics.

    Notes
    -----
    The WLS log-likelihood needs ``sum(log(w))`` beyond the cross-products;
    the statistics carry it (``SufficientStats.sum_log_weights``), so no data
    is needed for it.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegression, SufficientStats
    >>> from lingrad.inference import summarize
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> y = 2 * X[:, 0] + 1 + np.tile([0.5, -0.5], 5)
    >>> model = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-14,
    ...                          n_iters=100_000, random_state=0).fit(X, y)
    >>> res = summarize(model, SufficientStats.from_arrays(X, y))
    >>> print(np.round(res.params, 4), np.round(res.bse, 4), res.classical_inference_valid)
    [1.1364 1.9697] [0.3235 0.0606] True
    """
    check_is_fitted(model)
    cov_type = _check_cov_type(cov_type)
    alpha = _check_alpha(alpha, "summarize")
    if not isinstance(stats, SufficientStats):
        raise V.param_error(
            "summarize",
            "stats",
            "a SufficientStats",
            type(stats).__name__,
            "Pass SufficientStats.from_arrays(X, y, sample_weight) of the training data.",
        )
    f = stats.n_features
    fit_intercept = bool(getattr(model, "fit_intercept", True))
    B, c, one_d = _coefficients(model, int(np.shape(model.coef_)[-1]))
    k = B.shape[0]
    if B.shape[1] != f or stats.n_targets != k:
        raise ValueError(
            f"The statistics describe {f} features and {stats.n_targets} targets but the model "
            f"has {B.shape[1]} features and {k} targets. Pass the statistics of the training "
            "data of this model."
        )
    if not stats.sum_weights > 0:
        raise ValueError(
            "The statistics hold no data (sum of weights 0); pass the training statistics."
        )
    names = _param_names(model, feature_names, f, fit_intercept)
    design = _design(stats, fit_intercept)
    p = f + int(fit_intercept)
    robust = cov_type != "nonrobust"

    chunks = _data_source(X, y, sample_weight, f, k, cov_type)
    res = _second_pass(chunks, design, B, c, cov_type if robust else None) if chunks else None
    if res is not None:
        _check_pass_matches(res, stats)

    nobs = float(stats.n_samples)
    df_resid = nobs - design.rank
    df_model = float(design.rank - design.k_constant)
    sum_log_w, weighted, extra = _log_weights(res, stats, sample_weight)

    out = []
    for j in range(k):
        theta = np.concatenate([[c[j]], B[j]]) if fit_intercept else B[j].copy()
        ssr = float(res.ssr[j]) if res is not None else _ssr_from_stats(stats, j, B[j], c[j])
        Q = None
        if robust:
            hc1 = (nobs / df_resid if df_resid > 0 else math.nan) if cov_type == "HC1" else 1.0
            Q = design.binv @ (res.meat[j] * hc1) @ design.binv
            cov = design.to_params(Q)
        else:
            sigma2 = ssr / df_resid if df_resid > 0 else math.nan
            cov = sigma2 * design.normalized_cov
        gap = math.nan
        if design.rank == p:
            exact = _exact_theta(design, stats, j)
            scale = float(np.abs(exact).max()) if exact.size else 0.0
            diff = float(np.abs(theta - exact).max()) if exact.size else 0.0
            gap = diff / scale if scale > 0 else diff
        valid, warns = _validity(model, design, gap, p, df_resid)
        warns = warns + extra
        yy = float(stats.yy[j, j])
        ybar = float(stats.y_mean[j])
        utss = yy + float(stats.sum_weights) * ybar * ybar
        ess = (yy if design.k_constant else utss) - ssr
        fvalue, f_pvalue = _f_test(design, theta, cov, Q, ess, ssr, df_model, df_resid)
        s = design.singular_values
        out.append(
            Summary(
                names=list(names),
                params=theta,
                cov=cov,
                cov_type=cov_type,
                alpha=alpha,
                nobs=nobs,
                df_model=df_model,
                df_resid=df_resid,
                k_constant=design.k_constant,
                ssr=ssr,
                centered_tss=yy,
                uncentered_tss=utss,
                sum_log_weights=sum_log_w,
                condition_number=float(s[0] / s[-1]) if s[-1] > 0 else math.inf,
                fvalue=fvalue,
                f_pvalue=f_pvalue,
                rank=design.rank,
                classical_inference_valid=valid,
                warnings=warns,
                rel_coef_gap=gap,
                const_idx=design.const_idx,
                target="y" if one_d else f"y{j}",
                weighted=weighted,
                method=_method(model),
                use_t=(not robust) if use_t is None else bool(use_t),
            )
        )
    return out[0] if one_d else out


def _method(model: Any) -> str:
    opt = getattr(model, "optimizer", None)
    return f"GD ({opt})" if isinstance(opt, str) else "gradient descent"


def _data_source(
    X: Any, y: Any, sample_weight: Any, f: int, k: int, cov_type: str
) -> Iterable[Any] | None:
    if X is None:
        if y is not None:
            raise ValueError("summarize got y without X. Pass both X and y (the training data).")
        if cov_type != "nonrobust":
            raise ValueError(
                f"cov_type={cov_type!r} (heteroscedasticity-robust standard errors) needs the "
                "data: every residual enters the covariance, and the sufficient statistics do not "
                "hold them. Pass the training data, e.g. model.summary(X, y, cov_type="
                f"{cov_type!r}) or summarize(model, stats, X, y, sample_weight=w, cov_type="
                f"{cov_type!r}), or an object whose iter_chunks() yields (X_chunk, y_chunk, "
                "w_chunk_or_None) to stream it from files."
            )
        return None
    if hasattr(X, "iter_chunks"):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "summarize got a data source (with iter_chunks()) and also y or sample_weight. "
                "The source yields (X_chunk, y_chunk, w_chunk_or_None): pass it alone."
            )
        return X.iter_chunks()
    if y is None:
        raise ValueError("summarize got X without y. Pass both X and y (the training data).")
    try:
        Xa = check_array(X, accept_sparse=("csr",), dtype=[np.float64, np.float32])
        Ya = check_array(y, ensure_2d=False, dtype=np.float64)
    except ValueError as err:
        raise V.add_hint(err) from err
    Ya = Ya.reshape(len(Ya), -1)
    if Xa.shape[1] != f or Ya.shape[1] != k or len(Ya) != Xa.shape[0]:
        raise ValueError(
            f"X has shape {Xa.shape} and y {Ya.shape}; the model needs X of shape "
            f"(n_samples, {f}) and y with {k} target(s) and one row per X row. Pass the training "
            "data."
        )
    w = None
    if sample_weight is not None:
        w = _check_sample_weight(sample_weight, Xa, dtype=np.float64, ensure_non_negative=True)
    return _array_chunks(Xa, Ya, w)


def _log_weights(
    res: _Pass | None, stats: SufficientStats, sample_weight: Any
) -> tuple[float, bool, list[str]]:
    """``sum log w`` for the WLS likelihood, whether the fit is weighted, and notes."""
    if res is not None:
        return res.sum_log_weights, res.weighted, []
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if w.shape != (stats.n_samples,) or not math.isclose(
            float(w.sum()), float(stats.sum_weights), rel_tol=1e-9
        ):
            raise ValueError(
                f"sample_weight has {w.size} entries summing to {w.sum():.10g}; the statistics "
                f"have {stats.n_samples} rows with weights summing to {stats.sum_weights:.10g}. "
                "Pass the weights given to fit."
            )
        with np.errstate(divide="ignore"):
            return float(np.log(w).sum()), True, []
    return float(stats.sum_log_weights), bool(stats.weighted), []
