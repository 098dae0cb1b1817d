"""The run of a plan: divergence recovery and the structured messages it raises and warns."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from lingrad import (
    DivergenceError,
    DivergenceWarning,
    IllConditionedWarning,
    LinearRegression,
    NotConvergedWarning,
    ParameterError,
)
from lingrad._messages import LingradMessage
from lingrad._solve import DataOverflowError
from lingrad._sources import ChunkedSource


@pytest.fixture
def data(rng):
    X = rng.standard_normal((200, 3))
    return X, X @ np.array([1.0, 2.0, 3.0]) + 0.5


def test_divergence_error_has_fields_and_both_wordings(data):
    with pytest.raises(DivergenceError) as info:
        LinearRegression(lr=5.0, on_divergence="raise").fit(*data)
    err = info.value
    assert isinstance(err, FloatingPointError) and isinstance(err, ValueError)
    assert err.fields == {"lr": 5.0, "stable_lr": err.stable_lr, "iteration": 0}
    assert "diverges with lr=5:" in str(err) and "or lr='auto'," in str(err)
    cli = err.render("cli")
    # the command line's remedies: options, and --lr auto in place of a StandardScaler Pipeline
    assert "diverges with --lr 5:" in cli and "or --lr auto (which descends on centred" in cli
    assert "Use --lr below " in cli and "StandardScaler" not in cli and "Pipeline" not in cli


def test_recovered_warning_drops_the_attribute_on_the_command_line(data):
    with pytest.warns(DivergenceWarning) as record:
        model = LinearRegression(lr=5.0).fit(*data)
    w = record[0].message
    assert isinstance(w, LingradMessage)
    assert f"with lr={model.lr_:.6g} (lr='auto'); see lr_. Pass on_divergence='raise'" in str(w)
    cli = w.render("cli")
    assert f"with --lr {model.lr_:.6g} (--lr auto). Pass --on-divergence raise" in cli
    assert "lr_" not in cli


def test_divergence_during_the_solve_recovers_from_the_same_start(data):
    with pytest.warns(DivergenceWarning, match="where the loss blew up"):
        model = LinearRegression(optimizer="nesterov", lr=50.0, random_state=0).fit(*data)
    assert model.lr_ < 50.0 and np.isfinite(model.coef_).all()
    again = LinearRegression(optimizer="nesterov", lr=model.lr_, random_state=0).fit(*data)
    np.testing.assert_array_equal(model.coef_, again.coef_)


def test_not_converged_is_a_scikit_learn_convergence_warning(data):
    with pytest.warns(ConvergenceWarning) as record:
        LinearRegression(tol=1e-12, n_iters=5, lr=1e-4).fit(*data)
    w = record[0].message
    assert isinstance(w, NotConvergedWarning) and w.fields["n_iter"] == 5
    assert "did not converge in n_iters=5:" in str(w) and "above tol=1e-12." in str(w)
    cli = w.render("cli")
    assert "in 5 iterations (--n-iters 5):" in cli and "above --tol 1e-12." in cli
    assert "Increase --n-iters, or refit with --lr auto --optimizer nesterov" in cli


def test_ill_conditioned_warning_carries_the_condition_number(data):
    X, y = data
    with pytest.warns(IllConditionedWarning) as record:
        LinearRegression().fit(np.column_stack([X, X[:, 0]]), y)
    assert record[0].message.fields["condition_number"] > 1e12


def test_overflow_is_a_value_error_with_its_remedy(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(DataOverflowError, match=r"overflows float64.*Rescale") as info:
            LinearRegression().fit(X * 1e200, y * 1e200)
    assert isinstance(info.value, ValueError)


def test_batch_size_with_a_source_is_a_parameter_error(data):
    X, y = data
    source = ChunkedSource(lambda: iter([(X, y[:, None], None)]), 3)
    with pytest.raises(ParameterError, match=r"Drop batch_size, or call partial_fit") as info:
        LinearRegression(batch_size=10).fit(source)
    assert info.value.fields == {"param": "batch_size", "value": 10}
    assert "Drop --batch-size" in info.value.render("cli")
