"""Fuzzing the two file boundaries: model files (``load_model``) and CSV data (``open_dataset``).

A file from the outside world must either work or be refused with the documented
error: ``ModelFileError`` for model files, ``DataFileError`` (or another ValueError
with a clear message) for data files. Any other exception is a bug.

The number of examples comes from the Hypothesis profile registered in conftest.py:
"ci" (the default, 150 examples per test) or "long" (``make fuzz``, 3000).

Crashes this fuzzer found (huge JSON integers, a lone "intercept_init", overflow
warnings leaking from file fits and from the solver) are fixed in the library and
kept as regression tests at the end of the file.
"""

from __future__ import annotations

import json
import math
import signal
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
pytest.importorskip("pyarrow")

from hypothesis import event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import lingrad  # noqa: E402
from lingrad import (  # noqa: E402
    DataFileError,
    IllConditionedWarning,
    LinearRegression,
    ModelFileError,
    load_model,
    open_dataset,
)

# Seconds one example may take before it counts as a hang (inputs are tiny).
_HANG_S = 20


class _Hang(Exception):
    """An example ran longer than ``_HANG_S`` seconds."""


@contextmanager
def _no_hang(seconds: float = _HANG_S):
    """Turn a hang into a failure (SIGALRM; no-op where it is unavailable)."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - Windows
        yield
        return

    def alarm(signum, frame):
        raise _Hang(f"the example ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_LINGRAD = str(Path(lingrad.__file__).parent)


# ============================================================================ model files

_HUGE_INT = 10**400  # a valid JSON number, far beyond float64


def _base_models() -> dict[str, str]:
    """Valid model files of several shapes, as text: the fuzzer's seeds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.5, -2.0] + 0.5 + 0.1 * rng.normal(size=40)
    Y = np.column_stack([y, -y + 1.0])
    fits = {
        # 1-D target, feature names, statistics kept
        "named": LinearRegression(random_state=0, n_iters=30).fit(
            pd.DataFrame(X, columns=["a", "b"]), y
        ),
        # two targets, float32, no intercept
        "multi32": LinearRegression(random_state=1, n_iters=30, fit_intercept=False).fit(
            X.astype(np.float32), Y
        ),
        # direct engine: no statistics, NaN diagnostics written as "nan"
        "direct": LinearRegression(
            lr="auto", optimizer="nesterov", tol=1e-6, n_iters=500, engine="direct", random_state=2
        ).fit(X, y),
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in fits.items():
            path = Path(tmp) / f"{name}.json"
            model.save(path, target_names=["t0", "t1"] if name == "multi32" else None)
            out[name] = path.read_text(encoding="utf-8")
    return out


BASES = _base_models()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_models") / "model.json"


def _check_loaded(model: LinearRegression) -> None:
    """A loaded model must be usable: finite parameters, predictions of the right shape."""
    coef = np.asarray(model.coef_)
    intercept = np.asarray(model.intercept_)
    assert coef.dtype in (np.float64, np.float32)
    assert coef.ndim in (1, 2)
    assert np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))
    f = model.n_features_in_
    assert coef.shape[-1] == f
    X = np.linspace(-1.0, 1.0, 3 * f).reshape(3, f)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names"
        pred = model.predict(X)  # may overflow for coefficients near 1e308: checked below
    assert pred.shape == ((3,) if coef.ndim == 1 else (3, coef.shape[0]))
    with np.errstate(over="ignore"):
        bound = float(np.abs(coef.astype(np.float64)).sum(axis=-1).max() + np.abs(intercept).max())
    if bound < 1e300:  # otherwise an overflowing prediction is arithmetic, not the loader
        assert np.all(np.isfinite(pred))
    str(model.diagnostics_)  # the report renders whatever the file held


def _load_or_refuse(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    with _no_hang(), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            _check_loaded(load_model(path))
            event("loaded")
        except ModelFileError as err:
            assert str(path) in str(err), err
            event("ModelFileError")


# -- raw byte mutations ---------------------------------------------------------------
_BYTE_OPS = ("flip", "set", "delete", "insert", "truncate", "duplicate")


@st.composite
def _raw_mutation(draw) -> bytes:
    data = bytearray(BASES[draw(st.sampled_from(sorted(BASES)))].encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(_BYTE_OPS))
        if not data:
            data = bytearray(draw(st.binary(max_size=8)))
            continue
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.sampled_from(b'0123456789-+.eE,:[]{}"\\ntfa \x00\xff\xc3'))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=12),
                    st.sampled_from(
                        [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"0" * 400, b",", b'"x":1,']
                    ),
                )
            )
        elif op == "truncate":
            del data[i:]
        else:  # duplicate a span
            j = min(len(data), i + draw(st.integers(1, 60)))
            data[j:j] = data[i:j]
    return bytes(data)


@given(data=_raw_mutation())
def test_fuzz_model_file_bytes(model_path, data):
    _load_or_refuse(model_path, data)


# -- structured mutations of the parsed document -----------------------------------------
_SPECIAL_NUMBERS = [
    0,
    -1,
    1,
    2,
    -0.0,
    2**31,
    2**63,
    -(2**63) - 1,
    _HUGE_INT,
    -_HUGE_INT,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    1e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
]
# Text spliced into the JSON in place of a value (json.dumps cannot write these).
_RAW_TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e400",
    "1e-400",
    "1" + "0" * 400,
    "-" + "9" * 400,
    "0." + "0" * 400 + "1",
    "1" * 5000,  # beyond Python's int-parsing digit limit
    "[" * 3000 + "]" * 3000,
    '{"a": 1, "a": 2}',
    '"\\ud800"',
    '"\\u0000"',
    "-0",
    "1E+2",
]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(_SPECIAL_NUMBERS),
    st.sampled_from(["nan", "inf", "-inf", "float64", "float32", "stats", "direct", "gd", ""]),
)
_json_values = st.recursive(
    _scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=10,
)

_STRUCT_OPS = (
    "delete",
    "replace",
    "special",
    "raw",
    "wrap",
    "unwrap",
    "grow",
    "shrink",
    "stringify",
    "scale",
    "negate",
    "add_key",
)


def _paths(value, prefix=()) -> list[tuple]:
    """Every location in a JSON document (the root excluded)."""
    out = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return out
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _scale(value, factor):
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        try:
            return value * factor
        except OverflowError:  # a huge int times a float: an infinity, for the loader to refuse
            return math.inf if (value > 0) == (factor > 0) else -math.inf
    if isinstance(value, list):
        return [_scale(v, factor) for v in value]
    return value


@st.composite
def _struct_mutation(draw) -> bytes:
    doc = json.loads(BASES[draw(st.sampled_from(sorted(BASES)))])
    raw: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        value = parent[key]
        op = draw(st.sampled_from(_STRUCT_OPS))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(_json_values)
        elif op == "special":
            parent[key] = draw(st.sampled_from(_SPECIAL_NUMBERS))
        elif op == "raw":
            marker = f"\x01raw{len(raw)}\x01"
            raw[json.dumps(marker)] = draw(st.sampled_from(_RAW_TOKENS))
            parent[key] = marker
        elif op == "wrap":
            parent[key] = [value]
        elif op == "unwrap":
            if isinstance(value, list) and value:
                parent[key] = value[0]
            elif isinstance(value, dict) and value:
                parent[key] = next(iter(value.values()))
        elif op == "grow":
            if isinstance(value, list):
                value.append(value[-1] if value else draw(_scalars))
        elif op == "shrink":
            if isinstance(value, list) and value:
                value.pop()
        elif op == "stringify":
            parent[key] = json.dumps(value)
        elif op == "scale":
            parent[key] = _scale(value, draw(st.sampled_from([1e300, -1e-300, 1e10, 0])))
        elif op == "negate":
            parent[key] = _scale(value, -1)
        else:  # add_key
            target = value if isinstance(value, dict) else parent
            if isinstance(target, dict):
                target[draw(st.text(max_size=8))] = draw(_json_values)
    text = json.dumps(doc, indent=draw(st.sampled_from([None, 2])), allow_nan=True)
    for marker, token in raw.items():
        text = text.replace(marker, token)
    return text.encode("utf-8", errors="surrogatepass")


@given(data=_struct_mutation())
def test_fuzz_model_file_structure(model_path, data):
    _load_or_refuse(model_path, data)


@pytest.mark.parametrize("name", sorted(BASES))
def test_fuzz_seeds_load(tmp_path, name):
    """The unmutated seeds load: the fuzzer starts from valid files."""
    path = tmp_path / "model.json"
    path.write_text(BASES[name], encoding="utf-8")
    _check_loaded(load_model(path))


# ============================================================================ CSV files

_NAMES = st.one_of(
    st.sampled_from(["x", "y", "a", "b", "", " ", "x.1", "ÿ", "列", "nan", "1", "x,y", '"q"']),
    st.text(max_size=6),
)
# Cells that parse as numbers, from tame to overflowing.
_NUMBERS = st.one_of(
    st.floats(-100, 100).map(lambda v: f"{v:.3f}"),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6).map(repr),
    st.floats(-1e6, 1e6).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["-0", "+3", "1e5", "1E-5", ".5", "5.", "1e308", "-1.7976931348623157e308"]),
)
# Cells that do not (or only sometimes) parse as finite numbers.
_ODD_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            " 2 ",
            "1e400",
            "-1e400",
            "1e-400",
            "1" * 400,
            "0." + "0" * 300 + "1",
            "inf",
            "-inf",
            "Infinity",
            "nan",
            "NaN",
            "NA",
            "N/A",
            "null",
            "None",
            "true",
            "FALSE",
            "0x10",
            "1_000",
            "1,5",
            '"1,5"',
            '"2"',
            '"a""b"',
            '"',
            "é",
            "١٢",
            "１",
            "\t7",
            "abc",
        ]
    ),
    st.text(max_size=6),
)


@st.composite
def _csv_text(draw) -> tuple[str, str]:
    """(CSV text, target column name), from clean to wild.

    "clean" files are numeric and rectangular (they should mostly fit), "one_bad"
    spoils one cell or one row of a clean file, "wild" draws every cell and name
    from everything.
    """
    mode = draw(st.sampled_from(["clean", "clean", "one_bad", "wild"]))
    if mode == "wild":
        names = draw(st.lists(_NAMES, min_size=1, max_size=4))
    else:
        names = draw(st.lists(st.sampled_from("xyabc"), min_size=2, max_size=4, unique=True))
    n_rows = draw(st.integers(0 if mode == "wild" else 1, 8))
    cells = st.one_of(_NUMBERS, _ODD_CELLS) if mode == "wild" else _NUMBERS
    rows = []
    for _ in range(n_rows):
        width = len(names)
        if mode == "wild":
            width += draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        rows.append([draw(cells) for _ in range(max(width, 0))])
    if mode == "one_bad":
        row = draw(st.sampled_from(rows))
        if draw(st.booleans()):
            row[draw(st.integers(0, len(row) - 1))] = draw(_ODD_CELLS)
        elif draw(st.booleans()):
            row.append(draw(cells))
        else:
            row.pop()
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    lines = [",".join(names)] + [",".join(r) for r in rows]
    text = newline.join(lines)
    if draw(st.booleans()):
        text += newline
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    target = names[0] if draw(st.integers(0, 3)) else draw(_NAMES)
    return text, target


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_csv") / "data.csv"


def _fit_or_refuse(path: Path, text: str | bytes, target: str) -> None:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
    else:
        path.write_bytes(text)
    model = LinearRegression(lr="auto", tol=1e-8, n_iters=1000)
    with _no_hang(), warnings.catch_warnings():
        # NumPy's floating-point warnings escaping lingrad are defects (as in pyproject's
        # filterwarnings); documented, non-fatal outcomes of odd data are not: constant or
        # collinear columns, scales that 1000 iterations do not resolve.
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", IllConditionedWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(open_dataset(path, target=target))
        except DataFileError as err:
            assert not isinstance(err, FileNotFoundError), err  # the file exists
            assert str(path) in str(err), err
            event("DataFileError")
            return
        except ValueError as err:
            assert len(str(err)) > 20, f"unclear message: {err!r}"
            event(f"ValueError: {str(err)[:50]}")
            return
            return
    event("fitted")
    assert np.all(np.isfinite(model.coef_)), model.coef_
    assert math.isfinite(model.intercept_), model.intercept_


@given(case=_csv_text())
def test_fuzz_csv_fit(csv_path, case):
    text, target = case
    _fit_or_refuse(csv_path, text, target)


@given(data=st.binary(max_size=200), target=st.sampled_from(["x", "y", ""]))
def test_fuzz_csv_bytes(csv_path, data, target):
    """Arbitrary bytes under a .csv name (binary junk, bad UTF-8)."""
    _fit_or_refuse(csv_path, b"x,y\n" + data, target)


def test_fuzz_csv_valid_file_fits(tmp_path):
    """The fuzzer's contract holds on a clean file: it fits, to lstsq."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X @ [2.0, -1.0] + 3.0
    path = tmp_path / "ok.csv"
    body = "".join(f"{c!r},{a!r},{b!r}\n" for (a, b), c in zip(X.tolist(), y.tolist(), strict=True))
    path.write_text("y,a,b\n" + body)
    model = LinearRegression(lr="auto", tol=1e-8, n_iters=1000)
    model.fit(open_dataset(path, target="y"))
    np.testing.assert_allclose(model.coef_, [2.0, -1.0], atol=1e-6)


# ============================================================================ regressions
# Reproducers of crashes this fuzzer found, fixed in the library; kept as regression tests.


def _write_mutated(path: Path, base: str, edit) -> Path:
    doc = json.loads(BASES[base])
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


_HUGE_INT_CASES = {
    "coef": lambda d: d.__setitem__("coef", [_HUGE_INT, 1.0]),
    "intercept": lambda d: d.__setitem__("intercept", _HUGE_INT),
    "lr": lambda d: d.__setitem__("lr", _HUGE_INT),
    "loss_history": lambda d: d.__setitem__("loss_history", [_HUGE_INT]),
    "diagnostics.exact_intercept": lambda d: d["diagnostics"].__setitem__(
        "exact_intercept", _HUGE_INT
    ),
    "stats.sum_weights": lambda d: d["stats"].__setitem__("sum_weights", _HUGE_INT),
    "stats.mean": lambda d: d["stats"]["mean"].__setitem__(0, _HUGE_INT),
}


@pytest.mark.parametrize("field", sorted(_HUGE_INT_CASES))
def test_huge_integer_literal_is_refused(tmp_path, field):
    path = _write_mutated(tmp_path / "model.json", "named", _HUGE_INT_CASES[field])
    with pytest.raises(ModelFileError):
        load_model(path)


def test_huge_integer_diagnostic_renders_or_is_refused(tmp_path):
    path = _write_mutated(
        tmp_path / "model.json",
        "named",
        lambda d: d["diagnostics"].__setitem__("tol", _HUGE_INT),
    )
    try:
        model = load_model(path)
    except ModelFileError:
        return
    str(model.diagnostics_)


def test_overflowing_csv_values_raise_the_clear_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n1.3407807929942597e+154,0.0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", IllConditionedWarning)
        with pytest.raises(ValueError, match="overflows float64"):
            LinearRegression(lr="auto", tol=1e-8).fit(open_dataset(path, target="x"))


def test_overflowing_target_raises_the_clear_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", IllConditionedWarning)
        with pytest.raises(ValueError, match="overflows float64"):
            LinearRegression(lr="auto", tol=1e-8).fit([[0.0]], [1.3407807929942597e154])


def test_intercept_init_without_coef_init_is_refused(tmp_path):
    path = _write_mutated(tmp_path / "model.json", "named", lambda d: d.pop("coef_init"))
    with pytest.raises(ModelFileError, match="coef_init"):
        load_model(path)


def test_the_scale_mutation_itself_never_overflows():
    """make fuzz once failed in this helper (a huge int times 1e300), not in lingrad."""
    assert _scale(10**400, 1e300) == math.inf
    assert _scale(-(10**400), 1e300) == -math.inf
    assert _scale(10**400, -1e-300) == -math.inf
    assert _scale([2, True, "x"], 1e10) == [2e10, True, "x"]
