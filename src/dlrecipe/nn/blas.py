"""Two BLAS routines, in place, through the library that NumPy itself calls.

- ``C := α X Y + β C`` (``gemm``, :func:`product`). NumPy's ``matmul`` always overwrites its
  output; ``gemm`` can add the product to what ``C`` holds. Training uses that to fold gradient
  descent into the gradient's own product: ``W := W − α (1/m) dZ Aᵀ`` is one ``gemm`` into ``W``
  (β = 1), with no ``dW`` written and no separate pass to subtract it (see
  :func:`~dlrecipe.nn.network.backward`).
- ``y := α x + y`` (``axpy``, :func:`axpy`). NumPy needs two passes for it, ``α x`` into a
  temporary and then ``y +=`` it; ``axpy`` makes one, split between BLAS's threads. Gradient
  descent's ``step()`` uses it for ``θ := θ − α dθ`` (momentum, RMSprop and Adam update θ in
  their own single pass, :mod:`~dlrecipe.nn.fused_updates`).

The library is the one NumPy is linked to, found by ``threadpoolctl`` and called through
``ctypes``: the same threads as every ``matmul``, never a second pool competing for the cores
(SciPy's ``scipy.linalg.blas`` loads its own OpenBLAS, and measured slower here for that
reason). Only an interface whose integer width its symbol names is used — ``…gemm64_`` and
``…axpy64_`` of NumPy's wheels, 64-bit integers — so that a call can never be made with the
wrong types, and each routine is checked against NumPy once. Where no such library is found
(NumPy built against another BLAS), NumPy computes the same, a little slower.

A bound routine checks its arrays once, when it is made, and keeps them (and so their
memory) alive; each call then only passes the scalars. Training binds them once and reuses
them while the arrays are the same objects.
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
def numpy_blas() -> ctypes.CDLL | None:
    """NumPy's own BLAS library, loaded through ``ctypes``; None where none is found."""
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
        return ctypes.CDLL(str(ours[0])) if len(ours) == 1 else None
    except (ImportError, OSError, ValueError, RuntimeError):
        return None


@functools.cache
def numpy_gemm() -> dict[np.dtype, Callable[..., None]] | None:
    """``{float32: sgemm, float64: dgemm}`` of NumPy's own BLAS (CBLAS, ILP64), or None."""
    functions = _routines("gemm")
    return functions if functions is not None and _gemm_agrees(functions) else None


@functools.cache
def numpy_axpy() -> dict[np.dtype, Callable[..., None]] | None:
    """``{float32: saxpy, float64: daxpy}`` of NumPy's own BLAS (CBLAS, ILP64), or None."""
    functions = _routines("axpy")
    return functions if functions is not None and _axpy_agrees(functions) else None


def _routines(name: str) -> dict[np.dtype, Callable[..., None]] | None:
    """The routine ``?{name}`` of NumPy's BLAS for float32 and float64, or None."""
    library = numpy_blas()
    if library is None:
        return None
    functions: dict[np.dtype, Callable[..., None]] = {}
    for dtype in _SCALARS:
        letter = "s" if dtype == np.float32 else "d"
        symbols = (f"scipy_cblas_{letter}{name}64_", f"cblas_{letter}{name}64_")
        symbol = next((symbol for symbol in symbols if hasattr(library, symbol)), None)
        if symbol is None:
            return None
        # No argtypes: the callers pass ctypes objects of exactly the C types, made once
        # (converting Python numbers at every call took longer than a small product).
        function = library[symbol]
        function.restype = None
        functions[dtype] = function
    return functions


def _gemm_agrees(functions: dict[np.dtype, Callable[..., None]]) -> bool:
    """A small product through ``functions`` equals NumPy's: the binding is the right one."""
    for dtype in functions:
        X = np.arange(6, dtype=dtype).reshape(2, 3)
        Y = np.arange(12, dtype=dtype).reshape(3, 4) / 4
        C = np.ones((2, 4), dtype, order="F")
        BlasProduct(X, Y, C, functions[dtype])(2.0, 0.5)
        if not np.array_equal(C, 2 * (X @ Y) + 0.5):
            return False
    return True


def _axpy_agrees(functions: dict[np.dtype, Callable[..., None]]) -> bool:
    """``y := α x + y`` through ``functions`` gives NumPy's numbers (exact ones, here)."""
    for dtype in functions:
        x = np.arange(7, dtype=dtype) / 4
        y = np.ones(7, dtype)
        BlasAxpy(x, y, functions[dtype])(-2.0)
        if not np.array_equal(y, 1 - 2 * x):
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


class Axpy:
    """``y := α x + y`` for fixed arrays ``x`` and ``y`` of one shape, ``y`` updated in place.

    Made by :func:`axpy`; call it as ``a(alpha)``. It keeps the two arrays.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.operands = (x, y)

    def __call__(self, alpha: float) -> None:
        raise NotImplementedError


class NumpyAxpy(Axpy):
    """Two NumPy passes, ``α x`` into an array of its own (made once) and then ``y +=`` it."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__(x, y)
        self._scaled = np.empty_like(y)

    def __call__(self, alpha: float) -> None:
        x, y = self.operands
        np.multiply(x, alpha, out=self._scaled)
        y += self._scaled


class BlasAxpy(Axpy):
    """One ``axpy`` call (one pass, split between BLAS's threads on long vectors)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, axpy: Callable[..., None]) -> None:
        super().__init__(x, y)
        size, pointer, one = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64(1)
        self._scalar = _SCALARS[y.dtype]
        self._alpha = math.nan  # the scalar in _arguments
        # cblas_?axpy64_(N, α, x, incx, y, incy)
        self._arguments = [
            *(size(y.size), self._scalar()),
            *(pointer(x.ctypes.data), one, pointer(y.ctypes.data), one),
        ]
        self._axpy = axpy

    def __call__(self, alpha: float) -> None:
        if alpha != self._alpha:
            self._arguments[1], self._alpha = self._scalar(alpha), alpha
        self._axpy(*self._arguments)


def axpy(x: np.ndarray, y: np.ndarray) -> Axpy:
    """``y := α x + y`` bound to these arrays: one BLAS call where it can be.

    ``y`` is updated in place and must not share memory with ``x``. With one float dtype and
    both stored contiguously by rows, the call is NumPy's BLAS's ``axpy``, else NumPy computes
    it (as it does for any other pair of arrays of one shape).
    """
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)) or x.shape != y.shape:
        raise ValueError(
            "x and y must be NumPy arrays of one shape; got "
            f"{getattr(x, 'shape', type(x).__name__)} and {getattr(y, 'shape', type(y).__name__)}"
        )
    if not y.flags.writeable:
        raise ValueError("y is read-only: α x is added into it")
    if np.may_share_memory(x, y):
        raise ValueError("y shares memory with x: the sum would read what it writes")
    function = (numpy_axpy() or {}).get(y.dtype)
    contiguous = x.flags.c_contiguous and y.flags.c_contiguous  # the same order, flattened
    if function is not None and x.dtype == y.dtype and contiguous:
        return BlasAxpy(x, y, function)
    return NumpyAxpy(x, y)
