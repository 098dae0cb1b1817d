"""A missing optional dependency names the package and the clone's extra to install.

lingrad is not on the package index, so no hint says ``pip install "lingrad[...]"``.
"""

import importlib

import pytest

from lingrad._design import terms
from lingrad._sources import arrow


def _no_module(monkeypatch, blocked: str) -> None:
    real = importlib.import_module

    def fake(name, *args, **kwargs):
        if name.split(".")[0] == blocked:
            raise ImportError(f"No module named {blocked!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake)


@pytest.mark.parametrize(
    ("load", "blocked", "package", "extra"),
    [
        (lambda: arrow.pyarrow("pyarrow.csv"), "pyarrow", "pyarrow", "files"),
        (terms.formulaic, "formulaic", "formulaic", "formula"),
    ],
)
def test_hint_names_the_package_and_the_extra(monkeypatch, load, blocked, package, extra):
    _no_module(monkeypatch, blocked)
    with pytest.raises(ImportError) as info:
        load()
    text = str(info.value)
    assert f"pip install {package}" in text
    assert f'pip install -e ".[{extra}]"' in text
    assert 'pip install "lingrad[' not in text
    assert "\n" not in text
