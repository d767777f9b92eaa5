"""The fused optimizer updates: Numba's one-pass loop and NumPy's passes give the same numbers.

Both forms are the same operations in the same order, each rounded once in the vectors' dtype;
the tests hold them to bit-for-bit equality over many steps, both dtypes and lengths that
cover a vectorized loop's remainder, and check the fallback taken without Numba.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from dlrecipe.nn import fused_updates

# name: (number of averages, hyperparameters as the optimizer passes them at step t)
UPDATES = {
    "momentum": (1, lambda t: (0.9, 1 - 0.9, 0.01)),
    "rmsprop": (1, lambda t: (0.999, 1 - 0.999, 1e-8, 0.01)),
    "adam": (
        2,
        lambda t: (
            0.9,
            1 - 0.9,
            0.999,
            1 - 0.999,
            1e-8 * math.sqrt(1 - 0.999**t),
            0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t),
        ),
    ),
}


def run_steps(update, name, dtype, n, steps=5, seed=0):
    """θ and the averages after ``steps`` updates with random gradients (some exactly zero)."""
    rng = np.random.default_rng(seed)
    n_averages, hyperparameters = UPDATES[name]
    theta = rng.standard_normal(n).astype(dtype)
    averages = [np.zeros(n, dtype) for _ in range(n_averages)]
    scratch = np.empty(n, dtype)
    for t in range(1, steps + 1):
        g = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 3, size=n)).astype(dtype)
        g[rng.random(n) < 0.05] = 0.0
        scalars = tuple(dtype(value) for value in hyperparameters(t))
        update(name, (theta, g, *averages), scalars, scratch)
    return theta, averages


def compiled_loop(name, vectors, scalars, scratch):
    loop = fused_updates.compiled(name)
    assert loop is not None
    loop(*vectors, *scalars)


def public_update(name, vectors, scalars, scratch):
    fused_updates.update(name, vectors, scalars, scratch=scratch)


def numpy_passes(name, vectors, scalars, scratch):
    fused_updates.PASSES[name](*vectors, *scalars, scratch=scratch)


@pytest.fixture
def tiers(monkeypatch):
    """A fresh record of which updates are compiled, for this test only."""
    fresh = fused_updates.Tiers()
    monkeypatch.setattr(fused_updates, "TIERS", fresh)
    return fresh


def test_numba_is_there_where_the_package_is_installed():
    # A dependency of the package on every Python it has wheels for: the fast path must be the
    # one the tests (and CI) exercise.
    pytest.importorskip("numba", reason="numba has no wheel for this Python: NumPy is used")
    assert all(fused_updates.compiled(name) is not None for name in UPDATES)


@pytest.mark.parametrize("n", [0, 1, 7, 17, 50_001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_the_compiled_loop_equals_numpys_passes_bit_for_bit(name, dtype, n):
    pytest.importorskip("numba", reason="numba has no wheel for this Python: NumPy is used")
    theta, averages = run_steps(compiled_loop, name, dtype, n)
    theta_np, averages_np = run_steps(numpy_passes, name, dtype, n)
    assert theta.dtype == dtype
    assert all(a.dtype == dtype for a in averages)
    assert np.array_equal(theta, theta_np)
    for ours, theirs in zip(averages, averages_np, strict=True):
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("form", ["compiled", "numpy"])
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_float32_vectors_are_updated_in_float32_arithmetic(name, form):
    # The same float32 start updated in float64 and rounded once at the end differs in last
    # bits: float32 arithmetic throughout is what NumPy's float32 passes do.
    if form == "compiled":
        pytest.importorskip("numba", reason="numba has no wheel for this Python: NumPy is used")
    update = compiled_loop if form == "compiled" else numpy_passes
    theta32, _ = run_steps(update, name, np.float32, 4_096, steps=20)
    theta64, _ = run_steps(update, name, np.float64, 4_096, steps=20)
    assert not np.array_equal(theta32, theta64.astype(np.float32))
    np.testing.assert_allclose(theta32, theta64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_a_nan_gradient_gives_nan_without_an_exception(name, tiers):
    # error_model="numpy": NaN flows through to θ, where the divergence guard reports it.
    tiers.reset(compile_after=0)
    n_averages, hyperparameters = UPDATES[name]
    theta, g = np.ones(9), np.ones(9)
    g[4] = np.nan
    averages = [np.zeros(9) for _ in range(n_averages)]
    fused_updates.update(name, (theta, g, *averages), hyperparameters(1), scratch=np.empty(9))
    assert np.isnan(theta[4])
    assert np.isfinite(np.delete(theta, 4)).all()


def test_short_work_stays_in_numpys_passes(tiers):
    run_steps(public_update, "adam", np.float64, 1_000)
    assert tiers.loops == {}
    assert 0 < tiers.seconds["adam"] < tiers.compile_after


def test_updates_switch_to_the_compiled_loop_without_changing_a_number(tiers):
    pytest.importorskip("numba", reason="numba has no wheel for this Python: NumPy is used")
    tiers.reset(compile_after=1e-9)  # compiled from the second step on
    switched = run_steps(public_update, "rmsprop", np.float32, 5_000, steps=6)
    assert tiers.loops == {"rmsprop": fused_updates.compiled("rmsprop")}
    tiers.reset(compile_after=math.inf)
    passes = run_steps(public_update, "rmsprop", np.float32, 5_000, steps=6)
    assert tiers.loops == {}
    assert np.array_equal(switched[0], passes[0])
    assert np.array_equal(switched[1][0], passes[1][0])


def test_without_numba_numpys_passes_give_the_same_numbers(tiers, monkeypatch):
    tiers.reset(compile_after=0)
    with_numba = run_steps(public_update, "adam", np.float64, 33)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now raises ImportError
    fused_updates.compiled.cache_clear()
    tiers.reset(compile_after=0)
    try:
        assert fused_updates.compiled("adam") is None
        without = run_steps(public_update, "adam", np.float64, 33)
        assert tiers.loops == {}
        assert tiers.seconds["adam"] == -math.inf  # never looked for again
    finally:
        fused_updates.compiled.cache_clear()  # the next test compiles again, with Numba
    assert np.array_equal(without[0], with_numba[0])
    for ours, theirs in zip(without[1], with_numba[1], strict=True):
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_dtypes_numba_does_not_compute_in_take_numpys_passes(name, dtype, tiers):
    tiers.reset(compile_after=0)
    with np.errstate(all="ignore"):  # float16's ε = 1e-8 is 0: a zero gradient divides 0 by 0
        theta, _ = run_steps(public_update, name, dtype, 65)
        theta_np, _ = run_steps(numpy_passes, name, dtype, 65)
    assert tiers.loops == {}
    assert theta.dtype == dtype
    assert np.array_equal(theta, theta_np, equal_nan=True)


def test_numba_with_its_compiler_disabled_is_not_used(tiers, monkeypatch):
    # NUMBA_DISABLE_JIT=1 makes njit return the Python function: a loop over every weight in
    # Python, thousands of times slower than the passes.
    numba = pytest.importorskip("numba", reason="numba has no wheel for this Python")
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    fused_updates.compiled.cache_clear()
    try:
        tiers.reset(compile_after=0)
        assert fused_updates.compiled("momentum") is None
        run_steps(public_update, "momentum", np.float64, 10)
        assert tiers.loops == {}
    finally:
        fused_updates.compiled.cache_clear()
