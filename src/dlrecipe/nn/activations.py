"""Activation functions g[l], each forward beside its derivative.

Every forward maps ``Z[l]`` of shape ``(n[l], m)`` to ``A[l] = g(Z[l])`` of the same shape.
Every backward takes ``(dA, Z, A)`` — the upstream gradient and the cached pre-activation and
activation of the layer — and returns ``dZ = dA * g'(Z)``; every derivative returns ``g'(Z)``
itself; each uses whichever of ``Z`` and ``A`` makes it cheapest. None of them modifies its
inputs, and each writes its result into ``out=`` when given one (training reuses buffers).

Softmax is only used on the output layer, where its gradient is fused with the cross-entropy
(see :mod:`dlrecipe.nn.losses`), so it has no separate backward here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit

LEAKY_RELU_SLOPE = 0.01

Out = np.ndarray | None  # where to write the result (a preallocated buffer), None for a new array


def relu(Z: np.ndarray, out: Out = None) -> np.ndarray:
    return np.maximum(Z, 0, out=out)


def relu_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    # g'(z) = 1 for z > 0 and 0 otherwise (the subgradient 0 is taken at the kink z = 0).
    return np.multiply(dA, Z > 0, out=out)


def relu_derivative(Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    # 1.0 where z > 0, else 0.0, in Z's dtype: multiplying by it is faster than by booleans.
    return (Z > 0).astype(Z.dtype) if out is None else np.greater(Z, 0, out=out)


def relu_with_derivative(Z: np.ndarray, A: np.ndarray, G: np.ndarray) -> None:
    # g'(z) first, then g(z) = z g'(z): one comparison and one product, cheaper than max(z, 0).
    relu_derivative(Z, A, out=G)
    np.multiply(Z, G, out=A)


def leaky_relu(Z: np.ndarray, out: Out = None) -> np.ndarray:
    return _into(np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z), out)


def leaky_relu_backward(
    dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: Out = None
) -> np.ndarray:
    return _into(np.where(Z > 0, dA, LEAKY_RELU_SLOPE * dA), out)


def leaky_relu_derivative(Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    return _into(np.where(Z > 0, Z.dtype.type(1), Z.dtype.type(LEAKY_RELU_SLOPE)), out)


def tanh(Z: np.ndarray, out: Out = None) -> np.ndarray:
    return np.tanh(Z, out=out)


def tanh_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    return np.multiply(dA, tanh_derivative(Z, A), out=out)


def tanh_derivative(Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    G = np.multiply(A, A, out=out)
    return np.subtract(1, G, out=G)  # tanh'(z) = 1 - tanh(z)^2


def sigmoid(Z: np.ndarray, out: Out = None) -> np.ndarray:
    # SciPy's ufunc for 1 / (1 + e^-z): no overflow warning for large |z|, in Z's dtype, and
    # one call where NumPy needs four (on small layers the calls, not the arithmetic, cost).
    return expit(Z, out=out)


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    return np.multiply(dA * A, 1 - A, out=out)  # σ'(z) = σ(z)(1 - σ(z))


def sigmoid_derivative(Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    G = np.subtract(1, A, out=out)
    return np.multiply(G, A, out=G)  # σ'(z) = σ(z)(1 - σ(z))


def linear(Z: np.ndarray, out: Out = None) -> np.ndarray:
    return Z if out is None else _into(Z, out)


def linear_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    return dA if out is None else _into(dA, out)


def linear_derivative(Z: np.ndarray, A: np.ndarray, out: Out = None) -> np.ndarray:
    return _into(np.ones_like(Z), out)


def softmax(Z: np.ndarray, out: Out = None) -> np.ndarray:
    """Column-wise softmax of ``Z`` (n[L], m), shifted by the column max so exp cannot overflow."""
    # np.maximum.reduce and np.add.reduce: Z.max and E.sum without their Python wrappers.
    E = np.subtract(Z, np.maximum.reduce(Z, axis=0, keepdims=True), out=out)
    np.exp(E, out=E)
    E /= np.add.reduce(E, axis=0, keepdims=True)
    return E


def _into(result: np.ndarray, out: Out) -> np.ndarray:
    if out is None:
        return result
    np.copyto(out, result)
    return out


def _with_derivative(
    forward: Callable[..., np.ndarray], derivative: Callable[..., np.ndarray]
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
    """``A = g(Z)`` and ``G = g'(Z)`` into the given buffers, the forward first."""

    def both(Z: np.ndarray, A: np.ndarray, G: np.ndarray) -> None:
        forward(Z, out=A)
        derivative(Z, A, out=G)

    return both


class Activation(NamedTuple):
    """A named activation: ``forward(Z) -> A`` and ``backward(dA, Z, A) -> dZ``.

    For training, ``forward_with_derivative(Z, A, G)`` writes ``A = g(Z)`` and ``G = g'(Z)``
    into preallocated buffers while ``Z`` is fresh in the cache; the backward pass is then
    ``dZ = dA * G``, which rounds exactly as ``backward`` does (see
    :class:`dlrecipe.nn.workspace.Workspace`).
    """

    name: str
    forward: Callable[..., np.ndarray]  # (Z, out=None) -> A
    backward: Callable[..., np.ndarray]  # (dA, Z, A, out=None) -> dZ
    has_kink: bool  # not differentiable at z = 0: numerical gradients straddling it are unreliable
    forward_with_derivative: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None


HIDDEN_ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", relu, relu_backward, True, relu_with_derivative),
    "leaky_relu": Activation(
        "leaky_relu",
        leaky_relu,
        leaky_relu_backward,
        True,
        _with_derivative(leaky_relu, leaky_relu_derivative),
    ),
    "tanh": Activation("tanh", tanh, tanh_backward, False, _with_derivative(tanh, tanh_derivative)),
    # σ's backward is (dA * A) * (1 - A): a product with a precomputed g'(Z) would round
    # differently, so training keeps calling it (None: no derivative cached in the forward).
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_backward, False, None),
    "linear": Activation(
        "linear", linear, linear_backward, False, _with_derivative(linear, linear_derivative)
    ),
}


def get_activation(name: str) -> Activation:
    """The hidden-layer activation called ``name``; a ``ValueError`` lists the accepted names."""
    try:
        return HIDDEN_ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown hidden_activation {name!r}; expected one of {sorted(HIDDEN_ACTIVATIONS)}"
        ) from None
