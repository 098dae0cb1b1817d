"""Notebook display: HTML tables for Summary and Diagnostics; pandas-indexed results."""

from __future__ import annotations

import html
import re
import sys

import numpy as np
import pytest

from lingrad import LinearRegression
from lingrad._report.table import coef_table, header_rows

pd = pytest.importorskip("pandas", reason="pandas-indexed results")


def _model(names=("bmi", "age")):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((80, len(names))), columns=list(names))
    y = X.to_numpy() @ np.arange(1.0, len(names) + 1) + 0.5 + rng.standard_normal(80)
    model = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-13, n_iters=50_000)
    return model.fit(X, y), X, y


def test_results_are_series_and_frames_indexed_by_name():
    model, X, y = _model()
    s = model.summary()
    for attr in ("params", "bse", "tvalues", "pvalues"):
        v = getattr(s, attr)
        assert isinstance(v, pd.Series), attr
        assert list(v.index) == ["const", "bmi", "age"], attr
    assert s.params["bmi"] == s.params.iloc[1] == np.asarray(s.params)[1]
    assert s.tvalues["age"] == s.params["age"] / s.bse["age"]
    ci = s.conf_int()
    assert isinstance(ci, pd.DataFrame) and list(ci.columns) == [0, 1]
    assert list(ci.index) == list(s.names)
    lo, hi = ci.loc["bmi"]
    assert lo < s.params["bmi"] < hi
    # numpy operations still work, and agree with statsmodels' pandas results
    sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle")
    r = sm.OLS(y, sm.add_constant(X)).fit()
    pd.testing.assert_series_equal(s.bse, r.bse, rtol=1e-8, check_names=False)
    pd.testing.assert_frame_equal(s.conf_int(), r.conf_int(), rtol=1e-8)
    assert np.all(np.asarray(s.pvalues) >= 0)


def test_summaries_without_pandas_give_arrays(monkeypatch):
    model, _, _ = _model()
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    s = model.summary()
    assert isinstance(s.params, np.ndarray) and isinstance(s.bse, np.ndarray)
    assert isinstance(s.conf_int(), np.ndarray) and s.conf_int().shape == (3, 2)


def test_summary_html_is_escaped_self_contained_and_complete():
    model, _, _ = _model(names=("<b>bmi</b>", "a&b"))
    s = model.summary()
    out = s._repr_html_()
    assert out == s.to_html()
    assert "<b>bmi</b>" not in out and "&lt;b&gt;bmi&lt;/b&gt;" in out and "a&amp;b" in out
    assert "<script" not in out and "href" not in out and "src=" not in out and "<link" not in out
    cells = [html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", out)]
    cols, rows = coef_table(s)
    for name, row in zip(s.names, rows, strict=True):  # each coefficient row, in order
        i = cells.index(name)
        assert cells[i : i + 7] == [name, *row]
    assert cells.count("<b>bmi</b>") == 1 and all(c in cells for c in cols)
    for label, value, label2, value2 in header_rows(s):
        assert [label, value, label2, value2] == cells[cells.index(label) :][:4]
    for note in s.notes():
        assert html.escape(note) in out
    # balanced tags: a fragment Jupyter can embed
    for tag in ("table", "tr", "ol", "div"):
        assert out.count(f"<{tag}") == out.count(f"</{tag}>"), tag


def test_diagnostics_html():
    model, _, _ = _model()
    out = model.diagnostics_._repr_html_()
    assert out.startswith("<table>") and out.endswith("</table>")
    for label, value in model.diagnostics_.rows():
        assert f"<td>{html.escape(label)}</td><td>{html.escape(value)}</td>" in out
    assert str(model.diagnostics_)  # the text stays


def test_multi_output_summaries_are_one_per_target_and_combine_by_name():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.standard_normal((60, 2)), columns=["u", "v"])
    Y = np.column_stack([X["u"] + rng.standard_normal(60), X["v"] + rng.standard_normal(60)])
    model = LinearRegression(lr="auto", optimizer="nesterov", tol=1e-13, n_iters=50_000)
    out = model.fit(X, Y).summary()
    frame = pd.concat({s.target: s.params for s in out}, axis=1)
    assert list(frame.columns) == ["y0", "y1"] and list(frame.index) == ["const", "u", "v"]
    np.testing.assert_array_equal(frame["y1"], out[1].params)
