"""Model files, inside: schema, writing, strict reading, validation (public: lingrad.persist).

Data flows one way: :mod:`.schema` and :mod:`.errors` say what a file is;
:mod:`.validate` reads typed fields; :mod:`.build` turns a parsed document
into hyperparameters and a :class:`~lingrad._fitted.FittedState`;
:mod:`.read` parses bytes strictly; :mod:`.encode` writes. Nothing here
imports the estimator: :func:`write_model` reads a fitted model through
``FittedState.of`` and ``get_params``, and :func:`read_document` returns what
``lingrad.persist`` applies to a new ``LinearRegression``.
"""

from .build import ModelDocument
from .encode import write_model
from .errors import ModelFileError
from .read import read_document
from .schema import FORMAT, SCHEMA_VERSION

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "ModelDocument",
    "ModelFileError",
    "read_document",
    "write_model",
]
