"""docs/tutorial.md runs, and prints what it shows.

Every ```python block of the tutorial is executed, in order, in one namespace; what a
block prints must equal the ```text block that follows it (compared line by line, trailing
spaces ignored); ```sh blocks (installation) are shown, not run. Blocks run with a
temporary folder as the working directory, holding a copy of the repository's ``docs/``
figures: the tutorial writes its figures to its own folder (``FIGURES``,
``tutorial-figures/``) and its model files to the working directory, so running its code
from the repository root leaves the tracked ``docs/`` as it is (checked here), and running
the test never touches the repository.

To regenerate the outputs and the figures after changing the tutorial or lingrad::

    PYTHONPATH=src .venv/bin/python tests/test_tutorial_doc.py --update

which rewrites the ```text blocks of docs/tutorial.md and copies the figures into docs/
(the only way the tutorial's figures in docs/ change).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
TUTORIAL = DOCS / "tutorial.md"

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<src>[^)\s]+)\)")


@dataclass
class Block:
    lang: str
    body: str
    start: int  # offset of the opening fence in the document
    end: int  # offset just after the closing fence
    line: int  # line number (from 1) of the first line of the body


@dataclass
class Step:
    """A python block and the text block that shows its output (if any)."""

    code: Block
    shown: Block | None


def parse(text: str) -> list[Step]:
    """The python blocks of ``text``, each with the text block right after it."""
    blocks = [
        Block(
            m["lang"],
            m["body"],
            m.start(),
            m.end(),
            text.count("\n", 0, m.start("body")) + 1,
        )
        for m in _FENCE.finditer(text)
    ]
    steps: list[Step] = []
    for i, block in enumerate(blocks):
        if block.lang == "python":
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            follows = (
                nxt is not None and nxt.lang == "text" and not text[block.end : nxt.start].strip()
            )
            steps.append(Step(block, nxt if follows else None))
        elif block.lang == "text":
            prev = blocks[i - 1] if i else None
            if prev is None or prev.lang != "python" or text[prev.end : block.start].strip():
                raise ValueError(
                    f"{TUTORIAL.name}:{block.line}: a ```text block that does not follow a "
                    "```python block (text blocks hold outputs only)"
                )
        elif block.lang not in ("sh", "console"):  # commands and terminal samples: shown
            raise ValueError(f"{TUTORIAL.name}:{block.line}: a ```{block.lang} block")
    return steps


def normalise(output: str) -> str:
    """Lines without trailing spaces, without leading or trailing blank lines."""
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def run(steps: list[Step], workdir: Path) -> tuple[list[str], Path]:
    """Execute the python blocks in ``workdir``: their outputs and the figures' folder."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    namespace: dict = {"__name__": "tutorial"}
    outputs = []
    cwd = os.getcwd()
    random_state = np.random.get_state()
    try:
        os.chdir(workdir)
        with warnings.catch_warnings():
            # The tutorial shows every warning it means to; any other one is a defect.
            warnings.simplefilter("error")
            warnings.simplefilter("default", DeprecationWarning)
            warnings.simplefilter("default", PendingDeprecationWarning)
            for step in steps:
                # Pad with newlines so that tracebacks give the line in the tutorial.
                source = "\n" * (step.code.line - 1) + step.code.body
                code = compile(source, str(TUTORIAL), "exec")
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer):
                    exec(code, namespace)
                outputs.append(buffer.getvalue())
    finally:
        os.chdir(cwd)
        np.random.set_state(random_state)
        plt.close("all")
    return outputs, workdir / namespace["FIGURES"]


# ------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    pytest.importorskip("matplotlib")
    text = TUTORIAL.read_text(encoding="utf-8")
    steps = parse(text)
    workdir = tmp_path_factory.mktemp("tutorial")
    # The working directory looks like the repository root: docs/ holds its figures.
    shutil.copytree(DOCS, workdir / "docs", ignore=shutil.ignore_patterns("*.md"))
    before = _snapshot(workdir / "docs")
    git_before = _git_status_docs()
    outputs, figures = run(steps, workdir)
    return text, steps, outputs, workdir, figures, before, git_before


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and modification time (rewriting the same bytes is a write too)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _git_status_docs() -> str | None:
    """``git status --porcelain docs/`` of the repository (None without git)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--", "docs"],
            cwd=DOCS.parent, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def test_tutorial_has_code_and_outputs(tutorial):
    _, steps, *_ = tutorial
    assert len(steps) >= 10
    assert sum(step.shown is not None for step in steps) >= 10


def test_printed_output_matches_the_page(tutorial):
    _, steps, outputs, *_ = tutorial
    problems = []
    for step, out in zip(steps, outputs, strict=True):
        got = normalise(out)
        where = f"{TUTORIAL.name}:{step.code.line}"
        if step.shown is None:
            if got:
                problems.append(f"{where}: the block prints output but no ```text block shows it")
            continue
        want = normalise(step.shown.body)
        if got != want:
            diff = "\n".join(
                difflib.unified_diff(
                    want.splitlines(), got.splitlines(), "shown", "printed", lineterm=""
                )
            )
            problems.append(f"{where}: the output differs from the page\n{diff}")
    hint = "(to update the page: python tests/test_tutorial_doc.py --update)"
    assert not problems, "\n\n".join([*problems, hint])


def test_figures_are_written_and_embedded(tutorial):
    text, _, _, _, figures, _, _ = tutorial
    linked = {m["src"] for m in _IMAGE.finditer(text)}
    written = {p.name for p in figures.iterdir()}
    assert linked, "the tutorial embeds no figure"
    assert linked == written, f"embedded {sorted(linked)}, written {sorted(written)}"
    for name in linked:
        assert name.startswith("tutorial_") and name.endswith(".png"), name
        assert (DOCS / name).is_file(), f"docs/{name} is missing: run --update and commit it"
        assert (figures / name).stat().st_size > 1000, name


def test_progress_bar_sample_has_the_layout_lingrad_draws():
    pytest.importorskip("rich", reason="the bars are rich's")
    from _bars import layout, rendered

    text = TUTORIAL.read_text(encoding="utf-8")
    samples = [m["body"] for m in _FENCE.finditer(text) if m["lang"] == "console"]
    assert samples, "the tutorial shows no progress bar"
    for sample in samples:
        (line,) = sample.strip().splitlines()
        done, total = (float(v) * 1e6 for v in re.search(r"([\d.]+)/([\d.]+) MB", line).groups())
        what = line.split(" ━")[0]
        assert layout(line) == layout(rendered(what, int(done), int(total)))


def test_the_initial_line_figure_is_shown(tutorial):
    text, *_ = tutorial
    assert "initial=True" in text
    assert "![The line at the random start" in text


def test_tutorial_leaves_no_files_outside_its_folder(tutorial):
    _, _, _, workdir, figures, _, _ = tutorial
    made = sorted(p.name for p in workdir.iterdir())
    assert figures.parent == workdir and figures.name == "tutorial-figures"
    assert made == ["docs", "edited.json", "explore.html", "model.json", "tutorial-figures"], made


def test_running_it_from_the_repository_root_leaves_docs_alone(tutorial):
    _, _, _, workdir, _, before, git_before = tutorial
    after = _snapshot(workdir / "docs")
    assert sorted(after) == sorted(before), "the tutorial added or removed files in docs/"
    changed = [name for name in before if after[name] != before[name]]
    assert not changed, f"the tutorial overwrote docs/{changed}"
    if git_before is not None:
        assert _git_status_docs() == git_before, "running the tutorial changed git status docs/"


# ------------------------------------------------------------------------------ update


def update() -> None:
    """Rewrite the ```text blocks with the real outputs; copy the figures into docs/."""
    text = TUTORIAL.read_text(encoding="utf-8")
    steps = parse(text)
    with tempfile.TemporaryDirectory() as tmp:
        outputs, figures = run(steps, Path(tmp))
        pieces, pos = [], 0
        for step, out in zip(steps, outputs, strict=True):
            shown = normalise(out)
            if step.shown is not None:
                if shown:
                    pieces.append(text[pos : step.shown.start] + f"```text\n{shown}\n```")
                else:  # no output: drop the text block and the blank lines before it
                    pieces.append(text[pos : step.code.end])
                pos = step.shown.end
            elif shown:
                pieces.append(text[pos : step.code.end])
                pos = step.code.end
                pieces.append(f"\n\n```text\n{shown}\n```")
        pieces.append(text[pos:])
        TUTORIAL.write_text("".join(pieces), encoding="utf-8")
        for figure in sorted(figures.iterdir()):
            shutil.copyfile(figure, DOCS / figure.name)
            print(f"wrote docs/{figure.name}")
    print(f"updated {TUTORIAL}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: python {sys.argv[0]} --update")
    update()
