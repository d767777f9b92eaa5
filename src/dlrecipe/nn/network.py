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
:class:`dlrecipe.MLP` holds the state and checks the inputs. Training passes a
:class:`~dlrecipe.nn.workspace.Workspace`: the same functions then write every ``Z[l]``,
``A[l]``, ``g'(Z[l])``, ``dZ[l]`` and gradient into arrays allocated once and reused by every
step, instead of allocating them anew (large temporaries cost real time, and so does every
NumPy call). With the parameters laid out as training keeps them, they also compute
``Z[l] = [W[l] | b[l]] [A[l-1]; 1]`` and ``[dW[l] | db[l]] = (1/m) dZ[l] [A[l-1]; 1]ᵀ`` as one
matrix product each: the same numbers to rounding, with no separate pass for ``b[l]``.
Gradient descent goes one step further: ``backward(descend=α)`` adds ``−α dW[l]`` into the
weights from inside that product, and never writes the gradients at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
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
from .workspace import Workspace

Params = Mapping[str, np.ndarray]


class LayerCache(NamedTuple):
    """What the backward pass of layer ``l`` needs from its forward pass."""

    A_prev: np.ndarray  # A[l-1] as it fed the layer (after dropout), (n[l-1], m)
    mask_prev: np.ndarray | None  # D[l-1] / keep_prob[l-1], or None without dropout
    Z: np.ndarray  # (n[l], m)
    A: np.ndarray  # g[l](Z[l]) before any dropout, (n[l], m)
    G: np.ndarray | None = None  # g[l]'(Z[l]) of a hidden layer, when a workspace computed it
    A_prev_ones: np.ndarray | None = None  # [A_prev; 1] (n[l-1] + 1, m), from a workspace


@cache
def _names(L: int) -> tuple[tuple[str, str, str, str], ...]:
    """``("W1", "b1", "dW1", "db1")`` … for layers 1 … L (index 0 unused)."""
    names = [(f"W{l}", f"b{l}", f"dW{l}", f"db{l}") for l in range(1, L + 1)]
    return (("", "", "", ""), *names)


def forward(
    params: Params,
    A_prev: np.ndarray,
    spec: NetworkSpec,
    *,
    training: bool = False,
    rng: np.random.Generator | None = None,
    first_layer: int = 1,
    workspace: Workspace | None = None,
) -> list[LayerCache]:
    """Propagate ``A[first_layer - 1]`` (n, m) through layers ``first_layer … L``.

    Dropout is applied only when ``training`` is true, with masks drawn from ``rng``. Returns
    one cache per layer; the last one holds ``Z[L]`` and ``A[L]``. With a ``workspace`` the
    arrays are the workspace's (overwritten by the next call), and every hidden layer's cache
    also holds ``G = g'(Z[l])`` for the backward pass.
    """
    L, names = spec.n_layers, _names(spec.n_layers)
    out = workspace.buffers(A_prev.shape[1]) if workspace is not None else None
    A_prev_ones = None  # [A[l-1]; 1], in a workspace
    if out is not None:
        below = out[first_layer - 1]
        if A_prev is below.A:  # put there already (see Workspace.hold_input)
            A_prev_ones = below.A_ones
        elif A_prev.shape[0] < out[first_layer].Z.shape[0]:
            # Copying the batch under a row of ones moves n[l-1]·b numbers; adding b[l] and
            # summing db[l] move 2·n[l]·b: copy when it is the cheaper (not MNIST's 784 → 512).
            np.copyto(below.A, A_prev)
            A_prev, A_prev_ones = below.A, below.A_ones
    caches = []
    for l in range(first_layer, L + 1):
        mask = None
        keep_prob = spec.keep_prob[l - 1]
        if training and keep_prob < 1:
            if rng is None:
                raise ValueError("dropout needs a random generator: pass rng=")
            mask = dropout_mask(A_prev.shape, keep_prob, rng, A_prev.dtype)
            if out is None:
                A_prev = dropout_forward(A_prev, mask)
            else:
                A_prev_ones = out[l - 1].dropped
                assert A_prev_ones is not None, "a workspace has one for each dropout layer"
                A_prev = dropout_forward(A_prev, mask, out=A_prev_ones[:-1])
        W, b = params[names[l][0]], params[names[l][1]]
        Wb = None if workspace is None else workspace.weights_with_bias(l, W, b)
        if Wb is not None and A_prev_ones is not None and out is not None:
            Z = np.matmul(Wb, A_prev_ones, out=out[l].Z)  # Z[l] = [W[l] | b[l]] [A[l-1]; 1]
        else:
            Z = np.matmul(W, A_prev, out=None if out is None else out[l].Z)
            Z += b  # Z[l] = W[l] A[l-1] + b[l]
        G = None
        if l == L:
            A = spec.output.activation(Z, out=None if out is None else out[l].A)
        elif out is None:
            A = spec.hidden.forward(Z)
        elif spec.hidden.forward_with_derivative is None:
            A = spec.hidden.forward(Z, out=out[l].A)
        else:
            A, G = out[l].A, out[l].G
            spec.hidden.forward_with_derivative(Z, A, G)  # A[l] = g(Z[l]), G = g'(Z[l])
        caches.append(LayerCache(A_prev, mask, Z, A, G, A_prev_ones))
        A_prev = A
        if out is not None:
            A_prev_ones = out[l].A_ones
    return caches


def penalty(params: Params, spec: NetworkSpec, m: int) -> float:
    """The regularization part of J: (λ₂/2m) Σ ||W||² + (λ₁/2m) Σ |W| over W[1] … W[L]."""
    if not (spec.l2 or spec.l1):
        return 0.0
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
    AL: np.ndarray | None = None,
) -> tuple[float, float]:
    """``(J, data_loss)`` from the output pre-activation ``Z[L]`` (n[L], m); J has the penalty.

    The penalty is divided by ``m_penalty`` — the size of the training set when ``Z[L]`` is a
    mini-batch's, so that the mini-batch J estimates the full J and λ means the same whatever
    the batch size — and by the batch's own m by default. ``AL``, the output activation of
    ``Z[L]`` when it is at hand, lets the softmax's loss be read from it (fewer calls).
    """
    data_loss = spec.output.loss(ZL, Y, AL)
    return data_loss + penalty(params, spec, m_penalty or ZL.shape[1]), data_loss


def backward(
    params: Params,
    caches: list[LayerCache],
    Y: np.ndarray,
    spec: NetworkSpec,
    *,
    m_penalty: int | None = None,
    workspace: Workspace | None = None,
    descend: float | None = None,
) -> dict[str, np.ndarray]:
    """Gradients ``{"dW1", "db1", …}`` of J (penalty included) from a full forward's ``caches``.

    ``m_penalty`` as in :func:`cost`: the penalty's gradient is ``(λ / m_penalty) W[l]``. With
    the ``workspace`` of the forward pass, the gradients are written into ``workspace.grads``
    (and that dict is returned).

    ``descend=α`` (with a ``workspace``) takes a step of gradient descent instead of returning
    the gradients: each layer's ``W[l] := W[l] − α dW[l]`` and ``b[l] := b[l] − α db[l]`` in
    place, as soon as ``dA[l-1]`` no longer needs ``W[l]``. The product that would compute
    ``dW[l]`` adds ``−α (1/m) dZ[l] A[l-1]ᵀ`` into ``W[l]`` itself (:mod:`dlrecipe.nn.blas`):
    no gradient is written and no separate pass subtracts it, the same numbers to rounding.
    The regularization's part, ``α (λ/m) W[l]`` for L2, is subtracted first. Returns ``{}``.
    """
    L, names = spec.n_layers, _names(spec.n_layers)
    m = caches[-1].Z.shape[1]
    m_reg = m_penalty or m
    if descend is not None and workspace is None:
        raise ValueError("backward(descend=α) updates the weights through a workspace: pass one")
    out = workspace.buffers(m) if workspace is not None else None
    grads: dict[str, np.ndarray] = {} if workspace is None else workspace.grads
    # db[l] = Σ_columns dZ[l] as the product dZ[l]·1: one BLAS call, threaded on wide layers.
    ones = np.ones((m, 1), caches[-1].Z.dtype) if out is None else out[L].ones.T
    dZ = spec.output.gradient(caches[-1].A, Y, out=None if out is None else out[L].dZ)
    # The 1/m of every dW[l] and db[l] is applied once: here, and dZ[l] carries it down, or
    # in the step's −α/m when backward takes the step.
    if descend is None:
        dZ *= 1 / m
    else:
        step = -descend / m
    for l in range(L, 0, -1):
        A_prev, mask_prev = caches[l - 1].A_prev, caches[l - 1].mask_prev
        W_name, _, dW_name, db_name = names[l]
        W = params[W_name]
        A_prev_ones = caches[l - 1].A_prev_ones
        if l > 1:  # dA[l-1] = W[l]ᵀ dZ[l], before a step changes W[l]
            dA = np.matmul(W.T, dZ, out=None if out is None else out[l - 1].dZ)
        regularization = _regularization_gradient(W, spec, m_reg) if spec.l2 or spec.l1 else None
        if descend is not None:  # a step of gradient descent instead of dW[l] and db[l]
            assert workspace is not None
            assert out is not None
            b = params[names[l][1]]
            if regularization is not None:
                regularization *= descend
                W -= regularization  # α times the penalty's gradient, from W[l] as it was
            Wb = workspace.weights_with_bias(l, W, b)
            if Wb is not None and A_prev_ones is not None:
                # [W[l] | b[l]] −= α (1/m) dZ[l] [A[l-1]; 1]ᵀ: one product, added in place
                workspace.gradient_step(dZ, A_prev_ones, Wb)(step)
            else:
                workspace.gradient_step(dZ, A_prev, W)(step)
                workspace.gradient_step(dZ, out[l].ones, b)(step)
        else:
            with_bias = None if workspace is None else workspace.gradients_with_bias[l]
            if with_bias is not None and A_prev_ones is not None:
                dWb, dW, db = with_bias
                np.matmul(dZ, A_prev_ones.T, out=dWb)  # [dW[l] | db[l]] = (1/m) dZ[l] [A[l-1]; 1]ᵀ
            else:
                dW = np.matmul(dZ, A_prev.T, out=grads.get(dW_name))  # (1/m) dZ[l] A[l-1]ᵀ
                db = np.matmul(dZ, ones, out=grads.get(db_name))
            if regularization is not None:
                dW += regularization
            grads[dW_name], grads[db_name] = dW, db
        if l > 1:
            if mask_prev is not None:
                dA = dropout_backward(dA, mask_prev, out=dA)  # dA is fresh: a product
            below = caches[l - 2]
            if below.G is not None:
                dZ = np.multiply(dA, below.G, out=dA)  # dZ[l-1] = dA[l-1] * g'(Z[l-1])
            else:
                dZ = spec.hidden.backward(dA, below.Z, below.A, out=dA)  # dZ[l-1]
    if descend is not None:
        return {}
    if workspace is not None:
        return grads
    return {name: grads[name] for l in range(1, L + 1) for name in names[l][2:]}


def _regularization_gradient(W: np.ndarray, spec: NetworkSpec, m: int) -> np.ndarray | None:
    """The penalty's part of dW[l], a new array: (λ₂/m) W[l] + (λ₁/2m) sign(W[l])."""
    gradient = None
    if spec.l2:
        gradient = l2_gradient(W, spec.l2, m)
    if spec.l1:
        l1 = l1_gradient(W, spec.l1, m)
        gradient = l1 if gradient is None else np.add(gradient, l1, out=gradient)
    return gradient
