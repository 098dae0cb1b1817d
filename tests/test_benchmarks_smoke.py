"""The benchmark scripts run end to end at smoke sizes and write their tables.

Runs ``benchmarks/run.py --smoke --out TMP --only engine conditioning accuracy`` in a
subprocess: the committed results are never touched, and the other
engineers' scripts (whose run time this test does not control) are left out.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"

pytestmark = pytest.mark.skipif(not RUN.exists(), reason="benchmarks/ not present")


@pytest.fixture(scope="module")
def smoke_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--smoke",
            "--out",
            str(out),
            "--only",
            "engine",
            "conditioning",
            "accuracy",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


def test_engine_table(smoke_out):
    text = (smoke_out / "engine.md").read_text(encoding="utf-8")
    for row in [
        "textbook loop",
        "lingrad, tutorial settings",
        "lingrad, converged",
        "scikit-learn LinearRegression",
        "scikit-learn Ridge",
        "scikit-learn SGDRegressor",
        "statsmodels OLS",
        "glum",
        "one X.T @ X",
        "## Targets",
    ]:
        assert row in text, row
    sets = ["tutorial data, 500 × 1", "dense 2,000 × 5", "dense 500 × 20", "sparse CSR 2,000"]
    for data in [*sets, "sparse CSR 1,000 × 100"]:
        assert f"### {data}" in text, data
    # lingrad with the tutorial settings reproduces the textbook loop's iterates.
    diffs = [
        float(line.split("vs textbook loop: ")[1].split(")")[0])
        for line in text.splitlines()
        if "vs textbook loop: " in line
    ]
    assert len(diffs) == 5  # one per data set
    assert max(diffs) <= 1e-10
    assert "MISS" not in text and "PASS" not in text  # smoke sizes judge nothing


def test_conditioning_table(smoke_out):
    text = (smoke_out / "conditioning.md").read_text(encoding="utf-8")
    assert "### GD against Nesterov" in text
    for opt in ["gd", "nesterov", "momentum", "adam"]:
        assert f"| {opt} |" in text, opt
    rows = [line for line in text.splitlines() if line.startswith("| 10 |")]
    assert rows, text
    assert "| 100 |" in text
    assert "| 1e+05 |" not in text


def test_accuracy_table(smoke_out):
    text = (smoke_out / "accuracy.md").read_text(encoding="utf-8")
    assert text.startswith("## Accuracy: correct digits against an exact rational oracle")
    assert "### Coefficients: correct significant digits (worst coefficient)" in text
    assert "### Inference: correct significant digits" in text
    for column in ["lingrad converged", "reference optimum", "numpy lstsq", "statsmodels OLS"]:
        assert column in text, column
    assert "| lingrad SE | lingrad resid. SD | lingrad R² | statsmodels SE |" in text
    assert "### Targets (issue 10)" in text
    assert "MISS" not in text and "PASS" not in text  # smoke sizes judge nothing
    assert text.count("not judged (smoke run)") == 6  # 4 in memory, streamed, partial_fit
    # the smoke designs, with and without intercept, in all three tables
    coefs, inference = text.split("### Inference")
    inference, streamed = inference.split("### Streamed and online fits")

    def rows(section):
        return [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines()
            if line.startswith("| poly2[1,21]")
        ]

    assert len(rows(coefs)) == len(rows(inference)) == 2, text
    for row in rows(coefs):  # reference optimum, numpy and statsmodels are accurate here
        assert all(float(d) >= 10 for d in row[4:7]), row
    for row in rows(inference):  # statsmodels' SE, residual SD and R² against the exact ones
        assert all(float(d) >= 10 for d in row[5:8]), row
    assert "| CSV file digits | CSV file fit | Dask digits |" in streamed
    assert len(rows(streamed)) == 2, streamed
    for row in rows(streamed):  # CSV file, Dask, partial_fit: digits then how the fit ended
        assert all(float(d) >= 10 for d in row[2::2]), row
        assert all("converged" in how for how in row[3::2]), row


def test_results_assembled(smoke_out):
    text = (smoke_out / "RESULTS.md").read_text(encoding="utf-8")
    assert text.startswith("# lingrad benchmarks")
    assert "make bench-smoke" in text
    assert "CPU:" in text
    assert text.index("## Engine") < text.index("## Conditioning") < text.index("## Accuracy")
