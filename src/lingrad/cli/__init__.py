"""The ``lingrad`` command line (typer + rich).

Commands: ``demo`` (the tutorial end to end), ``fit`` (a data file to a model
file), ``cv`` (the penalty by cross-validation), ``predict``, ``evaluate``,
``summary`` and ``plot`` (a model file and, where needed, a data file), one
module each. Data files are CSV, Parquet or ``.npy``, read in row chunks through
:func:`lingrad.open_dataset`: files larger than memory fit and predict in
constant memory.

Layout, for whoever adds a command (a module of its own, imported below):

* one small function per command, registered with ``@command`` from
  :mod:`lingrad.cli.app` (not ``@app.command``): it adds the shared error
  handling (one line ``Error: ...`` or ``Warning: ...`` on stderr). Pass
  ``epilog=examples(...)`` the command's examples (shown by ``--help``).
* options are declared in :mod:`lingrad.cli.options`: a hyperparameter's default,
  help and check come from :data:`lingrad.PARAMETERS`; checks name the option as
  the user typed it. Commands call only lingrad's public API.
* :mod:`lingrad.cli.columns` picks the columns of a file, :mod:`lingrad.cli.io`
  opens data and model files and writes outputs atomically,
  :mod:`lingrad.cli.render` prints tables and JSON and words messages,
  :mod:`lingrad.cli.training` fits behind a progress bar.

typer and rich are an optional extra; without them :func:`main` prints how to
install it.
"""

import importlib

from .app import app, main

__all__ = ["COMMANDS", "app", "main"]

#: The command modules, in the order of ``lingrad --help``.
COMMANDS = ("demo", "fit", "cv", "predict", "evaluate", "summary", "plot", "explore")

if app is not None:
    for _name in COMMANDS:  # importing a command's module registers it
        importlib.import_module(f".{_name}", __name__)
    del _name
