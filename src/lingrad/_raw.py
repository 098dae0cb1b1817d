"""Running products of float64 rows about a fixed shift: the cheap path to statistics.

:class:`RawProducts` adds batches of rows (``partial_fit``'s, or the chunks of
an array near the origin) as plain float64 products about a shift chosen at the
first batch; :class:`lingrad._stats.RawAccumulator` turns them into
:class:`~lingrad._stats.SufficientStats`. Batches go into three products (``G``,
``BX``, ``BB`` below); small ones with few rows, several targets or more than 20
features into one product of ``[x - s, y - t, 1]`` with itself (one syrk).

Examples
--------
>>> import numpy as np
>>> acc = RawProducts(np.zeros(1), np.zeros(1))
>>> acc.add(np.array([[1.0], [2.0]]), np.array([[3.0], [5.0]]))
True
>>> n, shift, s2, f = acc.products()
>>> print(n, s2[0].tolist())  # sum x^2, sum x y, sum x
2 [5.0, 13.0, 3.0]
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import blas

__all__ = ["RawProducts"]

# Batches with n * f^2 at most this take the small-batch path; larger ones NumPy's
# products, under errstate.
_SMALL_GEMM = 500_000
# Small batches of one target, at most this many features and at least this many
# rows take NumPy's products; the others one SciPy syrk (fewer calls for few rows).
_NUMPY_SMALL_COLUMNS = 20
_NUMPY_SMALL_ROWS = 256


class RawProducts:
    """Running products of float64 rows about a fixed shift: the cheap path.

    Large batches: ``G = sum (x - s)(x - s)^T`` (one syrk), ``BX = sum [y - t, 1] (x -
    s)^T`` and ``BB = sum [y - t, 1][y - t, 1]^T`` (matrix-vector products; X read
    where it lies when the shift is zero, else shifted into a reused buffer). Small
    batches (``n f^2 <= 500,000``, ``partial_fit``'s) of one target, at most 20
    features and at least 256 rows: the same, by NumPy's syrk and two matrix-vector
    products. Other small batches: ``S = sum a a^T`` of ``a = [x - s, y - t, 1]``
    copied into a reused buffer, one syrk for all three blocks. :meth:`products`
    returns their sum; a batch costs one pass over its rows and nothing more.

    Parameters
    ----------
    x_shift : ndarray of shape (n_features,)
    y_shift : ndarray of shape (n_targets,)
    """

    def __init__(self, x_shift: np.ndarray, y_shift: np.ndarray) -> None:
        f, k = x_shift.shape[0], y_shift.shape[0]
        self.x_shift = np.asarray(x_shift, dtype=np.float64)
        self.y_shift = np.asarray(y_shift, dtype=np.float64)
        self.n_features, self.n_targets = f, k
        self.n_samples = 0
        self._G = np.zeros((f, f), order="F")  # Fortran order: dgemm accumulates in place
        self._BX = np.zeros((k + 1, f))
        self._BB = np.zeros((k + 1, k + 1))
        self._zero_x = not np.any(self.x_shift)
        self._Yt = np.empty((0, k))  # y - t of a large batch
        self._ones_large = np.empty(0)  # its column sums: one matrix-vector product
        self._Xs = np.empty((0, f))
        # Small batches: [x - s, y - t, 1] in one reused buffer, one syrk into S (upper
        # triangle), made when a batch first takes that path (else no f^2 work for it).
        self._S: np.ndarray | None = None
        self._A = np.empty((0, f + k + 1))

    def _buffers(self, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._Yt.shape[0] < rows:
            self._Yt = np.empty((rows, self.n_targets))
            self._ones_large = np.ones(rows)
            if not self._zero_x:
                self._Xs = np.empty((rows, self.n_features))
        return self._Yt[:rows], self._ones_large[:rows], self._Xs[:rows]

    def _vectors(self, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(y - t, ones, x - s)`` buffers of the small path, grown as needed."""
        ones = self.__dict__.get("_ones")
        if ones is None or ones.shape[0] < rows:
            size = max(rows, 2 * (0 if ones is None else ones.shape[0]))
            self._ones, self._r = np.ones(size), np.empty(size)
            self._Xr = np.empty((0 if self._zero_x else size, self.n_features))
            self._wg = np.full(self.n_features, 0.5 / self.n_features)
        return self._r[:rows], self._ones[:rows], self._Xr[:rows]

    def add(self, X: np.ndarray, Y: np.ndarray, *, check: bool = True) -> bool:
        """Add float64 rows X of shape (n, f) and Y of shape (n, k).

        Returns False, adding nothing, when ``check`` finds NaN or inf in them
        (seen in the column sums, which any non-finite value poisons) or values
        whose squares overflow float64 (seen on the diagonal of ``XᵀX``).
        """
        if X.shape[0] * self.n_features**2 <= _SMALL_GEMM and X.flags.c_contiguous:
            return self._add_small(X, Y, check)  # SciPy's BLAS: no FP-flag warnings
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked, not warned
            return self._add(X, Y, check)

    @np.errstate(over="ignore", invalid="ignore")  # overflow is checked, not warned
    def _add_small(self, X: np.ndarray, Y: np.ndarray, check: bool) -> bool:
        """A small batch of one target and at most 20 features: ``G += X^T X`` (NumPy's
        syrk, X read where it lies when the shift is zero) and two matrix-vector
        products for ``BX``; more targets or features take :meth:`_add_syrk`.

        NumPy's BLAS is the faster one here but runs the syrk of more than 20
        columns on every core, which costs more than the product at this size.
        Non-finite values or overflowing squares show on the diagonal of the new
        ``G`` or in ``sum (y - t)^2``; then nothing is added and the batch is refused.
        """
        rows, f = X.shape
        if f > _NUMPY_SMALL_COLUMNS or self.n_targets != 1 or rows < _NUMPY_SMALL_ROWS:
            return self._add_syrk(X, Y, check)
        r, ones, Xr = self._vectors(rows)
        np.subtract(Y[:, 0], self.y_shift[0], out=r)
        if not self._zero_x:
            X = np.subtract(X, self.x_shift, out=Xr)
        G = X.T.dot(X).T  # symmetric: the transpose has _G's Fortran order
        G += self._G
        BB = self._BB
        rr = BB[0, 0] + r.dot(r)
        # The diagonal is >= 0, NaN or inf: its weighted mean is finite iff every entry is.
        if check and not (math.isfinite(G.diagonal().dot(self._wg)) and math.isfinite(rr)):
            return False
        self._G = G
        BX = self._BX
        BX[0] += X.T.dot(r)
        BX[1] += X.T.dot(ones)
        rs = ones.dot(r)
        BB[0, 0] = rr
        BB[0, 1] += rs
        BB[1, 0] += rs
        BB[1, 1] += rows
        self.n_samples += rows
        return True

    def _add_syrk(self, X: np.ndarray, Y: np.ndarray, check: bool) -> bool:
        """``S += A^T A`` with ``A = [X - s, Y - t, 1]`` (SciPy's syrk, upper triangle;
        the same float64 sums as three products), restored when its diagonal is not finite."""
        rows, f = X.shape
        m = f + self.n_targets + 1
        if self._A.shape[0] < rows:
            self._A = np.empty((max(rows, 2 * self._A.shape[0]), m))
            self._A[:, -1] = 1.0
        if self._S is None:
            self._S = np.zeros((m, m), order="F")
        A = self._A[:rows]
        if self._zero_x:
            A[:, :f] = X
        else:
            np.subtract(X, self.x_shift, out=A[:, :f])
        np.subtract(Y, self.y_shift, out=A[:, f:-1])
        before = self._S.copy() if check else None
        self._S = blas.dsyrk(1.0, A.T, beta=1.0, c=self._S, trans=0, overwrite_c=1)
        if before is not None and not np.isfinite(self._S.diagonal()).all():
            self._S = before
            return False
        self.n_samples += rows
        return True

    def _add(self, X: np.ndarray, Y: np.ndarray, check: bool) -> bool:
        """A large batch: ``X^T X`` as one syrk, the column sums and ``X^T (y - t)`` as
        matrix-vector products on the same rows, read while they are still in cache.
        (One product of ``[y - t, 1]^T X`` is a matrix product with two rows, which BLAS
        runs several times slower than two matrix-vector products.)"""
        rows, k = X.shape[0], self.n_targets
        Yt, ones, Xs = self._buffers(rows)
        np.subtract(Y, self.y_shift, out=Yt)
        if not self._zero_x:
            np.subtract(X, self.x_shift, out=Xs)
            X = Xs
        sums = ones @ X  # (f,): any NaN/inf in X poisons its column's sum
        cross = Yt[:, 0] @ X if k == 1 else (Yt.T @ X)  # (f,) or (k, f)
        y_sums, yy = ones @ Yt, Yt.T @ Yt
        if check and not math.isfinite(float(sums.sum()) + float(y_sums.sum() + yy.sum())):
            return False
        before = self._G.copy() if check else None  # f x f: to undo an overflow
        self._G += X.T @ X  # one BLAS syrk, reading X where it lies
        if before is not None and not np.isfinite(self._G.diagonal()).all():  # squares overflowed
            self._G = before
            return False
        self._BX[:k] += cross
        self._BX[k] += sums
        self._BB[:k, :k] += yy
        self._BB[:k, k] += y_sums
        self._BB[k, :k] += y_sums
        self._BB[k, k] += rows
        self.n_samples += rows
        return True

    def absorb(self, other: RawProducts) -> None:
        """Add the products of ``other``, an accumulator about the same shift."""
        if not (
            np.array_equal(self.x_shift, other.x_shift)
            and np.array_equal(self.y_shift, other.y_shift)
        ):
            raise ValueError("absorb needs products about the same shift")
        self._G += other._G
        self._BX += other._BX
        self._BB += other._BB
        if other._S is not None:
            self._S = other._S.copy() if self._S is None else self._S + other._S
        self.n_samples += other.n_samples

    def products(self) -> tuple[int, np.ndarray, np.ndarray, int]:
        """``(n_samples, shift, s2, n_features)``: the shifted products of every row so far,
        ``s2`` of shape (f + k + 1, f + k + 1) for ``[x - s, y - t, 1]``."""
        f = self.n_features
        m = f + self.n_targets
        s2 = np.empty((m + 1, m + 1))
        s2[:f, :f] = self._G
        s2[:f, f:] = self._BX.T
        s2[f:, :f] = self._BX
        s2[f:, f:] = self._BB
        if self._S is not None:  # the small batches' products, made symmetric
            S = np.triu(self._S)
            s2 += S + np.triu(S, 1).T
        shift = np.concatenate([self.x_shift, self.y_shift])
        return self.n_samples, shift, s2, f
