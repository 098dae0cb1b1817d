"""Formulas parsed and checked: which columns a formula reads, which are categorical.

formulaic (``pip install -e ".[formula]"`` in lingrad's clone) parses the formula and, later,
builds the columns (:mod:`.build`); it is imported only when a formula is
used. What lingrad adds is what a streamed fit needs to know up front: the
columns read, the columns coded as categories (``C(x)``, or string columns),
and the refusal of what cannot be streamed exactly: transforms that learn a
state from the data (``center``, ``scale``, splines: learned per chunk they
would differ) and contrasts other than treatment coding.

Examples
--------
>>> p = parse_formula("y ~ x1 + C(city) + np.log(x3) - 1")
>>> p.targets_side, p.intercept, sorted(p.rhs_variables), sorted(p.wrapped)
('y', False, ['city', 'x1', 'x3'], ['city'])
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from .errors import Alt, FormulaError, one_line

__all__ = ["ParsedFormula", "formulaic", "parse_formula", "quote"]

#: formulaic's transforms that learn a state from the data they first see.
STATEFUL = ("center", "scale", "standardize", "poly", "bs", "cs", "cr", "cc", "te", "hashed", "lag")
_STATEFUL_RE = re.compile(r"(?<![\w.])(" + "|".join(STATEFUL) + r")\s*\(")
_C_RE = re.compile(r"(?<![\w.])C\(\s*(`[^`]+`|[A-Za-z_][\w.]*)\s*([,)])")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"C", "I", "Q", "np", "log", "exp", "True", "False", "None"}


def formulaic() -> Any:
    """Import formulaic lazily, with a one-line install hint."""
    try:
        return importlib.import_module("formulaic")
    except ImportError as exc:
        raise ImportError(
            f"Formulas and categorical columns need formulaic: pip install formulaic (or, in "
            f'lingrad\'s clone, pip install -e ".[formula]") ({exc}).'
        ) from exc


def quote(name: str) -> str:
    """A column name as a formula term (backticks unless it is a plain identifier)."""
    return name if _NAME_RE.fullmatch(name) and name not in _RESERVED else f"`{name}`"


@dataclass(frozen=True)
class ParsedFormula:
    """A formula, parsed and checked.

    Attributes
    ----------
    text : str
        The formula as given.
    lhs, rhs : formulaic formulas
        The two sides (``lhs`` None without ``~``).
    targets_side : str or None
        The left-hand side as text (``"y"``, ``"np.log(y)"``).
    intercept : bool
        False for ``- 1``, ``+ 0`` or ``0 +``: then ``fit_intercept=False``.
    rhs_variables, lhs_variables : frozenset of str
        The data columns each side reads.
    wrapped : frozenset of str
        The columns inside ``C(...)``: always categorical.
    """

    text: str
    lhs: Any
    rhs: Any
    targets_side: str | None
    intercept: bool
    rhs_variables: frozenset[str]
    lhs_variables: frozenset[str]
    wrapped: frozenset[str]

    @property
    def variables(self) -> list[str]:
        """Every column read, in a stable order (the target's first)."""
        return sorted(self.lhs_variables) + sorted(self.rhs_variables - self.lhs_variables)


def _syntax_error(text: str, exc: Exception) -> FormulaError:
    why = one_line(str(exc).split("\n\n")[0]).rstrip(".")  # formulaic then echoes the formula
    return FormulaError(
        (
            f"Bad formula {text!r}: {why}. Write it as 'y ~ x1 + C(city) + x1:x2' "
            "(Wilkinson notation, as in statsmodels).",
        ),
        formula=text,
    )


def parse_formula(text: Any) -> ParsedFormula:
    """Parse and check ``text``; a FormulaError names what is wrong and how to fix it."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(
            (f"The formula must be a non-empty string like 'y ~ x1 + C(city)'; got {text!r}.",),
            formula=text,
        )
    fl = formulaic()
    try:
        parsed = fl.Formula(text)
    except Exception as exc:  # formulaic's syntax errors have no common base
        raise _syntax_error(text, exc) from None
    lhs = getattr(parsed, "lhs", None)
    rhs = parsed.rhs if lhs is not None else parsed
    if not isinstance(rhs, fl.formula.SimpleFormula) or (
        lhs is not None and not isinstance(lhs, fl.formula.SimpleFormula)
    ):
        raise _syntax_error(text, ValueError("only one '~' and no '|' parts are supported"))
    terms = [str(t) for t in rhs]
    for expr in {fa.expr for t in rhs for fa in t.factors} | {
        fa.expr for t in (lhs or []) for fa in t.factors
    }:
        _check_factor(text, expr)
    if all(t == "1" for t in terms):
        raise FormulaError(
            (
                f"The formula {text!r} has no terms besides the intercept: give at least one "
                "column on its right-hand side.",
            ),
            formula=text,
        )
    wrapped = {
        m.group(1).strip("`") for t in rhs for fa in t.factors for m in _C_RE.finditer(fa.expr)
    }
    return ParsedFormula(
        text=text,
        lhs=lhs,
        rhs=rhs,
        targets_side=None if lhs is None else str(lhs),
        intercept="1" in terms,
        rhs_variables=frozenset(rhs.required_variables),
        lhs_variables=frozenset(lhs.required_variables) if lhs is not None else frozenset(),
        wrapped=frozenset(wrapped),
    )


def _check_factor(text: str, expr: str) -> None:
    """Refuse what a streamed, mergeable fit cannot reproduce exactly."""
    state = _STATEFUL_RE.search(expr)
    if state:
        raise FormulaError(
            (
                f"The formula {text!r} uses {state.group(1)}(), a transform that learns its "
                "state (means, scales, knots) from the data: fitted in chunks it would learn a "
                "different one per chunk. Compute that column before fitting, or write the "
                "transform with fixed numbers in I(...), e.g. I((x - 3.5) / 2).",
            ),
            formula=text,
        )
    for m in _C_RE.finditer(expr):
        if m.group(2) == ",":
            raise FormulaError(
                (
                    f"The formula {text!r} passes options to C() in {expr!r}; lingrad codes "
                    "categories with treatment contrasts only, the first level (sorted) as the "
                    "reference. Write C(",
                    m.group(1),
                    ") (recode the column to choose another reference).",
                ),
                formula=text,
            )
    if _C_RE.search(expr) is None and re.search(r"(?<![\w.])C\(", expr):
        raise FormulaError(
            (f"In the formula {text!r}, C() takes one column name: got {expr!r}.",),
            formula=text,
        )


def check_columns(p: ParsedFormula, columns: list[str], description: str, rhs_only: bool) -> None:
    """Every column the formula reads is in the data, or a FormulaError names the first missing."""
    have = set(columns)
    wanted = p.rhs_variables if rhs_only else p.rhs_variables | p.lhs_variables
    missing = sorted(wanted - have)
    if missing:
        from .errors import listed

        raise FormulaError(
            (
                f"The formula {p.text!r} uses column {missing[0]!r}, which {description} does "
                f"not have (its columns: {listed(columns)}). Check the spelling in the ",
                Alt("formula", "--formula"),
                ", or give data with that column.",
            ),
            formula=p.text,
            column=missing[0],
        )
