"""Figures a learner reads: the descent path's inset, legend, colour bar, step order, names."""

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the figures need matplotlib (lingrad[plot])")

import matplotlib.pyplot as plt

from lingrad import LinearRegression, NotConvergedWarning, plots
from lingrad.datasets import make_tutorial_data


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_tutorial_data()


@pytest.fixture(scope="module")
def tutorial_path(data):
    X, y = data
    return LinearRegression(lr=0.01, n_iters=1000, random_state=4, record_path=True).fit(X, y)


@pytest.fixture(scope="module")
def zigzag(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotConvergedWarning)
        return LinearRegression(lr=1.8, n_iters=15, random_state=4, record_path=True).fit(X, y)


@pytest.fixture(scope="module")
def wide():
    pd = pytest.importorskip("pandas", reason="feature names come from a DataFrame")
    rng = np.random.default_rng(1)
    names = [f"size_{k}" for k in range(10)]
    X = pd.DataFrame(rng.normal(size=(300, 10)), columns=names)
    y = X.to_numpy() @ np.arange(1.0, 11.0) + 2.0 + rng.normal(size=300)
    model = LinearRegression(lr="auto", n_iters=400, random_state=0, record_path=True)
    return model.fit(X, y), X, y


def _inset(ax):
    insets = [child for child in ax.child_axes]
    return insets[0] if insets else None


def _marker(ax, marker):
    return [ln for ln in ax.lines if ln.get_marker() == marker]


def test_inset_zooms_on_the_optimum_and_shows_the_end_apart_from_the_star(tutorial_path, data):
    X, y = data
    ax = plots.plot_descent_path(tutorial_path, X, y).axes[0]
    inset = _inset(ax)
    assert inset is not None, "no zoomed inset although the end lies under the star"
    (star,) = _marker(inset, "*")
    sx, sy = star.get_xdata()[0], star.get_ydata()[0]
    end = np.array([tutorial_path.coef_path_[-1, 0], tutorial_path.intercept_path_[-1]])
    gap = float(np.abs(end - [sx, sy]).max())
    assert gap > 0  # 1000 steps at lr=0.01 stop short of the optimum
    (x0, x1), (y0, y1) = inset.get_xlim(), inset.get_ylim()
    # The end point is inside the zoom, and the zoom is small enough to separate it from the star.
    assert x0 <= end[0] <= x1 and y0 <= end[1] <= y1
    # ... and apart from the star: the gap is a fifth of the zoom's width.
    assert gap >= 0.15 * (x1 - x0)
    (mx0, mx1) = ax.get_xlim()
    assert (x1 - x0) < 0.1 * (mx1 - mx0)
    assert "from the optimum" in inset.get_title()


def test_no_inset_when_the_end_is_far_from_the_optimum(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotConvergedWarning)
        short = LinearRegression(n_iters=20, random_state=4, record_path=True).fit(X, y)
    assert _inset(plots.plot_descent_path(short, X, y).axes[0]) is None


def test_legend_explains_the_dots(tutorial_path, zigzag, data):
    X, y = data
    texts = [
        t.get_text() for t in plots.plot_descent_path(tutorial_path, X, y).axes[0].legend_.texts
    ]
    step = max(1, 1001 // 30)
    assert f"iterates (a dot every {step} steps)" in texts
    assert {"start", "exact optimum", "end"} <= set(texts)
    texts = [t.get_text() for t in plots.plot_descent_path(zigzag, X, y).axes[0].legend_.texts]
    assert "iterates (a dot per step)" in texts


def _round(value: float, spacing: float) -> bool:
    """``value`` is a whole multiple of ``spacing``, whose mantissa is 1, 2, 2.5 or 5."""
    mantissa = spacing / 10 ** math.floor(math.log10(spacing))
    whole = value / spacing
    return any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10)) and math.isclose(
        whole, round(whole), abs_tol=1e-9
    )


@pytest.mark.parametrize("which", ["tutorial_path", "zigzag", "wide"])
def test_colour_bar_ticks_are_round_numbers(which, request, data):
    fixture = request.getfixturevalue(which)
    model, X, y = fixture if which == "wide" else (fixture, *data)
    fig = plots.plot_descent_path(model, X, y)
    cbar_ax = fig.axes[1]
    assert cbar_ax.get_ylabel() == "MSE"
    ticks = np.asarray(cbar_ax.get_yticks(), dtype=float)
    labels = [t.get_text() for t in cbar_ax.get_yticklabels()]
    assert len(ticks) >= 3
    spacing = float(np.diff(ticks).min())
    assert np.allclose(np.diff(ticks), spacing)
    assert all(_round(float(t), spacing) for t in ticks), ticks
    assert all(len(label) <= 6 for label in labels), labels
    assert [float(label) for label in labels] == pytest.approx(list(ticks))


def test_zigzag_numbers_its_steps_with_arrows(zigzag, data):
    X, y = data
    ax = plots.plot_descent_path(zigzag, X, y).axes[0]
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == zigzag.n_iter_  # one arrow per step, from iterate k-1 to k
    P = np.column_stack([zigzag.coef_path_[:, 0], zigzag.intercept_path_])
    for k, arrow in enumerate(arrows, start=1):
        np.testing.assert_allclose(arrow.xy, P[k])
        np.testing.assert_allclose(arrow.xyann, P[k - 1])
    numbers = {int(t.get_text()): t.xy for t in ax.texts if t.get_text().isdigit()}
    # The first jumps are far apart, so each is numbered at its iterate.
    assert {0, 1, 2, 3} <= set(numbers)
    for k in (0, 1, 2, 3):
        np.testing.assert_allclose(numbers[k], P[k])
    legend = [t.get_text() for t in ax.legend_.texts]
    assert any("order of the steps" in text for text in legend)


def test_long_path_has_no_step_arrows(tutorial_path, data):
    X, y = data
    ax = plots.plot_descent_path(tutorial_path, X, y).axes[0]
    assert not [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]


def test_wide_model_axes_are_named_by_feature_with_a_slice_caption(wide):
    model, X, y = wide
    ax = plots.plot_descent_path(model, X, y).axes[0]
    assert ax.get_xlabel() == "coefficient of size_0"
    assert ax.get_ylabel() == "coefficient of size_1"
    title = ax.get_title()
    assert "slice through the fitted values" in title
    assert "8 other coefficients and the bias held at the fit" in title


def test_features_chosen_by_name_or_index(wide):
    model, X, y = wide
    ax = plots.plot_descent_path(model, X, y, features=("size_7", 3)).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("coefficient of size_7", "coefficient of size_3")
    path = ax.lines[0]
    np.testing.assert_allclose(path.get_xdata(), model.coef_path_[:, 7])
    np.testing.assert_allclose(path.get_ydata(), model.coef_path_[:, 3])
    (star,) = _marker(ax, "*")
    np.testing.assert_allclose(
        [star.get_xdata()[0], star.get_ydata()[0]], model.diagnostics_.exact_coef[[7, 3]]
    )


def test_the_slice_surface_is_the_mse_with_the_others_held(wide):
    """The surface's minimum over the slice, held at a converged fit, is the fit's MSE."""
    model, X, y = wide
    fig = plots.plot_descent_path(model, X, y, features=(4, 9))
    filled = fig.axes[0].collections[0]
    mse = float(np.mean((model.predict(X) - y) ** 2))
    # The grid's lowest point lies on the bowl, at or just above its minimum (the fit's MSE).
    assert mse * (1 - 1e-9) <= min(filled.levels) <= mse * 1.01


@pytest.mark.parametrize(
    ("features", "words"),
    [
        (("size_0", "size_0"), "two different features"),
        (("nope", 1), "'nope' is not one of"),
        ((0, 10), "10 is not one of"),
        ((0,), "a pair"),
    ],
)
def test_bad_features_are_named(wide, features, words):
    model, X, y = wide
    with pytest.raises(ValueError, match=words):
        plots.plot_descent_path(model, X, y, features=features)


def test_one_feature_refuses_features(tutorial_path, data):
    X, y = data
    with pytest.raises(ValueError, match="plane is \\(weight, bias\\)"):
        plots.plot_descent_path(tutorial_path, X, y, features=(0, 1))


def test_one_named_feature_keeps_weight_and_bias(data):
    pd = pytest.importorskip("pandas", reason="feature names come from a DataFrame")
    X, y = data
    frame = pd.DataFrame({"x": X[:, 0]})
    model = LinearRegression(random_state=4, n_iters=50, record_path=True).fit(frame, y)
    ax = plots.plot_descent_path(model, frame, y).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("weight w (x)", "bias b")
    assert "slice" not in ax.get_title()


def test_cli_path_of_a_ten_feature_model_names_its_axes(tmp_path, monkeypatch):
    """``lingrad plot --kind path`` draws the figure with the features' names."""
    pytest.importorskip("typer", reason="the command line needs lingrad[cli]")
    from typer.testing import CliRunner

    from lingrad.cli import app

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 10))
    y = X @ np.arange(1.0, 11.0) + rng.normal(size=200)
    header = ",".join([f"f{k}" for k in range(10)] + ["y"])
    data = tmp_path / "d.csv"
    np.savetxt(data, np.column_stack([X, y]), delimiter=",", header=header, comments="")
    drawn = []
    original = plots.plot_descent_path

    def spy(*args, **kwargs):
        fig = original(*args, **kwargs)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(plots, "plot_descent_path", spy)
    runner = CliRunner()
    model = tmp_path / "m.json"
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "--lr", "auto", "-o", str(model)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["plot", str(model), str(data), "--kind", "path", "-o", str(tmp_path / "p.png")]
    )
    assert res.exit_code == 0, res.output
    (fig,) = drawn
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("coefficient of f0", "coefficient of f1")
    assert "slice through the fitted values" in ax.get_title()
    assert (tmp_path / "p.png").stat().st_size > 1000
