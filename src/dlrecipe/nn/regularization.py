"""Regularization: the L2 and L1 penalties beside their gradients, and inverted dropout.

The penalties use the textbook's λ and are added to the cost J of ``m`` examples:

* L2 ("weight decay"): ``(λ / 2m) Σ_l ||W[l]||_F²``, gradient ``(λ / m) W[l]``.
* L1: ``(λ / 2m) Σ_l Σ_ij |W[l]_ij|``, subgradient ``(λ / 2m) sign(W[l])`` (0 at 0).

Biases are never penalized. ``m`` is the number of training examples, also when training on
mini-batches: a mini-batch's J is its mean loss plus ``(λ/2m) Σ ||W||²`` with the full ``m``,
an estimate of the full J, so λ means the same whatever the batch size. How the textbook's λ
converts to other libraries:

* Keras ``regularizers.l2(l)`` adds ``l Σ W²`` to every batch's mean loss, so ``l = λ / (2m)``
  (and ``regularizers.l1(l)``: ``l = λ / (2m)`` with this module's L1).
* PyTorch ``SGD(weight_decay=wd)`` / ``Adam(weight_decay=wd)`` add ``wd · W`` to the gradient,
  so ``wd = λ / m`` (applied to the weights only, which needs a parameter group without
  biases). ``AdamW``'s decoupled decay is a different method and has no exact λ.
* scikit-learn ``MLPClassifier(alpha=a)`` adds ``(a / 2b) Σ ||W||²`` to a batch of ``b``
  examples: ``a = λ`` for batch gradient descent, ``a = λ b / m`` for mini-batches.

Inverted dropout keeps each unit with probability ``keep_prob`` and divides the survivors by
``keep_prob``, so the expected activation is unchanged and nothing needs rescaling at prediction
time, when dropout is off.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def l2_penalty(weights: Iterable[np.ndarray], lambd: float, m: int) -> float:
    """(λ / 2m) Σ ||W[l]||_F² over the weight matrices (never the biases)."""
    return lambd / (2 * m) * sum(float(np.vdot(W, W)) for W in weights)


def l2_gradient(W: np.ndarray, lambd: float, m: int) -> np.ndarray:
    """∂/∂W[l] of the L2 penalty: (λ / m) W[l]."""
    return (lambd / m) * W


def l1_penalty(weights: Iterable[np.ndarray], lambd: float, m: int) -> float:
    """(λ / 2m) Σ |W[l]_ij| over the weight matrices (never the biases)."""
    return lambd / (2 * m) * sum(float(np.abs(W).sum()) for W in weights)


def l1_gradient(W: np.ndarray, lambd: float, m: int) -> np.ndarray:
    """A subgradient of the L1 penalty: (λ / 2m) sign(W[l]), taking 0 where W[l]_ij = 0."""
    return (lambd / (2 * m)) * np.sign(W)


def dropout_mask(
    shape: tuple[int, int], keep_prob: float, rng: np.random.Generator, dtype: np.dtype | type
) -> np.ndarray:
    """The scaled mask ``D / keep_prob`` of an inverted-dropout layer.

    ``D`` keeps each entry with probability ``keep_prob``; storing it already divided by
    ``keep_prob`` makes the forward and the backward one multiplication each. The uniform
    draws are float64 whatever ``dtype``, so a float32 and a float64 model with the same seed
    drop the same units.
    """
    dtype = np.dtype(dtype)
    keep = rng.random(shape) < keep_prob
    return keep.astype(dtype) / dtype.type(keep_prob)


def dropout_forward(A: np.ndarray, mask: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A[l] := A[l] * D[l] / keep_prob, with ``mask`` from :func:`dropout_mask` (into ``out``)."""
    return np.multiply(A, mask, out=out)


def dropout_backward(dA: np.ndarray, mask: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """dA[l] := dA[l] * D[l] / keep_prob: the same mask that was drawn in the forward pass."""
    return np.multiply(dA, mask, out=out)
