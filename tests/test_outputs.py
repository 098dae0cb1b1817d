"""Outputs never destroy what is not ours: devices, FIFOs, links, inputs, and SIGTERM.

Every file lingrad writes goes through :mod:`lingrad.atomic`; these tests
drive it through the library and the command line.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer")
from typer.testing import CliRunner

from lingrad import LinearRegression, cli
from lingrad.atomic import NotARegularFileError, SameFileError, atomic_path

runner = CliRunner()


def _csv(path: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    y = X @ [1.0, -2.0] + 0.5
    rows = "\n".join(f"{a:.17g},{b:.17g},{c:.17g}" for (a, b), c in zip(X, y, strict=True))
    path.write_text("x1,x2,y\n" + rows + "\n", encoding="utf-8")
    return path


def _cli(*args) -> tuple[int, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def test_a_fifo_or_device_is_never_replaced(tmp_path, fifo):
    for target in (fifo, Path("/dev/null")):
        with pytest.raises(NotARegularFileError, match="writes only regular files"):
            with atomic_path(target, f"-o {target}") as tmp:
                tmp.write_text("x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


@pytest.mark.parametrize("out", ["fifo", "/dev/null", "/dev/full"])
def test_cli_refuses_non_regular_outputs_in_one_line(tmp_path, fifo, out):
    data = _csv(tmp_path / "d.csv")
    target = fifo if out == "fifo" else Path(out)
    if not target.exists():
        pytest.skip(f"{out} does not exist on this machine")
    code, output = _cli("fit", data, "-t", "y", "-o", target)
    assert code == 1 and output.startswith("Error: ") and output.count("\n") == 1, output
    assert "regular file" in output
    assert not stat.S_ISREG(target.stat().st_mode)


def test_a_symlink_is_written_through_and_keeps_being_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    X = np.random.default_rng(0).standard_normal((5, 2))
    LinearRegression(n_iters=3, random_state=0).fit(X, X.sum(axis=1)).save(link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text().startswith("{")  # the target got the model
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # and kept its own mode


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "null.json"
    link.symlink_to("/dev/null")
    with pytest.raises(NotARegularFileError, match="symlink points to '/dev/null'"):
        LinearRegression(n_iters=3).fit(np.eye(3), np.ones(3)).save(link)
    assert link.is_symlink()


@pytest.mark.parametrize("command", ["fit", "predict", "plot"])
def test_an_output_that_is_an_input_is_refused(tmp_path, command):
    data = _csv(tmp_path / "d.csv")
    model = tmp_path / "m.json"
    assert _cli("fit", data, "-t", "y", "-o", model)[0] == 0
    before = {p: p.read_bytes() for p in (data, model)}
    if command == "fit":
        code, output = _cli("fit", data, "-t", "y", "-o", data)
    elif command == "predict":
        code, output = _cli("predict", model, data, "-o", data)
    else:
        code, output = _cli("plot", model, data, "--kind", "fit", "-o", model)
    assert code == 1 and output.startswith("Error: ") and "input file" in output, output
    assert {p: p.read_bytes() for p in before} == before


def test_same_file_is_detected_through_a_link(tmp_path):
    data = _csv(tmp_path / "d.csv")
    alias = tmp_path / "alias.csv"
    alias.symlink_to(data)
    from lingrad.atomic import check_not_an_input

    with pytest.raises(SameFileError, match="input file"):
        check_not_an_input(alias, [data], "-o alias.csv")
    check_not_an_input(tmp_path / "new.csv", [data], "-o new.csv")  # absent: fine


def test_sigterm_during_predict_leaves_no_partial_file(tmp_path):
    rng = np.random.default_rng(1)
    n = 200_000
    data = tmp_path / "big.csv"
    X = rng.standard_normal((n, 2))
    np.savetxt(data, np.column_stack([X, X.sum(axis=1)]), delimiter=",", header="x1,x2,y",
               comments="", fmt="%.6f")  # fmt: skip
    model = tmp_path / "m.json"
    assert _cli("fit", data, "-t", "y", "-o", model)[0] == 0
    out = tmp_path / "pred.csv"
    cmd = [sys.executable, "-m", "lingrad", "predict", model, data, "-o", out, "--chunk-rows", "50"]
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        p.name.startswith(".pred") for p in tmp_path.iterdir()
    ):
        time.sleep(0.05)  # wait until the temporary output exists
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo"])
def test_load_model_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    from lingrad import ModelFileError, load_model

    path = tmp_path / "m.json"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(ModelFileError, match="not a model file") as info:
        load_model(path)
    assert "Pass a model file written by lingrad fit" in info.value.render("cli")
    code, output = _cli("summary", path)
    assert code == 1 and output.startswith("Error: ") and output.count("\n") == 1, output
