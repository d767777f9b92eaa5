"""C := α X Y + β C through NumPy's own BLAS: the numbers of NumPy's matmul for every memory
layout, C updated in place, bad arrays refused, and NumPy's arithmetic where no BLAS is found."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrecipe.nn import blas

LAYOUTS = list(itertools.product("CF", repeat=3))


def arrays(shape_X, shape_Y, orders, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X, Y, C = (
        np.asarray(rng.normal(size=shape), dtype, order=order)
        for shape, order in zip((shape_X, shape_Y, (shape_X[0], shape_Y[1])), orders, strict=True)
    )
    return X, Y, C


def assert_product(C, X, Y, C_before, alpha, beta):
    want = beta * C_before.astype(np.float64) + alpha * (
        X.astype(np.float64) @ Y.astype(np.float64)
    )
    eps = np.finfo(C.dtype).eps
    scale = float(np.max(np.abs(want)))
    np.testing.assert_allclose(C, want, rtol=32 * eps, atol=32 * eps * scale)


def test_numpys_own_blas_is_found_in_numpys_wheel():
    # NumPy's wheels link scipy-openblas (ILP64): training's products must go through it, not
    # through a second OpenBLAS (SciPy's) whose threads would compete with NumPy's.
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    assert config["name"] == "scipy-openblas", "this test describes NumPy's PyPI wheels"
    functions = blas.numpy_gemm()
    assert functions is not None
    assert set(functions) == {np.dtype(np.float32), np.dtype(np.float64)}
    X, Y, C = arrays((3, 4), (4, 5), "CCF", np.float64)
    assert isinstance(blas.product(X, Y, C), blas.BlasProduct)


def test_only_the_blas_beside_numpy_is_taken(monkeypatch):
    # SciPy's OpenBLAS (or any other loaded BLAS) would be a second pool of threads: never it.
    import threadpoolctl

    found = threadpoolctl.threadpool_info()
    numpys = [lib for lib in found if "numpy" in lib["filepath"]]
    site = Path(np.__file__).resolve().parent.parent
    scipys = {**numpys[0], "filepath": str(site / "scipy_openblas32/lib/libscipy_openblas.so")}
    others = [lib for lib in found if lib not in numpys] + [scipys]
    search = blas.numpy_blas.__wrapped__  # past the cache
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: numpys)
    assert search() is not None
    for listed in ([], others, [{**numpys[0], "user_api": "openmp"}], numpys + numpys):
        monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda listed=listed: listed)
        assert search() is None, listed


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("orders", LAYOUTS)
def test_every_memory_layout_gives_numpys_product(orders, dtype):
    X, Y, C = arrays((7, 5), (5, 4), orders, dtype)
    before = C.copy()
    product = blas.product(X, Y, C)
    assert isinstance(product, blas.BlasProduct)
    product(-0.37, 0.5)
    assert_product(C, X, Y, before, -0.37, 0.5)
    again = C.copy()
    product(2.0)  # β defaults to 1: the product is added to what C holds
    assert_product(C, X, Y, again, 2.0, 1.0)


@pytest.mark.parametrize(
    ("shape_X", "shape_Y"),
    [
        ((6, 1), (1, 3)),
        ((1, 5), (5, 4)),
        ((4, 5), (5, 1)),
        ((1, 1), (1, 1)),
        ((300, 130), (130, 90)),
    ],
)
def test_vectors_and_threaded_sizes(shape_X, shape_Y):
    # Rows and columns (both C- and F-contiguous), and a size OpenBLAS splits between threads.
    for orders in (("C", "F", "F"), ("F", "C", "C")):
        X, Y, C = arrays(shape_X, shape_Y, orders, np.float64, seed=3)
        before = C.copy()
        blas.product(X, Y, C)(1.5, -1.0)
        assert_product(C, X, Y, before, 1.5, -1.0)


def test_transposed_views_and_parameter_views_are_written_in_place():
    # What training passes: dZ (n, b), A[l-1]ᵀ as a view of a C-ordered (n', b) array, and a
    # view [W | b] into a larger vector. Only that view changes.
    rng = np.random.default_rng(1)
    dZ = rng.normal(size=(4, 6))
    A_ones = rng.normal(size=(3, 6))
    theta = rng.normal(size=30)
    Wb = theta[5:17].reshape(3, 4, order="F").T  # (4, 3), C-contiguous view
    outside = np.concatenate([theta[:5], theta[17:]])
    before = Wb.copy()
    blas.product(dZ, A_ones.T, Wb)(-0.1)
    assert np.shares_memory(Wb, theta)
    assert_product(Wb, dZ, A_ones.T, before, -0.1, 1.0)
    np.testing.assert_array_equal(np.concatenate([theta[:5], theta[17:]]), outside)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_without_numpys_blas_numpy_computes_the_same(monkeypatch, dtype):
    monkeypatch.setattr(blas, "numpy_gemm", lambda: None)
    X, Y, C = arrays((5, 3), (3, 6), "CFF", dtype)
    before = C.copy()
    product = blas.product(X, Y, C)
    assert isinstance(product, blas.NumpyProduct)
    product(0.25, 3.0)
    assert_product(C, X, Y, before, 0.25, 3.0)


@pytest.mark.parametrize("numpys_blas", [True, False], ids=["blas", "numpy"])
def test_beta_zero_ignores_what_c_held(numpys_blas, monkeypatch):
    if not numpys_blas:
        monkeypatch.setattr(blas, "numpy_gemm", lambda: None)
    X, Y, C = arrays((3, 4), (4, 2), "CCF", np.float64)
    C[...] = np.nan
    blas.product(X, Y, C)(1.0, 0.0)
    np.testing.assert_allclose(C, X @ Y)


def test_strided_or_mixed_arrays_take_numpys_arithmetic():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 8))[:, ::2]  # neither C- nor F-contiguous
    Y = rng.normal(size=(4, 3))
    C = np.zeros((5, 3))
    product = blas.product(X, Y, C)
    assert isinstance(product, blas.NumpyProduct)
    product(1.0)
    np.testing.assert_allclose(C, X @ Y)
    X32 = rng.normal(size=(5, 4)).astype(np.float32)  # float32 X into a float64 C
    C2 = np.zeros((5, 3))
    mixed = blas.product(X32, Y, C2)
    assert isinstance(mixed, blas.NumpyProduct)
    mixed(1.0)
    np.testing.assert_allclose(C2, X32.astype(np.float64) @ Y, rtol=1e-6)


def test_bad_arrays_are_refused_before_any_call():
    X, Y, C = arrays((3, 4), (4, 5), "CCF", np.float64)
    with pytest.raises(ValueError, match=r"C \(3, 5\) := α X \(3, 4\) Y \(3, 5\)"):
        blas.product(X, Y[:3], C)
    with pytest.raises(ValueError, match="must be 2-D NumPy arrays"):
        blas.product(X, Y[:, 0], C)
    with pytest.raises(ValueError, match="must be 2-D NumPy arrays"):
        blas.product(X.tolist(), Y, C)
    frozen = C.copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.product(X, Y, frozen)
    shared = np.zeros((3, 9))
    with pytest.raises(ValueError, match="shares memory with X or Y"):
        blas.product(shared[:, :4], Y, shared[:, 4:])


def test_a_product_keeps_its_arrays_alive():
    X, Y, C = arrays((3, 4), (4, 5), "CCF", np.float64)
    want = C + X @ Y
    product = blas.product(X.copy(), Y.copy(), C)  # the copies have no other reference
    product(1.0)
    np.testing.assert_allclose(C, want)
    assert product.operands[2] is C


@st.composite
def operands(draw):
    """X (M, K), Y (K, N), C (M, N) of one float dtype, each stored by rows or by columns or as
    a transposed or sliced view (sliced ones take NumPy's arithmetic); sizes 0 to 9."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    M, K, N = (draw(st.integers(0, 9)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def stored(shape):
        how = draw(st.sampled_from(["C", "F", "transposed", "sliced"]))
        if how == "transposed":
            return np.ascontiguousarray(rng.normal(size=shape[::-1]).astype(dtype)).T
        if how == "sliced":
            return rng.normal(size=(shape[0], 2 * shape[1])).astype(dtype)[:, ::2]
        return np.asarray(rng.normal(size=shape), dtype, order=how)

    return stored((M, K)), stored((K, N)), stored((M, N))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(operands(), st.floats(-3, 3), st.floats(-3, 3))
def test_any_shape_and_layout_gives_numpys_product(arrays, alpha, beta):
    X, Y, C = arrays
    before = C.copy()
    blas.product(X, Y, C)(alpha, beta)
    want = beta * before.astype(np.float64) + alpha * (X.astype(np.float64) @ Y.astype(np.float64))
    eps = np.finfo(C.dtype).eps
    scale = float(np.max(np.abs(want), initial=1.0)) + float(np.max(np.abs(before), initial=0.0))
    np.testing.assert_allclose(C, want, rtol=32 * eps, atol=64 * eps * scale * (X.shape[1] + 1))


# --- y := α x + y ------------------------------------------------------------------------------


def assert_axpy(y, x, y_before, alpha):
    want = y_before.astype(np.float64) + alpha * x.astype(np.float64)
    # One rounding (BLAS may fuse) or two (NumPy, and of α x in y's dtype): within 2 eps of the
    # larger of the two terms, which is what a sum that cancels keeps of its precision.
    eps = np.finfo(y.dtype).eps
    terms = np.abs(y_before.astype(np.float64)) + np.abs(alpha * x.astype(np.float64))
    np.testing.assert_array_less(np.abs(y - want), 2 * eps * terms + np.finfo(y.dtype).tiny)


def test_numpys_own_axpy_is_found_in_numpys_wheel():
    functions = blas.numpy_axpy()
    assert functions is not None
    assert set(functions) == {np.dtype(np.float32), np.dtype(np.float64)}
    assert isinstance(blas.axpy(np.ones(3), np.ones(3)), blas.BlasAxpy)


@pytest.mark.parametrize("numpys_blas", [True, False], ids=["blas", "numpy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(0,), (1,), (17,), (50_001,), (6, 7)])
def test_axpy_adds_alpha_x_into_y(shape, dtype, numpys_blas, monkeypatch):
    # Lengths from empty to one that OpenBLAS splits between its threads, and a matrix (the
    # optimizers' parameters are matrices too); both paths give the same numbers.
    if not numpys_blas:
        monkeypatch.setattr(blas, "numpy_axpy", lambda: None)
    rng = np.random.default_rng(4)
    x, y = (rng.normal(size=shape).astype(dtype) for _ in range(2))
    before = y.copy()
    add = blas.axpy(x, y)
    assert isinstance(add, blas.BlasAxpy if numpys_blas else blas.NumpyAxpy)
    add(-0.3)
    assert_axpy(y, x, before, -0.3)
    again = y.copy()
    add(2.5)  # a new α: the same bound arrays
    assert_axpy(y, x, again, 2.5)
    unchanged = y.copy()
    add(0.0)  # a learning rate of 0 changes nothing
    np.testing.assert_array_equal(y, unchanged)


def test_axpy_writes_a_view_in_place_and_nothing_beside_it():
    rng = np.random.default_rng(5)
    theta, x = rng.normal(size=40), rng.normal(size=30)
    y = theta[5:35]
    outside = np.concatenate([theta[:5], theta[35:]])
    before = y.copy()
    blas.axpy(x, y)(-0.1)
    assert_axpy(y, x, before, -0.1)
    np.testing.assert_array_equal(np.concatenate([theta[:5], theta[35:]]), outside)


def test_axpy_on_strided_mixed_or_column_ordered_arrays_takes_numpys_arithmetic():
    rng = np.random.default_rng(6)
    cases = {
        "strided x": (rng.normal(size=20)[::2], rng.normal(size=10)),
        "strided y": (rng.normal(size=10), rng.normal(size=20)[::2]),
        "float32 x": (rng.normal(size=10).astype(np.float32), rng.normal(size=10)),
        "by columns": (np.asfortranarray(rng.normal(size=(3, 4))), rng.normal(size=(3, 4))),
    }
    for what, (x, y) in cases.items():
        before = y.copy()
        add = blas.axpy(x, y)
        assert isinstance(add, blas.NumpyAxpy), what
        add(1.5)
        np.testing.assert_allclose(y, before + 1.5 * x.astype(np.float64), rtol=1e-6, err_msg=what)


def test_axpy_refuses_bad_arrays_before_any_call():
    x = np.ones(4)
    with pytest.raises(ValueError, match=r"one shape; got \(4,\) and \(5,\)"):
        blas.axpy(x, np.ones(5))
    with pytest.raises(ValueError, match="one shape; got list"):
        blas.axpy([1.0] * 4, x)
    frozen = np.ones(4)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.axpy(x, frozen)
    shared = np.ones(6)
    with pytest.raises(ValueError, match="shares memory with x"):
        blas.axpy(shared[:4], shared[2:])


def test_an_axpy_keeps_its_arrays_alive():
    y = np.zeros(5)
    add = blas.axpy(np.arange(5.0), y)  # x has no other reference
    add(2.0)
    np.testing.assert_array_equal(y, 2 * np.arange(5.0))
    assert add.operands[1] is y
