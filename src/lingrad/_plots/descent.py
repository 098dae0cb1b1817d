"""The descent path over contours of the mean squared error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import PathLike, check_model, check_xy, exact_optimum_of, figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from .._estimator import LinearRegression

__all__ = ["plot_descent_path"]

#: Paths of at most this many steps get an arrow per step and step numbers.
_FEW_STEPS = 40
#: The end point counts as hidden under the star within this fraction of the box.
_HIDDEN = 0.05


def plot_descent_path(
    model: LinearRegression,
    X: ArrayLike,
    y: ArrayLike,
    *,
    features: tuple[int | str, int | str] | None = None,
    levels: int = 20,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The path of the iterates over contours of the mean squared error.

    With one feature the plane is (weight, bias). With more, it is a slice
    through the fitted values: two coefficients (``features``, the two leading
    ones by default) vary, the other coefficients and the bias are held at their
    fitted values (the path drawn is the projection of the iterates on that
    plane); the axes are named by feature (``feature_names_in_``) and the title
    says it is a slice. The star marks the exact optimum: the model's own
    (``diagnostics_.exact_coef``, which includes any penalty) when it computed
    one, else unpenalised least squares by :func:`lingrad.exact_optimum`. The
    surface is the unweighted MSE of ``X`` and ``y``; the colour bar's ticks are
    round numbers.

    The dots mark iterates (every one, or every k-th on long paths, as the
    legend says). A path of at most 40 steps gets an arrow per step and step
    numbers, so the order of the jumps reads (a zigzag at ``lr`` near 2/L). When
    the end point lies under the star (closer than 5% of the box), an inset
    zooms on the optimum so the gap that remains can be seen.

    Parameters
    ----------
    model : LinearRegression
        Fitted with ``record_path=True`` on one target.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    features : pair of int or str, optional
        The two coefficients spanning the plane (indices, or names from
        ``feature_names_in_``), with two features or more; default the first two.
    levels : int, default=20
        Number of contour levels.
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save the figure there (PNG by default).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad import LinearRegression
    >>> from lingrad.plots import plot_descent_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = X @ [1.0, 2.0, 3.0] + 1.0
    >>> m = LinearRegression(n_iters=300, record_path=True, random_state=0).fit(X, y)
    >>> ax = plot_descent_path(m, X, y, features=(2, 0)).axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('w[2]', 'w[0]')
    """
    func = "plot_descent_path"
    check_model(model, func, path=True)
    X, y = check_xy(X, y, func, model=model)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"{func} needs levels to be an integer >= 2; got {levels!r}.")
    pair = _pair(model, features, func)
    P, star, U, V, r0, names = _plane(model, X, y, pair)
    box = _box(P, star)
    A, C, Z = _mse_grid(box, U, V, r0)
    zmin, zmax = float(Z.min()), float(Z.max())
    lv = zmin + (zmax - zmin) * np.linspace(0.0, 1.0, levels) ** 2 if zmax > zmin else levels

    fig, ax = figure(ax, figsize=(6.4, 5.2))
    _draw(fig, ax, model, (P, star, U, V, r0, names), box, (A, C, Z, lv), pair)
    return save(fig, path)


def _draw(
    fig: Figure, ax: Axes, model: LinearRegression, plane: tuple, box: tuple, grid: tuple, pair
) -> None:
    """Contours, colour bar, path, markers, step numbers, labels, legend and inset."""
    P, star, U, V, r0, names = plane
    A, C, Z, lv = grid
    zmin, zmax = float(Z.min()), float(Z.max())
    filled = ax.contourf(A, C, Z, levels=lv, cmap="viridis", alpha=0.35)
    ax.contour(A, C, Z, levels=lv, colors="k", linewidths=0.4, alpha=0.5)
    _colorbar(fig, ax, filled, zmin, zmax)
    few = model.n_iter_ <= _FEW_STEPS
    order = " (arrows: the order of the steps)" if few and model.n_iter_ > 0 else ""
    ax.plot(P[:, 0], P[:, 1], color="tab:red", lw=1.5, label=f"{model.n_iter_} iterations{order}")
    step = max(1, len(P) // 30)
    dots = "iterates (a dot per step)" if step == 1 else f"iterates (a dot every {step} steps)"
    ax.plot(P[::step, 0], P[::step, 1], "o", color="tab:red", ms=3, label=dots)
    ax.plot(*P[0], "s", color="tab:red", ms=8, label="start")
    ax.plot(*star, "*", color="gold", mec="black", ms=16, label="exact optimum")
    ax.plot(*P[-1], "o", color="black", ms=5, label="end")
    if few:
        _number_steps(ax, P, box[1])
    ax.set(xlabel=names[0], ylabel=names[1])
    ax.set_title(_title(model, pair), fontsize="medium" if pair is None else "small")
    ax.legend(loc="best", fontsize="small")
    if float(np.abs(P[-1] - star).max()) < _HIDDEN * box[1]:
        _inset(ax, P, star, box[1], (U, V, r0))


def _pair(
    model: LinearRegression, features: tuple[int | str, int | str] | None, func: str
) -> tuple[int, int] | None:
    """The indices of the two coefficients spanning the plane (None: one feature)."""
    f = int(model.n_features_in_)
    if f == 1:
        if features is not None:
            raise ValueError(
                f"{func}: with one feature the plane is (weight, bias); drop features={features!r}."
            )
        return None
    if features is None:
        return (0, 1)
    names = getattr(model, "feature_names_in_", None)
    names = [] if names is None else [str(n) for n in names]
    if not isinstance(features, tuple | list) or len(features) != 2:
        raise ValueError(f"{func} needs features to be a pair, e.g. (0, 1); got {features!r}.")
    pair = []
    for key in features:
        if isinstance(key, str) and key in names:
            pair.append(names.index(key))
        elif isinstance(key, int | np.integer) and not isinstance(key, bool) and 0 <= key < f:
            pair.append(int(key))
        else:
            known = f"one of {names}" if names else f"an index in 0..{f - 1}"
            raise ValueError(f"{func}: feature {key!r} is not {known}.")
    if pair[0] == pair[1]:
        raise ValueError(f"{func} needs two different features; got {features!r} twice.")
    return pair[0], pair[1]


def _title(model: LinearRegression, pair: tuple[int, int] | None) -> str:
    """The title, with the slice's caption when the plane holds other coefficients."""
    title = "Gradient descent on the MSE surface"
    if pair is None:
        return title
    others = int(model.n_features_in_) - 2
    held = [f"{others} other coefficient{'s' if others != 1 else ''}"] if others else []
    held += ["the bias"] if model.fit_intercept else []
    if not held:
        return title
    return f"{title}\na slice through the fitted values:\n{' and '.join(held)} held at the fit"


def _plane(
    model: LinearRegression, X: np.ndarray, y: np.ndarray, pair: tuple[int, int] | None
) -> tuple:
    """The plane drawn: the path ``P`` (n_iter_ + 1, 2), the optimum's ``star`` (2,),
    the residual ``r0 + a U + c V`` at a point ``(a, c)`` of it, and the axis names."""
    exact_w, exact_b = exact_optimum_of(model, X, y)
    names = getattr(model, "feature_names_in_", None)
    if pair is None:
        P = np.column_stack([model.coef_path_[:, 0], model.intercept_path_])
        star = np.array([exact_w[0], exact_b])
        wname = "weight w" if names is None else f"weight w ({names[0]})"
        return P, star, X[:, 0], np.ones(len(X)), -y, (wname, "bias b")
    i, j = pair
    coef = np.asarray(model.coef_, dtype=np.float64)
    P = np.asarray(model.coef_path_[:, [i, j]], dtype=np.float64)
    star = np.asarray(exact_w, dtype=np.float64)[[i, j]]
    rest = np.ones(len(coef), dtype=bool)
    rest[[i, j]] = False
    r0 = X[:, rest] @ coef[rest] + float(model.intercept_) - y
    axis = [f"w[{k}]" if names is None else f"coefficient of {names[k]}" for k in pair]
    return P, star, X[:, i], X[:, j], r0, tuple(axis)


def _box(P: np.ndarray, star: np.ndarray) -> tuple[np.ndarray, float]:
    """The centre (2,) and half-width of a square box around the path and the optimum.

    The box has the same span on both axes, so the bowl keeps its shape.
    """
    pts = np.vstack([P, star])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2, 0.6 * float((hi - lo).max()) or 1.0


def _mse_grid(
    box: tuple[np.ndarray, float], U: np.ndarray, V: np.ndarray, r0: np.ndarray, n: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An ``n`` x ``n`` grid of the MSE over the square ``box`` (centre, half-width)."""
    mid, half = box
    a = np.linspace(mid[0] - half, mid[0] + half, n)
    c = np.linspace(mid[1] - half, mid[1] + half, n)
    A, C = np.meshgrid(a, c)
    # MSE(a, c) = mean((r0 + a U + c V)^2), expanded so the grid never touches X again.
    m = np.mean
    Z = (
        m(r0 * r0)
        + A * A * m(U * U)
        + C * C * m(V * V)
        + 2 * A * m(r0 * U)
        + 2 * C * m(r0 * V)
        + 2 * A * C * m(U * V)
    )
    return A, C, np.maximum(Z, 0.0)


def _colorbar(fig: Figure, ax: Axes, filled: object, zmin: float, zmax: float) -> None:
    """The MSE colour bar, ticked at round numbers (not at the contour levels)."""
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(zmin, zmax)
    ticks = ticks[(ticks >= zmin) & (ticks <= zmax)]
    cbar = fig.colorbar(filled, ax=ax, label="MSE", ticks=ticks)
    cbar.set_ticklabels([f"{t:g}" for t in ticks])


def _number_steps(ax: Axes, P: np.ndarray, half: float) -> None:
    """An arrow per step and the step numbers, each number clear of the ones before."""
    for k in range(1, len(P)):
        if np.any(P[k] != P[k - 1]):
            ax.annotate(
                "",
                xy=P[k],
                xytext=P[k - 1],
                arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 1.0},
            )
    placed: list[np.ndarray] = []
    for k, point in enumerate(P):
        if all(float(np.abs(point - q).max()) > 0.06 * half for q in placed):
            placed.append(point)
            ax.annotate(
                str(k),
                xy=point,
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                color="darkred",
            )


def _free_corner(ax: Axes, P: np.ndarray, star: np.ndarray, size: float) -> list[float]:
    """The bounds (axes fraction) of the corner square that covers the fewest iterates."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    pts = np.vstack([P, star])
    fx, fy = (pts[:, 0] - x0) / (x1 - x0), (pts[:, 1] - y0) / (y1 - y0)
    best, corner = None, [0.04, 0.04]
    for cx in (0.04, 0.96 - size):
        for cy in (0.04, 0.96 - size):
            inside = (fx > cx - 0.04) & (fx < cx + size + 0.04)
            inside &= (fy > cy - 0.04) & (fy < cy + size + 0.04)
            if best is None or int(inside.sum()) < best:
                best, corner = int(inside.sum()), [cx, cy]
    return [*corner, size, size]


def _inset(ax: Axes, P: np.ndarray, star: np.ndarray, half: float, surface: tuple) -> Axes:
    """A zoom on the optimum: the end point, the star and the gap between them."""
    gap = float(np.abs(P[-1] - star).max())
    zoom = max(2.5 * gap, 1e-4 * half)
    box = (star.astype(np.float64), zoom)
    A, C, Z = _mse_grid(box, *surface, n=80)
    inset = ax.inset_axes(_free_corner(ax, P, star, 0.36))
    if float(Z.max()) > float(Z.min()):
        inset.contour(A, C, Z, levels=8, colors="k", linewidths=0.4, alpha=0.5)
    inset.plot(P[:, 0], P[:, 1], "o-", color="tab:red", lw=1.0, ms=2)
    inset.plot(*star, "*", color="gold", mec="black", ms=14)
    inset.plot(*P[-1], "o", color="black", ms=5)
    inset.set(xlim=(star[0] - zoom, star[0] + zoom), ylim=(star[1] - zoom, star[1] + zoom))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title(f"zoom: end {gap:.2g} from the optimum", fontsize=7)
    ax.indicate_inset_zoom(inset, edgecolor="0.3")
    return inset
