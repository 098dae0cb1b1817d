"""`make demo` installs only what the demo needs; `make test` adds the development set.

The demo's extras are read from the Makefile; the demo then runs in a Python where every
other optional package of pyproject.toml (the [dev] set: pyarrow, pandas, dask, statsmodels,
...) cannot be imported, so a fresh clone's `make demo`, with the lean venv, works.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "optional-dependencies"
]


def _recipe(target: str) -> str:
    """The recipe of ``target:`` (its tab-indented lines)."""
    m = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)*)", MAKEFILE, re.M)
    assert m, f"no rule for {target} in the Makefile"
    return m.group(1)


def _prerequisites(target: str) -> list[str]:
    m = re.search(rf"^{re.escape(target)}:([^\n]*)$", MAKEFILE, re.M)
    assert m, f"no rule for {target}"
    return m.group(1).split()


def _installed_extras(stamp: str) -> set[str]:
    (spec,) = re.findall(r'pip install[^\n]*-e "\.\[([^\]]+)\]"', _recipe(stamp))
    return set(spec.split(","))


def _closure(extras: set[str]) -> set[str]:
    """The distributions the extras pull in (nested lingrad[...] resolved), by name."""
    names, todo = set(), list(extras)
    while todo:
        for req in EXTRAS[todo.pop()]:
            name = re.match(r"[A-Za-z0-9_.-]+", req).group(0).lower()
            nested = re.match(r"lingrad\[([^\]]+)\]", req)
            if nested:
                todo.extend(nested.group(1).split(","))
            else:
                names.add(name)
    return names


def test_demo_has_its_own_lean_stamp_and_test_the_dev_set():
    (demo_stamp,) = _prerequisites("demo")
    (test_stamp,) = _prerequisites("test")
    assert demo_stamp != test_stamp
    demo = _installed_extras(demo_stamp)
    assert "dev" not in _closure(demo) and not {"dev", "all", "bench"} & demo
    assert _installed_extras(test_stamp) == {"dev"}
    assert _closure(demo) < _closure({"dev"})
    for target in ("lint", "bench", "fuzz", "bench-smoke"):
        assert _prerequisites(target)[0] == test_stamp, target


def test_the_demo_runs_without_any_other_optional_package(tmp_path):
    demo = _installed_extras(_prerequisites("demo")[0])
    blocked = sorted(
        name.replace("-", "_") for name in _closure({"dev"}) - _closure(demo) if name != "pytest"
    )
    assert {"pyarrow", "pandas", "statsmodels", "dask"} <= set(blocked)
    code = (
        "import sys\n"
        f"BLOCKED = {blocked!r}  # not installed by make demo\n"
        "class NotInstalled:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        if name.partition('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NotInstalled)\n"
        "try:\n"
        "    import pyarrow\n"
        "except ModuleNotFoundError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('pyarrow was not blocked')\n"
        "from lingrad.cli import main\n"
        f"sys.argv = ['lingrad', 'demo', '--out', {str(tmp_path / 'demo-out')!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    written = sorted(p.name for p in (tmp_path / "demo-out").iterdir())
    assert {"data.png", "initial_fit.png", "final_fit.png", "loss.png"} <= set(written), written
