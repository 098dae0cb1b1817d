"""Figures of LinearRegressionCV: the drawn data are the model's own arrays."""

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="plots need matplotlib")

from lingrad import LinearRegressionCV
from lingrad.plots import plot_cv_curve, plot_regularization_path


def _fit(f=4, **kw):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, f))
    y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(150)
    return LinearRegressionCV(alphas=15, **kw).fit(X, y), X, y


def _vlines(ax):
    return {
        ln.get_label(): ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() in ("--", ":")
    }


def test_path_draws_coef_path_labelled_by_feature(tmp_path):
    pd = pytest.importorskip("pandas", reason="feature names from a DataFrame")
    model, X, y = _fit(l1_ratio=1.0)
    model.fit(pd.DataFrame(X, columns=["age", "bmi", "bp", "s1"]), y)
    fig = plot_regularization_path(model, path=tmp_path / "p.png")
    ax = fig.axes[0]
    lines = [ln for ln in ax.lines if ln.get_label() in ("age", "bmi", "bp", "s1")]
    assert [ln.get_label() for ln in lines] == ["age", "bmi", "bp", "s1"]
    for j, ln in enumerate(lines):
        np.testing.assert_array_equal(ln.get_xdata(), model.alphas_)
        np.testing.assert_array_equal(ln.get_ydata(), model.coef_path_[j])
    assert ax.get_xscale() == "log"
    assert _vlines(ax)[f"min: α={model.alpha_:.3g} (chosen)"] == model.alpha_
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_cv_curve_band_is_one_standard_error():
    model, _, _ = _fit(l1_ratio=[0.5, 1.0], selection="1se")
    ax = plot_cv_curve(model).axes[0]
    for i, r in enumerate((0.5, 1.0)):
        (line,) = [ln for ln in ax.lines if ln.get_label() == f"l1_ratio={r:g}"]
        mean = model.mse_path_[i].mean(axis=1)
        np.testing.assert_allclose(line.get_ydata(), mean)
        se = model.mse_path_[i].std(axis=1, ddof=1) / np.sqrt(model.mse_path_.shape[2])
        band = ax.collections[i].get_paths()[0].vertices[:, 1]
        assert np.isclose(band.min(), (mean - se).min()) and np.isclose(
            band.max(), (mean + se).max()
        )
    marks = _vlines(ax)
    assert marks[f"1se: α={model.alpha_:.3g} (chosen)"] == model.alpha_
    assert any(k.startswith("min: ") and "chosen" not in k for k in marks)


def test_many_features_are_annotated_and_multi_output_targets():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 20))
    Y = np.column_stack([X[:, 0], X[:, 5] * 3]) + 0.1 * rng.standard_normal((120, 2))
    model = LinearRegressionCV(alphas=10, l1_ratio=1.0).fit(X, Y)
    ax = plot_regularization_path(model, target=1).axes[0]
    assert len(ax.texts) == 12 and "x5" in {t.get_text() for t in ax.texts}
    np.testing.assert_array_equal(ax.lines[5].get_ydata(), model.coef_path_[1, 5])


def test_plot_errors():
    model, _, _ = _fit(l1_ratio=[0.5, 1.0])
    with pytest.raises(ValueError, match="needs a fitted lingrad LinearRegressionCV"):
        plot_cv_curve(LinearRegressionCV())
    with pytest.raises(ValueError, match="target=3 is out of range"):
        plot_cv_curve(model, target=3)
    with pytest.raises(ValueError, match=r"l1_ratio=0\.7 was not searched"):
        plot_regularization_path(model, l1_ratio=0.7)
    with pytest.raises(ValueError, match="feature_names has 2 names for 4 features"):
        plot_regularization_path(model, feature_names=["a", "b"])
