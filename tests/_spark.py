"""The one local Spark session (``local[2]``) of the test run, for every tests/test_spark*.py.

The executors' Python workers run this interpreter (``PYSPARK_PYTHON``), with
this tree's ``src`` first on their path, so they import the lingrad under test.
Skipped, with the reason, where Java is missing (``make test`` installs it when it can).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _java_reason() -> str | None:
    java = shutil.which("java")
    if java is None:
        return "Java is not installed: Spark needs a JRE (apt install openjdk-17-jre-headless)"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:  # pragma: no cover - broken Java
        return f"java -version fails ({exc}): Spark needs a working JRE"
    return None


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    reason = _java_reason()
    if reason:
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    # the workers import this tree's lingrad, and this module (for _wide_rows)
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join([SRC, here, os.environ.get("PYTHONPATH", "")])
    session = (
        SparkSession.builder.master("local[2]")
        .appName("lingrad-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
