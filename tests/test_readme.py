"""The README's Python example prints exactly what the README shows."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_in_python_example_output_is_real():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## In Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    shown = re.search(r"prints\n\n```\n(.*?)```", section, re.DOTALL).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().split() == shown.split()


_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S)


def section(title: str) -> str:
    """The README's section ``## title``, up to the next ``## `` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def examples(text: str) -> list[tuple[str, str | None]]:
    """Each ```python block of ``text`` with the bare ``` block that shows its output (if any;
    only blank lines or the word "prints" between them)."""
    fences = list(_FENCE.finditer(text))
    pairs = []
    for i, m in enumerate(fences):
        if m["lang"] != "python":
            continue
        nxt = fences[i + 1] if i + 1 < len(fences) else None
        between = text[m.end() : nxt.start()].strip() if nxt else None
        shown = nxt["body"] if nxt and nxt["lang"] == "" and between in ("", "prints") else None
        pairs.append((m["body"], shown))
    return pairs


def run_section(title: str, workdir: Path) -> None:
    """Run a section's python blocks in order, in one namespace, in ``workdir``; each prints
    exactly what the README shows after it (whitespace aside)."""
    import os

    pairs = examples(section(title))
    assert pairs, f"no python example in the section {title!r}"
    namespace: dict = {"__name__": "readme"}
    cwd = os.getcwd()
    try:
        os.chdir(workdir)
        for code, shown in pairs:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"README.md ({title})", "exec"), namespace)
            if shown is None:
                assert not out.getvalue().strip(), f"{title}: output not shown:\n{out.getvalue()}"
            else:
                assert out.getvalue().split() == shown.split(), out.getvalue()
    finally:
        os.chdir(cwd)


def test_bigger_than_memory_examples_print_what_is_shown(tmp_path):
    import pytest

    pytest.importorskip("pyarrow", reason="the example writes and reads a CSV with pyarrow")
    run_section("Bigger than memory", tmp_path)
    assert (tmp_path / "big.csv").stat().st_size > 10_000_000


def test_progress_bar_sample_has_the_layout_lingrad_draws():
    import pytest

    pytest.importorskip("rich", reason="the bars are rich's")
    from _bars import layout, rendered

    text = section("Bigger than memory")
    (sample,) = [m["body"] for m in _FENCE.finditer(text) if m["lang"] == "console"]
    command, line = sample.strip().splitlines()
    assert command == "$ lingrad fit big.csv -t y -o model.json"
    done, total = (float(v) * 1e6 for v in re.search(r"([\d.]+)/([\d.]+) MB", line).groups())
    assert layout(line) == layout(rendered("reading big.csv", int(done), int(total)))


def test_readme_shows_the_explorer_and_its_images_exist():
    text = README.read_text(encoding="utf-8")
    assert "lingrad explore" in text and "docs/explore.png" in text
    for src in re.findall(r'(?:!\[[^\]]*\]\(|<img src=")([^)"\s]+)', text):
        assert (README.parent / src).is_file(), f"README shows {src}, which is missing"


def test_readme_says_how_to_install_from_a_clone():
    text = README.read_text(encoding="utf-8")
    assert 'pip install -e ".[cli,files,plot]"' in text
    assert ".venv/bin/lingrad" in text
    assert 'pip install -e ".[files]"' in text, "make demo leaves out [files]: say how to add it"
    assert 'pip install "lingrad[' not in text, "lingrad is not on the package index"
