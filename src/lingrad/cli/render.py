"""What the command line prints: rich tables, JSON documents and the wording of messages.

Messages: a :class:`lingrad.ParameterError` is worded from its fields in the
command line's format (``--n-iters must be a whole number >= 0; got -1.``);
any other structured lingrad message (one with ``parts``) is rendered with
:func:`lingrad.render` in the ``"cli"`` style; anything else is its text.
Library messages are never parsed (but see the temporary fallback of
:func:`message_text`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad import PARAMETERS, SUMMARY_PARAMETERS, ParameterError, render, to_jsonable

try:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised only without the extra
    pass

if TYPE_CHECKING:
    from lingrad import LinearRegression

__all__ = [
    "coef_table",
    "console",
    "diagnostics_table",
    "expected_text",
    "fmt",
    "key_value_table",
    "message_text",
    "one_line",
    "option_name",
    "params_table",
    "print_json",
]

#: Parameters whose command-line option is not ``--`` + the name with dashes.
_OPTION_NAMES = {"random_state": "--seed"}


# -- output ----------------------------------------------------------------------------------
def console(stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr).

    Made per call: the current ``sys.stdout`` (CliRunner swaps it), no markup in
    messages we did not write.
    """
    return Console(highlight=False, stderr=stderr)


def fmt(x: float) -> str:
    """A number in tables: 8 significant digits."""
    return f"{x:.8g}"


def print_json(doc: Any) -> None:
    """One JSON document on stdout, nothing else (no rich markup), strict JSON."""
    sys.stdout.write(json.dumps(to_jsonable(doc), indent=2, allow_nan=False) + "\n")


def params_table(title: str, rows: Sequence[tuple[str, Any, Any, Any, Any]]) -> Table:
    """Parameters, MSE and R² side by side.

    ``rows`` are ``(label, coef, intercept, mse, r2)``: ``coef`` of shape
    (n_features,), or strings for rows of differences.
    """
    n_features = max(np.size(r[1]) for r in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("", style="bold")
    names = ["weight"] if n_features == 1 else [f"w[{j}]" for j in range(n_features)]
    for col in [*names, "bias", "MSE", "R²"]:
        table.add_column(col, justify="right")
    for label, coef, intercept, mse, r2 in rows:
        cells = [c if isinstance(c, str) else fmt(c) for c in np.ravel(np.asarray(coef, object))]
        rest = [c if isinstance(c, str) else fmt(c) for c in (intercept, mse, r2)]
        table.add_row(label, *cells, *rest)
    return table


def key_value_table(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    """Two columns, no header: a quantity in bold, its value right-aligned."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(Text(key), Text(value))
    return table


def diagnostics_table(model: LinearRegression) -> Table:
    """``model.diagnostics_`` as a two-column table (rows from ``Diagnostics.rows``)."""
    return key_value_table("Diagnostics", model.diagnostics_.rows())


def coef_table(model: LinearRegression, features: list[str], targets: list[str]) -> Table:
    """Coefficients: features down, targets across; the intercept last."""
    C = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    b = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    table = Table(title="Coefficients", title_justify="left")
    table.add_column("feature", style="bold")
    for t in targets:
        table.add_column(Text(t), justify="right")
    for j, name in enumerate(features):
        table.add_row(Text(name), *[Text(fmt(C[i, j])) for i in range(len(C))])
    table.add_row(Text("(intercept)"), *[Text(fmt(v)) for v in b])
    return table


# -- message wording ---------------------------------------------------------------------------
def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return re.sub(r"\s+", " ", str(text)).strip()


def option_name(param: str) -> str:
    """The command-line option of a parameter: ``n_iters`` -> ``--n-iters``."""
    return _OPTION_NAMES.get(param, "--" + param.replace("_", "-"))


def expected_text(constraint: Any) -> str:
    """What an option must be, in the command line's words, from its constraint.

    ``constraint`` is an entry of :data:`lingrad.PARAMETERS` or
    :data:`lingrad.SUMMARY_PARAMETERS`.
    """
    c = constraint
    if c.kind == "lr":
        return "a positive number or 'auto'"
    if c.kind == "option":
        if len(c.options) == 2:
            return " or ".join(c.options)
        return "one of " + ", ".join(c.options)
    if c.kind == "int" and c.low is not None:
        return f"a whole number >= {c.low:g}"
    if c.kind == "real" and c.low is not None:
        if c.high is not None:
            return f"a number between {c.low:g} and {c.high:g}"
        if c.low == 0 and c.low_open:
            return "a positive number"
        return f"a number >= {c.low:g}"
    return c.expected


def _parameter_error_text(err: ParameterError) -> str:
    """``--OPTION must be EXPECTED; got VALUE.``, from the error's fields."""
    fields = err.fields
    param = str(fields.get("param", ""))
    # The parameter's constraint; of two of that name (alpha), the one the error states.
    found = [t[param] for t in (PARAMETERS, SUMMARY_PARAMETERS) if param in t]
    same = [c for c in found if c.expected == fields.get("expected")]
    constraint = (same or found or [None])[0]
    expected = expected_text(constraint) if constraint is not None else fields.get("expected")
    return f"{option_name(param)} must be {expected}; got {fields.get('value')!r}."


def message_text(message: BaseException | str) -> str:
    """An error or warning as one line in command-line terms.

    Structured lingrad messages are rendered, never parsed; other exceptions
    give their text (without Python's ``[Errno N]`` prefix).
    """
    if isinstance(message, ParameterError) and {"param", "expected"} <= message.fields.keys():
        return _parameter_error_text(message)
    parts = getattr(message, "parts", None)
    if parts is not None:
        return one_line(render(parts, "cli"))
    text = re.sub(r"^\[Errno \d+\] ", "", one_line(message))
    return text
