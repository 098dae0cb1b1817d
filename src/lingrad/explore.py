"""An explorer of gradient descent in the browser: one self-contained HTML page.

Descent on squared loss needs only the data's sufficient statistics, so
:func:`explore` writes a page that embeds them (the weighted count, the means
and the centred scatter: no row of the data) and iterates on them in the
browser, with no server and no network: the MSE surface over two parameters as
contours, the descent path, and the loss curve. The learner clicks to set the
start, moves sliders for ``lr`` and momentum and switches GD / heavy ball /
Nesterov; the page recomputes at once. Its iterates are lingrad's:
``LinearRegression(lr=..., optimizer=..., momentum=...)`` from the same start
gives the same iterates to 1e-9 relative (tests/test_explore.py checks it in
headless Chromium).

With more than one feature the contours are a 2-D *slice* of the surface
through the optimum: the two chosen parameters vary, every other one is held
at its fitted (optimal) value. The descent itself runs on all the parameters,
and the path drawn is its projection onto the two chosen ones.

The page exposes ``window.lingradExplorer``: ``set({lr, momentum, optimizer,
start, pair, n_iters, tol})`` does what the controls do, ``iterates()`` returns
the path (``theta``: one list of ``n_features + 1`` numbers per iterate,
coefficients then intercept; ``w``, ``b``: the chosen pair's coordinates) and
``state()`` the iteration count, the stable limits and whether it diverges.
"""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ._stats import SufficientStats
from .atomic import atomic_path, check_output_path

__all__ = ["MAX_FEATURES", "explore", "explorer_data", "explorer_html"]

#: The most features a page takes: each iteration in the browser costs O(f^2).
MAX_FEATURES = 64
#: The page's default tolerance of lingrad's stopping measure
#: (``sqrt(MSE - MSE*) / std(y)``, see ``LinearRegression(tol=...)``).
DEFAULT_TOL = 1e-6
_OPTIMIZERS = ("gd", "momentum", "nesterov")
_PLACEHOLDER = "/*LINGRAD_DATA*/null"


# -- the data ----------------------------------------------------------------------------
def _from_chunks(source: Any) -> SufficientStats:
    """The statistics of a dataset (:func:`lingrad.open_dataset`), in one streamed pass."""
    stats = None
    for X, Y, w in source.iter_chunks():
        part = SufficientStats.from_arrays(np.asarray(X, dtype=np.float64), Y, w)
        stats = part if stats is None else stats.merge(part)
    if stats is None:
        raise ValueError(f"{source.description!r} has no rows: explore needs data to descend on.")
    return stats


def _names(X: Any, stats: SufficientStats, feature_names: Any) -> list[str]:
    if feature_names is None:
        feature_names = getattr(X, "feature_names", None) or getattr(X, "columns", None)
    f = stats.n_features
    if feature_names is None:
        return ["w"] if f == 1 else [f"w[{j}]" for j in range(f)]
    names = [str(c) for c in feature_names]
    if len(names) != f:
        raise ValueError(
            f"feature_names has {len(names)} names for {f} features; give one name per column."
        )
    return names


def _statistics(X: Any, y: Any, sample_weight: Any) -> tuple[SufficientStats, Any]:
    """``(stats, the object naming the columns)`` from whatever explore was given."""
    if X is None:
        if y is not None:
            raise ValueError("explore got y without X: pass both, or neither for the tutorial's.")
        from .datasets import make_tutorial_data

        X, y = make_tutorial_data()
    if isinstance(X, SufficientStats) or hasattr(X, "iter_chunks"):
        if y is not None or sample_weight is not None:
            raise ValueError(
                f"explore got y or sample_weight with a {type(X).__name__}, which holds them "
                "already: pass it alone."
            )
        return (X if isinstance(X, SufficientStats) else _from_chunks(X)), X
    if y is None:
        raise ValueError("explore got X without y: pass the target too, explore(X, y).")
    A = np.asarray(X, dtype=np.float64)
    A = A[:, None] if A.ndim == 1 else A
    Y = np.asarray(y, dtype=np.float64)
    if A.ndim != 2 or Y.ndim not in (1, 2) or len(Y) != len(A):
        raise ValueError(
            f"explore needs X of shape (n_samples, n_features) and y of shape (n_samples,); "
            f"got X {np.shape(X)} and y {np.shape(y)}."
        )
    if not (np.isfinite(A).all() and np.isfinite(Y).all()):
        raise ValueError("X or y holds NaN or inf: drop or impute those rows first.")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return SufficientStats.from_arrays(A, Y, w), X


def _check_stats(stats: SufficientStats) -> None:
    if stats.n_targets != 1:
        raise ValueError(
            f"explore descends on one target; these data have {stats.n_targets}. Pick one "
            "column (y[:, j], or --target COL)."
        )
    if not 1 <= stats.n_features <= MAX_FEATURES:
        raise ValueError(
            f"explore takes 1 to {MAX_FEATURES} features; these data have {stats.n_features}. "
            "Select the columns to explore (X[:, cols], or --features)."
        )
    if not (stats.n_samples >= 2 and stats.sum_weights > 0):
        raise ValueError("explore needs at least 2 rows with positive weight.")
    if not (np.isfinite(stats.mean).all() and np.isfinite(stats.scatter).all()):
        raise ValueError("the data's statistics overflow float64: rescale X or y first.")


def _curvature(stats: SufficientStats) -> dict[str, Any]:
    """Hessian of MSE/2 over (w, b), its extreme eigenvalues, the optimum and its MSE."""
    f, S = stats.n_features, float(stats.sum_weights)
    C, mu = stats.xx / S, stats.x_mean
    H = np.empty((f + 1, f + 1))
    H[:f, :f] = C + np.outer(mu, mu)
    H[:f, f] = H[f, :f] = mu
    H[f, f] = 1.0
    lam = np.linalg.eigvalsh(H)
    cxy, ybar = stats.xy[:, 0] / S, float(stats.y_mean[0])
    w = np.linalg.lstsq(C, cxy, rcond=None)[0]
    theta = np.append(w, ybar - mu @ w)
    var = float(stats.yy[0, 0]) / S
    mse = max(var - float(w @ cxy), 0.0)
    return {
        "L": float(lam[-1]),
        "mu": float(max(lam[0], 0.0)),
        "theta_star": theta.tolist(),
        "mse_star": mse,
        "scale": var if var > 0 else 1.0,
    }


def _stable(optimizer: str, momentum: float, L: float) -> float:
    """The largest stable lr of ``optimizer`` (lingrad's ``stable_lr``), constant momentum."""
    b = momentum
    return {
        "gd": 2.0 / L,
        "momentum": 2 * (1 + b) / L,
        "nesterov": (2 + 2 * b) / ((1 + 2 * b) * L),
    }[optimizer]


def _settings(model: Any, lr: Any, optimizer: Any, momentum: Any, start: Any) -> tuple:
    """lr, optimizer, momentum and start: given, else the fitted model's, else None."""
    if model is not None:
        if not hasattr(model, "coef_init_"):
            raise ValueError("model must be a fitted lingrad.LinearRegression; fit it first.")
        lr = lr if lr is not None else getattr(model, "lr_", None)
        optimizer = optimizer or model.optimizer
        momentum = momentum if momentum is not None else model.momentum
        if start is None:
            start = np.append(np.ravel(model.coef_init_), np.ravel(model.intercept_init_)[:1])
    return lr, optimizer or "gd", 0.9 if momentum is None else momentum, start


def _check_options(optimizer: Any, momentum: Any, n_iters: Any, tol: Any) -> None:
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(_OPTIMIZERS)}; got {optimizer!r}.")
    if not (isinstance(momentum, int | float) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}.")
    if not (isinstance(n_iters, int) and 1 <= n_iters <= 100_000):
        raise ValueError(f"n_iters must be a whole number in [1, 100000]; got {n_iters!r}.")
    if not (isinstance(tol, int | float) and 0 < tol < 1):
        raise ValueError(f"tol must be a number in (0, 1); got {tol!r}.")


def explorer_data(
    X: Any = None,
    y: Any = None,
    *,
    sample_weight: Any = None,
    model: Any = None,
    lr: float | None = None,
    optimizer: str | None = None,
    momentum: float | None = None,
    start: Any = None,
    random_state: int | None = 0,
    n_iters: int = 1000,
    tol: float = DEFAULT_TOL,
    feature_names: Any = None,
    title: str | None = None,
) -> dict[str, Any]:
    """What the page embeds: the statistics, the quantities derived from them, the settings.

    The arguments are :func:`explore`'s. Returns a JSON-ready dict: ``n`` (the
    sum of weights), ``mean`` and ``scatter`` (:class:`lingrad.SufficientStats`'
    centred form, over ``[X, y]``), ``names``, ``L``/``mu`` (extreme curvatures of
    MSE/2), ``theta_star``, ``mse_star``, ``scale`` (y's variance) and the
    page's starting settings.

    Examples
    --------
    >>> d = explorer_data()  # the tutorial's data
    >>> d["n"], d["names"], len(d["scatter"])
    (500.0, ['w', 'b'], 2)
    """
    if hasattr(X, "coef_init_") and model is None:  # explore(fitted_model)
        X, model = getattr(X, "stats_", None), X
        if X is None:
            raise ValueError(
                "this model keeps no sufficient statistics (engine 'direct'): pass its data, "
                "explore(X, y, model=model), or fit with engine='stats'."
            )
    stats, named = _statistics(X, y, sample_weight)
    _check_stats(stats)
    lr, optimizer, momentum, start = _settings(model, lr, optimizer, momentum, start)
    _check_options(optimizer, momentum, n_iters, tol)
    f = stats.n_features
    names = _names(named, stats, feature_names)
    curv = _curvature(stats)
    if lr is None or lr == "auto":
        lr = 0.01 if 0.01 < _stable(optimizer, momentum, curv["L"]) else 1.0 / curv["L"]
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number (or 'auto'); got {lr!r}.")
    if start is None:
        start = np.append(check_random_state(random_state).rand(f), 0.0)
    start = np.asarray(start, dtype=np.float64).ravel()
    if start.shape != (f + 1,) or not np.isfinite(start).all():
        raise ValueError(
            f"start must hold {f + 1} finite numbers (the coefficients, then the intercept); "
            f"got {start.shape[0]}."
        )
    return {
        "title": title or "lingrad explore: gradient descent you can play with",
        "n": float(stats.sum_weights),
        "n_rows": int(stats.n_samples),
        "mean": stats.mean.tolist(),
        "scatter": stats.scatter.tolist(),
        "names": [*names, "b" if "b" not in names else "intercept"],
        **curv,
        "settings": {
            "lr": float(lr),
            "optimizer": optimizer,
            "momentum": float(momentum),
            "start": start.tolist(),
            "n_iters": n_iters,
            "tol": float(tol),
            "pair": [0, f],
        },
    }


def explorer_html(data: dict[str, Any]) -> str:
    """The page for ``data`` (from :func:`explorer_data`): the template with the data inlined.

    Examples
    --------
    >>> html = explorer_html(explorer_data())
    >>> html.startswith("<!DOCTYPE html>"), "http" in html.replace("http-equiv", "")
    (True, False)
    """
    template = resources.files("lingrad").joinpath("_explore/page.html").read_text("utf-8")
    payload = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    return template.replace(_PLACEHOLDER, payload, 1)


def explore(
    X: Any = None,
    y: Any = None,
    *,
    out: str | os.PathLike[str] = "explore.html",
    **options: Any,
) -> Path:
    """Write the explorer: one self-contained HTML page (no network, no CDN, under 1 MB).

    Parameters
    ----------
    X : None, array-like of shape (n_samples, n_features), Dataset, SufficientStats or
        fitted LinearRegression
        None: the tutorial's data (:func:`lingrad.datasets.make_tutorial_data`). A
        :class:`lingrad.Dataset` (:func:`lingrad.open_dataset`) is read in one
        streamed pass. A fitted model brings its statistics (engine "stats") and,
        as ``model=`` does, its lr, optimizer, momentum and starting point.
    y : array-like of shape (n_samples,), optional
        The target, with an array X.
    out : str or path-like, default="explore.html"
        The page, written atomically (no partial file on error).
    **options
        ``sample_weight``; ``model`` (a fitted LinearRegression whose settings and
        start the page opens with); ``lr`` (default: 0.01 where stable, else 1/L),
        ``optimizer`` ("gd", "momentum" or "nesterov"), ``momentum`` (default
        0.9), ``start`` (``n_features + 1`` numbers, coefficients then intercept;
        default ``rand(n_features)`` seeded by ``random_state=0`` and 0, as
        ``LinearRegression(random_state=0)`` starts), ``n_iters`` (default 1000),
        ``tol`` (of lingrad's stopping measure, default 1e-6: the iteration count
        shown is the ``n_iter_`` of ``LinearRegression(tol=tol)``),
        ``feature_names`` and ``title``.

    Returns
    -------
    Path
        The page written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lingrad import explore
    >>> page = explore(out=pathlib.Path(tempfile.mkdtemp()) / "explore.html")
    >>> page.stat().st_size < 1_000_000
    True
    """
    path = Path(out)
    where = f"out {os.fspath(path)!r}"
    check_output_path(path, where, "explore.html", f"mkdir -p {path.parent}")
    html = explorer_html(explorer_data(X, y, **options))
    with atomic_path(path, where) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return path
