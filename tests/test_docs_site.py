"""The documentation site (mkdocs.yml, `make docs`) builds with warnings as errors.

The site is built once per session into a temporary folder (`mkdocs build --strict`, about
20 s of CPU), then its pages are checked: the API reference shows every parameter of
LinearRegression (read from lingrad.PARAMETERS), no Sphinx role is left raw, the benchmark
pages show figures drawn from the committed tables, and nothing is written into docs/.
The figure, role and example-running helpers of docs/hooks/ are checked directly.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "docs" / "hooks"
RESULTS = ROOT / "benchmarks" / "results"
PNG = b"\x89PNG\r\n\x1a\n"


def _module(name: str):
    pytest.importorskip("mkdocs", reason="the site needs mkdocs: pip install -e '.[docs]'")
    pytest.importorskip("matplotlib", reason="the benchmark figures need matplotlib")
    if str(HOOKS) not in sys.path:
        sys.path.insert(0, str(HOOKS))
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs", reason="the site needs mkdocs: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="the site needs mkdocs-material")
    pytest.importorskip("mkdocstrings_handlers.python", reason="needs mkdocstrings[python]")
    out = tmp_path_factory.mktemp("site")
    before = _files(ROOT / "docs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    assert _files(ROOT / "docs") == before, "building the site changed files under docs/"
    return out


def _text(page: Path) -> str:
    body = re.sub(r"<script.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_api_page_lists_every_parameter_of_linear_regression(site):
    from lingrad import PARAMETERS

    page = (site / "api" / "estimators" / "index.html").read_text(encoding="utf-8")
    assert 'id="lingrad.LinearRegression"' in page
    table = page[page.index("Parameters:") :]
    for name in PARAMETERS:
        assert re.search(rf"<code>{name}</code>", table), f"parameter {name} not documented"
    for method in ("fit", "predict", "partial_fit", "summary", "save"):
        assert f'id="lingrad.LinearRegression.{method}"' in page


def test_every_public_name_has_an_api_entry(site):
    import lingrad

    anchors = set()
    for page in (site / "api").rglob("index.html"):
        anchors |= set(re.findall(r'id="(lingrad\.[\w.]+)"', page.read_text(encoding="utf-8")))
    names = {n.rsplit(".", 1)[-1] for n in anchors}
    missing = [n for n in lingrad.__all__ if n != "__version__" and n not in names]
    assert not missing, f"public names without an API entry: {missing}"


def test_no_sphinx_role_is_left_raw_and_cross_references_link(site):
    raw = []
    links = 0
    for page in (site / "api").rglob("index.html"):
        text = _text(page)
        raw += re.findall(r":(?:class|func|mod|meth|data|attr):`?\S*", text)
        links += page.read_text(encoding="utf-8").count('class="autorefs autorefs-internal"')
    assert not raw, raw[:5]
    assert links > 50


def test_command_line_page_shows_every_command_help(site):
    pytest.importorskip("typer", reason="the CLI needs typer: pip install -e '.[cli]'")
    from lingrad.cli import COMMANDS

    text = _text(site / "cli" / "index.html")
    for command in COMMANDS:
        assert f"Usage: lingrad {command} [OPTIONS]" in text, command
    assert "--n-iters" in text and "--target" in text


def test_parameters_table_is_generated_from_the_constraints_table(site):
    from lingrad import PARAMETERS
    from lingrad._messages import cli_option

    text = _text(site / "api" / "messages" / "index.html")
    for name, constraint in PARAMETERS.items():
        assert cli_option(name) in text
        assert constraint.help.split(".")[0][:40] in " ".join(text.split())


@pytest.mark.parametrize("topic", sorted(p.stem for p in RESULTS.glob("*.md")))
def test_benchmark_pages_show_their_tables_and_figures(site, topic):
    if "\n| " not in (RESULTS / f"{topic}.md").read_text(encoding="utf-8"):
        pytest.skip(f"results/{topic}.md has no table to draw")
    page = site / "benchmarks" / topic / "index.html"
    body = page.read_text(encoding="utf-8")
    assert "<table>" in body
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', body)
    assert images, f"no figure on the {topic} page"
    for src in images:
        figure = (page.parent / src).resolve()
        assert figure.is_file() and figure.read_bytes()[:8] == PNG, src
        assert site.resolve() in figure.parents


def test_benchmark_overview_and_accuracy_figures(site):
    overview = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    assert 'src="figures/targets.png"' in overview
    accuracy = (site / "benchmarks" / "accuracy" / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img[^>]+src="[^"]+-digits\.png"', accuracy)) >= 2


def test_digits_table_becomes_a_heat_map_and_targets_their_margins():
    figures = _module("figures")
    page = "\n".join(
        [
            "## Accuracy: correct digits",
            "",
            "| design | intercept | lingrad | lstsq |",
            "| :-- | :-- | --: | --: |",
            "| poly2 | yes | 17.0 | 13.8 |",
            "| poly5 | no | 9.5 | 0.0 |",
            "",
            "| target | goal | measured | verdict |",
            "| :-- | :-- | --: | :-: |",
            "| speed | ≥ 5× faster | 6.0× | PASS |",
            "| memory | ≤ 10% of X = 20 MB | 25 MB | **MISS** |",
            "| error | ≤ 1e-08 relative | 2e-12 | PASS |",
            "",
            "- lingrad vs dask-ml: 4.0× faster (target >= 2×): met",
            "Throughput ratio: **6.2x** (target >= 10x: MISS).",
        ]
    )
    drawn = figures.figures_for(page)
    assert [f.kind for f in drawn] == ["digits", "targets"]
    assert all(f.png[:8] == PNG for f in drawn)
    found = {t.name: t for t in figures.targets(page)}
    assert found["speed"].margin == pytest.approx(6.0 / 5.0)
    assert found["memory"].margin == pytest.approx(20 / 25) and not found["memory"].passed
    assert found["error"].margin == pytest.approx(1e-8 / 2e-12)
    assert found["lingrad vs dask-ml"].margin == pytest.approx(2.0)
    assert (
        found["Throughput ratio"].margin == pytest.approx(0.62)
        and not found["Throughput ratio"].passed
    )
    out = figures.page_with_figures(page, ["a.png", "b.png"], drawn)
    lines = out.split("\n")
    assert lines.index("| poly5 | no | 9.5 | 0.0 |") < next(
        i for i, ln in enumerate(lines) if "(a.png)" in ln
    )


def test_time_cells_are_read_with_their_units():
    figures = _module("figures")
    assert figures.seconds("88 µs", False) == pytest.approx(88e-6)
    assert figures.seconds("31.85 s", False) == pytest.approx(31.85)
    assert figures.seconds("2.7 ms", False) == pytest.approx(2.7e-3)
    assert figures.seconds("1.18 (1.27)", True) == pytest.approx(1.18)
    assert figures.seconds("1.18 (1.27)", False) is None
    assert figures.number("1,157,852") == 1157852
    assert figures.number("**6.2x**") == pytest.approx(6.2)


def test_a_failing_example_fails_the_build_naming_page_and_line():
    hook = _module("lingrad_site")
    from mkdocs.exceptions import PluginError

    page = "# P\n\ntext\n\n```python\nx = 1\nprint(x)\n```\n\n```python\n1 / 0\n```\n"
    with pytest.raises(PluginError, match=r"p\.md, python block at line 11 .*ZeroDivision"):
        hook.run_blocks(page, "p.md")
    assert hook.run_blocks(page.split("```python\n1 / 0")[0], "p.md") == 1


def test_the_home_page_example_runs():
    hook = _module("lingrad_site")
    assert hook.run_blocks((ROOT / "docs" / "index.md").read_text(encoding="utf-8"), "index.md")


def test_sphinx_roles_become_optional_cross_references():
    roles = _module("griffe_roles")

    class Loader:  # stands in for griffe's loader: these paths exist
        def __init__(self):
            self.modules_collection = {"lingrad.LinearRegression": 1, "lingrad.formula.ols": 1}

    class Obj:
        def __init__(self, path, parent=None):
            self.path, self.parent = path, parent

    obj = Obj("lingrad.formula.design_data", Obj("lingrad.formula", Obj("lingrad")))
    text = "See :class:`~lingrad.LinearRegression` and :func:`ols`, or :mod:`lingrad._x`::"
    out = roles.rewrite(text, obj, Loader())
    assert '<autoref identifier="lingrad.LinearRegression" optional>' in out
    assert "<code>LinearRegression</code>" in out
    assert '<autoref identifier="lingrad.formula.ols" optional><code>ols()</code>' in out
    assert '<autoref identifier="lingrad._x" optional><code>lingrad._x</code>' in out
    assert out.endswith("</autoref>:")
    rule = "=====  ======"
    table = "\n".join([rule, "``a``  one", "``b``  two", "       more", rule])
    assert roles.rewrite(table, obj, Loader()).split("\n")[2:] == [
        "| ``a`` | one |",
        "| ``b`` | two more |",
    ]
