"""The textbook's N-dimensional gradient-checking exercise, reproduced for the tests.

A 4-5-3-1 ReLU/sigmoid network on 3 examples, drawn exactly as the exercise draws them (the
legacy Mersenne-Twister stream seeded with 1, as a local ``RandomState`` object rather than the
global one), and its backward pass with the exercise's two planted bugs: ``dW2`` doubled and
``db1`` computed with 4/m instead of 1/m.
"""

from __future__ import annotations

import numpy as np

from dlrecipe.nn import network


def textbook_case() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """``x`` (4, 3) as columns, ``y`` (3,), and the parameters W1 … b3."""
    rs = np.random.RandomState(1)
    x = rs.randn(4, 3)
    y = np.array([1, 1, 0])
    params = {}
    for l, shape in enumerate([(5, 4), (3, 5), (1, 3)], start=1):
        params[f"W{l}"] = rs.randn(*shape)
        params[f"b{l}"] = rs.randn(shape[0], 1)
    return x, y, params


_correct_backward = network.backward  # kept, so that tests may patch network.backward


def buggy_backward(params, caches, Y, spec):
    """The correct backward pass with the exercise's two bugs planted in dW2 and db1."""
    grads = _correct_backward(params, caches, Y, spec)
    grads["dW2"] = 2 * grads["dW2"]
    grads["db1"] = 4 * grads["db1"]
    return grads
