"""JSON model files: save a fitted ``LinearRegression``, load it back, never run code.

A model file is one UTF-8 JSON object (no pickle: loading parses numbers and
strings and executes nothing). Its top-level fields, schema version 1:

===================  ==========================================================
``format``           always ``"lingrad-model"``
``schema_version``   ``1``; a newer file asks for a newer lingrad
``lingrad_version``  the lingrad that wrote the file
``created``          ISO 8601 time of writing, UTC
``notes``            list of strings: what the file could not hold exactly
``params``           ``get_params()`` (``LinearRegression(**params)`` rebuilds it)
``n_features_in``    number of features
``n_targets``        number of targets (1 for a 1-D ``y``)
``y_ndim``           1: ``coef`` is ``(n_features,)``, ``intercept`` a number;
                     2: ``coef`` is ``(n_targets, n_features)``, ``intercept``
                     ``(n_targets,)``
``dtype``            ``"float64"`` or ``"float32"``: the dtype of ``coef_``
``feature_names``    list of column names, or null
``target_names``     list of target names, or null (metadata; see ``read_model_file``)
``coef``             ``coef_``
``intercept``        ``intercept_``
``coef_init``        ``coef_init_``, the random start (or null)
``intercept_init``   ``intercept_init_`` (or null)
``n_iter``           ``n_iter_``
``converged``        ``converged_``
``stop_reason``      ``stop_reason_``
``lr``               ``lr_``
``engine``           ``engine_``
``loss_history``     ``loss_history_``, complete
``diagnostics``      ``diagnostics_.to_dict()``
``stats``            ``stats_`` as ``{n_samples, sum_weights, sum_log_weights,
                     weighted, mean, scatter, n_features}``, or null
``design``           the design of a formula fit (``design_``, see
                     :func:`lingrad.ols`): ``{formula, targets, columns, levels,
                     intercept, unseen, coding, strict}``; only in files of
                     formula fits (absent or null: no design)
===================  ==========================================================

Numbers round-trip exactly: every float is written as its shortest exact
decimal (Python's ``repr``), and a float32 ``coef_`` is restored as float32, so
a loaded model predicts bit for bit what the saved one did.

Non-finite numbers. Coefficients, intercepts, ``lr`` and statistics must be
finite; a model with NaN or inf there is refused at saving. Diagnostics and
the loss history may legitimately hold ``inf`` or ``nan`` (an infinite
condition number, an estimate that was not computed); there they are written
as the JSON *strings* ``"inf"``, ``"-inf"`` and ``"nan"``. The non-standard
tokens ``NaN``/``Infinity`` are never written, and a file containing them is
rejected.

Saving is atomic: the file is written to a temporary file in the same
directory, flushed and fsynced, then renamed over ``path``. A failure at any
point removes the temporary file and leaves a previous file at ``path`` intact.

Loading validates everything (format, schema version, field names, types,
shapes, finiteness, symmetry of the scatter matrix, hyperparameters against
:data:`lingrad.PARAMETERS`) and raises :class:`ModelFileError` naming the file,
the problem and the fix.

This module is the public face; the format lives in ``lingrad._modelfile``
(schema, writing, strict reading, validation), which works on a model through
its :class:`~lingrad._fitted.FittedState` and never imports the estimator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ._estimator import LinearRegression
from ._modelfile import FORMAT, SCHEMA_VERSION, ModelFileError, read_document, write_model

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "ModelFile",
    "ModelFileError",
    "load_model",
    "read_model_file",
    "save_model",
]


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file: the model and the metadata saved with it.

    Attributes
    ----------
    model : LinearRegression
        The fitted model, predicting exactly as the saved one did.
    target_names : list of str or None
        Names of the targets given to :func:`save_model`.
    lingrad_version : str
        Version of lingrad that wrote the file.
    created : str
        ISO 8601 time the file was written (UTC).
    schema_version : int
    notes : tuple of str
        What the file could not hold exactly (e.g. a ``RandomState`` seed).
    n_dropped : int or None
        Rows the fit left out for a missing value (``missing="drop"``); None in
        files written before lingrad kept it. Also the model's ``n_dropped_``.
    """

    model: LinearRegression
    target_names: list[str] | None
    lingrad_version: str
    created: str
    schema_version: int
    notes: tuple[str, ...]
    n_dropped: int | None = None


def save_model(model: LinearRegression, path: str | os.PathLike, *, target_names=None) -> Path:
    """Write a fitted model to a JSON model file, atomically.

    Parameters
    ----------
    model : LinearRegression
        A fitted model.
    path : str or path-like
        File to write (conventionally ``*.json``); its directory must exist.
        An existing file is replaced only once the new one is complete.
    target_names : str or sequence of str, default=None
        Names of the ``n_targets`` targets, stored as metadata (a single
        string is accepted for a single target).

    Returns
    -------
    path : Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    ValueError
        If the model holds non-finite coefficients or hyperparameters that a
        JSON file cannot represent, or ``target_names`` does not match.
    OSError
        If ``path`` cannot be written (missing directory, a directory, no
        permission, disk full); a previous file at ``path`` is left intact.

    Examples
    --------
    >>> import tempfile, os
    >>> from lingrad import LinearRegression
    >>> from lingrad.persist import load_model, save_model
    >>> from lingrad.datasets import make_tutorial_data
    >>> X, y = make_tutorial_data()
    >>> model = LinearRegression(random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(model, os.path.join(d, "model.json"))
    ...     same = load_model(path)
    >>> bool((same.predict(X) == model.predict(X)).all())
    True
    """
    if not isinstance(model, LinearRegression):
        raise TypeError(
            f"save_model saves a lingrad LinearRegression; got {type(model).__name__}. "
            "Pass a fitted lingrad.LinearRegression."
        )
    return write_model(model, path, target_names=target_names)


def load_model(path: str | os.PathLike) -> LinearRegression:
    """Load a fitted model from a JSON model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    model : LinearRegression
        Fitted; predicts bit for bit what the saved model predicted. The
        solver's internal ``fit_result_`` is not stored in files.

    Raises
    ------
    OSError
        If the file cannot be read (e.g. it does not exist).
    ModelFileError
        If the file is not a valid lingrad model file: corrupt, truncated,
        tampered with, or written by a newer lingrad.
    """
    return read_model_file(path).model


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Load a model file with its metadata (target names, version, notes).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ModelFile

    Raises
    ------
    OSError
        If the file cannot be read.
    ModelFileError
        If the file is not a valid lingrad model file.
    """
    doc = read_document(path)
    model = LinearRegression(**doc.params)
    doc.state.apply(model)
    if doc.design is not None:
        model.design_ = doc.design
    if doc.metadata["n_dropped"] is not None:
        model.n_dropped_ = doc.metadata["n_dropped"]
    return ModelFile(model=model, **doc.metadata)
