"""Each renderer of a summary (text, rich, JSON, notes) from one hand-made results object."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from lingrad._inference_notes import (
    CONVERGED_REL_GAP,
    CONVERGED_SE_FRACTION,
    Convergence,
    accuracy_notes,
    perfect_fit_note,
    unconverged_note,
    validity_notes,
)
from lingrad._messages import render
from lingrad._report.table import coef_table, f3, g3, g4, header_rows
from lingrad.inference import Summary

# The title is centred in 78 columns (its trailing spaces are part of the text).
TITLE = " " * 23 + "OLS Regression Results (lingrad)" + " " * 23
EXPECTED_TEXT = (
    TITLE
    + """
=====================================================================================
Dep. Variable:                   price  R-squared (uncentered):          0.875
Model:                             OLS  Adj. R-squared (uncentered):     0.866
Method:                      GD (adam)  F-statistic:                       nan
No. Observations:                   30  Prob (F-statistic):                nan
Df Residuals:                       28  Log-Likelihood:               -29.4361
Df Model:                            1  AIC:                           60.8722
Covariance Type:             nonrobust  BIC:                           62.2734
Residual std. err.:             0.6682  Cond. No.:                     3.2e+04
=====================================================================================
                          coef    std err          t      P>|t|      [0.05      0.95]
-------------------------------------------------------------------------------------
const                   1.5000     0.2000      7.500      0.000     1.1598     1.8402
a_long_feature_name  -2.25e-05      1e-06    -22.500      0.000  -2.42e-05  -2.08e-05
=====================================================================================
Notes:
[1] Standard errors assume that the covariance matrix of the errors is correctly
    specified.
[2] Classical inference applies: the coefficients are within 2.0e-03 relative of the
    exact least-squares optimum (converged enough: <= 1e-06)."""
)


def _summary(**changes) -> Summary:
    fields = dict(
        names=["const", "a_long_feature_name"],
        params=np.array([1.5, -2.25e-5]),
        cov=np.array([[0.04, 0.001], [0.001, 1e-12]]),
        cov_type="nonrobust",
        alpha=0.1,
        nobs=30.0,
        df_model=1.0,
        df_resid=28.0,
        k_constant=0,
        ssr=12.5,
        centered_tss=40.0,
        uncentered_tss=100.0,
        sum_log_weights=0.0,
        condition_number=3.2e4,
        fvalue=math.nan,
        f_pvalue=math.nan,
        rank=2,
        classical_inference_valid=True,
        rel_coef_gap=2e-3,
        target="price",
        method="GD (adam)",
    )
    fields.update(changes)
    return Summary(**fields)


def _unconverged() -> Summary:
    notes = validity_notes((0.0, 0.0), (math.nan, 1e-3), 2e-3, 2, 2, 28.0)
    return _summary(
        classical_inference_valid=False,
        warnings=[render(n) for n in notes],
        warning_parts=notes,
        cov_type="HC1",
        use_t=False,
        k_constant=1,
    )


def test_text_is_the_statsmodels_layout_to_the_character():
    assert str(_summary()) == EXPECTED_TEXT
    assert _summary().to_text("cli") == EXPECTED_TEXT  # nothing to reword


def test_table_cells_are_shared_by_every_renderer():
    s = _summary()
    cols, rows = coef_table(s)
    assert cols == ["coef", "std err", "t", "P>|t|", "[0.05", "0.95]"]
    assert rows[1] == ["-2.25e-05", "1e-06", "-22.500", "0.000", "-2.42e-05", "-2.08e-05"]
    assert header_rows(s)[0] == ("Dep. Variable:", "price", "R-squared (uncentered):", "0.875")
    assert header_rows(_summary(k_constant=1))[0][2] == "R-squared:"
    assert (g4(0.0), g4(math.inf), g4(1e-5), f3(math.inf), g3(math.inf)) == (
        "0.0000",
        "inf",
        "1e-05",
        "nan",
        "inf",
    )


def test_json_is_strict_and_in_order():
    s = _summary()
    d = s.to_dict()
    assert list(d)[:7] == ["target", "model", "method", "cov_type", "use_t", "alpha", "names"]
    assert list(d)[-3:] == ["rel_coef_gap", "classical_inference_valid", "warnings"]
    assert d["fvalue"] is None and d["model"] == "OLS" and d["cov_params"] == s.cov.tolist()
    assert json.loads(s.to_json(allow_nan=False)) == d
    np.testing.assert_allclose(d["conf_int"], s.conf_int())


def test_rich_shows_the_same_cells_and_notes():
    console_mod = pytest.importorskip("rich.console")
    s = _unconverged()
    console = console_mod.Console(record=True, width=200)
    console.print(s)
    text = console.export_text()
    for cell in ["OLS regression: price", "-2.25e-05", "P>|z|", "Cond. No.:", "HC1"]:
        assert cell in text, cell
    assert "lr='auto' with optimizer='nesterov'" in text
    console = console_mod.Console(record=True, width=200)
    console.print(s.to_rich("cli"))
    assert "--lr auto with --optimizer nesterov" in console.export_text()


def test_notes_as_parts_render_for_python_and_the_command_line():
    s = _unconverged()
    assert s.notes() == s.render_notes("python") == [*s.warnings, s.notes()[-1]]
    (cli_warning, cov) = s.render_notes("cli")
    assert cli_warning.endswith(
        "Refit with a smaller --tol and more --n-iters, or --lr auto with --optimizer nesterov."
    )
    assert s.warnings[0].endswith(
        "Refit with a smaller tol and more n_iters, or lr='auto' with optimizer='nesterov'."
    )
    assert cov == "Standard errors are heteroscedasticity robust (HC1)."
    assert "--tol" in s.to_text("cli") and "--tol" not in str(s)
    # warnings replaced by plain strings: the parts no longer apply, the strings do
    other = dataclasses.replace(s, warnings=["Something else."])
    assert other.render_notes("cli")[0] == "Something else."


def test_penalised_note_names_the_settings():
    (note,) = validity_notes((0.5, 0.25), (1e-3, 1e-2), math.nan, 2, 2, 10.0)
    assert render(note).startswith("Penalised fit (alpha=0.5, l1_ratio=0.25): ")
    assert "Refit with alpha=0 for classical inference" in render(note)
    assert "Refit with --alpha 0 for classical inference" in render(note, "cli")
    assert "1.00e-03 relative from its own (penalised) optimum" in render(note)


def test_unconverged_note_without_a_gradient_norm():
    text = render(unconverged_note(2e-3, math.nan))
    assert text.startswith("Not converged: the coefficients are 2.00e-03 relative")
    assert "gradient norm" not in text


def test_valid_note_states_the_gap_in_standard_errors():
    s = _summary(coef_gap_se=3e-7)
    assert s.notes()[-1] == (
        "Classical inference applies: every coefficient is within 3.0e-07 of its own "
        "standard error of the exact least-squares optimum (converged enough: <= 1e-04)."
    )


def test_convergence_rule_per_standard_error_then_relative():
    assert Convergence(1.0, se_gap=CONVERGED_SE_FRACTION).converged  # relative gap ignored
    assert not Convergence(1e-12, se_gap=2 * CONVERGED_SE_FRACTION).converged
    assert Convergence(CONVERGED_REL_GAP).converged  # no standard error: relative
    assert not Convergence(2 * CONVERGED_REL_GAP).converged
    assert not Convergence(0.0, fit_gap=1e-3, identified=False).converged
    assert not Convergence(float("nan")).converged


def test_rank_note_and_not_converged_note_together_in_order():
    gap = Convergence(float("nan"), se_gap=0.5, fit_gap=1e-3, identified=False)
    notes = [render(n) for n in validity_notes((0.0, 0.0), (math.nan, 1e-2), gap, 3, 4, 10.0)]
    rank, unconverged = notes
    assert rank.startswith("The design is rank deficient (rank 3 < 4 parameters)")
    assert unconverged.startswith("Not converged: the fitted values are 5.00e-01 residual")
    assert "needs them within 1e-04" in unconverged


def test_unconverged_note_names_the_coefficient_and_its_standard_errors():
    gap = Convergence(3e-8, se_gap=0.04, worst="x1")
    text = render(unconverged_note(gap, 1e-9))
    assert text.startswith(
        "Not converged: coefficient 'x1' is 4.00e-02 of its standard error from the exact "
        "least-squares optimum (max |coef - exact| / max |exact| = 3.00e-08)"
    )
    assert "every coefficient within 1e-04 of its own standard error" in text


def test_perfect_fit_and_precision_notes_in_both_wordings():
    note = perfect_fit_note(1e-12, 100.0, from_data=False)
    assert render(note).startswith(
        "Perfect fit: the residual sum of squares is 0 to the precision of the sufficient "
        "statistics (at most 1.0e-12, 1.0e-14 of the total sum of squares); R² = 1."
    )
    assert render(note).endswith("pass the data: model.summary(X, y).")
    assert render(note, "cli").endswith("pass the data: lingrad summary MODEL DATA.")
    exact = render(perfect_fit_note(0.0, 0.0, from_data=True))
    assert "residuals (exactly); y is constant" in exact and "model.summary" not in exact
    assert accuracy_notes(1e4, from_qr=False) == []
    (gram,) = accuracy_notes(1e6, from_qr=False)
    assert "keep only about 4 correct digits" in render(gram)
    assert "lingrad summary MODEL DATA factors the design" in render(gram, "cli")
    (qr,) = accuracy_notes(1e9, from_qr=True)
    assert "factored (QR): the standard errors keep about 7 correct digits" in render(qr)


def test_unconverged_note_never_suggests_what_is_already_set():
    gap = Convergence(1e-3, se_gap=0.5, worst="x0")
    plain = render(unconverged_note(gap, 1e-3, (0.01, "gd")))
    assert plain.endswith(
        "Refit with a smaller tol and more n_iters, or lr='auto' with optimizer='nesterov'."
    )
    auto = render(unconverged_note(gap, 1e-3, ("auto", "momentum")), "cli")
    assert auto.endswith("Refit with a smaller --tol and more --n-iters, or --optimizer nesterov.")
    both = render(unconverged_note(gap, 1e-3, ("auto", "nesterov")))
    assert both.endswith("Refit with a smaller tol and more n_iters.")
    assert "lr='auto'" not in both and "optimizer=" not in both
