"""Messages with structure: advice that renders for Python or for the command line.

A lingrad error or warning is built from *parts*: plain text, :class:`Set`
(a parameter setting, e.g. ``lr='auto'``) and :class:`Alt` (a phrase that
differs between the Python API and the command line). ``str()`` renders the
parts in Python terms; the CLI calls :func:`render` with ``style="cli"`` and
gets ``--lr auto`` instead, without ever parsing a message.

The structured fields of an error (the parameter, the value, the limit) are
attributes of :class:`LingradMessage` (``err.fields``), so callers can word
the problem themselves.

Examples
--------
>>> parts = ("Use ", Set("lr", "'auto'"), " or increase ", Set("n_iters"), ".")
>>> render(parts)
"Use lr='auto' or increase n_iters."
>>> render(parts, "cli")
'Use --lr auto or increase --n-iters.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Style = Literal["python", "cli"]

__all__ = ["Alt", "LingradMessage", "Part", "Set", "cli_option", "render", "shorten"]

#: Longest echo of a value in a message: a tampered 1.5 MB field stays a readable line.
ECHO_LIMIT = 200


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was.

    >>> shorten("x" * 1000, 10)
    'xxxxxxxxxx... (1000 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def cli_option(name: str) -> str:
    """The command-line option of a parameter: ``n_iters`` -> ``--n-iters``."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class Set:
    """A parameter setting in advice.

    Parameters
    ----------
    name : str
        The Python parameter name (``"lr"``).
    value : str or None
        The value as Python source (``"'auto'"``, ``"1e-6"``); None names the
        parameter alone (``"increase n_iters"``).
    """

    name: str
    value: str | None = None

    def render(self, style: Style) -> str:
        if style == "cli":
            option = cli_option(self.name)
            if self.value is None:
                return option
            return f"{option} {self.value.strip(chr(39))}"
        return self.name if self.value is None else f"{self.name}={self.value}"


@dataclass(frozen=True)
class Alt:
    """A phrase worded differently for Python and for the command line."""

    python: str
    cli: str

    def render(self, style: Style) -> str:
        return self.cli if style == "cli" else self.python


Part = str | Set | Alt


def render(parts: Iterable[Part] | str, style: Style = "python") -> str:
    """Join message parts into text for ``style`` ("python" or "cli")."""
    if isinstance(parts, str):
        return parts
    return "".join(p if isinstance(p, str) else p.render(style) for p in parts)


class LingradMessage:
    """Mixin of lingrad's errors and warnings: parts plus structured fields.

    Subclass it before the exception or warning class
    (``class E(LingradMessage, ValueError)``) and build with
    ``E(parts, **fields)``. ``str(err)`` is the Python wording;
    ``err.render("cli")`` the command line's.
    """

    parts: tuple[Part, ...]
    fields: Mapping[str, Any]

    def __init__(self, parts: Iterable[Part] | str = (), /, *args: Any, **fields: Any) -> None:
        self.parts = (parts,) if isinstance(parts, str) else tuple(parts)
        self.fields = dict(fields)
        super().__init__(render(self.parts), *args)

    def render(self, style: Style = "python") -> str:
        """The message in ``style`` terms."""
        return render(self.parts, style)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle without calling ``__init__``: subclasses may take other arguments."""
        return _rebuild, (type(self), self.args), self.__dict__


def _rebuild(cls: type, args: tuple[Any, ...]) -> Any:
    """An unpickled message: ``args`` as raised, attributes restored by ``__setstate__``."""
    obj = cls.__new__(cls)
    obj.args = args
    return obj
