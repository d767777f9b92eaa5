"""Forward and backward propagation of a fully connected network, in the textbook's notation.

Layer ``l = 1 … L`` has ``W[l]`` of shape ``(n[l], n[l-1])`` and ``b[l]`` of shape ``(n[l], 1)``;
activations are columns, one per example, so ``A[l]`` is ``(n[l], m)``::

    Z[l] = W[l] A[l-1] + b[l]          A[l] = g[l](Z[l])

    dZ[L] = A[L] - Y                   (output activation fused with its loss)
    dZ[l] = dA[l] * g[l]'(Z[l])
    dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (regularization)
    db[l] = (1/m) Σ_columns dZ[l]
    dA[l-1] = W[l]ᵀ dZ[l]

With inverted dropout on layer ``l-1`` (``keep_prob[l-1] < 1``), ``A[l-1]`` is multiplied by
its mask ``D[l-1] / keep_prob`` before it feeds layer ``l``, and ``dA[l-1]`` by the same mask.

These are pure functions of a parameter dict ``{"W1", "b1", …}`` and a :class:`NetworkSpec`;
:class:`dlrecipe.MLP` holds the state and checks the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .regularization import (
    dropout_backward,
    dropout_forward,
    dropout_mask,
    l1_gradient,
    l1_penalty,
    l2_gradient,
    l2_penalty,
)
from .spec import NetworkSpec

Params = Mapping[str, np.ndarray]


class LayerCache(NamedTuple):
    """What the backward pass of layer ``l`` needs from its forward pass."""

    A_prev: np.ndarray  # A[l-1] as it fed the layer (after dropout), (n[l-1], m)
    mask_prev: np.ndarray | None  # D[l-1] / keep_prob[l-1], or None without dropout
    Z: np.ndarray  # (n[l], m)
    A: np.ndarray  # g[l](Z[l]) before any dropout, (n[l], m)


def forward(
    params: Params,
    A_prev: np.ndarray,
    spec: NetworkSpec,
    *,
    training: bool = False,
    rng: np.random.Generator | None = None,
    first_layer: int = 1,
) -> list[LayerCache]:
    """Propagate ``A[first_layer - 1]`` (n, m) through layers ``first_layer … L``.

    Dropout is applied only when ``training`` is true, with masks drawn from ``rng``. Returns
    one cache per layer; the last one holds ``Z[L]`` and ``A[L]``.
    """
    caches = []
    for l in range(first_layer, spec.n_layers + 1):
        mask = None
        keep_prob = spec.keep_prob[l - 1]
        if training and keep_prob < 1:
            if rng is None:
                raise ValueError("dropout needs a random generator: pass rng=")
            mask = dropout_mask(A_prev.shape, keep_prob, rng, A_prev.dtype)
            A_prev = dropout_forward(A_prev, mask)
        Z = params[f"W{l}"] @ A_prev + params[f"b{l}"]
        g = spec.output.activation if l == spec.n_layers else spec.hidden.forward
        A = g(Z)
        caches.append(LayerCache(A_prev, mask, Z, A))
        A_prev = A
    return caches


def penalty(params: Params, spec: NetworkSpec, m: int) -> float:
    """The regularization part of J: (λ₂/2m) Σ ||W||² + (λ₁/2m) Σ |W| over W[1] … W[L]."""
    weights = [params[f"W{l}"] for l in range(1, spec.n_layers + 1)]
    total = 0.0
    if spec.l2:
        total += l2_penalty(weights, spec.l2, m)
    if spec.l1:
        total += l1_penalty(weights, spec.l1, m)
    return total


def cost(
    params: Params,
    ZL: np.ndarray,
    Y: np.ndarray,
    spec: NetworkSpec,
    *,
    m_penalty: int | None = None,
) -> tuple[float, float]:
    """``(J, data_loss)`` from the output pre-activation ``Z[L]`` (n[L], m); J has the penalty.

    The penalty is divided by ``m_penalty`` — the size of the training set when ``Z[L]`` is a
    mini-batch's, so that the mini-batch J estimates the full J and λ means the same whatever
    the batch size — and by the batch's own m by default.
    """
    data_loss = spec.output.loss(ZL, Y)
    return data_loss + penalty(params, spec, m_penalty or ZL.shape[1]), data_loss


def backward(
    params: Params,
    caches: list[LayerCache],
    Y: np.ndarray,
    spec: NetworkSpec,
    *,
    m_penalty: int | None = None,
) -> dict[str, np.ndarray]:
    """Gradients ``{"dW1", "db1", …}`` of J (penalty included) from a full forward's ``caches``.

    ``m_penalty`` as in :func:`cost`: the penalty's gradient is ``(λ / m_penalty) W[l]``.
    """
    L = spec.n_layers
    m = caches[-1].Z.shape[1]
    m_reg = m_penalty or m
    grads: dict[str, np.ndarray] = {}
    dZ = spec.output.gradient(caches[-1].A, Y)
    for l in range(L, 0, -1):
        A_prev, mask_prev = caches[l - 1].A_prev, caches[l - 1].mask_prev
        W = params[f"W{l}"]
        dW = (dZ @ A_prev.T) / m
        if spec.l2:
            dW += l2_gradient(W, spec.l2, m_reg)
        if spec.l1:
            dW += l1_gradient(W, spec.l1, m_reg)
        grads[f"dW{l}"] = dW
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dA = W.T @ dZ
            if mask_prev is not None:
                dA = dropout_backward(dA, mask_prev)
            below = caches[l - 2]
            dZ = spec.hidden.backward(dA, below.Z, below.A)  # dZ[l-1]
    return {name: grads[name] for l in range(1, L + 1) for name in (f"dW{l}", f"db{l}")}
