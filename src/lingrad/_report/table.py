"""The cells of a summary table: number formats, the header and the coefficient rows.

Every renderer (text, rich, and any later one) shows the same strings, built
here once.

Examples
--------
>>> g4(1.23456), g4(123456.0), f3(float("nan")), g3(3.0e12)
('1.2346', '1.235e+05', 'nan', '3e+12')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["coef_table", "f3", "g3", "g4", "header_rows", "model_name"]


def f3(x: float) -> str:
    """Three decimals (``nan`` for any non-finite number)."""
    return "nan" if not math.isfinite(x) else f"{x:.3f}"


def g3(x: float) -> str:
    """Three significant digits (infinities as ``inf``)."""
    return "nan" if math.isnan(x) else f"{x:.3g}"


def g4(x: float) -> str:
    """Four decimals in a readable range, else four significant digits."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if 1e-4 <= abs(x) < 1e5 or x == 0 else f"{x:.4g}"


def model_name(summary: Any) -> str:
    """``"WLS"`` for a weighted fit, else ``"OLS"``."""
    return "WLS" if summary.weighted else "OLS"


def header_rows(summary: Any) -> list[tuple[str, str, str, str]]:
    """The header: rows of (label, value, label, value).

    Parameters
    ----------
    summary : Summary

    Returns
    -------
    list of 4-tuples of str
    """
    s = summary
    r2 = "R-squared:" if s.k_constant else "R-squared (uncentered):"
    r2a = "Adj. R-squared:" if s.k_constant else "Adj. R-squared (uncentered):"
    return [
        ("Dep. Variable:", s.target, r2, f3(s.rsquared)),
        ("Model:", model_name(s), r2a, f3(s.rsquared_adj)),
        ("Method:", s.method, "F-statistic:", g4(s.fvalue)),
        ("No. Observations:", f"{s.nobs:.0f}", "Prob (F-statistic):", g3(s.f_pvalue)),
        ("Df Residuals:", f"{s.df_resid:.0f}", "Log-Likelihood:", g4(s.llf)),
        ("Df Model:", f"{s.df_model:.0f}", "AIC:", g4(s.aic)),
        ("Covariance Type:", s.cov_type, "BIC:", g4(s.bic)),
        ("Residual std. err.:", g4(s.resid_std_err), "Cond. No.:", g3(s.condition_number)),
    ]


def coef_table(summary: Any) -> tuple[list[str], list[list[str]]]:
    """The coefficient table: column titles and one row of cells per parameter.

    Parameters
    ----------
    summary : Summary

    Returns
    -------
    columns : list of str of length 6
    rows : list of n_params lists of 6 str
    """
    s = summary
    lo, hi = s.alpha / 2, 1 - s.alpha / 2
    t = "t" if s.use_t else "z"
    cols = ["coef", "std err", t, f"P>|{t}|", f"[{lo:g}", f"{hi:g}]"]
    ci = np.asarray(s.conf_int())
    columns = [np.asarray(v) for v in (s.params, s.bse, s.tvalues, s.pvalues)]
    columns += [ci[:, 0], ci[:, 1]]
    formats = (g4, g4, f3, f3, g4, g4)
    rows = [
        [fmt(v) for fmt, v in zip(formats, values, strict=True)]
        for values in zip(*columns, strict=True)
    ]
    return cols, rows
