"""Reading model files: bytes -> strict JSON -> validated :class:`ModelDocument`.

The JSON is parsed strictly: UTF-8 only, no ``NaN``/``Infinity`` tokens nor
literals that overflow a float, no key twice in one object. Loading parses
numbers and strings and executes nothing.

Examples
--------
>>> parse("m.json", b'{"format": "lingrad-model", "coef": [1.5, -2]}')
{'format': 'lingrad-model', 'coef': [1.5, -2]}
>>> try:
...     parse("m.json", b'{"coef": [NaN]}')
... except ValueError as err:  # a ModelFileError
...     print(err.fields["problem"][:39])
it contains the non-finite number 'NaN'
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from .build import ModelDocument, build
from .errors import PASS_MODEL_FILE, file_error
from .validate import Fields

__all__ = ["parse", "read_document"]


def read_document(path: str | os.PathLike) -> ModelDocument:
    """The validated contents of the model file at ``path``.

    An ``OSError`` when it cannot be read, a ``ModelFileError`` when it is not
    a valid lingrad model file (see :func:`lingrad.persist.read_model_file`).
    """
    path = Path(os.fspath(path))
    return build(Fields(path), parse(path, _read_regular(path)))


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file; anything else (a device, a FIFO, a socket, also behind
    a symlink) is refused before a byte is read, so nothing reads forever or hangs."""
    mode = path.stat().st_mode  # follows symlinks; a missing file raises FileNotFoundError
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a directory: open says so
        kind = "not a regular file"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = "a device"
        elif stat.S_ISFIFO(mode):
            kind = "a FIFO (named pipe)"
        raise file_error(path, f"it is {kind}, not a model file", PASS_MODEL_FILE)
    with open(path, "rb") as f:
        return f.read()


class _Token(ValueError):
    """A non-finite number in the JSON text (NaN, Infinity or an overflowing literal)."""


class _DuplicateKey(ValueError):
    """The same key twice in one JSON object (ambiguous; a sign of tampering)."""


def _reject_constant(token: str) -> Any:
    raise _Token(token)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Token(text)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def parse(path: str | os.PathLike, data: bytes) -> Any:
    """The JSON value of the bytes ``data`` of the file ``path``, under the strict rules."""
    v = Fields(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise v.fail(
            f"it is not UTF-8 text (invalid byte at offset {err.start}): it is corrupted or "
            "not a model file"
        ) from err
    if not text.strip():
        raise v.fail("the file is empty")
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            object_pairs_hook=_unique_keys,
        )
    except _Token as err:
        raise v.fail(
            f"it contains the non-finite number {err.args[0]!r}. Model files write "
            'non-finite diagnostics as the strings "nan", "inf", "-inf" and never hold '
            "non-finite coefficients"
        ) from err
    except _DuplicateKey as err:
        raise v.fail(f"the field {err.args[0]!r} appears twice in one object") from err
    except json.JSONDecodeError as err:
        end = text.rstrip()
        # Truncated: the error is at the end, or on the last line of a document never closed
        # (a cut inside a number such as "1.5e-0" fails at its "e", before the end).
        unclosed = end.startswith("{") and not end.endswith("}")
        cut = err.pos >= len(end) or (unclosed and "\n" not in end[err.pos :])
        why = (
            "it ends in the middle of the JSON document: the file is truncated"
            if cut
            else "it is not valid JSON: the file is corrupted or not a model file"
        )
        raise v.fail(
            f"{why} ({err.msg} at line {err.lineno}, column {err.colno})",
            "Restore the file from a backup, or refit the model and save it again.",
        ) from err
    except (ValueError, RecursionError) as err:
        raise v.fail(f"it is not valid JSON ({err})") from err
