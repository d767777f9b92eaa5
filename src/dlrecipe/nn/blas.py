"""``C := α X Y + β C`` in place, through the BLAS that NumPy itself calls.

NumPy's ``matmul`` always overwrites its output; BLAS's ``gemm`` can add the product to what
``C`` holds. Training uses that to fold gradient descent into the gradient's own product:
``W := W − α (1/m) dZ Aᵀ`` is one ``gemm`` into ``W`` (β = 1), with no ``dW`` written and no
separate pass over the weights to subtract it (see :func:`~dlrecipe.nn.network.backward`).

The library is the one NumPy is linked to, found by ``threadpoolctl`` and called through
``ctypes``: the same threads as every ``matmul``, never a second pool competing for the cores
(SciPy's ``scipy.linalg.blas`` loads its own OpenBLAS, and measured slower here for that
reason). Only an interface whose integer width its symbol names is used — ``…gemm64_`` of
NumPy's wheels, 64-bit integers — so that a call can never be made with the wrong types. Where
no such library is found (NumPy built against another BLAS), :func:`product` computes the same
with NumPy, a little slower.

A :func:`product` checks its arrays once, when it is made, and keeps them (and so their
memory) alive; each call then only passes the scalars. Training binds one per layer and reuses
it while the arrays are the same objects.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

_COL_MAJOR, _NO_TRANS, _TRANS = 102, 111, 112  # CBLAS's enum values
_SCALARS: dict[np.dtype, type] = {
    np.dtype(np.float32): ctypes.c_float,
    np.dtype(np.float64): ctypes.c_double,
}


@functools.cache
def numpy_gemm() -> dict[np.dtype, Callable[..., None]] | None:
    """``{float32: sgemm, float64: dgemm}`` of NumPy's own BLAS (CBLAS, ILP64), or None."""
    try:
        from threadpoolctl import threadpool_info

        # A wheel's libraries sit beside the package: site-packages/numpy.libs (Linux,
        # Windows) or numpy/.dylibs (macOS). SciPy's OpenBLAS is in scipy's own folders.
        site = Path(np.__file__).resolve().parent.parent
        ours = []
        for lib in threadpool_info():
            path = Path(lib.get("filepath") or "").resolve()
            beside = path.is_relative_to(site) and path.relative_to(site).parts[0]
            if lib.get("user_api") == "blas" and beside in ("numpy", "numpy.libs"):
                ours.append(path)
        if len(ours) != 1:
            return None
        library = ctypes.CDLL(str(ours[0]))
        functions: dict[np.dtype, Callable[..., None]] = {}
        for dtype in _SCALARS:
            letter = "s" if dtype == np.float32 else "d"
            symbol = next(
                (
                    name
                    for name in (f"scipy_cblas_{letter}gemm64_", f"cblas_{letter}gemm64_")
                    if hasattr(library, name)
                ),
                None,
            )
            if symbol is None:
                return None
            # No argtypes: BlasProduct passes ctypes objects of exactly the C types, made once
            # (converting Python numbers at every call took longer than a small product).
            gemm = library[symbol]
            gemm.restype = None
            functions[dtype] = gemm
    except (ImportError, OSError, AttributeError, ValueError, RuntimeError):
        return None
    return functions if _agrees_with_numpy(functions) else None


def _agrees_with_numpy(functions: dict[np.dtype, Callable[..., None]]) -> bool:
    """A small product through ``functions`` equals NumPy's: the binding is the right one."""
    for dtype in functions:
        X = np.arange(6, dtype=dtype).reshape(2, 3)
        Y = np.arange(12, dtype=dtype).reshape(3, 4) / 4
        C = np.ones((2, 4), dtype, order="F")
        BlasProduct(X, Y, C, functions[dtype])(2.0, 0.5)
        if not np.array_equal(C, 2 * (X @ Y) + 0.5):
            return False
    return True


class Product:
    """``C := α X Y + β C`` for fixed 2-D arrays ``X`` (M, K), ``Y`` (K, N) and ``C`` (M, N).

    Made by :func:`product`; call it as ``p(alpha, beta)``. It keeps the three arrays.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, C: np.ndarray) -> None:
        self.operands = (X, Y, C)

    def __call__(self, alpha: float, beta: float = 1.0) -> None:
        raise NotImplementedError


class NumpyProduct(Product):
    """The product with NumPy: a temporary for ``X Y``, then ``C`` scaled and added to."""

    def __call__(self, alpha: float, beta: float = 1.0) -> None:
        X, Y, C = self.operands
        if beta == 0:
            C[...] = 0  # as BLAS: with β = 0 what C held is not read, NaN included
        elif beta != 1:
            C *= beta
        C += alpha * (X @ Y)


class BlasProduct(Product):
    """The product as one ``gemm`` call, its arguments converted once."""

    def __init__(
        self, X: np.ndarray, Y: np.ndarray, C: np.ndarray, gemm: Callable[..., None]
    ) -> None:
        super().__init__(X, Y, C)
        if not C.flags.f_contiguous:  # BLAS is column-major: compute Cᵀ := α Yᵀ Xᵀ + β Cᵀ
            X, Y, C = Y.T, X.T, C.T
        (M, K), N = X.shape, Y.shape[1]
        trans_X, ld_X = _layout(X)
        trans_Y, ld_Y = _layout(Y)
        enum, size, pointer = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
        self._scalar = _SCALARS[C.dtype]
        self._alpha = self._beta = math.nan  # the scalars in _arguments
        # cblas_?gemm64_(order, transX, transY, M, N, K, α, X, ldX, Y, ldY, β, C, ldC)
        self._arguments = [
            *(enum(_COL_MAJOR), enum(trans_X), enum(trans_Y), size(M), size(N), size(K)),
            *(self._scalar(), pointer(X.ctypes.data), size(ld_X)),
            *(pointer(Y.ctypes.data), size(ld_Y), self._scalar()),
            *(pointer(C.ctypes.data), size(max(1, M))),
        ]
        self._gemm = gemm

    def __call__(self, alpha: float, beta: float = 1.0) -> None:
        arguments = self._arguments
        if alpha != self._alpha:
            arguments[6], self._alpha = self._scalar(alpha), alpha
        if beta != self._beta:
            arguments[11], self._beta = self._scalar(beta), beta
        self._gemm(*arguments)


def product(X: np.ndarray, Y: np.ndarray, C: np.ndarray) -> Product:
    """``C := α X Y + β C`` bound to these arrays: through NumPy's BLAS where it can be.

    ``C`` is updated in place and must not overlap ``X`` or ``Y`` in memory. All three are
    2-D; with one float dtype and each stored contiguously (by rows or by columns), the call is
    one ``gemm``, else NumPy computes it.
    """
    if not all(isinstance(a, np.ndarray) and a.ndim == 2 for a in (X, Y, C)):
        raise ValueError("X, Y and C must be 2-D NumPy arrays")
    if X.shape[1] != Y.shape[0] or C.shape != (X.shape[0], Y.shape[1]):
        raise ValueError(f"C {C.shape} := α X {X.shape} Y {Y.shape} + β C: the shapes do not match")
    if not C.flags.writeable:
        raise ValueError("C is read-only: the product is written into it")
    if np.may_share_memory(C, X) or np.may_share_memory(C, Y):
        raise ValueError("C shares memory with X or Y: the product would read what it writes")
    gemm = (numpy_gemm() or {}).get(C.dtype)
    contiguous = all(a.flags.c_contiguous or a.flags.f_contiguous for a in (X, Y, C))
    if gemm is not None and X.dtype == Y.dtype == C.dtype and contiguous:
        return BlasProduct(X, Y, C, gemm)
    return NumpyProduct(X, Y, C)


def _layout(array: np.ndarray) -> tuple[int, int]:
    """How column-major BLAS reads ``array``: (transposed or not, leading dimension)."""
    rows, columns = array.shape
    if array.flags.f_contiguous:
        return _NO_TRANS, max(1, rows)
    return _TRANS, max(1, columns)
