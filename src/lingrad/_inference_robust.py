"""What cluster-robust and HAC covariances need besides the rows: ``groups``, ``maxlags``.

:func:`robust_request` checks them against ``cov_type`` (the constraints are
:data:`lingrad._params.SUMMARY_PARAMETERS`) and says where the cluster ids come
from: an array (or Dask array) with one label per row, read in step with the
chunks of the second pass, or column names of a dataset (``open_dataset``),
read in the same pass as extra columns. :meth:`Robust.start` makes the sums
that the second pass fills (:mod:`lingrad._inference_cluster`,
:mod:`lingrad._inference_hac`) and :meth:`Robust.finish` turns them into the
covariance of every target in working coordinates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from ._inference_cluster import ClusterSums, cluster_cov
from ._inference_design import Design
from ._inference_hac import HACSums, default_maxlags
from ._messages import Alt, Part, Set, shorten
from ._params import CLUSTER_COV_TYPES, SUMMARY_PARAMETERS, ParameterError

__all__ = ["Robust", "inference_f_pvalue", "robust_fields", "robust_request"]


@dataclass
class Robust:
    """A cluster or HAC request: its settings and, after :meth:`start`, its sums."""

    cov_type: str
    maxlags: int | None = None
    labels: Any = None  # (n, n_ways) array-like (numpy or Dask), or None
    columns: list[str] | None = None  # column names of a dataset
    dataset: Any = None
    sums: Any = None
    df_inference: float | None = None
    kwds: dict[str, Any] | None = None

    @property
    def n_ways(self) -> int:
        return len(self.columns) if self.columns else int(self.labels.shape[1])

    def start(
        self, chunks: Callable[[], Iterable[Any]], k: int, design: Design, n_rows: int
    ) -> Iterator[Any]:
        """A pass over the data whose chunks feed the sums (kept in ``self.sums``).

        ``n_rows`` (from the statistics) sets the default HAC lags up front, so
        only the last ``maxlags`` rows' scores are ever kept.
        """
        p = design.binv.shape[0]
        if self.cov_type == "HAC":
            lags = default_maxlags(n_rows) if self.maxlags is None else self.maxlags
            self.sums = HACSums(lags, k, p)
            return iter(chunks())
        crv3 = self.cov_type == "cluster-crv3"
        if self.columns:
            queue: deque[np.ndarray] = deque()
            self.sums = ClusterSums(self.n_ways, k, p, crv3, lambda m: queue.popleft())
            return _with_columns(self.dataset, self.columns, k, queue)
        self.sums = ClusterSums(self.n_ways, k, p, crv3, _PositionalFeed(self.labels))
        return iter(chunks())

    def finish(self, design: Design, nobs: float) -> np.ndarray:
        """The covariances of every target in working coordinates, (k, p, p)."""
        s = self.sums
        if self.cov_type == "HAC":
            self.kwds = {"maxlags": s.lags, "kernel": "bartlett", "use_correction": False}
            return s.cov(design)
        if isinstance(s.feed, _PositionalFeed):
            s.feed.check_end()
        names = self.columns or (["groups"] if s.n_ways == 1 else ["groups[:, 0]", "groups[:, 1]"])
        self.df_inference = s.df_inference
        self.kwds = {
            "groups": names if s.n_ways > 1 else names[0],
            "n_groups": list(s.n_groups),
            "use_correction": True,
            "df_correction": True,
            "memory": "O(G·p²): per-cluster scores and Gram matrices"
            if s.crv3
            else "O(G·p): per-cluster score sums",
        }
        return cluster_cov(s, design, nobs)


class _PositionalFeed:
    """The labels of the next rows of an (n, n_ways) array, in order."""

    def __init__(self, labels: Any) -> None:
        self.labels, self.pos = labels, 0

    def __call__(self, m: int) -> np.ndarray:
        a, self.pos = self.pos, self.pos + m
        if self.pos > self.labels.shape[0]:
            raise ValueError(_length_error(self.labels.shape[0], "more"))
        out = self.labels[a : self.pos]
        return np.asarray(out.compute() if hasattr(out, "__dask_graph__") else out)

    def check_end(self) -> None:
        if self.pos != self.labels.shape[0]:
            raise ValueError(_length_error(self.labels.shape[0], f"{self.pos}"))


def _length_error(n: int, rows: str) -> str:
    return (
        f"groups has {n} labels but the data have {rows} rows. Pass one cluster id per row "
        "of the training data, in the same order."
    )


def _with_columns(ds: Any, columns: list[str], k: int, queue: deque) -> Iterator[Any]:
    """The dataset's chunks, with the group columns (numbers or text) read in step (into ``queue``).

    A dataset with frequency weights yields ``(X, Y, f * w, f)``: each row counts ``f`` times.
    """
    from ._sources.grouplabels import labelled_chunks

    for *chunk, labels in labelled_chunks(ds, columns, counted=hasattr(ds, "iter_counted")):
        queue.append(labels)
        yield tuple(chunk)


def _fail(name: str, expected: str, value: Any, *fix: Part) -> ParameterError:
    """A bad ``groups`` or ``maxlags`` (or one given with the wrong ``cov_type``).

    Worded from parts (``fields["parameter"]`` names it), so the command line
    renders the remedy in its own options.
    """
    parts = (
        f"The {name!r} parameter of summarize must be {expected}; got {shorten(value)}. ",
        *fix,
    )
    return ParameterError(parts, owner="summarize", parameter=name, value=value, expected=expected)


def robust_request(cov_type: str, groups: Any, maxlags: Any, X: Any) -> Robust | None:
    """Check ``groups`` and ``maxlags`` against ``cov_type``; None for the other types."""
    maxlags = SUMMARY_PARAMETERS["maxlags"].check("summarize", maxlags)
    if maxlags is not None and cov_type != "HAC":
        raise _fail(
            "maxlags", "None unless cov_type is 'HAC'", repr(maxlags),
            "Pass ", Set("cov_type", "'HAC'"), " with ", Set("maxlags"), ", or leave it out.",
        )  # fmt: skip
    if cov_type not in CLUSTER_COV_TYPES:
        if groups is not None:
            raise _fail(
                "groups", "None unless cov_type is 'cluster' or 'cluster-crv3'",
                f"cluster ids with cov_type={cov_type!r}",
                "Pass ", Set("cov_type", "'cluster'"), " with ", Set("groups"),
                ", or leave it out.",
            )  # fmt: skip
        return Robust(cov_type, maxlags) if cov_type == "HAC" else None
    if groups is None:
        raise _fail(
            "groups", "the cluster ids of the rows with cov_type=" + repr(cov_type), "None",
            Alt("Pass groups=ids (one label per row, or an (n, 2) array for two-way "
                "clustering), or the name(s) of a dataset's group column(s).",
                "Name the cluster column(s) of DATA: --cluster COL (or --cluster a,b)."),
        )  # fmt: skip
    names = [groups] if isinstance(groups, str) else groups
    is_names = isinstance(names, list | tuple) and 0 < len(names) <= 2
    is_names = is_names and all(isinstance(g, str) for g in names)
    if isinstance(groups, str) or (is_names and hasattr(X, "_reader")):  # column names
        out = _columns(cov_type, list(names), X)
    else:
        out = Robust(cov_type, labels=_labels(groups))
    if cov_type == "cluster-crv3" and out.n_ways == 2:
        raise _fail(
            "groups", "one clustering with cov_type='cluster-crv3'", "two",
            "The two-way combination V(a) + V(b) - V(a ∩ b) holds for CR1 only (statsmodels "
            "refuses it too): use ", Set("cov_type", "'cluster'"), " for two-way clustering, "
            "or one column of ids for CR3.",
        )  # fmt: skip
    return out


def _columns(cov_type: str, names: list[str], X: Any) -> Robust:
    columns = getattr(X, "columns", None)
    if not hasattr(X, "_reader") or columns is None:
        raise _fail(
            "groups", "an array of cluster ids (column names need a dataset)", repr(names),
            "Pass the ids as an array, one per row, or name a group column of a dataset "
            "(open_dataset) or of X as a pandas or Dask DataFrame.",
        )  # fmt: skip
    missing = [g for g in names if g not in columns]
    if missing or len(names) > 2:
        raise _fail(
            "groups", f"one or two columns of {X.path}", repr(names),
            f"Name existing columns; the file has {', '.join(map(str, columns))}.",
        )  # fmt: skip
    return Robust(cov_type, columns=names, dataset=X)


def _labels(groups: Any) -> Any:
    """``groups`` as an (n, n_ways) array (Dask arrays stay lazy)."""
    g = groups
    if hasattr(g, "to_dask_array"):
        g = g.to_dask_array(lengths=True)
    elif isinstance(g, list | tuple) and g and all(np.ndim(a) == 1 for a in g):
        g = np.column_stack([np.asarray(a) for a in g])  # a list of id columns
    elif not hasattr(g, "__dask_graph__"):
        g = np.asarray(getattr(g, "values", g))
    if g.ndim == 1:
        g = g.reshape(-1, 1)
    if g.ndim != 2 or g.shape[1] not in (1, 2) or g.shape[0] == 0:
        raise _fail(
            "groups",
            "of shape (n_samples,) or (n_samples, 2)",
            f"ids of shape {g.shape}",
            "Pass one id per row, or two columns of ids for two-way clustering.",
        )
    if not hasattr(g, "__dask_graph__") and g.dtype.kind == "f" and not np.isfinite(g).all():
        raise _fail(
            "groups",
            "finite cluster ids",
            "ids with NaN",
            "Give every row a cluster id (NaN is not one).",
        )
    return g


def robust_fields(robust: Robust | None) -> dict[str, Any]:
    """The summary's ``df_resid_inference`` and ``cov_kwds`` (empty for other types)."""
    if robust is None or robust.kwds is None:
        return {}
    return {"df_resid_inference": robust.df_inference, "cov_kwds": dict(robust.kwds)}


def inference_f_pvalue(numbers: dict[str, Any], common: dict[str, Any]) -> None:
    """With clusters, the F test's p-value from F(df_model, G - 1), as statsmodels."""
    df = common.get("df_resid_inference")
    f = numbers["fvalue"]
    if df is not None and common["df_model"] > 0 and np.isfinite(f):
        numbers["f_pvalue"] = float(sps.f.sf(f, common["df_model"], df)) if df > 0 else np.nan
