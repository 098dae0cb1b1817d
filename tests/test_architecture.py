"""The shape of the package (docs/architecture.md), checked on the source itself.

One concept per module: no module over 450 lines, no function over 80 lines,
no import cycle (function-level imports count), nothing imports the model-file
module or the command line back, and the CLI uses only the public API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lingrad"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> set[str]:
    """lingrad modules that module ``name`` imports, anywhere in its body."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from . import x`` may name a submodule
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines (limit {MAX_MODULE_LINES})"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_functions_are_small(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: {', '.join(long)} over {MAX_FUNCTION_LINES} lines"


def _cycle() -> list[str] | None:
    """One import cycle among lingrad's modules (package ``__init__`` re-exports aside)."""
    graph = {
        name: {t for t in targets if not (_is_package(t) and t == "lingrad")}
        for name, targets in GRAPH.items()
        if name != "lingrad"
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# Each outer layer, and the modules allowed to import it: those above it in the flow.
OUTER = {
    "lingrad.persist": ("lingrad.cli",),
    "lingrad.cli": ("lingrad.__main__",),
}


@pytest.mark.parametrize("leaf", sorted(OUTER))
def test_nothing_imports_the_outer_layers_back(leaf):
    above = (leaf, *OUTER[leaf])
    importers = sorted(
        name
        for name, targets in GRAPH.items()
        if name != "lingrad"
        and not any(name == a or name.startswith(a + ".") for a in above)
        and any(t == leaf or t.startswith(leaf + ".") for t in targets)
    )
    assert not importers, f"{leaf} is imported by {importers}"


def test_cli_uses_only_the_public_api():
    private = sorted(
        f"{name} imports {t}"
        for name, targets in GRAPH.items()
        if name.startswith("lingrad.cli")
        for t in targets
        if not t.startswith("lingrad.cli") and any(p.startswith("_") for p in t.split(".")[1:])
    )
    assert not private, "; ".join(private)
