"""The design spec: everything needed to rebuild a design's columns on new data.

A :class:`DesignSpec` is what a fit learned about its design besides the
coefficients: the formula, the levels of every categorical column (sorted;
the first is the reference of treatment coding), the column names in order,
whether the formula has an intercept, and what a level unseen at fit time
gets. It is plain data, written to and read from JSON (model files hold it
under ``design``), and it rebuilds exactly the same columns on any data.

Examples
--------
>>> spec = DesignSpec("y ~ x + C(city)", ("y",), ("x", "C(city)[T.rome]"),
...                   {"city": ("paris", "rome")}, True)
>>> DesignSpec.from_json(spec.to_json()) == spec
True
>>> spec.reference("city")
'paris'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FormulaError

__all__ = ["UNSEEN", "DesignSpec"]

#: What a categorical value unseen at fit time gets: an error, or the reference level's coding.
UNSEEN = ("error", "reference")
_KEYS = ("formula", "targets", "columns", "levels", "intercept", "unseen", "coding", "strict")


@dataclass(frozen=True)
class DesignSpec:
    """How a design's columns are built from data (JSON-serialisable).

    Parameters
    ----------
    formula : str
        The Wilkinson formula (``"y ~ x1 + C(city)"``), as given or as built
        from ``categorical=`` columns.
    targets : tuple of str
        The left-hand side's columns (empty for a formula without one).
    columns : tuple of str
        The design's column names, in the order of ``coef_`` (no ``Intercept``:
        the intercept is ``fit_intercept``).
    levels : dict of str to tuple
        Every categorical column's levels, sorted; the first is the reference.
    intercept : bool
        Whether the formula keeps the intercept (no ``- 1`` or ``0 +``).
    unseen : {"error", "reference"}, default="error"
        What a level unseen at fit time gets in new data.
    strict : bool, default=False
        True for designs built from ``categorical=`` columns: a string column
        not listed as categorical is an error instead of a categorical.
    """

    formula: str
    targets: tuple[str, ...]
    columns: tuple[str, ...]
    levels: Mapping[str, tuple[Any, ...]]
    intercept: bool
    unseen: str = "error"
    strict: bool = False
    coding: str = field(default="treatment", compare=False)

    def reference(self, column: str) -> Any:
        """The reference level of a categorical column (its first level, sorted)."""
        return self.levels[column][0]

    def to_json(self) -> dict[str, Any]:
        """The spec as plain JSON values (levels keep their type: str, int, float, bool)."""
        return {
            "formula": self.formula,
            "targets": list(self.targets),
            "columns": list(self.columns),
            "levels": {k: list(v) for k, v in self.levels.items()},
            "intercept": self.intercept,
            "unseen": self.unseen,
            "coding": self.coding,
            "strict": self.strict,
        }

    @classmethod
    def from_json(cls, doc: Any) -> DesignSpec:
        """The spec of :meth:`to_json`'s document; a FormulaError says what is wrong."""
        if not isinstance(doc, dict):
            raise FormulaError(f"a design spec is a JSON object, not {type(doc).__name__}")
        unknown = sorted(set(doc) - set(_KEYS))
        missing = [k for k in _KEYS if k not in doc]
        if unknown or missing:
            raise FormulaError(
                f"the design spec has unknown keys {unknown} or lacks {missing}; "
                f"it has exactly {', '.join(_KEYS)}"
            )
        levels = doc["levels"]
        ok = (
            isinstance(doc["formula"], str)
            and _str_list(doc["targets"])
            and _str_list(doc["columns"])
            and isinstance(doc["intercept"], bool)
            and isinstance(doc["strict"], bool)
            and doc["unseen"] in UNSEEN
            and doc["coding"] == "treatment"
            and isinstance(levels, dict)
            and all(_level_list(v) for v in levels.values())
        )
        if not ok:
            raise FormulaError(
                "the design spec's values have the wrong types (formula: a string, targets and "
                "columns: lists of strings, levels: lists of distinct strings or numbers, "
                f"intercept and strict: booleans, unseen: one of {UNSEEN}, coding: 'treatment')"
            )
        if len(set(doc["columns"])) != len(doc["columns"]):
            raise FormulaError("the design spec's columns are not distinct")
        return cls(
            doc["formula"],
            tuple(doc["targets"]),
            tuple(doc["columns"]),
            {k: tuple(v) for k, v in levels.items()},
            doc["intercept"],
            doc["unseen"],
            doc["strict"],
        )


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _level_list(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    scalar = all(
        isinstance(v, str | bool | int) or (isinstance(v, float) and math.isfinite(v))
        for v in value
    )
    return scalar and len(set(value)) == len(value)
