"""Losses of the output layer, computed from its pre-activation ``Z[L]`` so they stay finite.

Each output activation has one loss, and each loss comes with the gradient of the summed loss
with respect to ``Z[L]``, fused with the activation's derivative:

=============  ==========================  ========================================
output g[L]    loss (data part of J)       dZ[L] (one column per example)
=============  ==========================  ========================================
sigmoid        binary cross-entropy        A[L] - Y
softmax        categorical cross-entropy   A[L] - one_hot(y)
linear         mean squared error (1/2)    A[L] - Y
=============  ==========================  ========================================

All three are ``A - Y`` because each pairs an output with its canonical loss (the negative
log-likelihood of a Bernoulli, a categorical and a Gaussian): the ``1/(a(1-a))`` of the
cross-entropy cancels the ``a(1-a)`` of the sigmoid, and likewise for softmax. The gradients
are per example, not divided by ``m``: the backward pass applies ``1/m`` once, to ``dZ[L]``,
which carries it into every ``dW[l]`` and ``db[l]``.
Each writes into ``out=`` when given one.

``Y`` is ``(n[L], m)`` floats for sigmoid and linear outputs, and ``y`` is ``(m,)`` integer
class labels for softmax. The value returned by each loss is ``(1/m) Σ_i loss_i``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .activations import linear, sigmoid, softmax


def binary_cross_entropy(ZL: np.ndarray, Y: np.ndarray, AL: np.ndarray | None = None) -> float:
    """-(1/m) Σ [y log σ(z) + (1-y) log(1-σ(z))], rewritten as max(z,0) - zy + log(1+e^-|z|).

    The rewritten form never takes log(0) and never overflows, even at |z| = 1000. ``AL`` is
    not used: log(1 − σ(z)) from σ(z) would lose its digits as σ(z) nears 1.
    """
    m = ZL.shape[1]
    losses = np.maximum(ZL, 0) - ZL * Y + np.log1p(np.exp(-np.abs(ZL)))
    return float(np.add.reduce(losses, axis=None) / m)  # np.sum without its Python wrapper


def categorical_cross_entropy(ZL: np.ndarray, y: np.ndarray, AL: np.ndarray | None = None) -> float:
    """-(1/m) Σ_i log softmax(z_i)[y_i] = (1/m) Σ_i (logsumexp(z_i) - z_i[y_i]), stably.

    With ``AL = softmax(ZL)`` at hand (training computed it), the loss is read from it as
    -(1/m) Σ_i log A[y_i, i]: three NumPy calls instead of ten, the same number to rounding.
    Where one of those probabilities is below the smallest normal number (a confident wrong
    answer, z_i[y_i] hundreds below the column's largest), its log would have lost digits or be
    -inf, so the loss is computed from ``ZL`` as above.
    """
    m = ZL.shape[1]
    if AL is not None and m > 0:
        p = AL[y, _columns(m)]  # A[y_i, i], a new array
        if np.minimum.reduce(p) >= np.finfo(p.dtype).tiny:  # and no NaN
            return float(-np.add.reduce(np.log(p, out=p)) / m)
    z_max = np.maximum.reduce(ZL, axis=0)  # ZL.max(axis=0) without the Python wrapper
    log_sum_exp = z_max + np.log(np.add.reduce(np.exp(ZL - z_max), axis=0))
    return float(np.add.reduce(log_sum_exp - ZL[y, _columns(m)], axis=None) / m)


@functools.cache
def _columns(m: int) -> np.ndarray:
    """``0 … m-1``, read-only: the column of each example, made once per batch size."""
    columns = np.arange(m)
    columns.flags.writeable = False
    return columns


def mean_squared_error(ZL: np.ndarray, Y: np.ndarray, AL: np.ndarray | None = None) -> float:
    """(1/2m) Σ ||ŷ - y||²; the 1/2 (as in scikit-learn's MLPRegressor) makes dZ = ŷ - y.

    ``AL`` (the same numbers as ``ZL``, a linear output) is not needed."""
    m = ZL.shape[1]
    R = ZL - Y
    return float(np.sum(R * R) / (2 * m))


def residual_gradient(AL: np.ndarray, Y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """dZ[L] = A[L] - Y for a sigmoid + binary cross-entropy or linear + squared-error output."""
    return np.subtract(AL, Y, out=out)


def softmax_cross_entropy_gradient(
    AL: np.ndarray, y: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """dZ[L] = A[L] - one_hot(y), without building the one-hot matrix."""
    if out is None:
        dZ = AL.copy()
    else:
        dZ = out
        np.copyto(dZ, AL)
    dZ[y, _columns(AL.shape[1])] -= 1
    return dZ


class Output(NamedTuple):
    """An output activation with its loss: ``loss(ZL, Y, AL=None) -> J_data`` (``AL``, when
    given, is ``activation(ZL)``), ``gradient(AL, Y) -> dZL``."""

    name: str
    activation: Callable[..., np.ndarray]  # (Z, out=None) -> A
    loss_name: str
    loss: Callable[..., float]  # (ZL, Y, AL=None) -> J_data
    gradient: Callable[..., np.ndarray]  # (AL, Y, out=None) -> dZ


OUTPUTS: dict[str, Output] = {
    "sigmoid": Output(
        "sigmoid", sigmoid, "binary cross-entropy", binary_cross_entropy, residual_gradient
    ),
    "softmax": Output(
        "softmax",
        softmax,
        "categorical cross-entropy",
        categorical_cross_entropy,
        softmax_cross_entropy_gradient,
    ),
    "linear": Output("linear", linear, "mean squared error", mean_squared_error, residual_gradient),
}


def get_output(name: str) -> Output:
    """The output activation called ``name``; a ``ValueError`` lists the accepted names."""
    try:
        return OUTPUTS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown output_activation {name!r}; expected one of {sorted(OUTPUTS)} "
            "(sigmoid: binary cross-entropy, softmax: categorical cross-entropy, "
            "linear: mean squared error)"
        ) from None
