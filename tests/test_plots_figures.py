"""Figures do not leak: written figures are freed, returned ones live outside pyplot.

A plot function without ``ax`` makes a plain :class:`matplotlib.figure.Figure`
(lingrad's DisplayFigure), never registered with pyplot: no "More than 20
figures" warning after many ``path=`` calls, nothing in ``plt.get_fignums()``
(which is what Jupyter's inline backend shows a second time at the end of a
cell), and a PNG for Jupyter through ``_repr_png_``. With ``ax`` the figure is
the axes' own, and it is left open.
"""

import gc
import io
import pickle
import subprocess
import sys
import warnings
import weakref

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="figures need matplotlib")
PIL_Image = pytest.importorskip("PIL.Image", reason="the PNGs are read back with pillow")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lingrad import LinearRegression, LinearRegressionCV, plots  # noqa: E402
from lingrad.datasets import make_tutorial_data  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return make_tutorial_data()


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return LinearRegression(random_state=4, lr=1.0, n_iters=40, record_path=True).fit(X, y)


@pytest.fixture(scope="module")
def cv(data):
    X, y = data
    rng = np.random.default_rng(0)
    X2 = np.column_stack([X, rng.normal(size=len(X))])
    return LinearRegressionCV(alphas=8, cv=3).fit(X2, y)


@pytest.fixture(autouse=True)
def _no_figures_before_or_after():
    plt.close("all")
    yield
    plt.close("all")


def _calls(model, cv, X, y, tmp):
    """Every plot function, as ``draw(path or None, ax or None) -> figure``."""
    return {
        "data": lambda p, ax: plots.plot_data(X, y, ax=ax, path=p),
        "fit": lambda p, ax: plots.plot_fit(model, X, y, ax=ax, path=p),
        "initial": lambda p, ax: plots.plot_fit(model, X, y, initial=True, ax=ax, path=p),
        "loss": lambda p, ax: plots.plot_loss(model, ax=ax, path=p),
        "coef_paths": lambda p, ax: plots.plot_coef_paths(model, ax=ax, path=p),
        "descent_path": lambda p, ax: plots.plot_descent_path(model, X, y, ax=ax, path=p),
        "predicted": lambda p, ax: plots.plot_predicted_vs_actual(model, X, y, ax=ax, path=p),
        "residuals": lambda p, ax: plots.plot_residuals(model, X, y, ax=ax, path=p),
        "cv_curve": lambda p, ax: plots.plot_cv_curve(cv, ax=ax, path=p),
        "reg_path": lambda p, ax: plots.plot_regularization_path(cv, ax=ax, path=p),
    }


def _png_size(data: bytes) -> tuple[int, int]:
    with PIL_Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG"
        return im.size


def test_thirty_written_figures_raise_no_warning_and_leave_none_open(model, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "More than 20 figures" is a RuntimeWarning
        for i in range(30):
            plots.plot_loss(model, path=tmp_path / f"loss{i}.png")
    assert plt.get_fignums() == []
    assert len(list(tmp_path.glob("loss*.png"))) == 30
    for i in range(0, 30, 7):
        assert _png_size((tmp_path / f"loss{i}.png").read_bytes())[0] >= 300


def test_every_kind_written_to_a_path_leaves_no_figure(model, cv, data, tmp_path):
    X, y = data
    calls = _calls(model, cv, X, y, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for round_ in range(3):  # 30 calls in all
            for name, draw in calls.items():
                draw(tmp_path / f"{name}{round_}.png", None)
    assert plt.get_fignums() == []
    assert len(list(tmp_path.glob("*.png"))) == 3 * len(calls)


def test_a_written_figure_is_freed_once_dropped(model, tmp_path):
    ref = weakref.ref(plots.plot_loss(model, path=tmp_path / "loss.png"))
    gc.collect()
    assert ref() is None, "something still holds the figure after it was saved"


@pytest.mark.parametrize(
    "name",
    ["data", "fit", "initial", "loss", "coef_paths", "descent_path", "predicted",
     "residuals", "cv_curve", "reg_path"],
)  # fmt: skip
def test_a_returned_figure_is_outside_pyplot_and_displays(name, model, cv, data, tmp_path):
    X, y = data
    fig = _calls(model, cv, X, y, tmp_path)[name](None, None)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == [], "the figure was registered with pyplot"
    assert fig not in [plt.figure(n) for n in plt.get_fignums()]
    png = fig._repr_png_()  # what IPython / Jupyter displays, once
    width, height = _png_size(png)
    want = fig.get_size_inches() * fig.dpi
    assert abs(width - want[0]) <= 2 and abs(height - want[1]) <= 2
    fig.savefig(tmp_path / "again.png")
    assert _png_size((tmp_path / "again.png").read_bytes()) == (width, height)
    fig.savefig(tmp_path / "again.svg")  # any format matplotlib writes
    assert (tmp_path / "again.svg").read_text().lstrip().startswith("<?xml")


def test_animation_figure_is_outside_pyplot(model, data, tmp_path):
    X, y = data
    fig = plots.animate_fit(model, X, y, tmp_path / "train.gif", max_frames=5)
    assert isinstance(fig, Figure) and plt.get_fignums() == []
    with PIL_Image.open(tmp_path / "train.gif") as im:
        assert im.format == "GIF" and im.n_frames >= 3


def test_returned_figure_pickles(model):
    fig = plots.plot_loss(model)
    back = pickle.loads(pickle.dumps(fig))
    assert type(back) is type(fig)
    np.testing.assert_allclose(back.axes[0].lines[0].get_ydata(), model.loss_history_)


@pytest.mark.parametrize("name", ["fit", "loss", "descent_path", "residuals", "cv_curve"])
def test_with_ax_the_figure_is_the_axes_own_and_stays_open(name, model, cv, data, tmp_path):
    X, y = data
    fig, ax = plt.subplots()
    target = tmp_path / f"{name}.png"
    out = _calls(model, cv, X, y, tmp_path)[name](target, ax)
    assert out is fig
    assert ax.has_data()
    assert plt.get_fignums() == [fig.number], "the caller's figure was closed"
    assert _png_size(target.read_bytes())[0] >= 300


def test_with_ax_in_a_grid_of_subplots(model, data):
    X, y = data
    fig, (left, right) = plt.subplots(1, 2)
    assert plots.plot_fit(model, X, y, initial=True, ax=left) is fig
    assert plots.plot_fit(model, X, y, ax=right) is fig
    assert left.lines[0].get_ydata()[0] != right.lines[0].get_ydata()[0]
    assert plt.get_fignums() == [fig.number]


def test_ipython_displays_a_returned_figure_as_png(model):
    formatters = pytest.importorskip("IPython.core.formatters", reason="needs IPython")
    data, _ = formatters.DisplayFormatter().format(plots.plot_loss(model))
    assert "image/png" in data
    assert plt.get_fignums() == []


def test_plots_never_import_pyplot(tmp_path):
    code = (
        "import sys, numpy as np\n"
        "from lingrad import LinearRegression, plots\n"
        "from lingrad.datasets import make_tutorial_data\n"
        "X, y = make_tutorial_data()\n"
        "m = LinearRegression(random_state=0, n_iters=20, record_path=True).fit(X, y)\n"
        f"plots.plot_fit(m, X, y, path={str(tmp_path / 'fit.png')!r})\n"
        "plots.plot_descent_path(m, X, y)._repr_png_()\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in {"MPLBACKEND", "DISPLAY"}}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert (tmp_path / "fit.png").stat().st_size > 1000


def test_without_matplotlib_the_error_says_how_to_install_from_the_clone():
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if it were not installed\n"
        "from lingrad import LinearRegression, plots\n"
        "from lingrad.datasets import make_tutorial_data\n"
        "X, y = make_tutorial_data()\n"
        "m = LinearRegression(random_state=0, n_iters=5).fit(X, y)\n"
        "try:\n"
        "    plots.plot_loss(m)\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert "lingrad.plots needs matplotlib" in done.stdout
    assert 'pip install -e ".[plot]"' in done.stdout
