"""The one strict-JSON converter, for summaries, model reports and the CLI's ``--json``.

Examples
--------
>>> import numpy as np
>>> to_jsonable({"a": np.array([1.0, np.nan]), "b": (np.float64(2.5), np.inf)})
{'a': [1.0, None], 'b': [2.5, None]}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Plain Python for strict JSON: arrays and tuples as lists, NaN and infinities as None."""
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
