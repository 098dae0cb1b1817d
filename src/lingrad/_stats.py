"""Sufficient statistics of weighted least squares: one pass, mergeable, exact.

For squared loss, the gradient, the loss and the exact optimum depend on the
data only through the weighted count, the means of X and y and their centred
cross-products. ``SufficientStats`` holds exactly those, in centred form, so
that data with a large offset (values around 1e6) loses no accuracy, and two
halves merge into the whole (Chan, Golub & LeVeque's pairwise update).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ._raw import RawProducts
from ._rowpar import map_row_blocks

__all__ = ["SufficientStats", "normalised_weights", "weight_exponent"]

# Weights whose largest lies within 2**-64 .. 2**64 are used as given; beyond, they are
# divided by a power of two (exact) so that the largest lies in [0.5, 1): all-equal
# weights of any scale (5e-324, 1e308) then give the unweighted fit, and no product
# of a weight underflows or overflows where the weights' scale, not the data, is to blame.
_WEIGHT_RANGE = 2.0**64


def weight_exponent(sample_weight: np.ndarray | None) -> int:
    """The power of two ``k`` the weights are divided by (0 unless their scale is extreme).

    Examples
    --------
    >>> weight_exponent(np.array([1.0, 3.0])), weight_exponent(np.array([1e308, 1e308]))
    (0, 1024)
    """
    if sample_weight is None or sample_weight.size == 0:
        return 0
    top = float(np.max(sample_weight))
    if top == 0.0 or 1.0 / _WEIGHT_RANGE <= top <= _WEIGHT_RANGE or not math.isfinite(top):
        return 0
    return math.frexp(top)[1]


def normalised_weights(sample_weight: np.ndarray | None, k: int | None = None):
    """``sample_weight / 2**k`` (exact), ``k`` by default :func:`weight_exponent`'s."""
    if sample_weight is None:
        return None
    k = weight_exponent(sample_weight) if k is None else k
    return np.ldexp(sample_weight, -k) if k else sample_weight


# Row chunks are sized so that the float64 work buffer stays below 4 MiB and
# below 10% of the input's size (but may use 256 KiB for small inputs, where
# chunking would only add Python overhead): fit never holds a copy of X.
_CHUNK_BYTES = 4 * 2**20
_SMALL_BYTES = 256 * 2**10


def default_chunk_rows(n_rows: int, n_cols: int, nbytes: int) -> int:
    """Rows per chunk: buffer <= min(4 MiB, max(10% of the input, 256 KiB))."""
    budget = min(_CHUNK_BYTES, max(nbytes // 10, _SMALL_BYTES))
    rows = budget // (8 * (n_cols + 1))
    return int(max(16, min(rows, max(n_rows, 1))))


# Raw products lose about log10(E[x^2] / var(x)) digits to the centring; past
# this ratio the statistics are recomputed about the mean.
_MAX_RAW_RATIO = 1e4


def _needs_shift(head: np.ndarray) -> bool:
    """True when some column's offset dwarfs its spread in the first rows
    (|mean| > 4 std, a constant column away from 0 included)."""
    mean = head.mean(axis=0)
    return bool(np.any(np.abs(mean) > 4.0 * head.std(axis=0)))


def _shifted_products(X, Y, sample_weight, shift, rows: int, lo: int, hi: int) -> np.ndarray:
    """``sum a a^T`` over rows ``lo:hi`` of ``a = [x - s, y - t, 1]`` (times sqrt(w))."""
    f, m = X.shape[1], shift.shape[0]
    buf = np.empty((min(rows, hi - lo), m + 1))
    s2 = np.zeros((m + 1, m + 1))
    for start in range(lo, hi, rows):
        stop = min(start + rows, hi)
        b = buf[: stop - start]
        np.subtract(X[start:stop], shift[:f], out=b[:, :f])
        np.subtract(Y[start:stop], shift[f:], out=b[:, f:m])
        if sample_weight is None:
            b[:, m] = 1.0
        else:
            np.sqrt(sample_weight[start:stop], out=b[:, m])
            b[:, :m] *= b[:, m : m + 1]
        # b.T @ b is one BLAS syrk: the centred scatter, the column sums
        # (last column) and the weight total (corner) in one product.
        s2 += b.T @ b
    return s2


@dataclass(frozen=True, eq=False)
class SufficientStats:
    """Weighted sufficient statistics of ``[X, Y]``.

    Parameters
    ----------
    n_samples : int
        Number of rows seen (weighted or not).
    sum_weights : float
        Sum of the sample weights (``n_samples`` when unweighted).
    mean : ndarray of shape (n_features + n_targets,)
        Weighted means of the columns of X, then of Y.
    scatter : ndarray of shape (n_features + n_targets, n_features + n_targets)
        Weighted centred cross-products ``sum_i w_i (z_i - mean)(z_i - mean)^T``
        with ``z_i = [x_i, y_i]``.
    n_features : int
        Number of columns of X; the rest are targets.
    sum_log_weights : float, default=0.0
        ``sum(log(w))`` over the positive sample weights (0 when unweighted):
        what the WLS log-likelihood needs beyond the cross-products.
    weighted : bool, default=False
        Whether sample weights were given for any of the rows.
    weight_exponent : int, default=0
        The weights behind ``sum_weights`` and ``scatter`` are the sample weights
        divided by ``2**weight_exponent`` (0 unless their scale is extreme, beyond
        2**±64; see :func:`weight_exponent`): every ratio (means, the fit, standard
        errors) is unchanged. ``sum_log_weights`` is of the weights as given.
    sum_freq : float or None, default=None
        Sum of the frequency weights (None: none); ``scatter`` then carries ``f * w``.
    """

    n_samples: int
    sum_weights: float
    mean: np.ndarray
    scatter: np.ndarray
    n_features: int
    sum_log_weights: float = 0.0
    weighted: bool = False
    weight_exponent: int = 0
    sum_freq: float | None = None

    # -- views -----------------------------------------------------------
    @property
    def nobs(self) -> float:
        """Number of observations: the sum of the frequency weights, else ``n_samples``."""
        return float(self.n_samples if self.sum_freq is None else self.sum_freq)

    @property
    def n_targets(self) -> int:
        """Number of target columns."""
        return self.mean.shape[0] - self.n_features

    @property
    def x_mean(self) -> np.ndarray:
        """Weighted mean of X, shape (n_features,)."""
        return self.mean[: self.n_features]

    @property
    def y_mean(self) -> np.ndarray:
        """Weighted mean of Y, shape (n_targets,)."""
        return self.mean[self.n_features :]

    @property
    def xx(self) -> np.ndarray:
        """Centred ``X^T W X``, shape (n_features, n_features)."""
        f = self.n_features
        return self.scatter[:f, :f]

    @property
    def xy(self) -> np.ndarray:
        """Centred ``X^T W Y``, shape (n_features, n_targets)."""
        f = self.n_features
        return self.scatter[:f, f:]

    @property
    def yy(self) -> np.ndarray:
        """Centred ``Y^T W Y``, shape (n_targets, n_targets)."""
        f = self.n_features
        return self.scatter[f:, f:]

    # -- construction ----------------------------------------------------
    @classmethod
    def empty(cls, n_features: int, n_targets: int = 1) -> SufficientStats:
        """Statistics of no data: the identity of :meth:`merge`."""
        m = n_features + n_targets
        return cls(0, 0.0, np.zeros(m), np.zeros((m, m)), n_features)

    @classmethod
    def from_arrays(
        cls,
        X,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        *,
        chunk_rows: int | None = None,
    ) -> SufficientStats:
        """Compute the statistics in one pass over row chunks of X.

        Parameters
        ----------
        X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
            float32 or float64, any memory layout; never copied whole.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : ndarray of shape (n_samples,), default=None
        chunk_rows : int, default=None
            Rows per chunk; by default the work buffer stays under 4 MiB and
            under 10% of X.

        Returns
        -------
        SufficientStats
        """
        Y = y[:, None] if y.ndim == 1 else y  # (also for a block of no rows)
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            k = weight_exponent(w)
            base = cls._weighted(X, Y, normalised_weights(w, k), chunk_rows)
            positive = w[w > 0]
            return replace(
                base,
                sum_log_weights=float(np.log(positive).sum()),
                weighted=True,
                weight_exponent=k,
            )
        return cls._weighted(X, Y, None, chunk_rows)

    @classmethod
    def _weighted(cls, X, Y: np.ndarray, sample_weight, chunk_rows) -> SufficientStats:
        if sp.issparse(X):
            return cls._from_sparse(X, Y, sample_weight)
        n, f = X.shape
        k = Y.shape[1]
        m = f + k
        if n == 0:
            return cls.empty(f, k)
        shift = None
        if X.dtype == np.float64 and sample_weight is None and not _needs_shift(X[:128]):
            raw = cls._from_raw_chunks(X, Y, chunk_rows)
            second = np.diag(raw.scatter) / raw.sum_weights + raw.mean**2
            spread = np.diag(raw.scatter) / raw.sum_weights
            if np.all(second <= _MAX_RAW_RATIO * spread):
                return raw
            shift = raw.mean  # offsets after all (e.g. trending data): redo about the mean
        rows = chunk_rows or default_chunk_rows(n, m, X.nbytes)
        # One shift for every chunk: the mean of the first chunk. Cross-products
        # about it are small when the data sits far from the origin.
        # Any point inside the data serves as the shift, whatever the weights (a first
        # chunk of zero weights included): the unweighted mean of the first rows.
        head = slice(0, min(rows, n))
        if shift is None:
            shift = np.concatenate([X[head].mean(axis=0), Y[head].mean(axis=0)])

        def block(lo: int, hi: int) -> np.ndarray:  # the blocks' buffers share the budget
            per = max(16, rows * (hi - lo) // n)
            return _shifted_products(X, Y, sample_weight, shift, per, lo, hi)

        blocks = map_row_blocks(block, n, chunk=rows)
        s2 = blocks[0]
        for other in blocks[1:]:  # in row order: the same sums every run
            s2 += other
        return cls._from_shifted(n, shift, s2, f)

    @classmethod
    def _from_raw_chunks(cls, X: np.ndarray, Y: np.ndarray, chunk_rows: int | None):
        """Products of X itself (no copy), for float64 data near the origin.

        Only taken when every column's offset is small next to its spread, so
        the centring ``sum x x^T - n m m^T`` cancels no significant digits.
        """
        n, f = X.shape
        # Narrow X: 2 MiB chunks (L2/L3-sized: the two matrix-vector products re-read each
        # chunk from cache; fewer, larger calls than 1 MiB measured 5-10% faster). Wide X:
        # one product over all of X (BLAS is fastest there; B is small next to X).
        rows = chunk_rows or (n if f >= 64 else max(256, 2**21 // (8 * f)))
        y_shift = Y[: min(n, rows)].mean(axis=0)

        def block(lo: int, hi: int) -> RawAccumulator:
            acc = RawAccumulator(np.zeros(f), y_shift)
            for start in range(lo, hi, rows):
                stop = min(start + rows, hi)
                acc.add(X[start:stop], Y[start:stop], check=False)
            return acc

        # One row block per BLAS thread, each chunk's products single-threaded: many
        # small multithreaded BLAS calls cost more in waking threads than in work.
        first, *others = map_row_blocks(block, n, chunk=rows)
        for other in others:  # in row order: the same sums every run
            first.absorb(other)
        return first.stats()

    @classmethod
    def _from_shifted(cls, n: int, shift: np.ndarray, s2: np.ndarray, f: int) -> SufficientStats:
        m = shift.shape[0]
        sw = float(s2[m, m])
        if sw <= 0:
            return cls(n, 0.0, shift.copy(), np.zeros((m, m)), f)
        d = s2[:m, m] / sw
        outer = np.outer(d, d)
        outer *= sw
        scatter = s2[:m, :m] - outer
        scatter += scatter.T  # exactly symmetric (NumPy buffers the overlapping operand)
        scatter *= 0.5  # (the same bits as (S + S^T) / 2, with two fewer f^2 arrays)
        return cls(n, sw, shift + d, scatter, f)

    @classmethod
    def _from_sparse(cls, X, Y: np.ndarray, sample_weight: np.ndarray | None) -> SufficientStats:
        n, f = X.shape
        k = Y.shape[1]
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        sw = float(w.sum())
        if n == 0 or sw <= 0:
            return cls(n, 0.0, np.zeros(f + k), np.zeros((f + k, f + k)), f)
        Xw = sp.csr_array(X.multiply(w[:, None])) if sample_weight is not None else X
        x_mean = np.asarray(Xw.sum(axis=0)).ravel() / sw
        y_mean = w @ Y / sw
        Yc = Y - y_mean
        xx = np.asarray((X.T @ Xw).toarray() if sp.issparse(X.T @ Xw) else X.T @ Xw)
        xx = xx.astype(np.float64) - sw * np.outer(x_mean, x_mean)
        xy = np.asarray(Xw.T @ Yc, dtype=np.float64)
        yy = (Yc * w[:, None]).T @ Yc
        scatter = np.block([[xx, xy], [xy.T, yy]])
        scatter = (scatter + scatter.T) / 2
        return cls(n, sw, np.concatenate([x_mean, y_mean]), scatter, f)

    # -- algebra ---------------------------------------------------------
    def merge(self, other: SufficientStats) -> SufficientStats:
        """Statistics of the union of both data sets (exact pairwise update)."""
        if other.n_features != self.n_features or other.mean.shape != self.mean.shape:
            raise ValueError(
                f"Cannot merge statistics of {self.n_features} features and "
                f"{self.n_targets} targets with statistics of {other.n_features} features and "
                f"{other.n_targets} targets. Merge statistics of the same columns only."
            )
        a, b = self, other
        if a.weight_exponent != b.weight_exponent:  # bring both to the larger scale
            ks = [s.weight_exponent for s in (a, b) if s.sum_weights > 0]
            k = max(ks or [a.weight_exponent, b.weight_exponent])  # empty stats adopt
            a, b = a.with_weight_exponent(k), b.with_weight_exponent(k)
        return replace(
            a._merge_moments(b),
            sum_log_weights=a.sum_log_weights + b.sum_log_weights,
            weighted=a.weighted or b.weighted,
            weight_exponent=a.weight_exponent,
            sum_freq=None if a.sum_freq is None and b.sum_freq is None else a.nobs + b.nobs,
        )

    def with_weight_exponent(self, k: int) -> SufficientStats:
        """The same statistics with the weights divided by ``2**k`` (``k`` at least this one's).

        Examples
        --------
        >>> s = SufficientStats.from_arrays(np.eye(2), np.ones(2), np.ones(2))
        >>> s.with_weight_exponent(3).sum_weights
        0.25
        """
        if k == self.weight_exponent:
            return self
        shift = self.weight_exponent - k
        return replace(
            self,
            sum_weights=float(np.ldexp(self.sum_weights, shift)),
            scatter=np.ldexp(self.scatter, shift),
            weight_exponent=k,
        )

    def _merge_moments(self, other: SufficientStats) -> SufficientStats:
        n = self.n_samples + other.n_samples
        if other.sum_weights == 0:
            return SufficientStats(n, self.sum_weights, self.mean, self.scatter, self.n_features)
        if self.sum_weights == 0:
            return SufficientStats(n, other.sum_weights, other.mean, other.scatter, self.n_features)
        sw = self.sum_weights + other.sum_weights
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.sum_weights / sw)
        scatter = (
            self.scatter
            + other.scatter
            + np.outer(delta, delta) * (self.sum_weights * other.sum_weights / sw)
        )
        return SufficientStats(self.n_samples + other.n_samples, sw, mean, scatter, self.n_features)

    __add__ = merge


class RawAccumulator(RawProducts):
    """:class:`lingrad._raw.RawProducts` whose :meth:`stats` are :class:`SufficientStats`."""

    @classmethod
    def start(cls, X: np.ndarray, Y: np.ndarray) -> RawAccumulator:
        """An accumulator whose shift suits this first batch (none when X sits near 0)."""
        x_shift = X.mean(axis=0) if _needs_shift(X[:128]) else np.zeros(X.shape[1])
        return cls(x_shift, Y.mean(axis=0))

    def stats(self) -> SufficientStats:
        """The statistics of every row added so far."""
        return SufficientStats._from_shifted(*self.products())
