"""Test data of formulas: house sales whose city levels first appear late."""

from __future__ import annotations

import numpy as np
import pandas as pd


def house_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Sales with a city column whose levels 'amsterdam' and 'lyon' appear only late."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["paris", "rome", "oslo"], n).astype(object)
    late = np.arange(n) >= int(0.8 * n)
    city[late] = rng.choice(["amsterdam", "lyon", "rome"], late.sum())
    x1, x2 = rng.normal(size=n), rng.normal(2.0, 1.0, size=n)
    x3 = rng.uniform(1.0, 9.0, size=n)
    g = rng.integers(1, 4, size=n)
    effect = pd.Series(city).map(
        {"paris": 2.0, "rome": 1.0, "oslo": -1.0, "amsterdam": 3.0, "lyon": 0.5}
    )
    y = 1.0 + 2.0 * x1 - x2 + 0.5 * x1 * x2 + np.log(x3) + effect.to_numpy() + 0.3 * g
    y = y + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3, "city": city, "g": g})
