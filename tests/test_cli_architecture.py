"""The command line is a client of lingrad's public API: no module of ``lingrad.cli`` imports
a private lingrad module (``lingrad._x``, ``from .. import _x``, ``from .._x import``) or a
name that ``lingrad`` does not export."""

import ast
from pathlib import Path

import pytest

import lingrad

CLI = Path(lingrad.__file__).parent / "cli"
MODULES = sorted(CLI.glob("*.py"))
#: The public modules of lingrad the command line may import.
PUBLIC_MODULES = {"atomic", "cli", "datasets", "inference", "persist", "plots"}
#: TEMPORARY exceptions, as (module file name, imported lingrad module): the integrator
#: empties this list. Empty: the command line needs nothing private.
ALLOWED_PRIVATE: set[tuple[str, str]] = set()


def lingrad_imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """Every import of lingrad in ``tree`` as (dotted lingrad module, imported names).

    A relative import in ``lingrad/cli/x.py`` is resolved: ``.`` is ``lingrad.cli``,
    ``..`` is ``lingrad``.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "lingrad"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["lingrad", "cli"][: max(0, 3 - node.level)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] == "lingrad":
                found.append((module, [a.name for a in node.names]))
    return found


def test_every_cli_module_is_checked():
    names = {p.stem for p in MODULES}
    assert {"app", "columns", "io", "render", "options", "demo", "fit"} <= names
    assert {"predict", "evaluate", "summary", "plot"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_private_lingrad_import(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imports = lingrad_imports(tree)
    for module, names in imports:
        parts = module.split(".")
        private = [p for p in parts if p.startswith("_")]
        if module == "lingrad":  # from lingrad import x: x public, or a public module
            private += [n for n in names if n.startswith("_") and n != "__version__"]
            unknown = [n for n in names if n not in lingrad.__all__ and n not in PUBLIC_MODULES]
            assert not unknown, f"{path.name} imports {unknown} that lingrad does not export"
        elif len(parts) > 1 and not private:
            assert parts[1] in PUBLIC_MODULES, f"{path.name} imports {module}: not public"
        if private and (path.name, module) not in ALLOWED_PRIVATE:
            pytest.fail(f"{path.name} imports the private {module} ({', '.join(private)})")


def test_the_checker_sees_private_imports():
    samples = {
        "from lingrad._params import PARAMETERS": "lingrad._params",
        "from .._estimator import LinearRegression": "lingrad._estimator",
        "import lingrad._sources.files": "lingrad._sources.files",
        "from ..persist import read_model_file": "lingrad.persist",
        "from .render import fmt": "lingrad.cli.render",
    }
    for code, module in samples.items():
        assert lingrad_imports(ast.parse(code)) == [(module, [] if "import lingrad" in code
                                                     else [code.split()[-1]])], code  # fmt: skip
