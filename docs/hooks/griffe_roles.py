"""A griffe extension: lingrad's numpydoc docstrings, reST-isms included, read as Markdown.

The docstrings are numpydoc (parsed by griffe's numpy parser) and, as in NumPy and
scikit-learn, use a few reStructuredText forms that Markdown does not know. Before the
docstrings are parsed this extension rewrites, in the docstring text only (never the code):

- Sphinx roles ``:class:`~lingrad.X```, ``:func:`ols```, ``:mod:```, ``:meth:```,
  ``:data:```, ``:attr:``` -> a cross-reference (a link where the target is on the site,
  code where it is not: the private modules are not documented, on purpose). A bare name
  is looked up from the object outwards (method, class, module, package), as Sphinx does.
- ``text::`` before an indented literal block -> ``text:`` (Markdown already reads the
  indented block as code).
- reST simple tables (``====  ====`` borders) -> Markdown tables.
- double backticks in the type of a ``name : type`` line (types are shown as written).
"""

from __future__ import annotations

import html
import re
from typing import Any

from griffe import Extension, Object

_ROLE = re.compile(r":(?:class|func|mod|meth|data|attr|obj|exc):`(?P<body>[^`]+)`")
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^>]+)>$")
_BORDER = re.compile(r"^(?P<indent>[ \t]*)=+(?: +=+)+[ \t]*$")
_TYPED = re.compile(r"^(?P<name>[ \t]*\**\w[\w, *]* : )(?P<type>.*``.*)$", re.M)
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$", re.M)


def _exists(loader: Any, path: str) -> bool:
    try:
        loader.modules_collection[path]
    except (KeyError, ValueError, AttributeError, Exception):  # griffe raises several kinds
        return False
    return True


def _resolve(obj: Object, target: str, loader: Any) -> str:
    """The full path of ``target`` as seen from ``obj`` (itself when nothing matches)."""
    target = target.lstrip(".")
    if target.startswith("lingrad") and _exists(loader, target):
        return target
    scope: Object | None = obj
    while scope is not None:
        candidate = f"{scope.path}.{target}"
        if _exists(loader, candidate):
            return candidate
        scope = scope.parent
    return target


def _role(obj: Object, loader: Any, match: re.Match[str]) -> str:
    body = match["body"].strip()
    titled = _TITLED.match(body)
    if titled:
        title, target = titled["title"], titled["target"]
    else:
        target = body.lstrip("~")
        title = target.rsplit(".", 1)[-1] if body.startswith("~") else target
    if title.endswith("()") or match.group(0).startswith((":func:", ":meth:")):
        title = title if title.endswith("()") else f"{title}()"
    target = target.removesuffix("()")
    identifier = html.escape(_resolve(obj, target, loader), quote=True)
    code = f"<code>{html.escape(title)}</code>"
    return f'<autoref identifier="{identifier}" optional>{code}</autoref>'


def _table(lines: list[str], indent: str, spans: list[tuple[int, int]]) -> list[str]:
    """One reST simple table (its lines without the borders) as a Markdown table."""
    rows: list[list[str]] = []
    for line in lines:
        cells = [
            line[a:b].strip() if i < len(spans) - 1 else line[a:].strip()
            for i, (a, b) in enumerate(spans)
        ]
        if rows and not cells[0]:  # a continuation line: the first column is empty
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        elif any(cells):
            rows.append(cells)
    head = "| " + " | ".join(" " for _ in spans) + " |"
    rule = "|" + "|".join("---" for _ in spans) + "|"
    body = ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return [indent + line for line in (head, rule, *body)]


def _tables(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        border = _BORDER.match(lines[i])
        end = next((j for j in range(i + 1, len(lines)) if lines[j] == lines[i]), None)
        if not border or end is None:
            out.append(lines[i])
            i += 1
            continue
        spans = [m.span() for m in re.finditer(r"=+", lines[i])]
        out.extend(_table(lines[i + 1 : end], border["indent"], spans))
        i = end + 1
    return "\n".join(out)


def _plain_types(text: str) -> str:
    """Types of ``name : type`` lines without reST's double backticks (types are not Markdown)."""
    return _TYPED.sub(lambda m: m["name"] + m["type"].replace("``", ""), text)


def rewrite(text: str, obj: Object, loader: Any) -> str:
    """A docstring's text with roles, literal-block markers and simple tables made Markdown."""
    text = _plain_types(text)
    text = _ROLE.sub(lambda m: _role(obj, loader, m), text)
    text = _LITERAL.sub(":", text)
    return _tables(text)


class RestToMarkdown(Extension):
    """Rewrite each docstring once its object is built (the whole tree is known then)."""

    def on_object(self, *, obj: Object, loader: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value, obj, loader)
