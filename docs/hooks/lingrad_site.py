"""mkdocs hooks of lingrad's site (mkdocs.yml: ``hooks:``).

- **Benchmark pages.** Every committed ``benchmarks/results/<topic>.md`` becomes the page
  ``benchmarks/<topic>.md`` (listed under "Benchmarks" in the navigation, in the order of
  mkdocs.yml, new topics after them), with figures of its tables drawn by
  ``figures.py`` inserted under the tables; ``benchmarks/index.md`` holds the machine and
  run notes of ``benchmarks/RESULTS.md`` and one figure of every target of every topic.
  The figures are PNG files generated into the build only: nothing is written to docs/.
- **Parameter tables.** ``<!-- lingrad:table NAME -->`` in a page becomes a table of
  ``lingrad.NAME`` (``PARAMETERS``, ``SUMMARY_PARAMETERS``): each parameter, what it
  accepts, its default, its command-line option and its help, read from the one constraints
  table (never written twice).
- **Command-line reference.** ``<!-- lingrad:cli -->`` becomes ``lingrad --help`` and the
  ``--help`` of every command (``lingrad.cli.COMMANDS``), as the terminal shows them.
- **Examples run.** Every ```python block of a page is executed when the page is built,
  in order, in one namespace per page, in a temporary working directory; an exception
  fails the build, naming the page and the block's line. The tutorial is the exception:
  tests/test_tutorial_doc.py runs it and also compares what each block prints with the
  page (``make docs`` runs that test before building).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
import figures  # beside this file

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
SUMMARY = ROOT / "benchmarks" / "RESULTS.md"
NOT_EXECUTED = {"tutorial.md"}  # run, and its output compared, by tests/test_tutorial_doc.py
_FENCE = re.compile(r"^```python[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
_CLI = "<!-- lingrad:cli -->"
_TABLE = re.compile(r"<!-- lingrad:table (?P<name>\w+) -->")
_PAGES: dict[str, str] = {}  # generated pages: src_uri -> Markdown


def _title(text: str, stem: str) -> str:
    heading = next((ln.lstrip("#").strip() for ln in text.split("\n") if ln.startswith("#")), stem)
    short = re.split(r":| vs | against ", heading.replace("`", ""))[0].strip()
    return short or stem


def _promote(text: str) -> str:
    """Headings moved up so that the page's first heading is its title (``#``)."""
    first = next((ln for ln in text.split("\n") if ln.startswith("#")), "# ")
    shift = len(first) - len(first.lstrip("#")) - 1
    if shift <= 0:
        return text
    return re.sub(rf"^#{{{shift}}}(#+ )", r"\1", text, flags=re.M)


def _topics(config) -> list[Path]:
    """The results files, in the order the navigation lists them, then the others."""
    listed = []
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Benchmarks" in item:
            entries = item["Benchmarks"]
            listed = [next(iter(e.values())) if isinstance(e, dict) else e for e in entries]
    order = {Path(p).stem: k for k, p in enumerate(listed)}
    files = sorted(RESULTS.glob("*.md"))
    return sorted(files, key=lambda p: (order.get(p.stem, len(order)), p.stem))


def on_config(config, **kwargs):
    """Fill the navigation's "Benchmarks" section with one page per results file."""
    topics = _topics(config)
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Benchmarks" in item:
            item["Benchmarks"] = [{"Overview": "benchmarks/index.md"}] + [
                {_title(p.read_text(encoding="utf-8"), p.stem): f"benchmarks/{p.stem}.md"}
                for p in topics
            ]
    return config


def _overview(topics: list[Path], all_targets: list) -> str:
    text = SUMMARY.read_text(encoding="utf-8") if SUMMARY.exists() else "# Benchmarks\n"
    head = re.split(r"^\*`|^## ", text, maxsplit=1, flags=re.M)[0].rstrip()
    links = "\n".join(
        f"- [{_title(p.read_text(encoding='utf-8'), p.stem)}]({p.stem}.md)" for p in topics
    )
    figure = (
        "\n\n## Every target\n\nEach target of every page below, measured over its goal "
        "(oriented so that 1 is the PASS line and right of it passes; misses in red). Targets "
        'whose goal is not a number ("no slower than") are in their page\'s text only.\n\n'
        "![Every target: measured / goal](figures/targets.png){ .lingrad-figure }\n"
        if all_targets
        else ""
    )
    return f"{head}\n\n## Topics\n\n{links}\n{figure}"


def on_files(files, config, **kwargs):
    """Add the benchmark pages and their figures (generated, never written to docs/)."""
    topics = _topics(config)
    all_targets = []
    for path in topics:
        text = path.read_text(encoding="utf-8")
        found = figures.figures_for(text)
        names = [f"figures/{path.stem}-{k}-{fig.kind}.png" for k, fig in enumerate(found)]
        for name, fig in zip(names, found, strict=True):
            files.append(File.generated(config, f"benchmarks/{name}", content=fig.png))
        page = _promote(figures.page_with_figures(text, names, found))
        note = (
            f"\n\n*From `benchmarks/results/{path.name}`, as committed; the figures are "
            "drawn from its tables when the site is built.*\n"
        )
        _PAGES[f"benchmarks/{path.stem}.md"] = page + note
        title = _title(text, path.stem)
        for target in figures.targets(text):
            target.name = f"{title}: {target.name}"
            all_targets.append(target)
    png = figures.targets_figure(all_targets, "Every target: measured / goal")
    if png:
        files.append(File.generated(config, "benchmarks/figures/targets.png", content=png))
    _PAGES["benchmarks/index.md"] = _overview(topics, all_targets)
    for uri, text in _PAGES.items():
        files.append(File.generated(config, uri, content=text))
    return files


def run_blocks(markdown: str, page: str) -> int:
    """Execute a page's ```python blocks in order, one namespace; raise naming a failing one."""
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for match in _FENCE.finditer(markdown):
            line = markdown.count("\n", 0, match.start()) + 2
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(match["body"], f"{page}:{line}", "exec"), namespace)
            except Exception as error:
                detail = "".join(traceback.format_exception_only(error)).strip()
                raise PluginError(f"{page}, python block at line {line} fails: {detail}") from error
            ran += 1
    return ran


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def parameters_table(name: str) -> str:
    """A Markdown table of one of lingrad's constraint tables (``lingrad.PARAMETERS``)."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import lingrad
    from lingrad._messages import cli_option

    table = getattr(lingrad, name, None)
    if not isinstance(table, Mapping):
        raise PluginError(f"<!-- lingrad:table {name} -->: lingrad.{name} is not a table")
    rows = [
        f"| `{c.name}` | {_cell(c.expected)}{' or None' if c.none_ok else ''} | "
        f"`{c.default!r}` | `{cli_option(c.name)}` | {_cell(c.help)} |"
        for c in table.values()
    ]
    head = "| parameter | accepts | default | command line | what it does |\n|---|---|---|---|---|"
    return "\n".join([head, *rows])


def cli_reference() -> str:
    """``lingrad --help`` and each command's ``--help``, 80 columns (the page width), no colour."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    from typer.testing import CliRunner

    from lingrad.cli import COMMANDS, app

    runner = CliRunner()
    env = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    sections = []
    for command in ("", *COMMANDS):
        args = [command, "--help"] if command else ["--help"]
        result = runner.invoke(app, args, env=env, prog_name="lingrad")
        if result.exit_code != 0:
            raise PluginError(f"lingrad {' '.join(args)} exits {result.exit_code}: {result.output}")
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").split("\n"))
        title = f"`lingrad {command}`" if command else "`lingrad`"
        sections.append(f"## {title}\n\n```text\n{text.strip()}\n```\n")
    return "\n".join(sections)


def on_page_markdown(markdown, page, config, files, **kwargs):
    """Fill the parameter tables and the CLI reference; run the page's examples (not the
    tutorial's: its own test runs them and checks their output)."""
    markdown = _TABLE.sub(lambda m: parameters_table(m["name"]), markdown)
    if _CLI in markdown:
        markdown = markdown.replace(_CLI, cli_reference())
    if page.file.src_uri not in NOT_EXECUTED:
        os.environ.setdefault("MPLBACKEND", "Agg")
        run_blocks(markdown, page.file.src_uri)
    return markdown
