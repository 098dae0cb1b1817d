"""``lingrad.explore`` / ``lingrad explore``: one self-contained page whose iterates are lingrad's.

The Python side (the file, the statistics it embeds, the CLI, the errors) is tested always;
the page itself runs in headless Chromium through selenium (Debian's ``chromium`` and
``chromedriver``), skipped with the reason when either is missing. To regenerate the
tutorial's screenshot (docs/explore.png)::

    PYTHONPATH=src .venv/bin/python tests/test_explore.py --screenshot
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import lingrad
from lingrad import LinearRegression, SufficientStats, open_dataset
from lingrad.datasets import make_conditioned, make_tutorial_data
from lingrad.explore import MAX_FEATURES, explorer_data

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
_DATA = re.compile(r"const D = (\{.*?\});\n", re.S)


def embedded(path: Path) -> dict:
    """The data the page embeds (the JSON after ``const D =``)."""
    return json.loads(_DATA.search(path.read_text(encoding="utf-8"))[1])


def hessian(X: np.ndarray) -> np.ndarray:
    """The Hessian of MSE/2 over (w, b), from the rows."""
    A = np.column_stack([X, np.ones(len(X))])
    return A.T @ A / len(X)


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """A 3-feature CSV file, its arrays and its dataset."""
    X, y, _ = make_conditioned(300, 3, 20.0, random_state=1)
    X = X + np.array([1.0, -2.0, 0.5])
    y = y + 3.0
    path = tmp_path_factory.mktemp("three") / "three.csv"
    rows = "\n".join(",".join(repr(float(v)) for v in r) for r in np.column_stack([X, y]))
    path.write_text("a,b,c,y\n" + rows + "\n", encoding="utf-8")
    return X, y, path


# -- the file ----------------------------------------------------------------------------------
def test_the_page_is_one_self_contained_file(tmp_path):
    page = lingrad.explore(out=tmp_path / "explore.html")
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 1_000_000
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)\s*=", html, re.I), "no external script, style or link"
    assert "http" not in html.replace("http-equiv", ""), "no URL at all: nothing to fetch"
    assert "<link" not in html and "@import" not in html and "url(http" not in html
    assert html.count("<script>") == 1 and html.count("<style>") == 1  # inline, no src


def test_the_statistics_embedded_are_the_datas(tmp_path):
    X, y = make_tutorial_data()
    data = embedded(lingrad.explore(out=tmp_path / "e.html"))
    stats = SufficientStats.from_arrays(X, y)
    assert data["n"] == stats.sum_weights == 500
    np.testing.assert_array_equal(data["mean"], stats.mean)
    np.testing.assert_array_equal(data["scatter"], stats.scatter)
    Z = np.column_stack([X, y])  # the oracle: means and centred cross-products from the rows
    np.testing.assert_allclose(data["mean"], Z.mean(axis=0), rtol=1e-13, atol=1e-13)
    Zc = Z - Z.mean(axis=0)
    np.testing.assert_allclose(data["scatter"], Zc.T @ Zc, rtol=1e-12)
    assert data["names"] == ["w", "b"]
    assert data["L"] == pytest.approx(np.linalg.eigvalsh(hessian(X))[-1], rel=1e-12)
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    np.testing.assert_allclose(data["theta_star"], exact, rtol=1e-11)
    mse_star = float(np.mean((np.column_stack([X, np.ones(len(X))]) @ exact - y) ** 2))
    assert data["mse_star"] == pytest.approx(mse_star, rel=1e-10)
    assert "rows" not in data and len(json.dumps(data)) < 2000  # statistics, no rows


def test_a_dataset_and_arrays_embed_the_same_statistics(three):
    X, y, path = three
    from_file = explorer_data(open_dataset(path, target="y"))
    from_arrays = explorer_data(X, y, feature_names=["a", "b", "c"])
    assert from_file["names"] == from_arrays["names"] == ["a", "b", "c", "intercept"]
    np.testing.assert_allclose(from_file["mean"], from_arrays["mean"], rtol=1e-14)
    np.testing.assert_allclose(from_file["scatter"], from_arrays["scatter"], rtol=1e-12)
    assert from_file["settings"]["pair"] == [0, 3]  # the first coefficient and the intercept


def test_weights_are_the_count(three):
    X, y, _ = three
    w = np.linspace(0.5, 2.0, len(y))
    data = explorer_data(X, y, sample_weight=w)
    assert data["n"] == pytest.approx(w.sum(), rel=1e-14)
    np.testing.assert_allclose(data["mean"][:3], np.average(X, axis=0, weights=w), rtol=1e-12)


def test_a_fitted_model_brings_its_statistics_settings_and_start():
    X, y = make_tutorial_data()
    model = LinearRegression(
        lr=0.2, optimizer="nesterov", momentum=0.5, engine="stats", random_state=3
    ).fit(X, y)
    settings = explorer_data(model)["settings"]
    assert (settings["lr"], settings["optimizer"], settings["momentum"]) == (0.2, "nesterov", 0.5)
    assert settings["start"] == [model.coef_init_[0], model.intercept_init_]
    given = explorer_data(X, y, model=model, lr=0.3)["settings"]
    assert given["lr"] == 0.3 and given["start"] == settings["start"]


@pytest.mark.filterwarnings("ignore::lingrad.NotConvergedWarning")
def test_the_default_start_is_lingrads():
    X, y = make_tutorial_data()
    model = LinearRegression(random_state=0, n_iters=1).fit(X, y)
    assert explorer_data()["settings"]["start"] == [model.coef_init_[0], 0.0]


def test_the_default_lr_is_lingrads_where_stable():
    X, y = make_tutorial_data()
    assert explorer_data()["settings"]["lr"] == 0.01
    big = explorer_data(X * 100.0, y)  # L ~ 1e4: 0.01 would diverge, so 1/L
    assert big["settings"]["lr"] == pytest.approx(1.0 / big["L"])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((None, np.ones(3)), {}, "y without X"),
        ((np.ones((3, 1)),), {}, "X without y"),
        ((np.ones((4, 1)), np.ones((4, 2))), {}, "one target"),
        ((np.ones((4, MAX_FEATURES + 1)), np.ones(4)), {}, f"1 to {MAX_FEATURES} features"),
        ((np.array([[1.0], [np.nan], [2.0]]), np.ones(3)), {}, "NaN or inf"),
        ((np.ones((3, 1)), np.ones(4)), {}, "shape"),
        ((), {"optimizer": "adam"}, "optimizer must be one of gd, momentum, nesterov"),
        ((), {"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
        ((), {"lr": -1.0}, "lr must be a positive number"),
        ((), {"n_iters": 0}, "n_iters must be a whole number"),
        ((), {"tol": 0.0}, r"tol must be a number in \(0, 1\)"),
        ((), {"start": [1.0]}, "start must hold 2 finite numbers"),
        ((), {"feature_names": ["a", "b"]}, "feature_names has 2 names for 1 features"),
    ],
)
def test_bad_inputs_get_one_clear_line(tmp_path, args, kwargs, message):
    out = tmp_path / "e.html"
    out.write_text("previous", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        lingrad.explore(*args, out=out, **kwargs)
    assert "\n" not in str(err.value)
    assert out.read_text(encoding="utf-8") == "previous"  # nothing half-written


@pytest.mark.filterwarnings("ignore::lingrad.NotConvergedWarning")
def test_a_model_without_statistics_asks_for_the_data():
    X, y = make_tutorial_data()
    model = LinearRegression(engine="direct", n_iters=5).fit(X, y)
    with pytest.raises(ValueError, match=r"explore\(X, y, model=model\)"):
        explorer_data(model)


def test_outputs_that_are_not_regular_files_are_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"explore\.html"):
        lingrad.explore(out=tmp_path)
    with pytest.raises(OSError, match="character device"):
        lingrad.explore(out="/dev/null")


# -- the command line ---------------------------------------------------------------------------
def test_the_cli_writes_the_page(tmp_path, three):
    typer_testing = pytest.importorskip("typer.testing", reason="the CLI needs typer")
    from lingrad import cli

    runner = typer_testing.CliRunner()
    _, _, path = three
    out = tmp_path / "e.html"
    res = runner.invoke(cli.app, ["explore", str(path), "-t", "y", "-f", "c,a", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = embedded(out)
    X, y, _ = three
    direct = explorer_data(X[:, [2, 0]], y)
    assert data["names"] == ["c", "a", "b"]
    np.testing.assert_allclose(data["scatter"], direct["scatter"], rtol=1e-12)
    default = tmp_path / "tutorial.html"
    res = runner.invoke(cli.app, ["explore", "-o", str(default), "--optimizer", "momentum"])
    assert res.exit_code == 0 and embedded(default)["settings"]["optimizer"] == "momentum"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--optimizer", "adam"], "--optimizer must be gd, momentum or nesterov; got 'adam'."),
        (["--momentum", "1.5"], "--momentum must be a number in [0, 1); got 1.5."),
        (["--lr", "-1"], "--lr must be"),
        (["--n-iters", "0"], "--n-iters must be a whole number >= 1"),
        (["-t", "y"], "give DATA too"),
        (["DATA"], "--target must be the target column of DATA"),
        (["DATA", "-t", "y", "-o", "DATA"], "it is the input file"),
        (["-o", "/dev/null"], "character device"),
    ],
)
def test_the_cli_fails_in_one_line(tmp_path, three, argv, message):
    typer_testing = pytest.importorskip("typer.testing", reason="the CLI needs typer")
    from lingrad import cli

    _, _, path = three
    argv = [str(path) if a == "DATA" else a for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "e.html")]
    res = typer_testing.CliRunner().invoke(cli.app, ["explore", *argv])
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert not (tmp_path / "e.html").exists()


def test_the_tutorial_links_the_explorer_and_shows_its_screenshot():
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    assert "lingrad explore -o explore.html" in text and 'src="explore.png"' in text
    PIL_Image = pytest.importorskip("PIL.Image", reason="PIL decodes the screenshot")
    with PIL_Image.open(ROOT / "docs" / "explore.png") as im:
        assert im.format == "PNG" and len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 50


# -- the page, in a real browser -------------------------------------------------------------------
def _browser():
    """A headless Chromium driven by selenium, or pytest.skip with the reason."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    for exe in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(exe) is None:
            pytest.skip(f"{exe} is missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1000"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture(scope="module")
def browser():
    driver = _browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def tutorial_page(tmp_path_factory):
    return lingrad.explore(out=tmp_path_factory.mktemp("page") / "explore.html")


def load(browser, page: Path) -> None:
    browser.get(page.resolve().as_uri())
    assert browser.execute_script("return typeof window.lingradExplorer") == "object"


def page_iterates(browser, **settings) -> np.ndarray:
    browser.execute_script("window.lingradExplorer.set(arguments[0])", settings)
    return np.array(browser.execute_script("return window.lingradExplorer.iterates().theta"))


def library_path(model: LinearRegression) -> np.ndarray:
    return np.column_stack([model.coef_path_, model.intercept_path_])


@pytest.mark.filterwarnings("ignore::lingrad.NotConvergedWarning")
@pytest.mark.parametrize(
    ("optimizer", "lr", "momentum"),
    [("gd", 0.01, 0.9), ("gd", 1.5, 0.0), ("momentum", 0.05, 0.8), ("nesterov", 0.3, 0.7)],
)
def test_the_pages_iterates_are_lingrads(browser, tutorial_page, optimizer, lr, momentum):
    X, y = make_tutorial_data()
    load(browser, tutorial_page)
    model = LinearRegression(
        lr=lr, optimizer=optimizer, momentum=momentum, n_iters=400, random_state=7,
        record_path=True,
    ).fit(X, y)  # fmt: skip
    start = [float(model.coef_init_[0]), float(model.intercept_init_)]
    got = page_iterates(
        browser, optimizer=optimizer, lr=lr, momentum=momentum, n_iters=400, start=start
    )
    want = library_path(model)
    assert got.shape == (401, 2)
    if model.stop_reason_ == "zero_gradient":  # lingrad stopped at its fixed point: the page's
        rest = got[len(want) :]  # later iterates stay there
        want, got = np.vstack([want, np.repeat(want[-1:], len(rest), axis=0)]), got
    assert want.shape == got.shape
    scale = np.abs(want).max(axis=0)
    assert (np.abs(got - want).max(axis=0) / scale < 1e-9).all()


@pytest.mark.filterwarnings("ignore::lingrad.NotConvergedWarning")
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
def test_the_iterates_are_lingrads_on_three_features(browser, three, tmp_path, optimizer):
    X, y, path = three
    page = lingrad.explore(open_dataset(path, target="y"), out=tmp_path / "three.html")
    load(browser, page)
    model = LinearRegression(
        lr=0.2, optimizer=optimizer, momentum=0.6, n_iters=300, random_state=2, record_path=True
    ).fit(X, y)
    start = [*map(float, model.coef_init_), float(model.intercept_init_)]
    got = page_iterates(
        browser, optimizer=optimizer, lr=0.2, momentum=0.6, n_iters=300, start=start
    )
    want = library_path(model)
    assert got.shape == want.shape == (301, 4)
    assert np.abs(got - want).max() / np.abs(want).max() < 1e-9
    browser.execute_script("window.lingradExplorer.set({pair: [1, 2]})")
    assert "slice" in browser.find_element("id", "slicecap").text
    assert "b and c vary" in browser.find_element("id", "slicecap").text


@pytest.mark.parametrize(("optimizer", "lr"), [("gd", 0.9), ("nesterov", 0.5), ("momentum", 0.2)])
def test_the_iteration_count_is_lingrads_stopping_rule(browser, tutorial_page, optimizer, lr):
    X, y = make_tutorial_data()
    load(browser, tutorial_page)
    model = LinearRegression(
        lr=lr, optimizer=optimizer, momentum=0.5, tol=1e-6, n_iters=5000, random_state=0
    ).fit(X, y)
    start = [float(model.coef_init_[0]), 0.0]
    browser.execute_script(
        "window.lingradExplorer.set(arguments[0])",
        {"optimizer": optimizer, "lr": lr, "momentum": 0.5, "n_iters": 5000, "tol": 1e-6,
         "start": start},
    )  # fmt: skip
    state = browser.execute_script("return window.lingradExplorer.state()")
    assert model.converged_ and state["iterations"] == model.n_iter_
    assert f"in {model.n_iter_} iterations" in browser.find_element("id", "status").text


def test_past_two_over_l_the_page_shows_divergence(browser, tutorial_page):
    load(browser, tutorial_page)
    browser.execute_script("window.lingradExplorer.set({optimizer: 'gd', n_iters: 1000})")
    state = browser.execute_script("return window.lingradExplorer.state()")
    assert not state["diverging"]
    slider = browser.find_element("id", "lr")
    assert float(slider.get_attribute("max")) > 1.1 * state["two_over_L"]  # it reaches past 2/L
    mark = browser.find_element("id", "mark-2L")
    assert "2/L" in mark.text
    lr = 1.1 * state["two_over_L"]
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        slider,
        str(lr),
    )
    state = browser.execute_script("return window.lingradExplorer.state()")
    assert state["lr"] == pytest.approx(lr) and state["diverging"] and state["diverged"]
    assert state["leaves_plot"]
    status = browser.find_element("id", "status")
    assert status.get_attribute("class") == "diverging" and status.text.startswith("Diverging")
    assert "2/L" in status.text
    mse = browser.execute_script("return window.lingradExplorer.iterates().mse")
    assert mse[-1] > 1e8 * mse[0] and all(np.isfinite(mse))  # exploding, never NaN
    for shape in ("losscurve", "pathline"):
        points = browser.find_element("id", shape).get_attribute("points")
        assert "NaN" not in points and "Infinity" not in points
    assert "diverging" in browser.find_element("id", "loss").text
    # heavy ball is stable up to 2(1 + beta)/L: the same lr is stable with momentum 0.5
    browser.execute_script("window.lingradExplorer.set({optimizer: 'momentum', momentum: 0.5})")
    assert not browser.execute_script("return window.lingradExplorer.state()")["diverging"]


def test_a_click_sets_the_start_and_the_path_moves(browser, tutorial_page):
    from selenium.webdriver.common.action_chains import ActionChains

    load(browser, tutorial_page)
    before = browser.execute_script("return window.lingradExplorer.iterates()")
    points_before = browser.find_element("id", "pathline").get_attribute("points")
    surface = browser.find_element("id", "surface")
    ActionChains(browser).move_to_element_with_offset(surface, 120, -100).click().perform()
    after = browser.execute_script("return window.lingradExplorer.iterates()")
    state = browser.execute_script("return window.lingradExplorer.state()")
    assert after["w"][0] != before["w"][0] and after["b"][0] != before["b"][0]
    assert [after["w"][0], after["b"][0]] == state["start"]
    data = embedded(tutorial_page)
    assert after["w"][0] > data["theta_star"][0] and after["b"][0] > data["theta_star"][1]
    again = np.array(after["theta"])
    assert again.shape == (1001, 2) and np.isfinite(again).all()
    first = browser.find_element("id", "pathline").get_attribute("points").split()[0]
    assert first != points_before.split()[0]  # the drawn path starts at the click


def test_the_page_fetches_nothing(browser, tutorial_page):
    load(browser, tutorial_page)
    fetched = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert fetched == 0
    assert browser.execute_script("return document.querySelectorAll('[src], [href]').length") == 0


def test_without_chromium_the_browser_tests_skip_with_the_reason(monkeypatch):
    pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        _browser()


def screenshot(driver, page: Path, png: Path) -> None:
    load(driver, page)
    driver.execute_script(
        "window.lingradExplorer.set({optimizer: 'momentum', lr: 0.5, momentum: 0.6})"
    )
    driver.save_screenshot(str(png))


def test_the_screenshot_is_not_blank(browser, tutorial_page, tmp_path):
    PIL_Image = pytest.importorskip("PIL.Image", reason="PIL decodes the screenshot")
    png = tmp_path / "explore.png"
    screenshot(browser, tutorial_page, png)
    with PIL_Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] >= 800
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50
    assert max(count for count, _ in colours) < 0.95 * sum(count for count, _ in colours)


if __name__ == "__main__" and "--screenshot" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        driver = _browser()
        try:
            screenshot(driver, lingrad.explore(out=Path(tmp) / "e.html"), ROOT / "docs/explore.png")
        finally:
            driver.quit()
    print("wrote docs/explore.png")
