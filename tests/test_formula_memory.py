"""A streamed formula fit's peak memory does not grow with the file.

Two CSV files of house sales (about 20 MB and 80 MB, a text ``city`` column,
missing cells) are fitted by ``lingrad.ols`` in fresh subprocesses, each
reporting its peak resident memory (``VmHWM`` of ``/proc/self/status``); the
peaks may differ by less than 30 MB while the file grows 4 times (a design
collected whole would add about 60 MB of float64 columns, the raw text more).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow", reason="CSV files are read with pyarrow")
pacsv = pytest.importorskip("pyarrow.csv", reason="CSV files are written with pyarrow")
pytest.importorskip("formulaic", reason="formulas need formulaic")
pytest.importorskip("pandas", reason="formulas run on pandas frames")

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc (Linux)"
)

SRC = str(Path(__file__).resolve().parents[1] / "src")
FIT = """
import json, sys
import lingrad
m = lingrad.ols("price ~ area + C(city) + np.log(age)", sys.argv[1], missing="drop",
                lr="auto", tol=1e-10)
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"peak_kb": int(peak), "coef": m.coef_.tolist(), "dropped": m.n_dropped_,
                  "names": list(m.feature_names_in_)}))
"""


def _write_sales(path: Path, megabytes: int, seed: int = 0) -> int:
    """A CSV of about ``megabytes`` MB, written in blocks; returns its rows."""
    rng = np.random.default_rng(seed)
    cities = np.array(["oslo", "paris", "rome", "lyon"])
    rows, block = 0, 20_000
    with pacsv.CSVWriter(str(path), pa.schema([("price", pa.float64()), ("area", pa.float64()),
                         ("age", pa.float64()), ("city", pa.string())])) as w:  # fmt: skip
        while path.stat().st_size < megabytes * 1_000_000:
            area, age = rng.uniform(30, 200, block), rng.uniform(1, 90, block)
            city = cities[rng.integers(0, 4, block)]
            price = 2e3 * area - 300 * np.log(age) + 1e4 * (city == "rome")
            price = price + rng.normal(0, 1e3, block)
            price[rng.integers(0, block, 50)] = np.nan  # missing cells, dropped
            w.write_table(pa.table({"price": price, "area": area, "age": age, "city": city}))
            rows += block
    return rows


def _fit(path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", FIT, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_peak_memory_of_a_streamed_formula_fit_is_flat(tmp_path):
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _write_sales(small, 20)
    _write_sales(large, 80)
    assert large.stat().st_size >= 3.5 * small.stat().st_size
    a, b = _fit(small), _fit(large)
    assert a["names"] == b["names"] == ["area", "C(city)[T.oslo]", "C(city)[T.paris]",
                                        "C(city)[T.rome]", "np.log(age)"]  # fmt: skip
    assert b["dropped"] > a["dropped"] > 0
    np.testing.assert_allclose(b["coef"][0], 2e3, rtol=1e-2)  # the model is fitted
    growth_mb = (b["peak_kb"] - a["peak_kb"]) / 1024
    assert growth_mb < 30, (a["peak_kb"], b["peak_kb"])
