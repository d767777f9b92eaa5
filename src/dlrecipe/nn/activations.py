"""Activation functions g[l], each forward beside its derivative.

Every forward maps ``Z[l]`` of shape ``(n[l], m)`` to ``A[l] = g(Z[l])`` of the same shape.
Every backward takes ``(dA, Z, A)`` — the upstream gradient and the cached pre-activation and
activation of the layer — and returns ``dZ = dA * g'(Z)``; each uses whichever of ``Z`` and
``A`` makes the derivative cheapest. None of them modifies its inputs.

Softmax is only used on the output layer, where its gradient is fused with the cross-entropy
(see :mod:`dlrecipe.nn.losses`), so it has no separate backward here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

LEAKY_RELU_SLOPE = 0.01


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0)


def relu_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(z) = 1 for z > 0 and 0 otherwise (the subgradient 0 is taken at the kink z = 0).
    return dA * (Z > 0)


def leaky_relu(Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z)


def leaky_relu_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, dA, LEAKY_RELU_SLOPE * dA)


def tanh(Z: np.ndarray) -> np.ndarray:
    return np.tanh(Z)


def tanh_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return dA * (1 - A * A)  # tanh'(z) = 1 - tanh(z)^2


def sigmoid(Z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z) written through tanh: no overflow warning for large |z|.
    return 0.5 * (1 + np.tanh(0.5 * Z))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return dA * A * (1 - A)  # σ'(z) = σ(z)(1 - σ(z))


def linear(Z: np.ndarray) -> np.ndarray:
    return Z


def linear_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return dA


def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax of ``Z`` (n[L], m), shifted by the column max so exp cannot overflow."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


class Activation(NamedTuple):
    """A named activation: ``forward(Z) -> A`` and ``backward(dA, Z, A) -> dZ``."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    has_kink: bool  # not differentiable at z = 0: numerical gradients straddling it are unreliable


HIDDEN_ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", relu, relu_backward, has_kink=True),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_backward, has_kink=True),
    "tanh": Activation("tanh", tanh, tanh_backward, has_kink=False),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_backward, has_kink=False),
    "linear": Activation("linear", linear, linear_backward, has_kink=False),
}


def get_activation(name: str) -> Activation:
    """The hidden-layer activation called ``name``; a ``ValueError`` lists the accepted names."""
    try:
        return HIDDEN_ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown hidden_activation {name!r}; expected one of {sorted(HIDDEN_ACTIVATIONS)}"
        ) from None
