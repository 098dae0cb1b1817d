"""Structured messages (lingrad._messages): parts, the two renderings, the mixin."""

import copy
import io
import pickle
import warnings

import pytest

from lingrad import render as public_render
from lingrad._messages import Alt, LingradMessage, Set, cli_option, render
from lingrad._params import PARAMETERS, ParameterError


class _Error(LingradMessage, ValueError):
    """A message-bearing exception, as lingrad's errors are declared."""


class _Warning(LingradMessage, UserWarning):
    """A message-bearing warning, as lingrad's warnings are declared."""


PARTS = (
    "Use ",
    Set("lr", "'auto'"),
    ", set ",
    Set("tol", "1e-6"),
    " or increase ",
    Set("n_iters"),
    "; ",
    Alt("save it with lingrad.persist.save_model", "(lingrad fit ... -o MODEL)"),
    ".",
)
PYTHON_TEXT = (
    "Use lr='auto', set tol=1e-6 or increase n_iters; save it with lingrad.persist.save_model."
)
CLI_TEXT = "Use --lr auto, set --tol 1e-6 or increase --n-iters; (lingrad fit ... -o MODEL)."


@pytest.mark.parametrize(
    ("name", "option"),
    [("lr", "--lr"), ("n_iters", "--n-iters"), ("partial_fit_mode", "--partial-fit-mode")],
)
def test_cli_option_turns_underscores_into_dashes(name, option):
    assert cli_option(name) == option


@pytest.mark.parametrize(
    ("part", "python", "cli"),
    [
        (Set("lr", "'auto'"), "lr='auto'", "--lr auto"),  # quotes dropped on the command line
        (Set("tol", "1e-6"), "tol=1e-6", "--tol 1e-6"),
        (Set("fit_intercept", "False"), "fit_intercept=False", "--fit-intercept False"),
        (Set("n_iters"), "n_iters", "--n-iters"),  # the parameter alone
        (Alt("with features=[...]", "with --features"), "with features=[...]", "with --features"),
    ],
)
def test_each_part_renders_in_both_styles(part, python, cli):
    assert part.render("python") == python
    assert part.render("cli") == cli
    assert render((part,)) == python  # "python" is the default style
    assert render((part,), "cli") == cli


def test_render_joins_parts_in_order():
    assert render(PARTS, "python") == PYTHON_TEXT
    assert render(PARTS, "cli") == CLI_TEXT
    assert render(list(PARTS), "cli") == CLI_TEXT  # any iterable of parts
    assert public_render is render


def test_plain_text_is_the_same_in_both_styles():
    assert render("plain text", "cli") == "plain text"
    assert render(("a ", "b"), "cli") == "a b"
    assert render(()) == ""


def test_parts_are_immutable_values():
    part = Set("lr", "0.1")
    with pytest.raises(AttributeError):
        part.value = "0.2"
    assert part == Set("lr", "0.1")
    assert hash(part) == hash(Set("lr", "0.1"))
    assert Alt("a", "b") != Alt("a", "c")


def test_exception_renders_python_in_str_and_cli_on_request():
    err = _Error(PARTS, param="lr", value=3.0)
    assert isinstance(err, ValueError)
    assert str(err) == PYTHON_TEXT
    assert err.args == (PYTHON_TEXT,)
    assert err.render() == PYTHON_TEXT
    assert err.render("cli") == CLI_TEXT
    assert err.parts == PARTS
    assert err.fields == {"param": "lr", "value": 3.0}
    with pytest.raises(_Error, match="increase n_iters"):
        raise err


def test_a_plain_string_message_is_one_part():
    err = _Error("only text", limit=5)
    assert err.parts == ("only text",)
    assert str(err) == err.render("cli") == "only text"
    assert err.fields == {"limit": 5}
    assert _Error().parts == () and str(_Error()) == ""


def test_fields_are_a_private_copy():
    fields = {"param": "lr"}
    err = _Error(PARTS, **fields)
    fields["param"] = "tol"
    assert err.fields["param"] == "lr"


def test_warning_subclass_carries_parts_and_fields():
    with pytest.warns(_Warning) as record:
        warnings.warn(_Warning(PARTS, iteration=7), stacklevel=1)
    (caught,) = record
    assert caught.filename == __file__  # stacklevel=1 points at the warn call
    message = caught.message
    assert isinstance(message, UserWarning)
    assert str(message) == PYTHON_TEXT
    assert message.render("cli") == CLI_TEXT
    assert message.fields == {"iteration": 7}


class _ErrorWithArguments(LingradMessage, FloatingPointError, ValueError):
    """A subclass whose constructor takes more than the message (as DivergenceError's does)."""

    def __init__(self, parts, lr, iteration):
        super().__init__(parts, lr=lr, iteration=iteration)
        self.lr = lr
        self.iteration = iteration


def _dumps(obj, protocol):
    """Pickle with the class's own reduction, whatever copyreg holds (tblib patches it)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol)
    pickler.dispatch_table = {}
    pickler.dump(obj)
    return buffer.getvalue()


def _round_trips(obj):
    return [pickle.loads(_dumps(obj, protocol)) for protocol in (0, 2, pickle.HIGHEST_PROTOCOL)]


@pytest.mark.parametrize("cls", [_Error, _Warning])
def test_pickle_round_trip_keeps_message_parts_and_fields(cls):
    original = cls(PARTS, param="lr", value=3.0)
    for clone in [*_round_trips(original), copy.copy(original), copy.deepcopy(original)]:
        assert type(clone) is cls
        assert str(clone) == PYTHON_TEXT
        assert clone.render("cli") == CLI_TEXT
        assert clone.parts == PARTS
        assert clone.fields == {"param": "lr", "value": 3.0}


def test_a_real_parameter_error_survives_pickling():
    with pytest.raises(ParameterError) as info:
        PARAMETERS["lr"].check("LinearRegression", -1.0)
    err = info.value
    for clone in _round_trips(err):
        assert type(clone) is ParameterError
        assert str(clone) == str(err)
        assert clone.render("cli") == err.render("cli")
        assert "--lr auto" in clone.render("cli")
        assert clone.fields == err.fields


def test_a_subclass_with_its_own_constructor_survives_pickling():
    original = _ErrorWithArguments(PARTS, 0.5, 12)
    for clone in [*_round_trips(original), copy.copy(original), copy.deepcopy(original)]:
        assert type(clone) is _ErrorWithArguments
        assert str(clone) == PYTHON_TEXT and clone.args == original.args
        assert clone.render("cli") == CLI_TEXT
        assert (clone.lr, clone.iteration) == (0.5, 12)
        assert clone.fields == {"lr": 0.5, "iteration": 12}
