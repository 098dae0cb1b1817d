"""Why a fit stopped, told with the measured value and the rule: :func:`stop_explanation`.

A fit ends for one of three reasons (``stop_reason_``): it met ``tol`` by
lingrad's stopping rule (the RMS distance of the fitted values from the
optimum's, relative to the standard deviation of y), its gradient became
exactly zero, or it ran every one of its ``n_iters`` iterations. The
explanation says which, with the value of the stopping measure at the end
(exact from the statistics, estimated from the gradient on the "direct"
engine), and whether the learning rate given had to be replaced after a
divergence. It is made of message parts (:mod:`lingrad._messages`), so the
command line words it in its own syntax (``--tol 1e-10``).

Examples
--------
>>> from lingrad import LinearRegression
>>> from lingrad.datasets import make_tutorial_data
>>> X, y = make_tutorial_data()
>>> model = LinearRegression(lr="auto", tol=1e-10, precondition="none", random_state=0)
>>> print(stop_explanation(model.fit(X, y)))  # doctest: +ELLIPSIS
Converged after 13 iterations: the fit is ... from the optimum by lingrad's stopping rule ...
>>> stop_explanation(model).render("cli")[-22:]
', at most --tol 1e-10.'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._messages import Alt, Part, Set, Style, render

__all__ = ["StopExplanation", "stop_explanation"]

#: The stopping measure, in words (exact on the "stats" engine).
_RULE = (
    "(the RMS distance of the fitted values from the optimum's, relative to the standard "
    "deviation of y)"
)
#: The ``tol`` a fit without one is advised to set.
_SUGGESTED_TOL = "1e-10"


@dataclass(frozen=True)
class StopExplanation:
    """Why a fit stopped: message parts and the numbers behind them.

    Attributes
    ----------
    parts : tuple of str, Set and Alt
        The explanation (:func:`lingrad.render` words it for Python or the CLI).
    fields : mapping
        ``reason`` (``stop_reason_``), ``n_iter``, ``n_iters``, ``tol`` (None
        when not set), ``measure`` (the stopping measure at the end; nan when
        unknown), ``estimated`` (True when the measure is estimated from the
        gradient, engine "direct") and ``recovered`` (True when the ``lr``
        given diverged and the fit restarted with ``lr="auto"``).
    """

    parts: tuple[Part, ...]
    fields: Mapping[str, Any] = field(default_factory=dict)

    def render(self, style: Style = "python") -> str:
        """The explanation in ``style`` ("python" or "cli") terms."""
        return render(self.parts, style)

    def __str__(self) -> str:
        return self.render()


def _iterations(n: int, epochs: bool) -> str:
    unit = "epoch" if epochs else "iteration"
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def _measure_parts(measure: float, estimated: bool) -> tuple[Part, ...]:
    """``the fit is M from the optimum by lingrad's stopping rule (...)``."""
    if not math.isfinite(measure):
        return ()
    how = "; estimated from the gradient, engine direct" if estimated else ""
    rule = _RULE[:-1] + how + ")"
    if measure == 0:
        return (
            f"the fit is at the optimum to float64 rounding: 0 by lingrad's stopping rule {rule}",
        )
    return (f"the fit is {measure:.3g} from the optimum by lingrad's stopping rule {rule}",)


def _recovered(model: Any) -> tuple[Part, ...]:
    """The divergence the fit recovered from, when the ``lr`` given was replaced."""
    lr = model.lr
    if isinstance(lr, str) or not math.isfinite(float(model.lr_)) or float(lr) == model.lr_:
        return ()
    return (
        "The learning rate ",
        Set("lr", f"{float(lr):g}"),
        " diverged, so the fit restarted from the same start with ",
        Set("lr", "'auto'"),
        f" ({model.lr_:.6g}). ",
    )


def stop_explanation(model: Any) -> StopExplanation:
    """Why a fitted ``LinearRegression`` stopped where it did.

    Parameters
    ----------
    model : LinearRegression
        Fitted (also a model loaded from a file, whose measured value is not
        stored: the explanation then gives the reason alone).

    Returns
    -------
    StopExplanation
        ``str()`` in Python terms; ``.render("cli")`` in the command line's.

    Examples
    --------
    >>> from lingrad import LinearRegression
    >>> from lingrad.datasets import make_tutorial_data
    >>> X, y = make_tutorial_data()
    >>> text = str(stop_explanation(LinearRegression(lr=1.0, n_iters=5).fit(X, y)))
    >>> text.startswith("Stopped at the iteration limit: all 5 iterations of n_iters=5 ran")
    True
    """
    reason, n, n_iters = model.stop_reason_, int(model.n_iter_), int(model.n_iters)
    tol = model.tol
    result = getattr(model, "fit_result_", None)
    measure = float(getattr(result, "measure", math.nan)) if result is not None else math.nan
    estimated = getattr(model.diagnostics_, "reference_method", "") == "none"
    epochs = model.batch_size is not None
    done = _measure_parts(measure, estimated)
    parts: tuple[Part, ...] = _recovered(model)
    if reason == "zero_gradient":
        parts += (
            f"Converged after {_iterations(n, epochs)}: the gradient is exactly zero, so the fit "
            "is at the optimum to float64 rounding.",
        )
    elif reason == "statistics-limited":  # partial_fit: no rows to refine from
        parts += (
            f"Stopped after {_iterations(n, epochs)} at the optimum of the sufficient "
            "statistics, which hold fewer correct digits than ",
            Set("tol", f"{tol:g}"),
            " asks: not counted as converged.",
        )
    elif reason == "tol" and tol is None:  # at the optimum, every iteration run
        refined = bool(getattr(model.diagnostics_, "refined", False))
        parts += (
            f"Converged: all {_iterations(n, epochs)} of ",
            Set("n_iters", str(n_iters)),
            " ran (no ",
            Alt("tol", "--tol"),
            " was set, so every iteration runs)",
            *((". At the end ", *done) if done else ()),
            " (finished at the exact reference optimum)" if refined else "",
            ".",
        )
    elif reason == "tol":
        rule = (": ", *done, ", at most ") if done else (": within ",)
        parts += (f"Converged after {_iterations(n, epochs)}", *rule, Set("tol", f"{tol:g}"), ".")
    else:
        parts += (
            f"Stopped at the iteration limit: all {_iterations(n, epochs)} of ",
            Set("n_iters", str(n_iters)),
            " ran",
        )
        if tol is None:
            parts += (
                " (no ",
                Alt("tol", "--tol"),
                " was set, so every iteration runs; ",
                Set("tol", _SUGGESTED_TOL),
                " stops once the fit is that close)",
            )
        parts += ((". At the end " if done else "."), *done)
        if done and tol is not None:
            parts += (", above ", Set("tol", f"{tol:g}"))
        parts += ("." if done else "",)
    fields = dict(reason=reason, n_iter=n, n_iters=n_iters, tol=tol, measure=measure,
                  estimated=estimated, recovered=bool(_recovered(model)))  # fmt: skip
    return StopExplanation(tuple(p for p in parts if p != ""), fields)
