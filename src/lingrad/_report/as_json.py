"""The summary as plain Python for strict JSON: ``summary.to_dict()``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._jsonable import to_jsonable
from .table import model_name

__all__ = ["summary_dict"]

# Attributes copied as they are, in the order of the document.
_HEAD = ("target", "model", "method", "cov_type", "use_t", "alpha", "names")
_BODY = (
    "params",
    "bse",
    "tvalues",
    "pvalues",
    "conf_int",
    "cov_params",
    "nobs",
    "df_model",
    "df_resid",
    "k_constant",
    "rank",
    "ssr",
    "ess",
    "centered_tss",
    "uncentered_tss",
    "mse_resid",
    "resid_std_err",
    "rsquared",
    "rsquared_adj",
    "fvalue",
    "f_pvalue",
    "llf",
    "aic",
    "bic",
    "condition_number",
    "rel_coef_gap",
    "classical_inference_valid",
    "warnings",
)


def summary_dict(summary: Any) -> dict[str, Any]:
    """Every number of the summary, arrays as lists and non-finite numbers as None.

    Parameters
    ----------
    summary : Summary

    Returns
    -------
    dict
        Serialisable with ``json.dumps`` (strict JSON: no NaN).
    """
    s = summary
    special = {
        "model": model_name(s),
        "names": list(s.names),
        "conf_int": np.asarray(s.conf_int()),
        "cov_params": s.cov,
        "warnings": list(s.warnings),
    }
    out = {k: special[k] if k in special else getattr(s, k) for k in _HEAD + _BODY}
    out = {k: np.asarray(v) if _is_pandas(v) else v for k, v in out.items()}
    if s.cov_kwds:
        out["df_resid_inference"] = s.df_resid_inference
        out["cov_kwds"] = {k: v for k, v in s.cov_kwds.items()}
    return {k: to_jsonable(v) for k, v in out.items()}


def _is_pandas(value: Any) -> bool:
    """A pandas Series or DataFrame (pandas is not imported)."""
    return type(value).__module__.startswith("pandas")
