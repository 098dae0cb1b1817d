"""The errors of model files and the advice they end with, worded for Python and the CLI.

Examples
--------
>>> err = file_error("m.json", "the file is empty")
>>> str(err)  # doctest: +NORMALIZE_WHITESPACE
"Cannot load the lingrad model file 'm.json': the file is empty. The file was damaged or
edited after it was saved: restore it from a backup, or refit the model and save it again
with lingrad.persist.save_model."
>>> err.render("cli").endswith("save it again (lingrad fit ... -o MODEL).")
True
"""

from __future__ import annotations

import os
from typing import Any

from .._messages import ECHO_LIMIT, Alt, LingradMessage, Part, shorten

__all__ = [
    "PASS_MODEL_FILE",
    "RESAVE",
    "ModelFileError",
    "UnsavableModelError",
    "file_error",
    "type_name",
]

#: The remedy of a damaged or edited file.
RESAVE: tuple[Part, ...] = (
    "The file was damaged or edited after it was saved: restore it from a backup, or refit "
    "the model and save it again ",
    Alt("with lingrad.persist.save_model", "(lingrad fit ... -o MODEL)"),
    ".",
)
#: The remedy of a file that is not a model file at all.
PASS_MODEL_FILE: tuple[Part, ...] = (
    Alt(
        "Pass a file written by lingrad.persist.save_model",
        "Pass a model file written by lingrad fit",
    ),
    ".",
)


class ModelFileError(LingradMessage, ValueError):
    """A model file that cannot be loaded: corrupt, tampered, or from a newer lingrad.

    The message names the file, what is wrong with it and what to do;
    ``fields`` holds ``path`` and ``problem`` (the middle part, in words).
    """


# Public as lingrad.persist.ModelFileError (and lingrad.ModelFileError): tracebacks say so.
ModelFileError.__module__ = "lingrad.persist"


class UnsavableModelError(LingradMessage, ValueError):
    """A model that a model file cannot hold (a hyperparameter value, or a lingrad bug)."""


def file_error(
    path: str | os.PathLike, what: str, fix: tuple[Part, ...] | str = RESAVE
) -> ModelFileError:
    """The one message format of a file that does not load: the file, the problem, the fix."""
    fix_parts = (fix,) if isinstance(fix, str) else fix
    where = os.fspath(path)
    what = shorten(what, 4 * ECHO_LIMIT)  # a tampered field's value is echoed, not dumped
    parts = (f"Cannot load the lingrad model file '{where}': {what}. ", *fix_parts)
    return ModelFileError(parts, path=where, problem=what)


def type_name(value: Any) -> str:
    """A JSON value's type in words ("a list", "null")."""
    return {
        type(None): "null",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
