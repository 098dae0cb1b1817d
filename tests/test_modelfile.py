"""Unit tests of lingrad._modelfile: schema, errors, encode, read, validate and build."""

from __future__ import annotations

import ast
import json
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from lingrad import PARAMETERS, LinearRegression, ParameterError, SufficientStats
from lingrad._diagnostics import Diagnostics
from lingrad._fitted import FittedState
from lingrad._messages import LingradMessage
from lingrad._modelfile import read_document, write_model
from lingrad._modelfile.build import ModelDocument, build
from lingrad._modelfile.encode import chunks, document, encode_nonfinite
from lingrad._modelfile.errors import ModelFileError, UnsavableModelError, file_error
from lingrad._modelfile.read import parse
from lingrad._modelfile.schema import (
    DTYPES,
    ENGINES,
    FIELD_ORDER,
    FORMAT,
    NOT_STORED,
    OPTIONAL,
    REQUIRED,
    SCHEMA_VERSION,
    STATE_OF_FIELD,
    STATS_FIELDS,
    STATS_OPTIONAL_FIELDS,
)
from lingrad._modelfile.validate import Fields, check_header
from lingrad.persist import ModelFileError as PublicModelFileError

_PACKAGE = Path(__file__).parents[1] / "src" / "lingrad" / "_modelfile"


def _fit(k=None, **kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    coef = rng.normal(size=(3,) if k is None else (3, k))
    y = X @ coef + 0.5
    kw.setdefault("random_state", 0)
    kw.setdefault("n_iters", 50)
    return LinearRegression(**kw).fit(X, y), X


def _doc(k=None, **kw) -> dict:
    """A valid document, as json.loads gives it back."""
    model, _ = _fit(k, **kw)
    return json.loads("".join(chunks(document(model))))


def _problem(doc, path="m.json") -> str:
    with pytest.raises(ModelFileError) as info:
        build(Fields(path), doc)
    return info.value.fields["problem"]


# ------------------------------------------------------------------------------ schema


def test_schema_fields_partition():
    assert set(REQUIRED) | OPTIONAL == set(FIELD_ORDER)
    assert not set(REQUIRED) & OPTIONAL
    assert len(set(FIELD_ORDER)) == len(FIELD_ORDER)
    assert (FORMAT, SCHEMA_VERSION) == ("lingrad-model", 1)


def test_every_fitted_attribute_has_a_field_or_is_not_stored():
    stored = {f.name for f in fields(FittedState)} - NOT_STORED
    assert set(STATE_OF_FIELD.values()) == stored
    assert set(STATE_OF_FIELD) <= set(FIELD_ORDER)
    assert list(STATE_OF_FIELD) == [k for k in FIELD_ORDER if k in STATE_OF_FIELD]


def test_schema_option_lists_come_from_their_owners():
    assert ENGINES == tuple(e for e in PARAMETERS["engine"].options if e != "auto")
    # every field of the statistics; weight_exponent is optional (written only when not 0:
    # statistics of rescaled extreme weights, test_extreme_weights2.py)
    written = tuple(f.name for f in fields(SufficientStats) if f.name != "weight_exponent")
    assert STATS_FIELDS == written
    assert STATS_OPTIONAL_FIELDS == ("weight_exponent",)
    assert [f.default for f in fields(SufficientStats) if f.name == "weight_exponent"] == [0]
    assert DTYPES == ("float64", "float32")


def test_modules_do_not_import_the_estimator_or_persist():
    for path in _PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert "_estimator" not in name and "persist" not in name, (path.name, name)
        assert len(path.read_text(encoding="utf-8").splitlines()) < 450, path.name


# ------------------------------------------------------------------------------ errors


def test_file_error_renders_for_python_and_cli():
    err = file_error("m.json", "the file is empty")
    assert isinstance(err, ValueError) and isinstance(err, LingradMessage)
    assert ModelFileError is PublicModelFileError
    assert f"{ModelFileError.__module__}.{ModelFileError.__qualname__}" == (
        "lingrad.persist.ModelFileError"
    )
    assert str(err) == (
        "Cannot load the lingrad model file 'm.json': the file is empty. The file was damaged "
        "or edited after it was saved: restore it from a backup, or refit the model and save "
        "it again with lingrad.persist.save_model."
    )
    assert err.render("cli").endswith(
        "refit the model and save it again (lingrad fit ... -o MODEL)."
    )
    assert err.fields == {"path": "m.json", "problem": "the file is empty"}


def test_not_a_model_file_advice_in_cli_terms():
    with pytest.raises(ModelFileError) as info:
        check_header(Fields("m.json"), [1])
    assert str(info.value).endswith("Pass a file written by lingrad.persist.save_model.")
    assert info.value.render("cli").endswith("Pass a model file written by lingrad fit.")


def test_unknown_hyperparameter_advice_in_cli_terms():
    doc = _doc()
    doc["params"]["fast_mode"] = True
    with pytest.raises(ModelFileError) as info:
        build(Fields("m.json"), doc)
    tail = "refit the model and save it again {}."
    assert str(info.value).endswith(tail.format("with lingrad.persist.save_model"))
    assert info.value.render("cli").endswith(tail.format("(lingrad fit ... -o MODEL)"))
    assert "upgrade lingrad; otherwise The file was damaged" in info.value.render("cli")


# ------------------------------------------------------------------------------ encode


def test_encode_nonfinite_tokens():
    assert encode_nonfinite([1.0, math.inf, -math.inf, {"a": [math.nan]}]) == [
        1.0,
        "inf",
        "-inf",
        {"a": ["nan"]},
    ]


def test_chunks_write_fields_in_schema_order():
    text = "".join(chunks({"coef": [1.0], "format": FORMAT, "n_iter": 3}))
    assert list(json.loads(text)) == ["format", "coef", "n_iter"]
    assert text.startswith('{\n  "format": "lingrad-model",\n') and text.endswith("}\n")


@pytest.mark.parametrize("k", [None, 2])
def test_document_round_trips_the_fitted_state(k):
    model, X = _fit(k)
    doc = json.loads("".join(chunks(document(model, ["a", "b"] if k else "a"))))
    # every field but "design", written only for formula fits (tests/test_formula_persist.py)
    assert set(doc) == set(FIELD_ORDER) - {"design"}
    built = build(Fields("m.json"), doc)
    assert isinstance(built, ModelDocument)
    assert built.params == model.get_params(deep=False)
    assert built.metadata["target_names"] == (["a", "b"] if k else ["a"])
    saved = FittedState.of(model)
    for name in STATE_OF_FIELD.values():
        if name in ("diagnostics", "stats"):
            continue
        np.testing.assert_array_equal(getattr(built.state, name), getattr(saved, name), name)
    got, want = built.state.diagnostics.to_dict(), saved.diagnostics.to_dict()
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_equal(got[key], want[key], err_msg=key)
    assert built.state.stats.scatter.tobytes() == saved.stats.scatter.tobytes()
    assert all(getattr(built.state, name) is None for name in NOT_STORED)
    fresh = LinearRegression(**built.params)
    built.state.apply(fresh)
    assert fresh.predict(X).tobytes() == model.predict(X).tobytes()


def test_write_model_needs_no_linear_regression(tmp_path):
    """Any estimator holding lingrad's fitted attributes is written (LinearRegression.save)."""
    model, _ = _fit()

    class Duck(BaseEstimator):
        def fit(self, X, y):  # an estimator, for check_is_fitted
            return self

        def get_params(self, deep=True):
            return model.get_params(deep=deep)

    duck = Duck()
    duck.__dict__.update(model.__dict__)
    path = write_model(duck, tmp_path / "duck.json")
    state = read_document(path).state
    assert state.coef.tobytes() == model.coef_.tobytes()
    with pytest.raises(NotFittedError, match="Call fit"):
        write_model(LinearRegression(), tmp_path / "unfitted.json")


def test_write_model_runs_a_deferred_partial_fit_solve(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = X @ [1.0, -2.0] + 0.5
    model = LinearRegression(random_state=0, n_iters=100)
    model.partial_fit(X[:15], y[:15]).partial_fit(X[15:], y[15:])
    built = read_document(write_model(model, tmp_path / "m.json"))
    assert built.state.coef.tobytes() == model.coef_.tobytes()


def test_saved_hyperparameters_obey_their_constraints():
    model, _ = _fit()
    model.momentum = 2.0  # fit would refuse it; the file does not hold it
    with pytest.raises(ParameterError, match="'momentum' parameter of LinearRegression"):
        document(model)
    model.momentum = math.nan
    with pytest.raises(UnsavableModelError) as info:
        document(model)
    assert str(info.value).startswith("Cannot save the hyperparameter momentum=nan: ")
    assert info.value.render("cli").startswith("Cannot save the hyperparameter --momentum nan: ")
    model.momentum = (0.9,)
    with pytest.raises(UnsavableModelError, match=r"momentum=\(0.9,\) of type tuple") as info:
        document(model)
    assert "Set --momentum to one of those" in info.value.render("cli")


def test_random_state_instance_becomes_a_note():
    model, _ = _fit(random_state=np.random.RandomState(0))
    doc = document(model)
    assert doc["params"]["random_state"] is None
    assert "RandomState" in doc["notes"][0]


# -------------------------------------------------------------------------------- read


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"\xff\xfe", "not UTF-8 text (invalid byte at offset 0)"),
        (b"  \n", "the file is empty"),
        (b'{"a": NaN}', "non-finite number 'NaN'"),
        (b'{"a": -Infinity}', "non-finite number '-Infinity'"),
        (b'{"a": 1e999}', "non-finite number '1e999'"),
        (b'{"a": 1, "a": 2}', "the field 'a' appears twice in one object"),
        (b'{"a": [1, 2', "the file is truncated"),
        (b"{'a': 1}", "it is not valid JSON: the file is corrupted"),
        (b"[" * 100_000 + b"]" * 100_000, "it is not valid JSON"),
    ],
)
def test_parse_refuses(data, expected):
    with pytest.raises(ModelFileError) as info:
        parse("m.json", data)
    assert expected in info.value.fields["problem"]
    assert "'m.json'" in str(info.value)


def test_parse_keeps_exact_numbers():
    assert parse("m.json", b'{"x": [5e-324, -0.0, 12345678901234567890]}') == {
        "x": [5e-324, -0.0, 12345678901234567890]
    }


def test_read_document_of_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "nope.json")


# ---------------------------------------------------------------------------- validate


def test_fields_typed_reads():
    v = Fields("m.json")
    assert v.int_({"n": 2}, "n", low=1) == 2
    assert v.bool_({"b": False}, "b") is False
    assert v.str_({"s": "x"}, "s") == "x"
    assert v.option({"o": "float32"}, "o", DTYPES) == "float32"
    assert math.isinf(v.number("-inf", "'x'", tokens=True))
    assert v.str_list({"n": ["a", "b"]}, "n", 2, "n_features_in") == ["a", "b"]
    assert v.str_list({}, "n", 2, "n_features_in") is None
    a = v.array({"c": [[1, 2]]}, "c", (1, 2), ("n_targets", "n_features_in"), dtype="float32")
    assert a.dtype == np.float32 and a.shape == (1, 2)
    assert v.intercept({"b": 1}, "b", 1, 1, "float64") == 1.0


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda v: v.int_({"n": True}, "n", low=0), "'n' must be an integer >= 0; got True"),
        (lambda v: v.int_({"n": 0}, "n", low=1), "'n' must be an integer >= 1; got 0"),
        (lambda v: v.bool_({"b": 1}, "b"), "'b' must be true or false; got an integer 1"),
        (lambda v: v.str_({"s": ""}, "s"), "'s' must be a non-empty string; got ''"),
        (lambda v: v.option({"o": 1}, "o", ENGINES), "'o' must be one of 'stats', 'direct'"),
        (lambda v: v.number(10**400, "'x'"), "'x' is 401 digits long: too large"),
        (lambda v: v.number("nan", "'x'"), "'x' must be a number; got a string 'nan'"),
        (
            lambda v: v.array({"c": [1]}, "c", (2,), ("n_features_in",)),
            "'c' has 1 entries, but n_features_in is 2",
        ),
        (
            lambda v: v.array({"c": [1e300]}, "c", (1,), ("f",), dtype="float32"),
            "'c' has a value too large for float32",
        ),
        (lambda v: v.intercept({"b": [1]}, "b", 1, 1, "float64"), "'b' must be a number"),
        (lambda v: v.intercept({"b": None}, "b", 1, 1, "float64"), "'b' is missing"),
        (lambda v: v.str_list({"n": [1]}, "n", 1, "d"), "'n' must be a list of strings or null"),
    ],
)
def test_fields_refuse(call, expected):
    with pytest.raises(ModelFileError) as info:
        call(Fields("m.json"))
    assert expected in info.value.fields["problem"]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d.update(format="other"), "its 'format' is 'other'"),
        (lambda d: d.update(schema_version=2), "reads schema version 1 only"),
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
        (lambda d: d.pop("lr"), "required field(s) 'lr' are missing"),
        (lambda d: d.update(created="soon"), "'created' is not an ISO 8601 time"),
    ],
)
def test_header_refuses(edit, expected):
    doc = _doc()
    edit(doc)
    with pytest.raises(ModelFileError) as info:
        check_header(Fields("m.json"), doc)
    assert expected in info.value.fields["problem"]


# ------------------------------------------------------------------------------- build


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("lr", "fast", "must be a positive float or 'auto'; got 'fast'"),
        ("lr", 0.0, "must be a positive float or 'auto'; got 0.0"),
        ("lr", 10**400, "must be a positive float or 'auto'"),
        ("n_iters", 2.5, "must be an integer >= 0; got 2.5"),
        ("fit_intercept", 1, "must be True or False; got 1"),
        ("engine", "magic", "must be one of 'auto', 'stats', 'direct'; got 'magic'"),
        ("l1_ratio", 1.5, "must be a finite real number in [0.0, 1.0]; got 1.5"),
        ("batch_size", 0, "must be an integer >= 1; got 0"),
        ("tol", -1.0, "must be a finite real number in (0.0, inf]; got -1.0"),
    ],
)
def test_hyperparameter_values_follow_the_constraints_table(name, value, expected):
    doc = _doc()
    doc["params"][name] = value
    assert f"hyperparameter {name!r} {expected}" in _problem(doc)


@pytest.mark.parametrize(
    "name, value",
    [("tol", None), ("momentum", None), ("batch_size", 8), ("lr", "auto"), ("random_state", "x")],
)
def test_hyperparameters_within_their_constraints_load(name, value):
    doc = _doc()
    doc["params"][name] = value
    assert build(Fields("m.json"), doc).params[name] == value


def test_unknown_hyperparameters_list_the_constraints_table():
    doc = _doc()
    doc["params"]["fast_mode"] = True
    doc["params"]["turbo"] = 1
    problem = _problem(doc)
    assert "unknown hyperparameters 'fast_mode', 'turbo'" in problem
    assert problem.endswith("accepts " + ", ".join(sorted(PARAMETERS)))


def test_a_hyperparameter_fault_is_reported_after_the_structure():
    doc = _doc()
    doc["params"]["lr"] = "fast"
    doc["coef"] = "x"
    assert _problem(doc).startswith("'coef' must be a list")


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d.update(y_ndim=3), "'y_ndim' must be 1 or 2; got 3"),
        (lambda d: d.update(intercept_init=None), "must be given together"),
        (lambda d: d.update(feature_names=["a"]), "'feature_names' has 1 names"),
        (lambda d: d.update(target_names=["a", "b"]), "'target_names' has 2 names"),
        (lambda d: d.update(loss_history=[]), "'loss_history' must be a non-empty list"),
        (lambda d: d.update(lr=0), "'lr' must be a positive number; got 0"),
        (lambda d: d.update(notes="x"), "'notes' must be a list of strings"),
        (lambda d: d["diagnostics"].pop("lipschitz"), "'diagnostics' lacks field(s)"),
        (lambda d: d["diagnostics"].update(engine=""), "'diagnostics.engine' must be a non-empty"),
        (lambda d: d["stats"].update(sum_weights=-1), "'stats.sum_weights' must be > 0"),
        (lambda d: d["stats"].update(weighted=0), "'stats.weighted' must be true or false"),
        (lambda d: d.update(stats=[]), "'stats' must be an object or null; got a list"),
    ],
)
def test_build_refuses(edit, expected):
    doc = _doc()
    edit(doc)
    assert expected in _problem(doc)


def test_build_without_optional_fields():
    doc = _doc()
    for key in ("notes", "feature_names", "target_names", "coef_init", "intercept_init", "stats"):
        doc.pop(key)
    built = build(Fields("m.json"), doc)
    assert built.state.coef_init is None and built.state.intercept_init is None
    assert built.state.stats is None and built.state.feature_names_in is None
    assert built.metadata["notes"] == () and built.metadata["target_names"] is None
    assert isinstance(built.state.diagnostics, Diagnostics)
