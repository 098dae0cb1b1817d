"""``import lingrad`` is lazy (PEP 562): workers import only what their task needs.

A Spark or Dask worker unpickling one of lingrad's task functions imports that
function's module; before, the package's ``__init__`` imported the estimator and
with it scikit-learn (about 3 s of CPU per worker process).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import lingrad


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_executors_modules_do_not_import_scikit_learn():
    for statement in (
        "import lingrad",
        "import lingrad._sources.spark_tasks, lingrad._sources.spark_tree, lingrad._stats",
    ):
        loaded = _modules_after(statement)
        assert "sklearn" not in loaded, statement
        assert "lingrad._estimator" not in loaded, statement


def test_every_public_name_resolves_and_is_listed():
    for name in lingrad.__all__:
        value = getattr(lingrad, name)
        assert value is not None
        assert name in dir(lingrad)
    assert lingrad.LinearRegression.__module__ == "lingrad._estimator"
    assert "LinearRegression" in vars(lingrad)  # cached after the first use


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        lingrad.no_such_name  # noqa: B018
