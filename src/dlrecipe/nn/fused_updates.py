"""Momentum's, RMSprop's and Adam's updates over the flat vectors θ, dθ, v and s, in one pass.

Written as NumPy operations, Adam's update is twelve passes over every parameter (``v *= β₁``,
``v += (1 − β₁) dW``, ``dW²``, …), each reading and writing arrays as large as θ, and NumPy's
float64 square root alone runs at half the speed the processor allows. Each update here is
also the textbook's equations written as one loop over the parameters, which Numba compiles:
one pass, with the square root vectorized (digits' Adam step over 50,826 weights, timed
alone: 45 µs against 161 µs for the passes in float64, 16 µs against 66 µs in float32).

Both forms compute the same operations in the same order, each rounded once to the vectors'
dtype (no fused multiply-add, no reassociation: Numba's default, IEEE arithmetic), so they
give the same numbers bit for bit, which ``tests/test_fused_updates.py`` checks. Every scalar
comes already cast to the vectors' dtype: a float32 update stays float32 in both.

Compiling costs a process about 0.6 s (importing Numba 0.17 s, the first compilation 0.44 s,
each later one ~0.08 s) and ~115 MiB (Numba and LLVM), more than a short training would save.
So an update runs as NumPy passes until they have taken :attr:`Tiers.compile_after` seconds in
the process (0.5 s: the cost of compiling), and compiled from then on: never much more than
twice the time of the better choice in hindsight (the ski-rental rule), and no number changes
at the switch. Without Numba (a Python it has no wheel for yet) the passes stay. Nothing is
cached on disk: Numba's cache is pickled.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Vector = np.ndarray  # 1-D, contiguous: θ, dθ, v, s and the scratch, all of one dtype and length
Scalar = Any  # a NumPy scalar of the vectors' dtype (np.float32(0.9) for float32 vectors)

# The updates as loops over the parameters i (each line a textbook equation), compiled by Numba.


def _momentum_loop(
    theta: Vector, g: Vector, v: Vector, beta: Scalar, one_minus_beta: Scalar, alpha: Scalar
) -> None:
    for i in range(theta.shape[0]):
        v_i = beta * v[i] + one_minus_beta * g[i]  # v = β v + (1 − β) dW
        v[i] = v_i
        theta[i] -= alpha * v_i  # W = W − α v


def _rmsprop_loop(
    theta: Vector,
    g: Vector,
    s: Vector,
    beta: Scalar,
    one_minus_beta: Scalar,
    epsilon: Scalar,
    alpha: Scalar,
) -> None:
    for i in range(theta.shape[0]):
        g_i = g[i]
        s_i = beta * s[i] + one_minus_beta * (g_i * g_i)  # s = β s + (1 − β) dW²
        s[i] = s_i
        theta[i] -= alpha * (g_i / (np.sqrt(s_i) + epsilon))  # W = W − α dW / (√s + ε)


def _adam_loop(
    theta: Vector,
    g: Vector,
    v: Vector,
    s: Vector,
    beta1: Scalar,
    one_minus_beta1: Scalar,
    beta2: Scalar,
    one_minus_beta2: Scalar,
    epsilon: Scalar,
    c: Scalar,
) -> None:
    for i in range(theta.shape[0]):
        g_i = g[i]
        v_i = beta1 * v[i] + one_minus_beta1 * g_i  # v = β₁ v + (1 − β₁) dW
        s_i = beta2 * s[i] + one_minus_beta2 * (g_i * g_i)  # s = β₂ s + (1 − β₂) dW²
        v[i] = v_i
        s[i] = s_i
        theta[i] -= c * (v_i / (np.sqrt(s_i) + epsilon))  # W = W − c v / (√s + ε̂)


# The same operations, in the same order, as NumPy passes (``scratch`` as long as θ).


def _momentum_passes(
    theta: Vector,
    g: Vector,
    v: Vector,
    beta: Scalar,
    one_minus_beta: Scalar,
    alpha: Scalar,
    *,
    scratch: Vector,
) -> None:
    v *= beta
    v += np.multiply(g, one_minus_beta, out=scratch)
    theta -= np.multiply(v, alpha, out=scratch)


def _rmsprop_passes(
    theta: Vector,
    g: Vector,
    s: Vector,
    beta: Scalar,
    one_minus_beta: Scalar,
    epsilon: Scalar,
    alpha: Scalar,
    *,
    scratch: Vector,
) -> None:
    np.square(g, out=scratch)
    scratch *= one_minus_beta
    s *= beta
    s += scratch
    np.sqrt(s, out=scratch)
    scratch += epsilon
    np.divide(g, scratch, out=scratch)
    theta -= np.multiply(scratch, alpha, out=scratch)


def _adam_passes(
    theta: Vector,
    g: Vector,
    v: Vector,
    s: Vector,
    beta1: Scalar,
    one_minus_beta1: Scalar,
    beta2: Scalar,
    one_minus_beta2: Scalar,
    epsilon: Scalar,
    c: Scalar,
    *,
    scratch: Vector,
) -> None:
    v *= beta1
    v += np.multiply(g, one_minus_beta1, out=scratch)
    np.square(g, out=scratch)
    scratch *= one_minus_beta2
    s *= beta2
    s += scratch
    np.sqrt(s, out=scratch)
    scratch += epsilon
    np.divide(v, scratch, out=scratch)
    theta -= np.multiply(scratch, c, out=scratch)


LOOPS: dict[str, Callable[..., None]] = {
    "momentum": _momentum_loop,
    "rmsprop": _rmsprop_loop,
    "adam": _adam_loop,
}
PASSES: dict[str, Callable[..., None]] = {
    "momentum": _momentum_passes,
    "rmsprop": _rmsprop_passes,
    "adam": _adam_passes,
}


# Numba computes in these; float16 and long double vectors always take the NumPy passes.
COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@functools.cache
def compiled(name: str) -> Callable[..., None] | None:
    """The update ``name`` compiled by Numba (compiled for a dtype at its first call), or None
    without Numba."""
    try:
        import numba
    except ImportError:
        return None
    if getattr(numba.config, "DISABLE_JIT", False):  # NUMBA_DISABLE_JIT=1: the loop in Python
        return None
    # error_model="numpy": a division by zero gives inf or NaN, as in NumPy (the divergence
    # guard reports it), instead of a check per element that keeps the loop from vectorizing.
    return numba.njit(LOOPS[name], error_model="numpy")


class Tiers:
    """Which form each update takes in this process: NumPy passes first, compiled later."""

    def __init__(self, compile_after: float = 0.5) -> None:
        self.reset(compile_after)

    def reset(self, compile_after: float = 0.5) -> None:
        """Back to NumPy passes, with a new threshold (0: compiled from the first step)."""
        self.compile_after = compile_after  # seconds of passes before compiling
        self.seconds: dict[str, float] = {}  # time spent in each update's NumPy passes
        self.loops: dict[str, Callable[..., None]] = {}  # the updates switched to compiled


TIERS = Tiers()


def update(
    name: str, vectors: tuple[np.ndarray, ...], scalars: tuple[Any, ...], *, scratch: np.ndarray
) -> None:
    """Apply the update ``name`` in place to ``vectors`` (θ, dθ, then v and/or s: contiguous,
    one dtype, one length) with ``scalars`` (already in that dtype): compiled, or as NumPy
    passes using ``scratch`` (as long as θ) until they have taken long enough (:data:`TIERS`)."""
    compilable = vectors[0].dtype in COMPILED_DTYPES
    loop = TIERS.loops.get(name) if compilable else None
    if loop is None and compilable and TIERS.seconds.get(name, 0.0) >= TIERS.compile_after:
        loop = compiled(name)
        if loop is None:
            TIERS.seconds[name] = -math.inf  # no Numba: the passes for good
        else:
            TIERS.loops[name] = loop
    if loop is not None:
        loop(*vectors, *scalars)
        return
    began = time.perf_counter()
    PASSES[name](*vectors, *scalars, scratch=scratch)
    TIERS.seconds[name] = TIERS.seconds.get(name, 0.0) + time.perf_counter() - began
