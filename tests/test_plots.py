"""Every figure renders (files open as images of a sane size) and bad inputs get clear errors."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
PIL_Image = pytest.importorskip("PIL.Image")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lingrad import LinearRegression, plots  # noqa: E402
from lingrad.datasets import make_tutorial_data  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return make_tutorial_data()


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return LinearRegression(random_state=4, record_path=True).fit(X, y)


@pytest.fixture(scope="module")
def data3():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 1.0 + 0.1 * rng.normal(size=200)
    return X, y


@pytest.fixture(scope="module")
def model3(data3):
    X, y = data3
    return LinearRegression(random_state=0, n_iters=300, record_path=True).fit(X, y)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _check_png(path):
    assert path.exists()
    with PIL_Image.open(path) as im:
        assert im.format == "PNG"
        w, h = im.size
        assert 300 <= w <= 3000 and 200 <= h <= 3000


FIGURES = {
    "data": lambda m, X, y, p: plots.plot_data(X, y, path=p),
    "initial_fit": lambda m, X, y, p: plots.plot_fit(m, X, y, initial=True, path=p),
    "final_fit": lambda m, X, y, p: plots.plot_fit(m, X, y, path=p),
    "loss": lambda m, X, y, p: plots.plot_loss(m, path=p),
    "predicted_vs_actual": lambda m, X, y, p: plots.plot_predicted_vs_actual(m, X, y, path=p),
    "residuals": lambda m, X, y, p: plots.plot_residuals(m, X, y, path=p),
    "descent_path": lambda m, X, y, p: plots.plot_descent_path(m, X, y, path=p),
    "coef_paths": lambda m, X, y, p: plots.plot_coef_paths(m, path=p),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_renders_to_png(name, model, data, tmp_path):
    X, y = data
    target = tmp_path / f"{name}.png"
    fig = FIGURES[name](model, X, y, target)
    assert isinstance(fig, Figure)
    _check_png(target)


@pytest.mark.parametrize(
    "name", ["loss", "predicted_vs_actual", "residuals", "descent_path", "coef_paths"]
)
def test_figures_for_several_features(name, model3, data3, tmp_path):
    X, y = data3
    target = tmp_path / f"{name}.png"
    FIGURES[name](model3, X, y, target)
    _check_png(target)


def test_no_path_saves_nothing_and_ax_is_used(model, data, tmp_path):
    X, y = data
    fig, ax = plt.subplots()
    out = plots.plot_fit(model, X, y, ax=ax)
    assert out is fig
    assert len(ax.lines) == 1
    assert list(tmp_path.iterdir()) == []


def test_fit_lines_are_the_start_and_the_fit(model, data):
    X, y = data
    xs = np.array([X.min(), X.max()])
    line0 = plots.plot_fit(model, X, y, initial=True).axes[0].lines[0]
    np.testing.assert_allclose(line0.get_ydata(), model.coef_init_[0] * xs + model.intercept_init_)
    line = plots.plot_fit(model, X, y).axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), model.coef_[0] * xs + model.intercept_)


def test_loss_is_log_scale_with_every_iteration(model):
    ax = plots.plot_loss(model).axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), model.loss_history_)


def _star(fig):
    (star,) = [ln for ln in fig.axes[0].lines if ln.get_marker() == "*"]
    return star.get_xdata()[0], star.get_ydata()[0]


@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_descent_path_draws_the_iterates_and_the_exact_optimum(engine, data):
    X, y = data
    m = LinearRegression(random_state=0, engine=engine, n_iters=200, record_path=True).fit(X, y)
    fig = plots.plot_descent_path(m, X, y)
    path = fig.axes[0].lines[0]
    np.testing.assert_allclose(path.get_xdata(), m.coef_path_[:, 0])
    np.testing.assert_allclose(path.get_ydata(), m.intercept_path_)
    # engine="direct" has no exact optimum in its diagnostics: lstsq stands in.
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    np.testing.assert_allclose(_star(fig), exact, rtol=1e-8, atol=1e-8)


def test_descent_path_several_features_uses_two_leading_coefficients(model3, data3):
    X, y = data3
    fig = plots.plot_descent_path(model3, X, y)
    path = fig.axes[0].lines[0]
    np.testing.assert_allclose(path.get_xdata(), model3.coef_path_[:, 0])
    np.testing.assert_allclose(path.get_ydata(), model3.coef_path_[:, 1])
    np.testing.assert_allclose(_star(fig), model3.diagnostics_.exact_coef[:2])


def test_coef_paths_lines(model):
    ax = plots.plot_coef_paths(model).axes[0]
    w, b = [ln for ln in ax.lines if len(ln.get_xdata()) > 2]
    np.testing.assert_allclose(w.get_ydata(), model.coef_path_[:, 0])
    np.testing.assert_allclose(b.get_ydata(), model.intercept_path_)


def test_animate_fit_writes_a_gif_with_several_frames(data, tmp_path):
    X, y = data
    m = LinearRegression(random_state=0, n_iters=60, record_path=True).fit(X, y)
    target = tmp_path / "train.gif"
    fig = plots.animate_fit(m, X, y, target, max_frames=12)
    assert isinstance(fig, Figure)
    with PIL_Image.open(target) as im:
        assert im.format == "GIF"
        assert 5 <= im.n_frames <= 12
        assert im.size[0] >= 200 and im.size[1] >= 150


# -- errors ---------------------------------------------------------------------------------
def test_unfitted_model(data):
    X, y = data
    with pytest.raises(ValueError, match=r"fitted.*Call model.fit"):
        plots.plot_fit(LinearRegression(), X, y)
    with pytest.raises(ValueError, match="fitted"):
        plots.plot_loss(LinearRegression())


def test_path_plots_need_record_path(data, tmp_path):
    X, y = data
    m = LinearRegression(random_state=0, n_iters=10).fit(X, y)
    for call in (
        lambda: plots.plot_descent_path(m, X, y),
        lambda: plots.plot_coef_paths(m),
        lambda: plots.animate_fit(m, X, y, tmp_path / "a.gif"),
    ):
        with pytest.raises(ValueError, match=r"record_path=True"):
            call()


def test_stale_path_after_refit_without_record_path(data):
    X, y = data
    m = LinearRegression(random_state=0, n_iters=10, record_path=True).fit(X, y)
    m.set_params(record_path=False, n_iters=20).fit(X, y)
    with pytest.raises(ValueError, match=r"record_path=True"):
        plots.plot_coef_paths(m)


def test_line_plots_need_one_feature(model3, data3):
    X, y = data3
    with pytest.raises(ValueError, match="one feature; X has 3 features"):
        plots.plot_fit(model3, X, y)
    with pytest.raises(ValueError, match="one feature"):
        plots.plot_data(X, y)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.zeros(5), np.zeros(5), r"reshape\(-1, 1\)"),
        (np.zeros((5, 1)), np.zeros(4), "one y per row"),
        (np.zeros((5, 1)), np.zeros((5, 2)), r"y of shape \(n_samples,\)"),
        (np.full((5, 1), np.nan), np.zeros(5), "finite"),
        (np.zeros((0, 1)), np.zeros(0), "at least one sample"),
        ([["a"], ["b"]], [1, 2], "numeric"),
    ],
)
def test_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_data(X, y)


def test_feature_count_must_match_the_model(model, data3):
    X, y = data3
    with pytest.raises(ValueError, match="1 feature"):
        plots.plot_residuals(model, X, y)


def test_several_targets_rejected_where_a_line_is_drawn(data):
    X, y = data
    Y = np.column_stack([y, -y])
    m = LinearRegression(random_state=0, n_iters=10, record_path=True).fit(X, Y)
    with pytest.raises(ValueError, match="2 targets"):
        plots.plot_fit(m, X, y)
    plots.plot_loss(m)
    plots.plot_coef_paths(m)


def test_animate_fit_argument_checks(model, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match=r"\.gif"):
        plots.animate_fit(model, X, y, tmp_path / "a.png")
    with pytest.raises(ValueError, match="max_frames"):
        plots.animate_fit(model, X, y, tmp_path / "a.gif", max_frames=1)


def test_unwritable_path_is_an_oserror(model, data, tmp_path):
    X, y = data
    with pytest.raises(OSError):
        plots.plot_fit(model, X, y, path=tmp_path / "missing" / "fit.png")


def test_matplotlib_is_imported_lazily():
    code = (
        "import sys, lingrad, lingrad.plots, lingrad.cli; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
