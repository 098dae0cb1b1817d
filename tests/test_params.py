"""The parameter-constraints table (lingrad._params) against the estimator it describes."""

import dataclasses
import inspect
import math
import re

import numpy as np
import pytest

from lingrad import PARAMETERS as PUBLIC_PARAMETERS
from lingrad import SUMMARY_PARAMETERS as PUBLIC_SUMMARY
from lingrad import LinearRegression
from lingrad import ParameterError as PublicParameterError
from lingrad._messages import render
from lingrad._optimizers import OPTIMIZER_NAMES, SCHEDULES, Schedule, make_optimizer
from lingrad._params import (
    COV_TYPES,
    ENGINES,
    PARAMETERS,
    SUMMARY_PARAMETERS,
    Constraint,
    ParameterError,
    Params,
    check_params,
)

OWNER = "LinearRegression"

# name -> (valid values, invalid values), covering every kind of the table.
VALUES = {
    "lr": (
        [0.01, 1, 1e-12, 1e6, np.float32(0.5), np.int64(2), "auto"],
        [0, 0.0, -0.1, math.nan, math.inf, "fast", "Auto", True, None, [0.1]],
    ),
    "n_iters": (
        [0, 1, 1000, np.int64(5), np.uint8(3)],
        [-1, 1.5, 10.0, True, "10", None, np.float64(3.0)],
    ),
    "fit_intercept": ([True, False, np.bool_(True)], [1, 0, "True", None, 1.0]),
    "tol": (
        [None, 1e-12, 1e-6, 1, np.float64(0.5)],
        [0, 0.0, -1e-3, math.nan, math.inf, "1e-6", True],
    ),
    "engine": (list(ENGINES), ["fast", "Stats", None, 1, ""]),
    "optimizer": (list(OPTIMIZER_NAMES), ["sgd", "GD", None, 0]),
    "momentum": (
        [None, 0, 0.0, 0.5, 0.999, np.float32(0.9)],
        [1, 1.0, -0.1, 1.5, math.nan, "0.9", False],
    ),
    "batch_size": ([None, 1, 32, np.int32(4)], [0, -1, 2.5, True, "32", 8.0]),
    "learning_rate": (list(SCHEDULES), ["optimal", "Constant", None]),
    "alpha": ([0, 0.0, 1, 1e6, np.float32(0.25)], [-1e-9, -1, math.nan, math.inf, None, "0"]),
    "l1_ratio": ([0, 0.0, 0.5, 1, 1.0], [-0.1, 1.1, 1 + 1e-12, math.nan, None, "0.5"]),
    "on_divergence": (["recover", "raise"], ["ignore", "Raise", None]),
    "partial_fit_mode": (["exact", "sgd"], ["approx", None]),
    "precondition": (["auto", "diagonal", "full", "none"], ["Full", "cholesky", None, True]),
    "missing": (["raise", "drop"], ["Drop", "ignore", None, False]),
    # "any": not checked by the table (seeds, verbosity, a flag), anything passes.
    "random_state": ([None, 0, np.random.RandomState(0), "anything"], []),
    "verbose": ([False, True, 2, "yes"], []),
    "record_path": ([False, True, 1], []),
    "positive": ([False, True], [1, "yes", None]),
    "bounds": ([None, (0.0, 1.0)], []),  # the box itself is checked by lingrad._bounds.Box
}
VALID = [(n, v) for n, (good, _) in VALUES.items() for v in good]
INVALID = [(n, v) for n, (_, bad) in VALUES.items() for v in bad]
MESSAGE = re.compile(r"The '(\w+)' parameter of (\w+) must be (.+?); got (.+?)\. (.*)", re.S)


def _fmt(value):
    return repr(value.item() if isinstance(value, np.generic) else value)


def _raised(name, value):
    with pytest.raises(ParameterError) as info:
        PARAMETERS[name].check(OWNER, value)
    return info.value


# -- the table describes the estimator ------------------------------------------------
def test_public_names_are_the_table():
    assert PUBLIC_PARAMETERS is PARAMETERS
    assert PUBLIC_SUMMARY is SUMMARY_PARAMETERS
    assert PublicParameterError is ParameterError
    assert issubclass(ParameterError, ValueError)


def test_every_hyperparameter_in_signature_order_with_its_default():
    signature = inspect.signature(LinearRegression.__init__).parameters
    names = [n for n in signature if n != "self"]
    assert list(PARAMETERS) == names
    params = LinearRegression().get_params()
    assert set(params) == set(PARAMETERS)
    for name, c in PARAMETERS.items():
        assert c.name == name
        assert c.default == signature[name].default, name
        assert params[name] == c.default, name
    assert set(VALUES) == set(PARAMETERS)  # this file tests every entry


def test_read_only():
    with pytest.raises(TypeError):
        PARAMETERS["lr"] = PARAMETERS["tol"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PARAMETERS["lr"].default = 0.1


def test_options_are_the_registries():
    assert PARAMETERS["optimizer"].options == tuple(OPTIMIZER_NAMES)
    assert PARAMETERS["learning_rate"].options == tuple(SCHEDULES)
    assert PARAMETERS["engine"].options == ENGINES
    assert SUMMARY_PARAMETERS["cov_type"].options == COV_TYPES
    # and each registered name is really built by its registry
    for name in PARAMETERS["optimizer"].options:
        assert make_optimizer(name, None, None).name == name
    for kind in PARAMETERS["learning_rate"].options:
        assert Schedule(0.5, kind)(0) == 0.5
    for name, c in PARAMETERS.items():
        if c.kind == "option":
            assert c.default in c.options, name


# -- each kind accepts what it should and rejects the rest ------------------------
@pytest.mark.parametrize(("name", "value"), VALID)
def test_valid_values_pass(name, value):
    c = PARAMETERS[name]
    assert c.accepts(value)
    out = c.check(OWNER, value)
    if value is None or c.kind == "any":
        assert out is value
    elif c.kind == "bool":
        assert type(out) is bool and out == bool(value)
    elif c.kind == "int":
        assert type(out) is int and out == int(value)
    elif c.kind in ("option",) or value == "auto":
        assert out == value and type(out) is str
    else:  # real, or a numeric lr: a Python float
        assert type(out) is float and out == float(value)


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_invalid_values_raise_the_one_format(name, value):
    c = PARAMETERS[name]
    assert not c.accepts(value)
    err = _raised(name, value)
    text = str(err)
    match = MESSAGE.fullmatch(text)
    assert match, text
    param, owner, expected, got, fix = match.groups()
    assert (param, owner) == (name, OWNER)
    assert got == _fmt(value)
    assert fix.endswith("."), fix
    fields = err.fields
    assert fields["owner"] == OWNER and fields["param"] == name
    assert fields["value"] is value
    assert fields["expected"] == expected
    if c.kind in ("real", "int"):
        assert (fields["low"], fields["high"]) == (c.low, c.high)
        assert expected == c.expected
    elif c.kind == "option":
        assert expected == c.expected == "one of " + ", ".join(map(repr, c.options))
        assert fix == "Use one of " + ", ".join(map(repr, c.options)) + "."
    else:
        assert "low" not in fields


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_the_estimator_raises_exactly_the_tables_error(name, value):
    """The table words every error exactly as fitting the estimator does."""
    X = np.arange(8.0).reshape(4, 2)
    y = np.arange(4.0)
    with pytest.raises(ValueError) as info:
        LinearRegression(**{"n_iters": 5, name: value}).fit(X, y)
    assert str(info.value) == str(_raised(name, value))


def test_the_fix_renders_for_the_command_line():
    err = _raised("lr", -1.0)
    assert str(err).endswith("Use a positive learning rate such as lr=0.01, or lr='auto'.")
    assert err.render("cli").endswith(
        "Use a positive learning rate such as --lr 0.01, or --lr auto."
    )
    err = _raised("lr", "fast")
    assert str(err) == (
        "The 'lr' parameter of LinearRegression must be a positive float or 'auto'; "
        "got 'fast'. Use e.g. lr=0.01 or lr='auto'."
    )
    assert err.render("cli").endswith("Use e.g. --lr 0.01 or --lr auto.")
    assert (
        render(PARAMETERS["tol"].fix, "cli")
        == "Use a small positive tolerance such as --tol 1e-6, or None."
    )


def test_a_numeric_lr_is_judged_as_a_number():
    assert _raised("lr", -1.0).fields["expected"] == "a finite real number in (0.0, inf]"
    assert _raised("lr", "x").fields["expected"] == PARAMETERS["lr"].expected


@pytest.mark.parametrize(
    "c",
    [c for c in (*PARAMETERS.values(), *SUMMARY_PARAMETERS.values()) if c.kind == "real"],
    ids=lambda c: c.name,
)
def test_interval_brackets_say_which_bounds_are_allowed(c):
    """'[' accepts the bound, '(' refuses it; the words and the check agree."""
    interval = re.fullmatch(r"a finite real number in ([\[(])(\S+), (\S+)([\])])", c.expected)
    assert interval, c.expected
    lo_bracket, lo, hi, hi_bracket = interval.groups()
    if c.low is not None:
        assert float(lo) == c.low
        assert c.accepts(c.low) == (lo_bracket == "[")
        assert not c.accepts(c.low - 1e-9)
    if c.high is not None:
        assert float(hi) == c.high
        assert c.accepts(c.high) == (hi_bracket == "]")
        # just above: 1e-9 above, or the next float where 1e-9 is below rounding (1e300)
        assert not c.accepts(max(c.high + 1e-9, math.nextafter(c.high, math.inf)))


def test_an_int_constraint_names_its_lower_bound():
    assert PARAMETERS["n_iters"].expected == "an integer >= 0"
    assert PARAMETERS["batch_size"].expected == "an integer >= 1"
    assert Constraint("k", "int", 3, low=3).accepts(3)
    assert not Constraint("k", "int", 3, low=3).accepts(2)


# -- check_params ---------------------------------------------------------------------
def test_check_params_of_the_defaults():
    p = check_params(OWNER, LinearRegression().get_params())
    assert isinstance(p, Params)
    assert dataclasses.asdict(p) == {n: c.default for n, c in PARAMETERS.items()}
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.lr = 1.0


def test_check_params_normalises_types():
    model = LinearRegression(
        lr=np.float32(0.5),
        n_iters=np.int64(7),
        fit_intercept=np.bool_(False),
        tol=np.float64(1e-6),
        momentum=0,
        batch_size=np.int16(4),
        alpha=1,
        l1_ratio=np.float32(0.5),
    )
    p = check_params(OWNER, model.get_params())
    typed = {
        "lr": (float, 0.5),
        "n_iters": (int, 7),
        "fit_intercept": (bool, False),
        "tol": (float, 1e-6),
        "momentum": (float, 0.0),
        "batch_size": (int, 4),
        "alpha": (float, 1.0),
        "l1_ratio": (float, 0.5),
    }
    for name, (kind, value) in typed.items():
        got = getattr(p, name)
        assert type(got) is kind and got == value, name
    assert p.lr == 0.5 and check_params(OWNER, {**model.get_params(), "lr": "auto"}).lr == "auto"


def test_check_params_raises_for_the_first_bad_value_in_table_order():
    values = {**LinearRegression().get_params(), "alpha": -1.0, "n_iters": -2}
    with pytest.raises(ParameterError) as info:
        check_params(OWNER, values)
    assert info.value.fields["param"] == "n_iters"  # n_iters comes before alpha
    with pytest.raises(KeyError):
        check_params(OWNER, {"lr": 0.1})


# -- the summary's parameters ---------------------------------------------------------
def test_summary_parameters_match_the_summary_signature():
    signature = inspect.signature(LinearRegression.summary).parameters
    assert list(SUMMARY_PARAMETERS) == ["cov_type", "groups", "maxlags", "alpha"]
    for name, c in SUMMARY_PARAMETERS.items():
        assert c.name == name
        assert c.default == signature[name].default
        assert c.accepts(c.default)


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("cov_type", list(COV_TYPES), ["hc0", "robust", None]),
        ("alpha", [1e-6, 0.05, 0.5, 0.999], [0, 0.0, 1, 1.0, -0.05, math.nan, "0.05"]),
        ("maxlags", [None, 0, 1, 12], [-1, 1.5, "4", True]),
    ],
)
def test_summary_parameters_accept_and_reject(name, good, bad):
    c = SUMMARY_PARAMETERS[name]
    for value in good:
        assert c.check("summary", value) == value
    for value in bad:
        with pytest.raises(ParameterError) as info:
            c.check("summary", value)
        match = MESSAGE.fullmatch(str(info.value))
        assert match and match.group(1, 2) == (name, "summary"), str(info.value)
        assert info.value.fields["value"] is value
        if name == "alpha":
            assert info.value.render("cli").endswith(
                "Use a significance level in (0, 1), e.g. --alpha 0.05 for 95% intervals."
            )
